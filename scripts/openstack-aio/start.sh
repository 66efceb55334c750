#!/bin/bash
# The dry lab's all-in-one OpenStack Zed (scenario B): MariaDB, RabbitMQ, keystone, glance,
# placement, nova (api, conductor, scheduler, compute: libvirt, virt_type=qemu) and neutron
# (server, linuxbridge agent with the iptables security-group firewall, DHCP, L3, metadata)
# inside the network namespace openstack-host and a private mount namespace, without systemd.
# Then an external network "public" (floating IPs, 10.253.0.0/24), a project "labfabric" with
# the VXLAN tenant network k8s-net (10.100.200.0/24, MTU 1450) behind a router, and the
# instance image in glance. Started once and reused while healthy; stop.sh removes it all.
#
# usage: start.sh        -> prints the lab's credentials file path (clouds.yaml style env)
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
[ "$(id -u)" = 0 ] || die "needs root (network namespaces, mounts)"
IMAGE_NAME=${LABFABRIC_OPENSTACK_IMAGE_NAME:-debian12-cloudinit}

healthy() {
  anchor_pid >/dev/null || return 1
  load_secrets 2>/dev/null || return 1
  [ "$(os_admin compute service list --service nova-compute -f value -c State 2>/dev/null)" = up ] || return 1
  [ "$(os_admin network agent list -f value -c Alive 2>/dev/null | grep -c True)" -ge 4 ] || return 1
  [ -f "$OS_STATE/.networks" ] && [ -f "$OS_STATE/.image" ]
}

if healthy; then
  step "openstack-host is running and healthy: reused"
  echo "$OS_STATE/lab.env"
  exit 0
fi
command -v nova-compute >/dev/null && command -v neutron-server >/dev/null ||
  "$here/install.sh"
"$here/stop.sh" --keep-state >/dev/null 2>&1 || true
mkdir -p "$OS_STATE"
chmod 700 "$OS_STATE"
heartbeat

step "network namespace $NS: $ROOT_VETH $ROOT_IP <-> $HOST_VETH $HOST_IP; external $EXT_GW_IF $EXT_GW"
ip netns add "$NS"
ip link add "$ROOT_VETH" type veth peer name "$HOST_VETH" netns "$NS"
ip addr add "$ROOT_IP/24" dev "$ROOT_VETH"
ip link set "$ROOT_VETH" up
# Floating IPs are reached from this machine (where pulumi runs) through openstack-host.
ip route replace "$EXT_CIDR" via "$HOST_IP" dev "$ROOT_VETH"
ip netns exec "$NS" sh -eu -c "
  ip link set lo up
  ip addr add $HOST_IP/24 dev $HOST_VETH
  ip link set $HOST_VETH up
  ip link add $EXT_IF type veth peer name $EXT_GW_IF
  ip addr add $EXT_GW/24 dev $EXT_GW_IF
  ip link set $EXT_IF up
  ip link set $EXT_GW_IF up
  sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.disable_ipv6=1 net.ipv6.conf.default.disable_ipv6=1
"
step "mount namespace (own /etc, /run, /var/log, /var/lib/<service>)"
rm -f "$ANCHOR_PID_FILE"
setsid ip netns exec "$NS" unshare --mount --propagation private bash "$here/anchor.sh" "$OS_STATE" \
  >"$OS_STATE/anchor.out" 2>&1 </dev/null &
disown
for _ in $(seq 1 600); do anchor_pid >/dev/null && break; sleep 0.5; done
anchor_pid >/dev/null || die "the anchor did not start (first start copies /etc): $(cat "$OS_STATE/anchor.out")"

. "$here/configure.sh"
load_secrets
. "$here/services.sh"
start_mariadb
start_rabbitmq
start_keystone
keystone_objects
start_apis
step "APIs answer (keystone 5000, glance 9292, placement 8778, nova 8774, neutron 9696)"
start_compute_and_agents
step "compute and agents up"

if [ ! -f "$OS_STATE/.networks" ]; then
  step "networks: public (flat, external) and k8s-net (VXLAN, project labfabric) + router"
  printf '%s\n' \
    "network create --external --provider-network-type flat --provider-physical-network external public" \
    "subnet create --network public --subnet-range $EXT_CIDR --gateway $EXT_GW --no-dhcp --allocation-pool start=10.253.0.100,end=10.253.0.199 public-subnet" \
    "network create --project labfabric k8s-net" \
    "subnet create --project labfabric --network k8s-net --subnet-range 10.100.200.0/24 --allocation-pool start=10.100.200.100,end=10.100.200.250 k8s-subnet" \
    "router create --project labfabric lab-router" \
    "router set --external-gateway public lab-router" \
    "router add subnet lab-router k8s-subnet" |
    os_admin >"$OS_STATE/log/labfabric/networks.out" 2>&1 || true
  mtu=$(os_admin network show k8s-net -f value -c mtu) || die "k8s-net was not created (log/labfabric/networks.out)"
  [ "$mtu" = 1450 ] || die "k8s-net has MTU $mtu, expected 1450 (VXLAN on a 1500 physnet)"
  touch "$OS_STATE/.networks"
fi
if [ ! -f "$OS_STATE/.image" ]; then
  img=$("$here/image.sh")
  step "glance: uploading $IMAGE_NAME ($(du -h "$img" | cut -f1))"
  os_admin image create --disk-format qcow2 --container-format bare --public \
    --property hw_disk_bus=virtio --property hw_vif_model=virtio --file "$img" "$IMAGE_NAME" >/dev/null
  touch "$OS_STATE/.image"
fi
umask 077
cat >"$OS_STATE/lab.env" <<ENV
OS_AUTH_URL=http://$HOST_IP:5000/v3
OS_USERNAME=labfabric
OS_PASSWORD=$LAB_PASS
OS_PROJECT_NAME=labfabric
OS_USER_DOMAIN_NAME=Default
OS_PROJECT_DOMAIN_NAME=Default
OS_REGION_NAME=RegionOne
OS_IDENTITY_API_VERSION=3
ENV
healthy || die "started, but the health check fails"
step "openstack-host is up"
echo "$OS_STATE/lab.env"
