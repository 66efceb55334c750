#!/bin/bash
# The instance image for the all-in-one cloud: the dry lab's offline Debian 12 image (systemd,
# cloud-init, sshd, cloud kernel; built by scripts/lab/image/build.sh, cached under
# $LABFABRIC_CACHE/images) with one file added: a cloud-init drop-in that reads Nova's config
# drive (ConfigDrive datasource) instead of a NoCloud seed. Written into the ext4 root
# partition with debugfs: no loop device, no mount. Cached by the base image's identity and this
# script's hash; prints the derived qcow2's path.
#
# usage: image.sh [BASE_QCOW2]    (default: the build script's image, else the newest cached)
set -euo pipefail
cache=${LABFABRIC_CACHE:-$HOME/.cache/labfabric}
repo=$(cd "$(dirname "$0")/../.." && pwd)
base=${1:-${LABFABRIC_BASE_IMAGE:-}}
if [ -z "$base" ] && [ -x "$repo/scripts/lab/image/build.sh" ]; then
  base=$("$repo/scripts/lab/image/build.sh")
fi
if [ -z "$base" ]; then
  base=$(ls -t "$cache"/images/debian12-cloudinit-*/disk.qcow2 2>/dev/null | head -1 || true)
fi
[ -n "$base" ] && [ -f "$base" ] || {
  echo "image: no base image: build it with scripts/lab/image/build.sh (branch libvirt) or pass its path" >&2
  exit 2
}
id=$( (stat -c '%n %s %Y' "$base"; cat "$0") | sha256sum | cut -c1-16)
out=$cache/images/openstack-debian12-$id
if [ -f "$out/disk.qcow2" ]; then
  echo "image: cached $out/disk.qcow2" >&2
  echo "$out/disk.qcow2"
  exit 0
fi
start=$(date +%s)
work=$(mktemp -d "$cache/images/.openstack-XXXXXX")
trap 'rm -rf "$work"' EXIT
echo "image: deriving from $base" >&2
qemu-img convert -f qcow2 -O raw "$base" "$work/disk.raw"
# The root partition: the last one of the MBR table (sfdisk dump: start and size in sectors).
read -r pstart psize < <(sfdisk -d "$work/disk.raw" | awk -F'[=,]' '/^.*: start=/{s=$2; z=$4} END{gsub(/ /,"",s); gsub(/ /,"",z); print s, z}')
[ -n "$pstart" ] && [ -n "$psize" ] || { echo "image: cannot read the partition table of $base" >&2; exit 1; }
dd if="$work/disk.raw" of="$work/root.ext4" bs=512 skip="$pstart" count="$psize" status=none
cat >"$work/95-openstack.cfg" <<'CFG'
# labfabric all-in-one OpenStack: Nova writes a config drive (force_config_drive), so the
# instance's keypair, user data and network_data.json (MTU 1450) come from it.
datasource_list: [ConfigDrive, None]
CFG
debugfs -w -R "write $work/95-openstack.cfg /etc/cloud/cloud.cfg.d/95-openstack.cfg" "$work/root.ext4" >/dev/null 2>&1
debugfs -R "cat /etc/cloud/cloud.cfg.d/95-openstack.cfg" "$work/root.ext4" 2>/dev/null | grep -q ConfigDrive ||
  { echo "image: writing the drop-in failed" >&2; exit 1; }
dd if="$work/root.ext4" of="$work/disk.raw" bs=512 seek="$pstart" conv=notrunc status=none
mkdir -p "$out"
qemu-img convert -f raw -O qcow2 "$work/disk.raw" "$out/disk.qcow2.tmp"
mv "$out/disk.qcow2.tmp" "$out/disk.qcow2"
echo "image: derived in $(($(date +%s) - start)) s: $out/disk.qcow2" >&2
echo "$out/disk.qcow2"
