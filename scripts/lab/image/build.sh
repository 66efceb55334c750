#!/usr/bin/env bash
# Builds the dry lab's VM base image offline, from Debian packages only: a bookworm minbase
# rootfs (mmdebstrap) with systemd, udev, cloud-init, openssh-server, iputils-ping and the cloud
# kernel, assembled into a bootable disk without loop devices or mounts:
#   MBR (syslinux mbr.bin) | p1 FAT16 /boot: syslinux, vmlinuz, initrd | p2 ext4 root (mkfs -d)
# and converted to qcow2. Cached under $LABFABRIC_CACHE/images/<name>-<hash>/ where <hash> is
# the sha256 of this file (the recipe): a changed recipe builds a new image, an unchanged one is
# found in milliseconds. Prints one line per step with the elapsed time, and a heartbeat every
# 15 s while a long step runs.
#
# usage: build.sh            -> prints the path of disk.qcow2 on stdout (progress on stderr)
#        build.sh --path     -> prints the path it would have, builds nothing
set -euo pipefail

NAME=debian12-cloudinit
SUITE=bookworm
# What cloud-init needs to apply the lab's NoCloud seed (hostname, user + key, network-config
# with MTU, static address or DHCP, routes; growpart for the larger root volume), sshd to be
# reached, ping for the probes, and a kernel + initramfs that boot under TCG and KVM alike.
PACKAGES=(
  systemd-sysv udev dbus cloud-init cloud-guest-utils fdisk e2fsprogs openssh-server sudo
  iputils-ping iproute2 linux-image-cloud-amd64 initramfs-tools zstd
)
# Fixed so the recipe (and so the disk) is reproducible; every VM's overlay shares it.
ROOT_UUID=6c1b7a52-5d1e-4f43-9a6b-1abf0c0ffee1
BOOT_MIB=48
# The last console= is /dev/console: systemd's status lines and cloud-init's output go to the
# serial port, which libvirt logs to a file on the host (components/libvirt/domain-xslt.ts).
KERNEL_CMDLINE="root=UUID=$ROOT_UUID ro console=tty0 console=ttyS0,115200n8 quiet systemd.show_status=1"

cache=${LABFABRIC_CACHE:-$HOME/.cache/labfabric}
hash=$(sha256sum "$0" | cut -c1-16)
out="$cache/images/$NAME-$hash"
if [ "${1:-}" = --path ]; then echo "$out/disk.qcow2"; exit 0; fi
if [ -f "$out/disk.qcow2" ]; then
  echo "image: $NAME cached ($out)" >&2
  echo "$out/disk.qcow2"
  exit 0
fi
[ "$(id -u)" = 0 ] || { echo "image: building needs root (mmdebstrap in root mode, mkfs -d keeps ownership)" >&2; exit 2; }
for t in mmdebstrap mkfs.ext4 mkfs.fat mcopy syslinux sfdisk qemu-img; do
  command -v "$t" >/dev/null || { echo "image: $t is missing: run scripts/setup.sh" >&2; exit 2; }
done

start=$(date +%s)
step() { echo "image: [$(( $(date +%s) - start ))s] $*" >&2; }
heartbeat() {
  ( while sleep 15; do echo "image: [$(( $(date +%s) - start ))s] ... still $1" >&2; done ) &
  hb=$!
}
stop_heartbeat() { kill "$hb" 2>/dev/null || true; wait "$hb" 2>/dev/null || true; }

mkdir -p "$cache/images"
work=$(mktemp -d "$cache/images/.build-$NAME-XXXXXX")
trap 'stop_heartbeat 2>/dev/null || true; rm -rf "$work"' EXIT
root="$work/root"

step "mmdebstrap $SUITE minbase + ${#PACKAGES[@]} packages (downloads from Debian's repository)"
heartbeat "installing packages"
inc=$(IFS=,; echo "${PACKAGES[*]}")
mmdebstrap --variant=minbase --mode=root --format=directory --include="$inc" \
  --dpkgopt='path-exclude=/usr/share/doc/*' --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  "$SUITE" "$root" >"$work/mmdebstrap.log" 2>&1 || { stop_heartbeat; tail -30 "$work/mmdebstrap.log" >&2; exit 1; }
stop_heartbeat

