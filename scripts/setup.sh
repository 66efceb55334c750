#!/usr/bin/env bash
# Installs what a fresh Debian/Ubuntu machine lacks for labfabric's tests and dry lab:
# kernel networking tools (namespaces, bridges, VXLAN, iptables/nftables), an SSH server for the
# simulated hosts, iperf3 for benchmarks; containerd and runc (the offline Kubernetes bundle's
# runtime, scripts/kubernetes-bundle), busybox-static (its Flannel images' `cp`) and gcc (its
# static pause). Then the npm packages from package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."
packages=(iproute2 iptables nftables iputils-ping openssh-server openssh-client iperf3 procps kmod ca-certificates
  containerd runc busybox-static gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -gt 0 ]; then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# The VXLAN, bridge and veth drivers the namespace lab uses (no-op where built in).
for m in vxlan bridge veth br_netfilter; do modprobe "$m" 2>/dev/null || true; done
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "setup: npm ci" >&2
  npm ci --no-audit --no-fund
fi
