#!/bin/sh
# labfabric: Kubernetes 1.32 node prerequisites (worker)
set -eu

# Package manager: dnf (Rocky/RHEL/Alma) or apt (Debian/Ubuntu)
if command -v dnf >/dev/null 2>&1; then
  pkg=dnf
elif command -v apt-get >/dev/null 2>&1; then
  pkg=apt
else
  { echo 'labfabric: neither dnf nor apt-get found; supported: Rocky/RHEL/Alma and Debian/Ubuntu' >&2; exit 1; }
fi

# 0. Let cloud-init finish first (bounded): it may still hold the package manager's lock
if command -v cloud-init >/dev/null 2>&1; then
  timeout 900 cloud-init status --wait >/dev/null 2>&1 || true
fi

# 1. Swap off, now and after reboots: kubelet refuses to start with swap on (post D)
swapoff -a
if grep -Eq '^[^#[:space:]][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]' /etc/fstab; then
  sed -i -E 's/(^[^#[:space:]][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]].*)$/# labfabric (kubelet needs swap off): \1/' /etc/fstab
fi
for unit in $(systemctl list-units --type swap --plain --no-legend 2>/dev/null | awk '{print $1}'); do
  systemctl mask --now "$unit"
done

# 2. overlay + br_netfilter and the forwarding sysctls, persisted
mkdir -p "$(dirname '/etc/modules-load.d/labfabric-kubernetes.conf')"
(umask 077 && printf '%s\n' \
  'overlay' \
  'br_netfilter' \
  > '/etc/modules-load.d/labfabric-kubernetes.conf.labfabric-tmp')
chmod 0644 '/etc/modules-load.d/labfabric-kubernetes.conf.labfabric-tmp'
mv -f '/etc/modules-load.d/labfabric-kubernetes.conf.labfabric-tmp' '/etc/modules-load.d/labfabric-kubernetes.conf'
modprobe overlay
modprobe br_netfilter
mkdir -p "$(dirname '/etc/sysctl.d/99-labfabric-kubernetes.conf')"
(umask 077 && printf '%s\n' \
  'net.bridge.bridge-nf-call-ip6tables = 1' \
  'net.bridge.bridge-nf-call-iptables = 1' \
  'net.ipv4.ip_forward = 1' \
  > '/etc/sysctl.d/99-labfabric-kubernetes.conf.labfabric-tmp')
chmod 0644 '/etc/sysctl.d/99-labfabric-kubernetes.conf.labfabric-tmp'
mv -f '/etc/sysctl.d/99-labfabric-kubernetes.conf.labfabric-tmp' '/etc/sysctl.d/99-labfabric-kubernetes.conf'
sysctl --system >/dev/null
[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ] || { echo 'labfabric: net.ipv4.ip_forward is not 1 after sysctl --system (another sysctl.d file overrides it)' >&2; exit 1; }
[ "$(sysctl -n net.bridge.bridge-nf-call-iptables)" = 1 ] || { echo 'labfabric: net.bridge.bridge-nf-call-iptables is not 1 after sysctl --system' >&2; exit 1; }

# 3. SELinux permissive on the RHEL family (post D); a no-op where SELinux is absent
if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then
  setenforce 0
fi
if [ -f /etc/selinux/config ]; then
  sed -i 's/^SELINUX=enforcing$/SELINUX=permissive/' /etc/selinux/config
fi

# 4. firewalld stopped and disabled (post D): kube-proxy and the CNI program the packet
#    filter themselves, and firewalld's zones drop forwarded pod traffic
if systemctl is-active --quiet firewalld 2>/dev/null || systemctl is-enabled --quiet firewalld 2>/dev/null; then
  systemctl disable --now firewalld
fi

