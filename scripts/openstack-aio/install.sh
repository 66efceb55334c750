#!/usr/bin/env bash
# Installs Debian 12's OpenStack Zed packages for the dry lab's all-in-one cloud (scenario B):
# keystone, glance, placement, nova (api, conductor, scheduler, compute + libvirt/QEMU),
# neutron (server, linuxbridge, DHCP, L3, metadata agents), MariaDB, RabbitMQ and the client.
# No daemon may start in the machine's own namespaces: an /usr/sbin/policy-rc.d that exits 101
# ("not now") holds invoke-rc.d off during the install; scripts/openstack-aio/start.sh starts
# everything itself inside the openstack-host namespace. Idempotent; ~3 min cold (256 MB).
set -euo pipefail
packages=(keystone glance placement-api nova-api nova-conductor nova-scheduler nova-compute
  nova-compute-qemu neutron-server neutron-linuxbridge-agent neutron-dhcp-agent neutron-l3-agent
  neutron-metadata-agent mariadb-server rabbitmq-server python3-openstackclient
  libvirt-daemon-system qemu-system-x86 qemu-utils uwsgi-plugin-python3 dnsmasq-base ebtables
  iptables iproute2 conntrack genisoimage sudo e2fsprogs fdisk)
missing=()
for p in "${packages[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "openstack-aio: packages present" >&2
  exit 0
fi
start=$(date +%s)
echo "openstack-aio: installing ${#missing[@]} packages: ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
policy=/usr/sbin/policy-rc.d
if [ ! -e "$policy" ]; then
  printf '#!/bin/sh\nexit 101\n' >"$policy"
  chmod +x "$policy"
  trap 'rm -f "$policy"' EXIT
fi
apt-get -o DPkg::Lock::Timeout=900 update -qq
apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}"
echo "openstack-aio: installed in $(($(date +%s) - start)) s" >&2
