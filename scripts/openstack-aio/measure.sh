#!/bin/bash
# What the all-in-one cloud costs at rest: memory (RSS and PSS, summed over every process of
# openstack-host's mount namespace, guests apart) and CPU (utime+stime over a window, in
# cores). Read-only; for BENCHMARKS.md.   usage: measure.sh [SECONDS=60]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"
window=${1:-60}
pid=$(anchor_pid) || die "openstack-host is not running"
mnt=$(readlink "/proc/$pid/ns/mnt")
members() {
  local p
  for p in /proc/[0-9]*; do
    [ "$(readlink "$p/ns/mnt" 2>/dev/null)" = "$mnt" ] && echo "${p#/proc/}"
  done
}
is_guest() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null | grep -q '^/usr/bin/qemu-system'; }
ticks() { # sum of utime+stime of services ($1=svc) or guests ($1=guest)
  local p t=0 s
  for p in $(members); do
    if is_guest "$p"; then [ "$1" = guest ] || continue; else [ "$1" = svc ] || continue; fi
    s=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
    t=$((t + ${s:-0}))
  done
  echo "$t"
}
mem() {
  local p rss=0 pss=0 grss=0 gpss=0 n=0 g=0 r s
  for p in $(members); do
    r=$(awk '/^Rss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    s=$(awk '/^Pss:/{print $2}' "/proc/$p/smaps_rollup" 2>/dev/null || echo 0)
    if is_guest "$p"; then g=$((g + 1)); grss=$((grss + ${r:-0})); gpss=$((gpss + ${s:-0}))
    else n=$((n + 1)); rss=$((rss + ${r:-0})); pss=$((pss + ${s:-0})); fi
  done
  echo "services: $n processes, RSS $((rss / 1024)) MiB, PSS $((pss / 1024)) MiB"
  echo "guests:   $g QEMU processes, RSS $((grss / 1024)) MiB, PSS $((gpss / 1024)) MiB"
}
hz=$(getconf CLK_TCK)
s0=$(ticks svc) g0=$(ticks guest)
sleep "$window"
s1=$(ticks svc) g1=$(ticks guest)
mem
awk -v s=$((s1 - s0)) -v g=$((g1 - g0)) -v hz="$hz" -v w="$window" \
  'BEGIN { printf "CPU over %d s: services %.2f cores, guests %.2f cores\n", w, s / hz / w, g / hz / w }'
echo "disk: $(du -sh "$OS_STATE" | cut -f1) under $OS_STATE (databases, images, instances, logs)"
