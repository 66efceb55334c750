#!/bin/bash
# The openstack-host's mount namespace: run as
#   ip netns exec openstack-host unshare --mount --propagation private bash anchor.sh STATE
# It gives the host its own /etc (a copy of the machine's, taken once), /run (tmpfs: pid files,
# sockets, the qdhcp-/qrouter- namespaces Neutron's agents make), /var/log and the state of
# every service under /var/lib, by mounts that only this mount namespace sees. So this
# libvirtd, MariaDB and RabbitMQ never meet the machine's or another engineer's. Then it stays
# as the namespace's anchor: `nsenter -t <pid> -m -n` joins it (lib.sh: inhost).
set -eu
state=$1
case $state in /*) ;; *) echo "anchor: STATE must be absolute: $state" >&2; exit 2 ;; esac
if [ ! -d "$state/etc" ]; then
  cp -a /etc "$state/etc.tmp"
  rm -f "$state/etc.tmp/libvirt/qemu/networks/autostart/default.xml"
  mv "$state/etc.tmp" "$state/etc"
fi
libs="mysql rabbitmq keystone glance placement nova neutron libvirt"
for d in $libs; do
  if [ ! -d "$state/lib/$d" ]; then
    mkdir -p "$state/lib"
    if [ -d "/var/lib/$d" ]; then cp -a "/var/lib/$d" "$state/lib/$d"; else mkdir -p "$state/lib/$d"; fi
  fi
done
mkdir -p "$state/log" "$state/cache-libvirt"
mount --bind "$state/etc" /etc
for d in $libs; do mount --bind "$state/lib/$d" "/var/lib/$d"; done
mount --bind "$state/log" /var/log
mount --bind "$state/cache-libvirt" /var/cache/libvirt
mount -t tmpfs -o mode=755 tmpfs /run
mkdir -p /run/netns /run/libvirt /run/mysqld /run/lock /run/sshd /run/nova /run/neutron /run/glance
chown mysql:mysql /run/mysqld
mkdir -p /var/log/labfabric /var/log/nova /var/log/neutron /var/log/glance /var/log/keystone \
  /var/log/placement /var/log/libvirt/qemu /var/log/rabbitmq /var/log/mysql
chown rabbitmq:rabbitmq /var/log/rabbitmq /var/lib/rabbitmq
chown mysql:mysql /var/log/mysql /var/lib/mysql
mkdir -p /var/lib/nova/instances /var/lib/nova/tmp /var/lib/neutron/tmp /var/lib/glance/images
echo $$ >"$state/anchor.pid"
exec sleep infinity
