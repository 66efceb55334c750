#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks for labfabric's tests and dry lab:
# kernel networking tools (namespaces, bridges, VXLAN, iptables/nftables), an SSH server for the
# simulated hosts, iperf3 for benchmarks; libvirt 9.0 + QEMU (one libvirtd per dry-lab host, TCG
# guests), the offline image build (mmdebstrap, mkfs, syslinux, mtools) and what the libvirt
# provider runs where pulumi runs (genisoimage for cloud-init disks, xsltproc for network
# stylesheets); containerd and runc (the offline Kubernetes bundle's runtime,
# scripts/kubernetes-bundle), busybox-static (its Flannel images' `cp`) and gcc (its static
# pause). Then the npm packages from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(iproute2 iptables nftables iputils-ping openssh-server openssh-client iperf3 procps kmod ca-certificates
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils genisoimage xsltproc
  mmdebstrap dosfstools e2fsprogs fdisk mtools syslinux syslinux-common util-linux dnsmasq-base
  containerd runc busybox-static gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # No daemon may start in the machine's own namespaces: the dry lab starts one libvirtd per
  # namespace host itself (policy-rc.d 101 = "not now" to invoke-rc.d).
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then printf '#!/bin/sh\nexit 101\n' > "$policy"; chmod +x "$policy"; trap 'rm -f "$policy"' EXIT; fi
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The VXLAN, bridge and veth drivers the namespace lab uses (no-op where built in).
for m in vxlan bridge veth br_netfilter; do modprobe "$m" 2>/dev/null || true; done
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
fi
