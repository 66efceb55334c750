# The all-in-one cloud's services, started in dependency order inside openstack-host (sourced
# by start.sh after lib.sh and configure.sh). Every step is idempotent: databases and
# Keystone objects are created only when missing, so a restart after a reboot reuses them.
# shellcheck shell=bash
KS=http://$HOST_IP:5000

start_mariadb() {
  if [ ! -d "$OS_STATE/lib/mysql/mysql" ]; then
    step "MariaDB: initialising the data directory"
    inhost mariadb-install-db --user=mysql --datadir=/var/lib/mysql --skip-test-db >/dev/null
  fi
  step "MariaDB: starting"
  daemon mariadb mariadbd --user=mysql --datadir=/var/lib/mysql --bind-address=127.0.0.1 \
    --socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mysqld.pid --skip-log-bin \
    --innodb-buffer-pool-size=64M --max-connections=400 --performance-schema=OFF
  local n=0
  until inhost mariadb -uroot -e 'select 1' >/dev/null 2>&1; do
    n=$((n + 1))
    [ "$n" -lt 60 ] || die "MariaDB did not answer in 60 s (see $OS_STATE/log/labfabric/mariadb.out)"
    sleep 1
  done
  local sql="" d
  for d in keystone:keystone glance:glance placement:placement nova:nova_api nova:nova \
    nova:nova_cell0 neutron:neutron; do
    sql+="CREATE DATABASE IF NOT EXISTS ${d#*:};"
    sql+="CREATE USER IF NOT EXISTS '${d%%:*}'@'127.0.0.1' IDENTIFIED BY '$DB_PASS';"
    sql+="GRANT ALL PRIVILEGES ON ${d#*:}.* TO '${d%%:*}'@'127.0.0.1';"
  done
  inhost mariadb -uroot -e "$sql"
}

start_rabbitmq() {
  step "RabbitMQ: starting"
  daemon rabbitmq env RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 \
    RABBITMQ_NODENAME=rabbit@localhost HOME=/var/lib/rabbitmq /usr/sbin/rabbitmq-server
  wait_port 127.0.0.1 5672 180
}

uwsgi_app() { # name port wsgi-file processes
  daemon "$1" uwsgi_python311 --http-socket "0.0.0.0:$2" --wsgi-file "$3" --processes "$4" \
    --threads 1 --master --die-on-term --add-header "Connection: close" \
    --pidfile "/run/$1-uwsgi.pid"
}

start_keystone() {
  step "Keystone: db_sync, fernet keys, bootstrap"
  inhost keystone-manage db_sync >/dev/null 2>&1 || die "keystone-manage db_sync failed"
  inhost keystone-manage fernet_setup --keystone-user root --keystone-group root >/dev/null 2>&1
  inhost keystone-manage credential_setup --keystone-user root --keystone-group root >/dev/null 2>&1
  inhost keystone-manage bootstrap --bootstrap-password "$ADMIN_PASS" \
    --bootstrap-admin-url "$KS/v3/" --bootstrap-internal-url "$KS/v3/" \
    --bootstrap-public-url "$KS/v3/" --bootstrap-region-id RegionOne >/dev/null 2>&1 ||
    die "keystone-manage bootstrap failed"
  uwsgi_app keystone 5000 /usr/bin/keystone-wsgi-public 2
  wait_port "$HOST_IP" 5000 60
}

