#!/bin/sh
# labfabric: kubeadm join of k8s-worker-1
set -eu

if [ -f '/etc/kubernetes/kubelet.conf' ]; then
  echo 'labfabric: k8s-worker-1 has already joined (/etc/kubernetes/kubelet.conf exists)'
  exit 0
fi

# The join configuration, from standard input, readable by root only
mkdir -p "$(dirname '/etc/labfabric/kubeadm/join.yaml')"
(umask 077 && cat > '/etc/labfabric/kubeadm/join.yaml.labfabric-tmp')
grep -q '^kind: JoinConfiguration$' '/etc/labfabric/kubeadm/join.yaml.labfabric-tmp' || { rm -f '/etc/labfabric/kubeadm/join.yaml.labfabric-tmp'; { echo 'labfabric: no JoinConfiguration for k8s-worker-1 on standard input' >&2; exit 1; }; }
chmod 0600 '/etc/labfabric/kubeadm/join.yaml.labfabric-tmp'
mv -f '/etc/labfabric/kubeadm/join.yaml.labfabric-tmp' '/etc/labfabric/kubeadm/join.yaml'

# kubeadm join; on failure the node and kubeadm's own error are reported, and what this
# join left is reset so that the next run starts clean
held=''
for f in '/etc/kubernetes/bootstrap-kubelet.conf' '/etc/kubernetes/pki/ca.crt' '/var/lib/kubelet/config.yaml'; do
  if [ -e "$f" ]; then held="$held $f"; fi
done
log=$(mktemp) && status=$(mktemp)
trap 'rm -f "$log" "$status"' EXIT
{ kubeadm join --config '/etc/labfabric/kubeadm/join.yaml' 2>&1 && echo 0 > "$status" || echo "$?" > "$status"; } | tee "$log"
rc=$(cat "$status")
if [ "$rc" != 0 ]; then
  err=$(awk '/^To see the stack trace/ { exit } p || /^error/ { p = 1; print }' "$log")
  [ -n "$err" ] || err=$(tail -n 10 "$log")
  printf '%s\n' 'labfabric: join of k8s-worker-1 failed (kubeadm join exited '"$rc): $err" >&2
  case "$err" in *"JWS signature in the cluster-info"* | *"invalid for this cluster or it has expired"*)
    echo 'labfabric: the join token is no longer valid (a token lives 2h0m0s): replace the cluster'\''s join-token step, pulumi up --replace <its URN from pulumi stack --show-urns | grep join-token>' >&2 ;;
  esac
  if [ -n "$held" ]; then
    echo 'labfabric: k8s-worker-1 held kubeadm'\''s files before this join (left as they are):'"$held" >&2
    echo 'labfabric: if k8s-worker-1 serves no other cluster, run kubeadm reset -f on it, then pulumi up again' >&2
  else
    kubeadm reset -f >/dev/null 2>&1 || true
    rm -rf /etc/cni/net.d/* /var/lib/cni/* >/dev/null 2>&1 || true
    rm -f '/etc/labfabric/kubeadm/join.yaml' >/dev/null 2>&1 || true
    echo 'labfabric: what the join left on k8s-worker-1 was reset (kubeadm reset); fix the cause and run pulumi up again' >&2
  fi
  exit 1
fi
