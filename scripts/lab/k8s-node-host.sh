#!/bin/bash
# One dry-lab Kubernetes node: a "bare-metal" machine that is a network namespace with its own
# mount namespace, where the program's node scripts run over SSH exactly as on a real host. Run
# inside the node's network namespace and a new private mount namespace:
#
#   nsenter --net=/run/netns/<node> unshare --mount --propagation private \
#     bash k8s-node-host.sh NODEDIR SSHD_CONFIG BUNDLE CGROUP_ROOT GATEWAY
#
# What a real node has and a namespace on a shared machine has not, supplied here (the node-form
# adaptations; the program knows nothing of them):
#  - its own file system where Kubernetes writes: /etc (a copy of the machine's), /usr/local,
#    /opt, /var/lib/{kubelet,etcd,containerd,cni}, /var/log/{pods,containers},
#    /run/{containerd,flannel,netns} are private bind mounts of NODEDIR/fs;
#  - the offline bundle preloaded at /opt/labfabric/kubernetes-bundle/<release>: a read-only bind
#    mount of the bundle built on this machine (a real site copies it or mounts a share);
#  - its own sysfs (this network namespace's interfaces) with the machine's cgroup hierarchies;
#  - its default route, as a machine on a libvirt NAT network has: via GATEWAY, the network's
#    gateway on the host's bridge (the node's eth0 is cabled to that bridge: scripts/lab/k8s-nodes.ts).
#    Without any, a node's own connections to a Service IP (Flannel to 10.96.0.1) fail with
#    "network is unreachable" before kube-proxy's DNAT could apply. The dry-lab hosts have no
#    default route themselves, so nothing leaves the lab;
#  - a service manager: scripts/lab/k8s-node/systemctl over /usr/bin/systemctl (no systemd here);
#  - cgroupfs instead of systemd cgroups, and its own cgroup root (cgroup v1 is machine-wide, two
#    kubelets must not share /kubepods): /etc/default/kubelet (the packages' per-host override
#    file) and a containerd drop-in (k8s-node/containerd-namespace-host);
#  - kernel tunables that are machine-wide, not per namespace: the four kubelet sets are masked
#    with files holding the values it wants; `sysctl --system` sees only the node's own files;
#    kube-proxy leaves nf_conntrack_max alone (read-only outside the initial network namespace)
#    through a site KubeProxyConfiguration (/etc/labfabric/kubeadm/kube-proxy.local.yaml);
#  - /lib/modules listing the kernel's built-in modules, so `modprobe overlay` answers as on a
#    host whose modules are built in (these kernels load none).
# Then it starts the node's sshd and stays as the namespace's anchor (NODEDIR/anchor.pid).
set -euo pipefail
dir=$1 sshd_config=$2 bundle=$3 cgroot=$4 gateway=$5
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
release=$(basename "$bundle")
case $dir in /*) ;; *) echo "k8s-node-host: NODEDIR must be absolute: $dir" >&2 && exit 2 ;; esac
case $cgroot in /lf-*) ;; *) echo "k8s-node-host: CGROUP_ROOT must be /lf-*: $cgroot" >&2 && exit 2 ;; esac
[[ -f "$bundle/manifest.txt" ]] || { echo "k8s-node-host: no bundle at $bundle" >&2 && exit 2; }

[[ "$gateway" =~ ^[0-9]{1,3}(\.[0-9]{1,3}){3}$ ]] || { echo "k8s-node-host: GATEWAY must be an IPv4 address: $gateway" >&2 && exit 2; }
ip route replace default via "$gateway" dev eth0 onlink

mount --make-rprivate /
# This namespace's sysfs, the machine's cgroup hierarchies kept under it.
mkdir -p "$dir/cgroup"
mount --rbind /sys/fs/cgroup "$dir/cgroup"
mount -t sysfs sysfs /sys
mount --rbind "$dir/cgroup" /sys/fs/cgroup

# /etc: a copy of the machine's, taken once, without anything Kubernetes would find there.
if [[ ! -d "$dir/etc" ]]; then
  cp -a /etc "$dir/etc.tmp"
  rm -rf "$dir/etc.tmp"/{kubernetes,cni,containerd,crictl.yaml,default/kubelet,labfabric}
  rm -rf "$dir/etc.tmp"/systemd/system/kubelet.service* "$dir/etc.tmp"/systemd/system/containerd.service*
  rm -f "$dir/etc.tmp"/sysctl.d/* "$dir/etc.tmp"/modules-load.d/*
  : >"$dir/etc.tmp/sysctl.conf"
  # root's login shell: /bin/sh (the machine's ~/.bashrc is no part of a lab node; see libvirt-host.sh)
  sed -i 's#^\(root:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:\).*#\1/bin/sh#' "$dir/etc.tmp/passwd"
  # The node-form settings (see above), where a site keeps its per-host settings.
  mkdir -p "$dir/etc.tmp/default" "$dir/etc.tmp/systemd/system/containerd.service.d" "$dir/etc.tmp/labfabric/kubeadm"
  cat >"$dir/etc.tmp/default/kubelet" <<EOT
# labfabric dry lab (scripts/lab/k8s-node-host.sh): a namespace node has no systemd and shares
# the machine's cgroup v1 hierarchies with other nodes.
KUBELET_EXTRA_ARGS="--cgroup-driver=cgroupfs --cgroup-root=$cgroot"
EOT
  cat >"$dir/etc.tmp/systemd/system/containerd.service.d/50-labfabric-namespace-host.conf" <<EOT
# labfabric dry lab (scripts/lab/k8s-node-host.sh): containerd with cgroupfs, oom_score_adj kept
[Service]
ExecStart=
ExecStart=/usr/local/lib/labfabric-node/containerd-namespace-host
EOT
  cat >"$dir/etc.tmp/labfabric/kubeadm/kube-proxy.local.yaml" <<EOT
# labfabric dry lab (scripts/lab/k8s-node-host.sh): nf_conntrack_max is machine-wide and
# read-only outside the initial network namespace; kube-proxy must not try to resize it.
apiVersion: kubeproxy.config.k8s.io/v1alpha1
kind: KubeProxyConfiguration
conntrack:
  maxPerCore: 0
EOT
  mv "$dir/etc.tmp" "$dir/etc"
fi
mount --bind "$dir/etc" /etc

created="$dir/../created-mountpoints"
for d in /usr/local /opt /var/lib/kubelet /var/lib/etcd /var/lib/containerd /var/lib/cni \
  /var/log/pods /var/log/containers /run/containerd /run/flannel /run/netns /run/labfabric-node \
  /usr/lib/modules /usr/lib/sysctl.d; do
  mkdir -p "$dir/fs$d"
  if [[ ! -d "$d" ]]; then
    mkdir -p "$d"
    echo "$d" >>"$created"
  fi
  mount --bind "$dir/fs$d" "$d"
done
mkdir -p /usr/local/bin /usr/local/sbin /usr/local/lib/labfabric-node
install -m 0755 "$here/k8s-node/containerd-namespace-host" /usr/local/lib/labfabric-node/
mount --bind "$here/k8s-node/systemctl" /usr/bin/systemctl

# The bundle, preloaded read-only where the program expects it.
mkdir -p "/opt/labfabric/kubernetes-bundle/$release"
mount --bind "$bundle" "/opt/labfabric/kubernetes-bundle/$release"
mount -o remount,bind,ro "/opt/labfabric/kubernetes-bundle/$release"

# Built-in modules, as a kernel without loadable modules lists them.
kdir="/usr/lib/modules/$(uname -r)"
mkdir -p "$kdir"
printf '%s\n' kernel/fs/overlayfs/overlay.ko kernel/net/bridge/br_netfilter.ko \
  kernel/drivers/net/vxlan/vxlan.ko kernel/drivers/net/geneve.ko kernel/net/ipv4/ipip.ko \
  kernel/drivers/net/veth.ko kernel/net/bridge/bridge.ko >"$kdir/modules.builtin"
: >"$kdir/modules.order"
depmod -a "$(uname -r)" 2>/dev/null || true

# Machine-wide tunables kubelet sets, masked with the values it wants.
for t in vm/overcommit_memory=1 vm/panic_on_oom=0 kernel/panic=10 kernel/panic_on_oops=1; do
  f="$dir/sysctl-$(tr / . <<<"${t%%=*}")"
  echo "${t#*=}" >"$f"
  mount --bind "$f" "/proc/sys/${t%%=*}"
done

# The node's own cgroup root in every v1 hierarchy (cpuset children need cpus and mems).
for c in /sys/fs/cgroup/*/; do
  [[ -f "$c/tasks" ]] || continue
  mkdir -p "$c$cgroot"
  if [[ -f "$c/cpuset.cpus" ]]; then
    cat "$c/cpuset.cpus" >"$c$cgroot/cpuset.cpus"
    cat "$c/cpuset.mems" >"$c$cgroot/cpuset.mems"
  fi
done

mkdir -p /run/sshd
/usr/sbin/sshd -f "$sshd_config"
echo $$ >"$dir/anchor.pid"
exec sleep infinity
