#!/usr/bin/env bash
# Run by prove.sh inside the test's network namespace and a private mount namespace:
#   prove-inner.sh MODE BUNDLE WORK
# Node paths (/etc/kubernetes, /var/lib/kubelet, /run/containerd, ...) are bind mounts of WORK, so
# the host's own files are never touched; the kernel tunables kubelet would set machine-wide are
# masked with files holding the values it wants (the machine is shared: it must not get
# panic_on_oops=1 from a test). Prints what it sees; exits non-zero on the first failure.
set -euo pipefail
mode="$1" bundle="$2" work="$3"
root="$work" # where lib.sh's step keeps its logs ($root/work)
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
LOG_TAG=k8s-prove
# shellcheck source=versions.env
source "$HERE/versions.env"
# shellcheck source=../../toolchain/lib.sh
source "$HERE/../../toolchain/lib.sh"
export PATH="$bundle/bin:$PATH"
SOCK=unix:///run/containerd/containerd.sock
CGROUP_ROOT="${CGROUP_ROOT:-/k8s-prove}"
crictl() { command crictl --config "$work/crictl.yaml" --timeout 60s "$@"; }
k() { kubectl --kubeconfig /etc/kubernetes/admin.conf "$@"; }
show_logs() {
  local f
  for f in "$work"/logs/*.log "$work"/work/*.log; do
    [[ -f "$f" ]] || continue
    echo "----- tail of $(basename "$f")" >&2
    tail -n 25 "$f" >&2
  done
}
trap 'rc=$?; ((rc == 0)) || show_logs; exit $rc' EXIT

printf 'runtime-endpoint: %s\nimage-endpoint: %s\n' "$SOCK" "$SOCK" >"$work/crictl.yaml"

# --- the namespace host's file system --------------------------------------------------------------
mkdir -p "$work/logs" "$work/fs" "$work/cgroup"
mount --make-rprivate /
mount --rbind /sys/fs/cgroup "$work/cgroup"
mount -t sysfs sysfs /sys
mount --rbind "$work/cgroup" /sys/fs/cgroup
for d in /etc/kubernetes /var/lib/kubelet /var/lib/etcd /run/containerd /var/lib/containerd /etc/containerd \
  /etc/cni/net.d /opt/cni/bin /var/lib/cni /var/log/pods /var/log/containers /run/flannel; do
  mkdir -p "$work/fs$d" "$d"
  mount --bind "$work/fs$d" "$d"
done
for t in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1; do
  f="$work/sysctl-$(tr / . <<<"${t%%=*}")"
  echo "${t#*=}" >"$f"
  mount --bind "$f" "/proc/sys/${t%%=*}"
done
install -m 0755 "$bundle"/cni/* /opt/cni/bin/
# Per network namespace, so safe to set: a new namespace starts with forwarding off.
sysctl -qw net.ipv4.ip_forward=1
sysctl -qw net.bridge.bridge-nf-call-iptables=1 2>/dev/null || true
# kubelet's own cgroup root (cgroup v1, cgroupfs driver), so it never meets another kubelet's
# /kubepods on this shared machine; prove.sh removes it. cpuset children need cpus and mems.
for c in /sys/fs/cgroup/*/; do
  [[ -f "$c/tasks" ]] || continue
  mkdir -p "$c$CGROUP_ROOT"
  if [[ -f "$c/cpuset.cpus" ]]; then
    cat "$c/cpuset.cpus" >"$c$CGROUP_ROOT/cpuset.cpus"
    cat "$c/cpuset.mems" >"$c$CGROUP_ROOT/cpuset.mems"
  fi
done

# --- containerd 1.6 (Debian) -----------------------------------------------------------------------
restrict_oom=false
# CapEff bit 24 = CAP_SYS_RESOURCE
(((0x$(awk '/^CapEff/ {print $2}' /proc/self/status) >> 24) & 1)) || restrict_oom=true
cat >/etc/containerd/config.toml <<EOF
version = 2
root = "/var/lib/containerd"
state = "/run/containerd"
[grpc]
  address = "/run/containerd/containerd.sock"
[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "registry.k8s.io/pause:$PAUSE_VERSION"
  # These machines withhold CAP_SYS_RESOURCE: lowering a container's oom_score_adj (CRI asks -998
  # for sandboxes) is refused and runc fails ("can't get final child's PID from pipe: EOF").
  restrict_oom_score_adj = $restrict_oom
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/opt/cni/bin"
    conf_dir = "/etc/cni/net.d"
EOF
log "containerd $(containerd --version | awk '{print $3}'), runc $(runc --version | awk 'NR==1{print $3}')"
start=$SECONDS
containerd --config /etc/containerd/config.toml >"$work/logs/containerd.log" 2>&1 &
for _ in $(seq 60); do timeout 5 ctr version >/dev/null 2>&1 && break || sleep 1; done
timeout 5 ctr version >/dev/null || die "containerd did not answer on its socket"
log "containerd up ($((SECONDS - start)) s)"

start=$SECONDS
for img in "$bundle"/images/*.tar; do
  s=$SECONDS
  ctr -n k8s.io images import "$img" >"$work/logs/import.log" 2>&1 ||
    die "ctr images import $img: $(tail -n 2 "$work/logs/import.log")"
  log "  imported $(basename "$img") ($((SECONDS - s)) s)"
done
log "images imported ($((SECONDS - start)) s):"
ctr -n k8s.io images ls -q | grep -v '^sha256:' | sed 's/^/    /' >&2

# pause under runc, directly (ctr run: the image's own entrypoint, host network)
ctr -n k8s.io run -d --net-host --cgroup "$CGROUP_ROOT/ctr-pause" "registry.k8s.io/pause:$PAUSE_VERSION" k8s-prove-pause >/dev/null
sleep 2
status="$(ctr -n k8s.io tasks ls | awk '$1 == "k8s-prove-pause" {print $3}')"
log "pause under runc (ctr run): task status $status"
[[ "$status" == RUNNING ]] || die "pause is not running under runc"
ctr -n k8s.io tasks kill -s KILL k8s-prove-pause >/dev/null
sleep 1
ctr -n k8s.io tasks rm k8s-prove-pause >/dev/null 2>&1 || true
ctr -n k8s.io containers rm k8s-prove-pause >/dev/null

# What the images' users run in them: each binary starts, iptables finds its libraries (nft mode),
# the Flannel images' `cp` works.
n=0
while read -r img cmd; do
  n=$((n + 1))
  # shellcheck disable=SC2086
  out="$(timeout 60 ctr -n k8s.io run --rm --net-host --cgroup "$CGROUP_ROOT/check-$n" "$img" "k8s-prove-check-$n" $cmd 2>&1 </dev/null |
    head -n 1)" || die "in $img, \`$cmd\` failed: $out"
  log "  $img: $cmd -> ${out:-(no output, exit 0)}"
done <<EOF
registry.k8s.io/kube-proxy:$K8S_VERSION kube-proxy --version
registry.k8s.io/kube-proxy:$K8S_VERSION iptables -V
registry.k8s.io/etcd:$ETCD_IMAGE_TAG etcd --version
registry.k8s.io/coredns/coredns:${COREDNS_MODULE#*@} /coredns -version
ghcr.io/flannel-io/flannel:${FLANNEL_MODULE#*@} /opt/bin/flanneld --version
ghcr.io/flannel-io/flannel:${FLANNEL_MODULE#*@} iptables-save --version
ghcr.io/flannel-io/flannel-cni-plugin:$FLANNEL_CNI_IMAGE_TAG cp -f /flannel /tmp/flannel
EOF

# The CRI: status, and a host-network pod sandbox (no CNI needed) whose infra container is pause.
conditions="$(crictl info -o go-template --template '{{range .status.conditions}}{{.type}}={{.status}} {{end}}')"
log "crictl info: $conditions"
grep -qw 'RuntimeReady=true' <<<"$conditions" || die "the CRI does not report RuntimeReady"
cat >"$work/pod.json" <<'EOF'
{"metadata": {"name": "prove", "namespace": "default", "uid": "k8s-prove-1"}, "log_directory": "/tmp",
 "linux": {"cgroup_parent": "CGROUP_ROOT/crictl", "security_context": {"namespace_options": {"network": 2}}}}
EOF
sed -i "s|CGROUP_ROOT|$CGROUP_ROOT|" "$work/pod.json"
pod="$(crictl runp "$work/pod.json")"
log "crictl runp (host network): sandbox $(crictl pods -q --id "$pod" | cut -c1-13) $(crictl inspectp "$pod" |
  grep -o '"state": "[A-Z_]*"' | head -n1)"
crictl stopp "$pod" >/dev/null && crictl rmp "$pod" >/dev/null
listed="$(ctr -n k8s.io images ls -q)"
missing="$(grep -v -e '^#' -e '^$' "$HERE/images.txt" | while read -r r; do
  grep -qxF "$r" <<<"$listed" || echo "$r"
done)"
[[ -z "$missing" ]] || die "images.txt names images not in containerd after the import: $missing"
log "every image of images.txt is in containerd (namespace k8s.io)"
[[ "$mode" == kubeadm ]] || exit 0

# --- kubeadm init -----------------------------------------------------------------------------------
cat >"$work/kubeadm.yaml" <<EOF
apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint: {advertiseAddress: 10.254.77.10, bindPort: 6443}
nodeRegistration:
  name: k8s-prove
  criSocket: $SOCK
  imagePullPolicy: Never
  kubeletExtraArgs: [{name: node-ip, value: 10.254.77.10}]
timeouts: {controlPlaneComponentHealthCheck: 15m0s, kubeletHealthCheck: 10m0s}
---
apiVersion: kubeadm.k8s.io/v1beta4
kind: ClusterConfiguration
kubernetesVersion: $K8S_VERSION
networking: {podSubnet: 10.244.0.0/16, serviceSubnet: 10.96.0.0/12}
---
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
cgroupDriver: cgroupfs
cgroupRoot: $CGROUP_ROOT
failSwapOn: true
---
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
conntrack: {maxPerCore: 0, tcpEstablishedTimeout: 0s, tcpCloseWaitTimeout: 0s}
EOF
log "kubeadm config images list --kubernetes-version $K8S_VERSION:"
kubeadm config images list --kubernetes-version "$K8S_VERSION" 2>/dev/null | sed 's/^/    /' >&2

# No systemd here: kubeadm's `systemctl restart kubelet` fails (a warning), so kubelet is started
# by hand as soon as kubeadm has written its flags and config, with exactly those.
(
  while [[ ! -f /var/lib/kubelet/config.yaml || ! -f /var/lib/kubelet/kubeadm-flags.env ]]; do sleep 1; done
  sleep 1
  # shellcheck disable=SC1091
  source /var/lib/kubelet/kubeadm-flags.env
  # shellcheck disable=SC2086
  exec kubelet --bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf \
    --kubeconfig=/etc/kubernetes/kubelet.conf --config=/var/lib/kubelet/config.yaml $KUBELET_KUBEADM_ARGS
) >"$work/logs/kubelet.log" 2>&1 &

start=$SECONDS
rc=0
step "kubeadm init $K8S_VERSION (imagePullPolicy Never)" kubeadm init --config "$work/kubeadm.yaml" \
  --ignore-preflight-errors=all -v=1 || rc=$?
grep -hE '^\s*\[(WARNING|ERROR)|^error' "$work"/work/kubeadm*.log | sort -u | sed 's/^\s*/    /' >&2 || true
log "kubeadm init: exit $rc after $((SECONDS - start)) s"
if ((rc == 0)); then
  # No Flannel here (no helm to render its chart yet): the bundle's bridge/host-local/portmap
  # plugins give the node a pod network, so CoreDNS (from the bundle) can start on it.
  cat >/etc/cni/net.d/10-prove.conflist <<'EOF'
{"cniVersion": "1.0.0", "name": "prove", "plugins": [
  {"type": "bridge", "bridge": "cni0", "isGateway": true, "ipMasq": true,
   "ipam": {"type": "host-local", "ranges": [[{"subnet": "10.244.0.0/24"}]],
            "routes": [{"dst": "0.0.0.0/0"}]}},
  {"type": "portmap", "capabilities": {"portMappings": true}}]}
EOF
  start=$SECONDS
  ready=0
  for _ in $(seq 60); do
    # kube-proxy and both CoreDNS replicas listed, every pod of kube-system 1/1 Running
    pods="$(k -n kube-system get pods --no-headers 2>/dev/null || true)"
    if (($(grep -cE '^(coredns|kube-proxy)' <<<"$pods") >= 3)) &&
      awk '$2 != "1/1" || $3 != "Running" {bad = 1} END {exit bad}' <<<"$pods"; then
      ready=1
      break
    fi
    sleep 5
  done
  log "after the CNI config: kube-system all Ready: $ready ($((SECONDS - start)) s)"
  # A Service through kube-proxy's rules to CoreDNS on the bridge network, inside the namespace.
  dns="$(timeout 20 busybox nslookup kubernetes.default.svc.cluster.local 10.96.0.10 2>&1 || true)"
  log "nslookup kubernetes.default.svc.cluster.local via 10.96.0.10: $(grep -A1 'Name:' <<<"$dns" |
    grep -o 'Address:* [0-9.]*' | tail -n1 || echo "failed: $(tail -n1 <<<"$dns")")"
fi
k get nodes -o wide >&2 || true
k get pods -A -o wide >&2 || true
crictl ps -a 2>/dev/null | sed 's/^/    /' >&2 || true
conditions="$(crictl info -o go-template --template '{{range .status.conditions}}{{.type}}={{.status}} {{end}}')"
log "crictl info: $conditions"
exit "$rc"
