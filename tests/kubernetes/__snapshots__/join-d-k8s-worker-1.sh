#!/bin/sh
# labfabric: kubeadm join of k8s-worker-1
set -eu

if [ -f '/etc/kubernetes/kubelet.conf' ]; then
  echo 'labfabric: k8s-worker-1 has already joined (/etc/kubernetes/kubelet.conf exists)'
  exit 0
fi

mkdir -p "$(dirname '/etc/labfabric/kubeadm/join.yaml')"
(umask 077 && printf '%s\n' \
  'apiVersion: kubeadm.k8s.io/v1beta4' \
  'discovery:' \
  '  bootstrapToken:' \
  '    apiServerEndpoint: 172.20.112.101:6443' \
  '    caCertHashes:' \
  '      - sha256:0000000000000000000000000000000000000000000000000000000000000000' \
  '    token: xxxxxx.xxxxxxxxxxxxxxxx' \
  'kind: JoinConfiguration' \
  'nodeRegistration:' \
  '  criSocket: unix:///var/run/crio/crio.sock' \
  '  kubeletExtraArgs:' \
  '    - name: node-ip' \
  '      value: 192.168.100.21' \
  '  name: k8s-worker-1' \
  > '/etc/labfabric/kubeadm/join.yaml.labfabric-tmp')
chmod 0600 '/etc/labfabric/kubeadm/join.yaml.labfabric-tmp'
mv -f '/etc/labfabric/kubeadm/join.yaml.labfabric-tmp' '/etc/labfabric/kubeadm/join.yaml'

kubeadm join --config '/etc/labfabric/kubeadm/join.yaml'
