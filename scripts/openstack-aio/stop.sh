#!/bin/bash
# Stops the all-in-one OpenStack: every process of openstack-host's mount namespace (services,
# dnsmasq and haproxy of the agents' namespaces, QEMU guests) and of its network namespace,
# then the namespace, the veth and the route. Without --keep-state it also deletes the
# databases, images and configuration under $OS_STATE (npm run lab -- b down).
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
keep=${1:-}
procs() { # pids sharing the anchor's mount namespace or openstack-host's network namespace
  local mnt="" p pid
  if pid=$(anchor_pid); then mnt=$(readlink "/proc/$pid/ns/mnt"); fi
  for p in /proc/[0-9]*; do
    p=${p#/proc/}
    [ "$p" = $$ ] && continue
    if [ -n "$mnt" ] && [ "$(readlink "/proc/$p/ns/mnt" 2>/dev/null)" = "$mnt" ]; then echo "$p"; fi
  done
  ip netns pids "$NS" 2>/dev/null || true
  # dnsmasq and haproxy of the agents' qdhcp-/qrouter- namespaces: `ip netns exec` gave them a
  # mount namespace of their own. They are the processes whose /var/lib/neutron is this cloud's.
  local key
  key=$(stat -c %d:%i "$OS_STATE/lib/neutron" 2>/dev/null) || return 0
  for p in /proc/[0-9]*; do
    [ "$(stat -L -c %d:%i "$p/root/var/lib/neutron" 2>/dev/null)" = "$key" ] && echo "${p#/proc/}"
  done
}
pids=$(procs | sort -u)
if [ -n "$pids" ]; then
  step "stopping $(echo "$pids" | wc -w) processes of openstack-host"
  kill $pids 2>/dev/null
  for _ in $(seq 1 20); do
    left=$(for p in $pids; do kill -0 "$p" 2>/dev/null && echo "$p"; done)
    [ -z "$left" ] && break
    sleep 0.5
  done
  [ -n "${left:-}" ] && kill -9 $left 2>/dev/null
fi
ip netns del "$NS" 2>/dev/null
ip link del "$ROOT_VETH" 2>/dev/null
ip route del "$EXT_CIDR" 2>/dev/null
rm -f "$ANCHOR_PID_FILE"
if [ "$keep" != --keep-state ]; then
  step "removing $OS_STATE"
  rm -rf "$OS_STATE"
fi
exit 0
