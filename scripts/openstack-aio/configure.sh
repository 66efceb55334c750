#!/bin/bash
# Writes the all-in-one cloud's configuration into openstack-host's own /etc (the copy under
# $OS_STATE/etc that anchor.sh mounts): keystone, glance, placement, nova (libvirt, TCG,
# config drive), neutron (ML2 with the linuxbridge agent, VXLAN tenant networks, a flat
# external physnet, the iptables security-group firewall), libvirt (root, no cgroups or
# security driver: a namespace host on a machine that is itself a guest). Passwords are
# generated once into $OS_STATE/secrets.env (mode 600). Sourced by start.sh.
# shellcheck shell=bash
gen() { tr -dc 'A-Za-z0-9' </dev/urandom | head -c 24; }
if [ ! -f "$SECRETS" ]; then
  umask 077
  {
    echo "DB_PASS=$(gen)"
    echo "ADMIN_PASS=$(gen)"
    echo "SERVICE_PASS=$(gen)"
    echo "LAB_PASS=$(gen)"
    echo "META_SECRET=$(gen)"
  } >"$SECRETS"
  umask 022
fi
# shellcheck disable=SC1090
. "$SECRETS"
E=$OS_STATE/etc
INI="python3 $(dirname "${BASH_SOURCE[0]}")/ini.py"
KS=http://$HOST_IP:5000
db() { echo "mysql+pymysql://$1:$DB_PASS@127.0.0.1/$2"; }
authtoken() { # section user
  cat <<A
$1 www_authenticate_uri = $KS
$1 auth_url = $KS
$1 auth_type = password
$1 project_domain_name = Default
$1 user_domain_name = Default
$1 project_name = service
$1 username = $2
$1 password = $SERVICE_PASS
$1 region_name = RegionOne
A
}

$INI "$E/keystone/keystone.conf" <<C
database connection = $(db keystone keystone)
token provider = fernet
C

$INI "$E/glance/glance-api.conf" <<C
DEFAULT bind_host = 0.0.0.0
DEFAULT workers = 1
DEFAULT enabled_backends = file:file
database connection = $(db glance glance)
$(authtoken keystone_authtoken glance)
paste_deploy flavor = keystone
glance_store default_backend = file
file filesystem_store_datadir = /var/lib/glance/images/
C

$INI "$E/placement/placement.conf" <<C
placement_database connection = $(db placement placement)
api auth_strategy = keystone
$(authtoken keystone_authtoken placement)
C

$INI "$E/nova/nova.conf" <<C
DEFAULT transport_url = rabbit://guest:guest@127.0.0.1:5672/
DEFAULT my_ip = $HOST_IP
DEFAULT state_path = /var/lib/nova
DEFAULT instances_path = /var/lib/nova/instances
DEFAULT enabled_apis = osapi_compute,metadata
DEFAULT osapi_compute_workers = 1
DEFAULT metadata_workers = 1
DEFAULT compute_driver = libvirt.LibvirtDriver
DEFAULT force_config_drive = true
DEFAULT force_raw_images = false
DEFAULT use_cow_images = true
DEFAULT reserved_host_memory_mb = 1024
DEFAULT ram_allocation_ratio = 1.0
DEFAULT cpu_allocation_ratio = 8.0
DEFAULT instance_build_timeout = 900
DEFAULT block_device_allocate_retries = 120
DEFAULT heal_instance_info_cache_interval = 600
api auth_strategy = keystone
api_database connection = $(db nova nova_api)
database connection = $(db nova nova)
$(authtoken keystone_authtoken nova)
$(authtoken service_user nova)
service_user send_service_user_token = true
vnc enabled = false
glance api_servers = http://$HOST_IP:9292
oslo_concurrency lock_path = /var/lib/nova/tmp
$(authtoken placement placement | grep -v www_authenticate_uri)
$(authtoken neutron neutron | grep -v www_authenticate_uri)
neutron service_metadata_proxy = true
neutron metadata_proxy_shared_secret = $META_SECRET
conductor workers = 1
scheduler workers = 1
scheduler discover_hosts_in_cells_interval = -1
libvirt virt_type = qemu
libvirt cpu_mode = none
C

N=$E/neutron
$INI "$N/neutron.conf" <<C
DEFAULT core_plugin = ml2
DEFAULT service_plugins = router
DEFAULT transport_url = rabbit://guest:guest@127.0.0.1:5672/
DEFAULT auth_strategy = keystone
DEFAULT bind_host = 0.0.0.0
DEFAULT api_workers = 1
DEFAULT rpc_workers = 1
DEFAULT rpc_state_report_workers = 1
DEFAULT notify_nova_on_port_status_changes = true
DEFAULT notify_nova_on_port_data_changes = true
DEFAULT global_physnet_mtu = 1500
experimental linuxbridge = true
database connection = $(db neutron neutron)
$(authtoken keystone_authtoken neutron)
$(authtoken nova nova | grep -v www_authenticate_uri)
oslo_concurrency lock_path = /var/lib/neutron/tmp
agent root_helper = sudo /usr/bin/neutron-rootwrap /etc/neutron/rootwrap.conf
C
$INI "$N/plugins/ml2/ml2_conf.ini" <<C
ml2 type_drivers = flat,vxlan
ml2 tenant_network_types = vxlan
ml2 mechanism_drivers = linuxbridge
ml2 extension_drivers = port_security
ml2_type_flat flat_networks = external
ml2_type_vxlan vni_ranges = 1:1000
securitygroup enable_ipset = true
C
$INI "$N/plugins/ml2/linuxbridge_agent.ini" <<C
linux_bridge physical_interface_mappings = external:$EXT_IF
vxlan enable_vxlan = true
vxlan local_ip = $HOST_IP
vxlan l2_population = false
securitygroup enable_security_group = true
securitygroup firewall_driver = iptables
C
$INI "$N/dhcp_agent.ini" <<C
DEFAULT interface_driver = linuxbridge
DEFAULT dhcp_driver = neutron.agent.linux.dhcp.Dnsmasq
DEFAULT enable_isolated_metadata = true
C
$INI "$N/l3_agent.ini" <<C
DEFAULT interface_driver = linuxbridge
C
$INI "$N/metadata_agent.ini" <<C
DEFAULT nova_metadata_host = $HOST_IP
DEFAULT metadata_proxy_shared_secret = $META_SECRET
DEFAULT metadata_workers = 1
C

# libvirtd for nova: root, no cgroups, no security driver, no private /dev (TCG guests).
if ! grep -q '^# labfabric: QEMU on a namespace host' "$E/libvirt/qemu.conf"; then
  cat "$(dirname "${BASH_SOURCE[0]}")/../lab/qemu-namespace-host.conf" >>"$E/libvirt/qemu.conf"
fi

# ebtables: ebtables-nft with a fallback for deleting among-match rules (ebtables-wrapper.sh).
mkdir -p "$E/labfabric"
install -m 755 "$(dirname "${BASH_SOURCE[0]}")/ebtables-wrapper.sh" "$E/labfabric/ebtables"
ln -sfn /etc/labfabric/ebtables "$E/alternatives/ebtables"
