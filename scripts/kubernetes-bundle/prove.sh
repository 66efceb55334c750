#!/usr/bin/env bash
# Prove the offline bundle on this machine, inside a network namespace this script creates
# (k8s-prove by default) and a private mount namespace, with nothing pulled and nothing left:
#
#   prove.sh runtime   Debian's containerd 1.6 with the bundle's config, every image imported with
#                      `ctr -n k8s.io images import`, pause run under runc, a host-network pod
#                      sandbox through the CRI, and `crictl info` reporting RuntimeReady
#   prove.sh kubeadm   the same, then `kubeadm init` (imagePullPolicy Never) with a kubelet using
#                      cgroupfs started by hand (no systemd here), and what the cluster shows
#
# The namespace host gets one interface (10.254.77.10/24 on a veth pair whose both ends are in it,
# default route into it): traffic never leaves the namespace. Everything is bounded (LABFABRIC_PROVE_TIMEOUT, default 1500 s) and
# torn down on exit: every process in the namespace is stopped, the namespace deleted.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
T0=$SECONDS
LOG_TAG=k8s-prove
# shellcheck source=versions.env
source "$HERE/versions.env"
# shellcheck source=../../toolchain/lib.sh
source "$REPO/toolchain/lib.sh"

mode="${1:-runtime}"
[[ "$mode" == runtime || "$mode" == kubeadm ]] || die "usage: prove.sh [runtime|kubeadm]"
[[ "$(id -u)" == 0 ]] || die "prove.sh needs root (network and mount namespaces, containerd)"
CACHE="${LABFABRIC_CACHE:-$HOME/.cache/labfabric}"
bundle="$CACHE/kubernetes-bundle/$K8S_VERSION"
[[ -f "$bundle/manifest.txt" ]] || die "no bundle in $bundle: run scripts/kubernetes-bundle/build.sh"
for c in containerd containerd-shim-runc-v2 runc ctr; do
  command -v "$c" >/dev/null || die "$c is missing (Debian: containerd runc; scripts/setup.sh)"
done
NS="${LABFABRIC_PROVE_NS:-k8s-prove}"
[[ "$NS" == k8s-* ]] || die "the namespace must be named k8s-*"
work="$CACHE/kubernetes-bundle/prove-$NS"

stop_all() {
  local pids p
  # Every process of the test lives in the namespace: stop exactly those, then delete it.
  for sig in TERM KILL; do
    pids="$(ip netns pids "$NS" 2>/dev/null || true)"
    [[ -n "$pids" ]] || break
    for p in $pids; do kill "-$sig" "$p" 2>/dev/null || true; done
    sleep 3
  done
  ip netns del "$NS" 2>/dev/null || true
  # The test's cgroups (every container of it lives under /$NS) that runc could not remove.
  find /sys/fs/cgroup/*/"$NS" -depth -type d -exec rmdir {} + 2>/dev/null || true
  rm -rf "$work"
  # Mount points the private mount namespace needed; removed when still empty.
  rmdir /etc/kubernetes /var/lib/kubelet /var/lib/etcd /etc/cni/net.d /etc/cni /opt/cni/bin /opt/cni \
    /var/lib/cni /var/log/pods /var/log/containers /run/flannel /run/containerd /var/lib/containerd \
    /lib/modules 2>/dev/null || true
}

if ip netns list | grep -qw "^$NS"; then
  log "namespace $NS exists from an earlier run: cleaning it up first"
  stop_all
fi
trap stop_all EXIT
rm -rf "$work"
mkdir -p "$work"
ip netns add "$NS"
ip -n "$NS" link set lo up
# No dummy driver on these kernels: a veth pair with both ends inside (carrier up, goes nowhere).
ip -n "$NS" link add eth0 type veth peer name eth0-end
ip -n "$NS" addr add 10.254.77.10/24 dev eth0
ip -n "$NS" link set eth0-end up
ip -n "$NS" link set eth0 up
ip -n "$NS" route add default via 10.254.77.1 dev eth0
log "namespace $NS: eth0 10.254.77.10/24 (veth, both ends inside), mode $mode"

# nsenter keeps the host's /sys (and its cgroup mounts), unlike `ip netns exec`; the inner script
# mounts the namespace's sysfs and puts the cgroup tree back under it.
rc=0
timeout "${LABFABRIC_PROVE_TIMEOUT:-1500}" nsenter --net="/run/netns/$NS" \
  unshare --mount --propagation private \
  env T0="$T0" CGROUP_ROOT="/$NS" bash "$HERE/prove-inner.sh" "$mode" "$bundle" "$work" || rc=$?
((rc == 0)) || log "FAILED (exit $rc); the tails of the logs are above"
exit "$rc"
