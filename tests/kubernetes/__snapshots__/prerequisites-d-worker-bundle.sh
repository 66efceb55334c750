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

# 5. containerd and kubelet/kubeadm/kubectl v1.32.13 from the offline bundle
#    (kubernetes.packageSource "bundle"), preloaded on the node at /opt/labfabric/kubernetes-bundle/v1.32.13
bundle='/opt/labfabric/kubernetes-bundle/v1.32.13'
[ -f "$bundle/manifest.txt" ] || { echo 'labfabric: no offline bundle at /opt/labfabric/kubernetes-bundle/v1.32.13: copy the bundle built by scripts/kubernetes-bundle/build.sh there (or mount it read-only), or set kubernetes.packageSource to "internet"' >&2; exit 1; }
# containerd and runc are the distribution's (Debian: containerd, runc), from the site's mirror
if ! command -v containerd >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then
  if [ "$pkg" = apt ]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -q containerd runc >/dev/null
  else
    dnf install -y containerd.io
  fi
fi
command -v ctr >/dev/null 2>&1 || { echo 'labfabric: containerd is installed without ctr, which imports the bundle'\''s images' >&2; exit 1; }
# What is installed is what the bundle's manifest says (sha256)
(cd "$bundle" && grep -E ' (bin/(kubeadm|kubelet|kubectl|crictl)|cni/[A-Za-z0-9_-]+)$' manifest.txt | sha256sum -c --quiet -) || { echo 'labfabric: the bundle at /opt/labfabric/kubernetes-bundle/v1.32.13 does not match its manifest.txt' >&2; exit 1; }
for b in kubeadm kubelet kubectl crictl; do
  cmp -s "$bundle/bin/$b" '/usr/local/bin'/"$b" || install -D -m 0755 "$bundle/bin/$b" '/usr/local/bin'/"$b"
done
mkdir -p '/opt/cni/bin'
for f in "$bundle"/cni/*; do
  cmp -s "$f" '/opt/cni/bin'/"$(basename "$f")" || install -m 0755 "$f" '/opt/cni/bin'/"$(basename "$f")"
done
installed=$(kubeadm version -o short)
[ "$installed" = 'v1.32.13' ] || { echo 'labfabric: kubeadm from the bundle reports a version other than v1.32.13' >&2; exit 1; }
# containerd's default config, systemd cgroup driver (as kubelet), and the sandbox image the
# bundle holds (containerd 1.6 defaults to pause:3.6, which nothing here provides)
pause=$(sed -n 's#^image \(registry\.k8s\.io/pause:.*\)$#\1#p' "$bundle/manifest.txt")
case "$pause" in registry.k8s.io/pause:[0-9]*) ;; *) { echo 'labfabric: the bundle'\''s manifest names no registry.k8s.io/pause image' >&2; exit 1; } ;; esac
mkdir -p /etc/containerd
containerd config default > '/etc/containerd/config.toml.labfabric-tmp'
sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' '/etc/containerd/config.toml.labfabric-tmp'
sed -i "s#^\( *\)sandbox_image = .*#\1sandbox_image = \"$pause\"#" '/etc/containerd/config.toml.labfabric-tmp'
grep -q 'SystemdCgroup = true' '/etc/containerd/config.toml.labfabric-tmp' || { echo 'labfabric: could not set SystemdCgroup = true in containerd'\''s default config' >&2; exit 1; }
grep -qF "sandbox_image = \"$pause\"" '/etc/containerd/config.toml.labfabric-tmp' || { echo 'labfabric: could not set the sandbox image in containerd'\''s default config' >&2; exit 1; }
if cmp -s '/etc/containerd/config.toml.labfabric-tmp' '/etc/containerd/config.toml'; then
  rm -f '/etc/containerd/config.toml.labfabric-tmp'
else
  mv -f '/etc/containerd/config.toml.labfabric-tmp' '/etc/containerd/config.toml'
  systemctl restart containerd
fi
systemctl enable --now containerd
i=0
until ctr --address '/var/run/containerd/containerd.sock' version >/dev/null 2>&1; do
  i=$((i + 1))
  [ "$i" -le 12 ] || { echo 'labfabric: containerd does not answer on /var/run/containerd/containerd.sock within 60s of its start' >&2; exit 1; }
  sleep 5
done
# Every image of the bundle into containerd's k8s.io namespace (kubelet's), so that kubeadm
# and the CNI chart find them and nothing is pulled; images already there are kept
refs=$(mktemp)
sed -n 's/^\(image\|probe-image\) \([^ ]*\)$/\2/p' "$bundle/manifest.txt" > "$refs"
have=$(ctr --address '/var/run/containerd/containerd.sock' -n k8s.io images ls -q)
while read -r ref; do
  if printf '%s\n' "$have" | grep -qxF "$ref"; then continue; fi
  archive=$(printf '%s' "$ref" | tr '/:' '__').tar
  file="$bundle/images/$archive"
  [ -f "$file" ] || file="$bundle/probe/$archive"
  [ -f "$file" ] || { rm -f "$refs"; echo "labfabric: the bundle has no archive for $ref ($archive)" >&2; exit 1; }
  ctr --address '/var/run/containerd/containerd.sock' -n k8s.io images import "$file" >/dev/null
  echo "labfabric: imported $ref"
done < "$refs"
rm -f "$refs"
mkdir -p "$(dirname '/etc/crictl.yaml')"
(umask 077 && printf '%s\n' \
  'runtime-endpoint: unix:///var/run/containerd/containerd.sock' \
  'image-endpoint: unix:///var/run/containerd/containerd.sock' \
  > '/etc/crictl.yaml.labfabric-tmp')
chmod 0644 '/etc/crictl.yaml.labfabric-tmp'
mv -f '/etc/crictl.yaml.labfabric-tmp' '/etc/crictl.yaml'
# The kubelet service, as the packages install it; kubeadm starts it
mkdir -p "$(dirname '/etc/systemd/system/kubelet.service')"
(umask 077 && printf '%s\n' \
  '[Unit]' \
  'Description=kubelet: The Kubernetes Node Agent' \
  'Documentation=https://kubernetes.io/docs/' \
  'Wants=network-online.target' \
  'After=network-online.target' \
  '' \
  '[Service]' \
  'ExecStart=/usr/local/bin/kubelet' \
  'Restart=always' \
  'StartLimitInterval=0' \
  'RestartSec=10' \
  '' \
  '[Install]' \
  'WantedBy=multi-user.target' \
  > '/etc/systemd/system/kubelet.service.labfabric-tmp')
chmod 0644 '/etc/systemd/system/kubelet.service.labfabric-tmp'
mv -f '/etc/systemd/system/kubelet.service.labfabric-tmp' '/etc/systemd/system/kubelet.service'
mkdir -p "$(dirname '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf')"
(umask 077 && printf '%s\n' \
  '# labfabric: kubeadm'\''s drop-in for the kubelet from the offline bundle' \
  '[Service]' \
  'Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"' \
  'Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"' \
  'EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env' \
  'EnvironmentFile=-/etc/default/kubelet' \
  'ExecStart=' \
  'ExecStart=/usr/local/bin/kubelet $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS' \
  > '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf.labfabric-tmp')
chmod 0644 '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf.labfabric-tmp'
mv -f '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf.labfabric-tmp' '/etc/systemd/system/kubelet.service.d/10-kubeadm.conf'
systemctl daemon-reload
systemctl enable kubelet >/dev/null 2>&1

# 6. Kernel modules for flannel vxlan (vxlan encapsulation)
mkdir -p "$(dirname '/etc/modules-load.d/labfabric-cni.conf')"
(umask 077 && printf '%s\n' \
  'vxlan' \
  > '/etc/modules-load.d/labfabric-cni.conf.labfabric-tmp')
chmod 0644 '/etc/modules-load.d/labfabric-cni.conf.labfabric-tmp'
mv -f '/etc/modules-load.d/labfabric-cni.conf.labfabric-tmp' '/etc/modules-load.d/labfabric-cni.conf'
modprobe 'vxlan'