# 5. Container runtime (crio) and kubelet kubeadm kubectl pinned to Kubernetes 1.32:
#    one pkgs.k8s.io repository per minor, so upgrades never cross to another minor
if [ "$pkg" = dnf ]; then
  mkdir -p "$(dirname '/etc/yum.repos.d/labfabric-kubernetes.repo')"
  (umask 077 && printf '%s\n' \
    '[labfabric-kubernetes]' \
    'name=Kubernetes 1.32 (labfabric)' \
    'baseurl=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/' \
    'enabled=1' \
    'gpgcheck=1' \
    'gpgkey=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/repodata/repomd.xml.key' \
    'exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni' \
    > '/etc/yum.repos.d/labfabric-kubernetes.repo.labfabric-tmp')
  chmod 0644 '/etc/yum.repos.d/labfabric-kubernetes.repo.labfabric-tmp'
  mv -f '/etc/yum.repos.d/labfabric-kubernetes.repo.labfabric-tmp' '/etc/yum.repos.d/labfabric-kubernetes.repo'
  mkdir -p "$(dirname '/etc/yum.repos.d/labfabric-cri-o.repo')"
  (umask 077 && printf '%s\n' \
    '[labfabric-cri-o]' \
    'name=CRI-O 1.32 (labfabric)' \
    'baseurl=https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.32/rpm/' \
    'enabled=1' \
    'gpgcheck=1' \
    'gpgkey=https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.32/rpm/repodata/repomd.xml.key' \
    > '/etc/yum.repos.d/labfabric-cri-o.repo.labfabric-tmp')
  chmod 0644 '/etc/yum.repos.d/labfabric-cri-o.repo.labfabric-tmp'
  mv -f '/etc/yum.repos.d/labfabric-cri-o.repo.labfabric-tmp' '/etc/yum.repos.d/labfabric-cri-o.repo'
  rpm -q cri-o >/dev/null 2>&1 || dnf install -y container-selinux cri-o
  rpm -q conntrack-tools socat >/dev/null 2>&1 || dnf install -y conntrack-tools socat iptables iproute ethtool
  rpm -q kubelet kubeadm kubectl >/dev/null 2>&1 || dnf install -y --disableexcludes=labfabric-kubernetes kubelet kubeadm kubectl
else
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -q >/dev/null
  apt-get install -y -q apt-transport-https ca-certificates curl gpg conntrack socat iptables iproute2 ethtool >/dev/null
  install -d -m 0755 /etc/apt/keyrings
  curl -fsSL 'https://pkgs.k8s.io/core:/stable:/v1.32/deb/Release.key' -o '/tmp/labfabric-kubernetes.key'
  gpg --batch --yes --dearmor -o '/etc/apt/keyrings/labfabric-kubernetes.gpg' '/tmp/labfabric-kubernetes.key'
  rm -f '/tmp/labfabric-kubernetes.key'
  mkdir -p "$(dirname '/etc/apt/sources.list.d/labfabric-kubernetes.list')"
  (umask 077 && printf '%s\n' \
    'deb [signed-by=/etc/apt/keyrings/labfabric-kubernetes.gpg] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /' \
    > '/etc/apt/sources.list.d/labfabric-kubernetes.list.labfabric-tmp')
  chmod 0644 '/etc/apt/sources.list.d/labfabric-kubernetes.list.labfabric-tmp'
  mv -f '/etc/apt/sources.list.d/labfabric-kubernetes.list.labfabric-tmp' '/etc/apt/sources.list.d/labfabric-kubernetes.list'
  curl -fsSL 'https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.32/deb/Release.key' -o '/tmp/labfabric-cri-o.key'
  gpg --batch --yes --dearmor -o '/etc/apt/keyrings/labfabric-cri-o.gpg' '/tmp/labfabric-cri-o.key'
  rm -f '/tmp/labfabric-cri-o.key'
  mkdir -p "$(dirname '/etc/apt/sources.list.d/labfabric-cri-o.list')"
  (umask 077 && printf '%s\n' \
    'deb [signed-by=/etc/apt/keyrings/labfabric-cri-o.gpg] https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.32/deb/ /' \
    > '/etc/apt/sources.list.d/labfabric-cri-o.list.labfabric-tmp')
  chmod 0644 '/etc/apt/sources.list.d/labfabric-cri-o.list.labfabric-tmp'
  mv -f '/etc/apt/sources.list.d/labfabric-cri-o.list.labfabric-tmp' '/etc/apt/sources.list.d/labfabric-cri-o.list'
  apt-get update -q >/dev/null
  apt-get install -y -q cri-o kubelet kubeadm kubectl >/dev/null
  apt-mark hold kubelet kubeadm kubectl >/dev/null
fi
installed=$(kubeadm version -o short)
case "$installed" in v1.32.*) ;; *) { echo 'labfabric: kubeadm is not Kubernetes 1.32 (kubernetes.version); remove the installed kubeadm/kubelet/kubectl or change the version' >&2; exit 1; } ;; esac
systemctl enable --now crio
systemctl enable kubelet >/dev/null 2>&1

# 6. Kernel modules for flannel vxlan (vxlan encapsulation)
mkdir -p "$(dirname '/etc/modules-load.d/labfabric-cni.conf')"
(umask 077 && printf '%s\n' \
  'vxlan' \
  > '/etc/modules-load.d/labfabric-cni.conf.labfabric-tmp')
chmod 0644 '/etc/modules-load.d/labfabric-cni.conf.labfabric-tmp'
mv -f '/etc/modules-load.d/labfabric-cni.conf.labfabric-tmp' '/etc/modules-load.d/labfabric-cni.conf'
modprobe 'vxlan'
