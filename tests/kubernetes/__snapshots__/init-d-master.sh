#!/bin/sh
# labfabric: kubeadm init on master
set -eu

if [ -f '/etc/kubernetes/admin.conf' ]; then
  echo 'labfabric: master is already initialised (/etc/kubernetes/admin.conf exists)'
  exit 0
fi

mkdir -p "$(dirname '/etc/labfabric/kubeadm/init.yaml')"
(umask 077 && printf '%s\n' \
  'apiVersion: kubeadm.k8s.io/v1beta4' \
  'kind: InitConfiguration' \
  'localAPIEndpoint:' \
  '  advertiseAddress: 172.20.112.101' \
  '  bindPort: 6443' \
  'nodeRegistration:' \
  '  criSocket: unix:///var/run/crio/crio.sock' \
  '  kubeletExtraArgs:' \
  '    - name: node-ip' \
  '      value: 172.20.112.101' \
  '  name: master' \
  '---' \
  'apiServer:' \
  '  certSANs:' \
  '    - 172.20.112.101' \
  'apiVersion: kubeadm.k8s.io/v1beta4' \
  'clusterName: d-libvirt-routed' \
  'controlPlaneEndpoint: 172.20.112.101:6443' \
  'kind: ClusterConfiguration' \
  'kubernetesVersion: stable-1.32' \
  'networking:' \
  '  dnsDomain: cluster.local' \
  '  podSubnet: 10.244.0.0/16' \
  '  serviceSubnet: 10.96.0.0/12' \
  '---' \
  'apiVersion: kubelet.config.k8s.io/v1beta1' \
  'cgroupDriver: systemd' \
  'failSwapOn: true' \
  'kind: KubeletConfiguration' \
  > '/etc/labfabric/kubeadm/init.yaml.labfabric-tmp')
chmod 0600 '/etc/labfabric/kubeadm/init.yaml.labfabric-tmp'
mv -f '/etc/labfabric/kubeadm/init.yaml.labfabric-tmp' '/etc/labfabric/kubeadm/init.yaml'

# The config says stable-<minor>; pin it to the installed kubeadm so the control-plane
# images match the kubelet exactly and nothing is fetched from dl.k8s.io
installed=$(kubeadm version -o short)
case "$installed" in v1.32.*) ;; *) { echo 'labfabric: kubeadm is not Kubernetes 1.32' >&2; exit 1; } ;; esac
sed -i "s/^kubernetesVersion: stable-1\.32\$/kubernetesVersion: $installed/" '/etc/labfabric/kubeadm/init.yaml'

# A KubeProxyConfiguration the site keeps on this node (the program renders none), if any
if [ -f '/etc/labfabric/kubeadm/kube-proxy.local.yaml' ]; then
  grep -q '^kind: KubeProxyConfiguration$' '/etc/labfabric/kubeadm/kube-proxy.local.yaml' || { echo 'labfabric: /etc/labfabric/kubeadm/kube-proxy.local.yaml must hold one KubeProxyConfiguration' >&2; exit 1; }
  printf -- '---\n' >> '/etc/labfabric/kubeadm/init.yaml'
  cat '/etc/labfabric/kubeadm/kube-proxy.local.yaml' >> '/etc/labfabric/kubeadm/init.yaml'
fi

kubeadm init --config '/etc/labfabric/kubeadm/init.yaml' --skip-token-print --skip-certificate-key-print
