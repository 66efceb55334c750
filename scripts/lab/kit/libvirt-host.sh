#!/bin/sh
# One dry-lab "bare-metal" host with its own libvirtd: run inside the host's network namespace
# (`ip netns exec <host> unshare --mount --propagation private sh libvirt-host.sh ...`). It
# gives the host its own /etc (a copy of the machine's), /var/lib/libvirt, /var/log/libvirt,
# /var/cache/libvirt and /run/libvirt by bind mounts in this mount namespace, starts Debian's
# libvirtd (QEMU driver, TCG guests: no cgroups, no security driver, no private /dev) and the
# host's sshd, both in this mount namespace, so `qemu+ssh://root@<host>/system` reaches this
# libvirtd through this sshd exactly as on a real host. Then it stays as the namespace's anchor
# (its pid is written to <dir>/anchor.pid): nsenter --target <pid> --mount --net joins it.
#
# usage: libvirt-host.sh HOSTDIR SSHD_CONFIG|- [CAPS_CACHE] [SITE_NETWORK_HOOK]
# SITE_NETWORK_HOOK: a libvirt network hook the site keeps on the host (installed as
# /etc/libvirt/hooks/network.d/50-drylab-site before libvirtd starts, which is when libvirt
# looks for hooks); the k8s lab's plugs its nodes' cables into a bridge when libvirt starts it.
set -eu
dir=$1 sshd_config=$2 caps=${3:-} site_hook=${4:-}
case $dir in /*) ;; *) echo "libvirt-host: HOSTDIR must be absolute: $dir" >&2; exit 2 ;; esac
[ "$sshd_config" = - ] || [ -f "$sshd_config" ] || { echo "libvirt-host: no sshd config $sshd_config" >&2; exit 2; }

# The host's own /etc: a copy of the machine's, taken once (kept across restarts of the host,
# as a real host keeps its disk), with libvirt's stock "default" network removed.
if [ ! -d "$dir/etc" ]; then
  mkdir -p "$dir"
  cp -a /etc "$dir/etc.tmp"
  rm -f "$dir/etc.tmp/libvirt/qemu/networks/default.xml" "$dir/etc.tmp/libvirt/qemu/networks/autostart/default.xml"
  cat "$(dirname "$0")/../qemu-namespace-host.conf" >> "$dir/etc.tmp/libvirt/qemu.conf"
  # root's login shell: /bin/sh, as the host's SSH steps are POSIX sh anyway. sshd runs commands
  # through it, and a bash that sources the machine's ~/.bashrc (shared /root: pyenv, ...) is not
  # part of any real lab host and has hung sessions here.
  sed -i 's#^\(root:[^:]*:[^:]*:[^:]*:[^:]*:[^:]*:\).*#\1/bin/sh#' "$dir/etc.tmp/passwd"
  mv "$dir/etc.tmp" "$dir/etc"
fi
# libvirt's state, logs and caches start as the package left them (its directory skeleton).
for d in var/lib/libvirt var/log/libvirt var/cache/libvirt; do
  if [ ! -d "$dir/$d" ]; then
    mkdir -p "$dir/$(dirname "$d")"
    if [ -d "/$d" ]; then cp -a "/$d" "$dir/$d"; else mkdir -p "$dir/$d"; fi
  fi
done
mkdir -p "$dir/run/libvirt" "$dir/var/lib/libvirt/images" "$dir/var/log/libvirt/qemu"
if [ -n "$caps" ] && [ -d "$caps" ] && [ ! -d "$dir/var/cache/libvirt/qemu/capabilities" ]; then
  # QEMU's capability probe takes about a minute under TCG; a cache from another host of the
  # same machine (same QEMU binary) is valid here and libvirt re-probes if it is not.
  mkdir -p "$dir/var/cache/libvirt/qemu"
  cp -a "$caps" "$dir/var/cache/libvirt/qemu/capabilities"
fi
if [ -n "$site_hook" ]; then
  mkdir -p "$dir/etc/libvirt/hooks/network.d"
  install -m 0755 "$site_hook" "$dir/etc/libvirt/hooks/network.d/50-drylab-site"
fi
mount --bind "$dir/etc" /etc
for d in var/lib/libvirt var/log/libvirt var/cache/libvirt run/libvirt; do
  mkdir -p "/$d"
  mount --bind "$dir/$d" "/$d"
done
mkdir -p /run/sshd
/usr/sbin/libvirtd --daemon --pid-file "$dir/libvirtd.pid"
if [ "$sshd_config" != - ]; then /usr/sbin/sshd -f "$sshd_config"; fi
echo $$ > "$dir/anchor.pid"
exec sleep infinity