# Users, services and endpoints for each service; the lab's project and user. Fed to one
# `openstack` process (each CLI start costs seconds). Done once (marker file).
keystone_objects() {
  [ -f "$OS_STATE/.keystone-objects" ] && return 0
  step "Keystone: projects, users, services, endpoints (one CLI process)"
  local cmds="project create --or-show --domain default service
project create --or-show --domain default labfabric
user create --or-show --domain default --password $LAB_PASS labfabric
role add --project labfabric --user labfabric admin
role add --project labfabric --user labfabric member
"
  local s
  for s in glance:image:9292 placement:placement:8778 nova:compute:8774/v2.1 neutron:network:9696; do
    local user=${s%%:*} rest=${s#*:}
    local type=${rest%%:*} url=http://$HOST_IP:${rest#*:}
    cmds+="user create --or-show --domain default --password $SERVICE_PASS $user
role add --project service --user $user admin
service create --name $user $type
endpoint create --region RegionOne $type public $url
endpoint create --region RegionOne $type internal $url
"
  done
  printf '%s' "$cmds" | os_admin >"$OS_STATE/log/labfabric/keystone-objects.out" 2>&1 || true
  local n
  n=$(os_admin endpoint list -f value -c 'Service Type' | sort -u | wc -l)
  [ "$n" -ge 5 ] || die "Keystone has $n service types with endpoints, expected 5 (see log/labfabric/keystone-objects.out)"
  touch "$OS_STATE/.keystone-objects"
}

start_apis() {
  step "Glance, Placement, Nova, Neutron: database migrations"
  inhost glance-manage db_sync >/dev/null 2>&1 || die "glance-manage db_sync failed"
  inhost placement-manage db sync >/dev/null 2>&1 || die "placement-manage db sync failed"
  inhost nova-manage api_db sync >/dev/null 2>&1 || die "nova-manage api_db sync failed"
  inhost nova-manage cell_v2 map_cell0 >/dev/null 2>&1 || true
  inhost nova-manage cell_v2 list_cells 2>/dev/null | grep -q ' cell1 ' ||
    inhost nova-manage cell_v2 create_cell --name=cell1 >/dev/null 2>&1 || true
  inhost nova-manage db sync >/dev/null 2>&1 || die "nova-manage db sync failed"
  local n=/etc/neutron
  inhost neutron-db-manage --config-file $n/neutron.conf --config-file $n/plugins/ml2/ml2_conf.ini \
    upgrade head >/dev/null 2>&1 || die "neutron-db-manage upgrade failed"
  step "Glance, Placement, Nova, Neutron: starting the APIs"
  daemon glance-api glance-api --config-file /etc/glance/glance-api.conf
  uwsgi_app placement 8778 /usr/bin/placement-api 1
  daemon nova-api nova-api --config-file /etc/nova/nova.conf
  daemon nova-conductor nova-conductor --config-file /etc/nova/nova.conf
  daemon nova-scheduler nova-scheduler --config-file /etc/nova/nova.conf
  daemon neutron-server neutron-server --config-file $n/neutron.conf \
    --config-file $n/plugins/ml2/ml2_conf.ini
  local p
  for p in 9292 8778 8774 9696; do wait_port "$HOST_IP" "$p" 180; done
}

start_compute_and_agents() {
  local n=/etc/neutron
  step "libvirtd + nova-compute, Neutron agents (linuxbridge, DHCP, L3, metadata)"
  daemon virtlogd virtlogd
  daemon libvirtd libvirtd
  local i=0
  until inhost virsh -c qemu:///system version >/dev/null 2>&1; do
    i=$((i + 1))
    [ "$i" -lt 120 ] || die "libvirtd did not answer in 120 s"
    sleep 1
  done
  daemon nova-compute nova-compute --config-file /etc/nova/nova.conf
  daemon neutron-linuxbridge-agent neutron-linuxbridge-agent --config-file $n/neutron.conf \
    --config-file $n/plugins/ml2/linuxbridge_agent.ini
  daemon neutron-dhcp-agent neutron-dhcp-agent --config-file $n/neutron.conf \
    --config-file $n/dhcp_agent.ini
  daemon neutron-l3-agent neutron-l3-agent --config-file $n/neutron.conf \
    --config-file $n/l3_agent.ini
  daemon neutron-metadata-agent neutron-metadata-agent --config-file $n/neutron.conf \
    --config-file $n/metadata_agent.ini
  step "waiting for nova-compute and four Neutron agents to report"
  i=0
  until [ "$(os_admin compute service list --service nova-compute -f value -c State 2>/dev/null)" = up ] &&
    [ "$(os_admin network agent list -f value -c Alive 2>/dev/null | grep -c True)" -ge 4 ]; do
    i=$((i + 1))
    [ "$i" -lt 60 ] || die "compute or agents not up after 300 s (see $OS_STATE/log/labfabric/)"
    sleep 5
  done
  inhost nova-manage cell_v2 discover_hosts >/dev/null 2>&1 || die "discover_hosts failed"
}