step "configuring the rootfs (fstab, cloud-init NoCloud + networkd, sshd, units)"
echo "UUID=$ROOT_UUID / ext4 defaults,noatime 0 1" > "$root/etc/fstab"
cat > "$root/etc/cloud/cloud.cfg.d/90-labfabric.cfg" <<'CFG'
# labfabric dry-lab image: the seed is always a NoCloud disk (libvirt CloudInitDisk); probing
# other clouds would only cost time under TCG.
datasource_list: [NoCloud, None]
system_info:
  network:
    renderers: [networkd]
# One host key type: key generation is slow under TCG; the provider and probes use ed25519.
ssh_genkeytypes: [ed25519]
# minbase has no locales package: the locale built into libc, or cc_locale fails (status: error).
locale: C.UTF-8
CFG
rm -f "$root"/etc/ssh/ssh_host_*
# cloud-init writes the host keys on an instance's first boot; if that boot is cut short (the
# domain replaced or destroyed mid-boot), sshd would never start again: create missing keys.
mkdir -p "$root/etc/systemd/system/ssh.service.d"
printf '[Service]\nExecStartPre=\nExecStartPre=/usr/bin/ssh-keygen -A\nExecStartPre=/usr/sbin/sshd -t\n' > "$root/etc/systemd/system/ssh.service.d/labfabric-hostkeys.conf"
: > "$root/etc/machine-id"
rm -f "$root/var/lib/dbus/machine-id"
chroot "$root" systemctl enable systemd-networkd.service >/dev/null 2>&1
for u in apt-daily.timer apt-daily-upgrade.timer e2scrub_all.timer e2scrub_reap.service fstrim.timer; do
  chroot "$root" systemctl disable "$u" >/dev/null 2>&1 || true
done
rm -rf "$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
kernel=$(cd "$root/boot" && ls vmlinuz-* | sort -V | tail -1)
initrd=initrd.img-${kernel#vmlinuz-}
[ -f "$root/boot/$initrd" ] || { echo "image: no initramfs for $kernel" >&2; exit 1; }
step "kernel $kernel, initramfs $(du -h "$root/boot/$initrd" | cut -f1)"

step "assembling the disk (FAT /boot with syslinux + ext4 root, no loop device)"
root_mib=$(( $(du -sm "$root" | cut -f1) * 13 / 10 + 64 ))
boot="$work/boot.fat"
mkfs.fat -C -n BOOT "$boot" $(( BOOT_MIB * 1024 )) >/dev/null
cat > "$work/syslinux.cfg" <<CFG
DEFAULT linux
TIMEOUT 0
PROMPT 0
SERIAL 0 115200
LABEL linux
  KERNEL /vmlinuz
  INITRD /initrd.img
  APPEND $KERNEL_CMDLINE
CFG
mcopy -i "$boot" "$root/boot/$kernel" ::/vmlinuz
mcopy -i "$boot" "$root/boot/$initrd" ::/initrd.img
mcopy -i "$boot" "$work/syslinux.cfg" ::/syslinux.cfg
syslinux --install "$boot"
rootfs="$work/root.ext4"
mkfs.ext4 -q -F -L root -U "$ROOT_UUID" -d "$root" "$rootfs" "${root_mib}M"
disk="$work/disk.raw"
total_mib=$(( 1 + BOOT_MIB + root_mib ))
truncate -s "${total_mib}M" "$disk"
printf 'label: dos\nstart=1MiB, size=%sMiB, type=6, bootable\nstart=%sMiB, type=83\n' \
  "$BOOT_MIB" $(( 1 + BOOT_MIB )) | sfdisk -q "$disk"
dd if=/usr/lib/syslinux/mbr/mbr.bin of="$disk" bs=440 count=1 conv=notrunc status=none
dd if="$boot" of="$disk" bs=1M seek=1 conv=notrunc,sparse status=none
dd if="$rootfs" of="$disk" bs=1M seek=$(( 1 + BOOT_MIB )) conv=notrunc,sparse status=none
qemu-img convert -f raw -O qcow2 "$disk" "$work/disk.qcow2"
chroot "$root" dpkg-query -W -f '${Package} ${Version}\n' > "$work/packages.txt"
cp "$0" "$work/recipe.sh"
mkdir -p "$out"
mv "$work/disk.qcow2" "$work/packages.txt" "$work/recipe.sh" "$out/"
step "done: $out/disk.qcow2 ($(du -h "$out/disk.qcow2" | cut -f1) allocated, virtual ${total_mib} MiB, rootfs $(du -sm "$root" | cut -f1) MiB)"
echo "$out/disk.qcow2"
