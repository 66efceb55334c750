#!/usr/bin/env bash
# What the dry lab and the tests need on a fresh Debian/Ubuntu machine, installed on first use
# (npm's `prelab`, `pretest` and `prebench` hooks run this; it can also be run by hand):
#   - Debian packages, only those dpkg-query reports missing (a prepared machine pays one
#     dpkg-query call): kernel networking tools (namespaces, bridges, VXLAN, iptables/nftables),
#     an SSH server for the simulated hosts, iperf3 and GNU time (bench's /usr/bin/time) for
#     benchmarks; libvirt 9.0 + QEMU (one libvirtd per dry-lab host, TCG guests), the offline
#     image build (mmdebstrap, mkfs, syslinux, mtools), genisoimage on the VM hosts (the dry
#     lab's are namespaces of this machine: the NoCloud seed step builds each VM's ISO there) and
#     xsltproc where pulumi runs (the libvirt provider's network stylesheets);
#     containerd and runc (the offline Kubernetes bundle's runtime, scripts/kubernetes-bundle),
#     busybox-static (its Flannel images' `cp`), gcc (its static pause) and curl (its image build
#     waits for crane's loopback registry); what tests call besides: python3 with PyYAML
#     (cloud-init documents parsed as cloud-init does), shellcheck (rendered node scripts), git
#     (repository copies);
#   - the npm packages from package-lock.json (`npm ci`), when node_modules is missing or older
#     than the lock file.
# The Pulumi toolchain is the lab's own first step (toolchain/ensure.sh: found, downloaded or
# built once, progress every 30 s); `npm test` needs none (the real-engine tier is test:e2e).
#
#   scripts/setup.sh [lab|test|bench]   # the argument only names the caller in progress lines
set -euo pipefail
cd "$(dirname "$0")/.."
who="setup${1:+ ($1)}"
packages=(iproute2 iptables nftables iputils-ping openssh-server openssh-client iperf3 time procps
  kmod ca-certificates git tar curl
  libvirt-daemon-system libvirt-clients qemu-system-x86 qemu-utils genisoimage xsltproc
  mmdebstrap dosfstools e2fsprogs fdisk mtools syslinux syslinux-common util-linux dnsmasq-base
  containerd runc busybox-static gcc libc6-dev
  python3 python3-yaml shellcheck)

# One dpkg-query for the whole list: "ii <name>" for every installed package.
installed=$(dpkg-query -W -f '${db:Status-Abbrev} ${Package}\n' "${packages[@]}" 2>/dev/null |
  awk '$1 == "ii" { print $2 }' || true)
missing=()
for p in "${packages[@]}"; do
  grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  command -v apt-get >/dev/null || {
    echo "$who: needs Debian/Ubuntu (apt-get) to install: ${missing[*]}" >&2
    exit 1
  }
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null || {
      echo "$who: missing Debian packages, and not root: apt-get install ${missing[*]}" >&2
      exit 1
    }
    sudo=(sudo)
  fi
  start=$(date +%s)
  echo "$who: installing ${#missing[@]} Debian packages: ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  # No daemon may start in the machine's own namespaces: the dry lab starts one libvirtd per
  # namespace host itself (policy-rc.d 101 = "not now" to invoke-rc.d).
  policy=/usr/sbin/policy-rc.d
  if [ ! -e "$policy" ]; then
    "${sudo[@]}" sh -c "printf '#!/bin/sh\nexit 101\n' > $policy && chmod +x $policy"
    trap '"${sudo[@]}" rm -f "$policy"' EXIT
  fi
  echo "$who: apt-get update" >&2
  "${sudo[@]}" apt-get -o DPkg::Lock::Timeout=900 update -qq
  echo "$who: apt-get install (a cold machine: a few minutes)" >&2
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install \
    -y -qq --no-install-recommends "${missing[@]}"
  echo "$who: Debian packages installed in $(($(date +%s) - start)) s" >&2
fi
# The VXLAN, bridge and veth drivers the namespace lab uses (no-op where built in or loaded).
if [ "$(id -u)" -eq 0 ]; then
  for m in vxlan bridge veth br_netfilter; do
    [ -d "/sys/module/$m" ] || modprobe "$m" 2>/dev/null || true
  done
fi
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "$who: npm ci (npm packages from package-lock.json)" >&2
  npm ci --no-audit --no-fund
fi
