#!/usr/bin/env bash
# Assemble the bundle's container images from its binaries, with crane and no registry but a
# throw-away one on loopback: per image a root filesystem (the static binary at the path its
# manifests use; for kube-proxy and Flannel also Debian's iptables with its libraries and a static
# busybox for `cp`), one layer (reproducible tar: sorted, owner 0, mtime 0), `crane append
# --oci-empty-base`, then `crane mutate` (entrypoint, PATH, linux/amd64, the exact reference of
# images.txt) into a docker archive for `ctr -n k8s.io images import`. Called by build.sh:
#
#   images.sh BUNDLE_DIR
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
T0=${T0:-$SECONDS}
LOG_TAG=k8s-bundle
# shellcheck source=versions.env
source "$HERE/versions.env"
# shellcheck source=../../toolchain/lib.sh
source "$REPO/toolchain/lib.sh"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

root="${1:?usage: images.sh BUNDLE_DIR}"
crane="$root/bin/crane"
[[ -x "$crane" ]] || die "$crane missing: run build.sh binaries first"
ARCH_LIB=/usr/lib/x86_64-linux-gnu

# What the images are made of; a change of any of it (or of this script) rebuilds them all.
key="$({
  cat "$0" "$HERE/lib.sh" "$HERE/images.txt"
  (cd "$root" && sha256sum bin/* cni/*)
  dpkg-query -W iptables busybox-static libc6 2>/dev/null || true
} | sha256sum | cut -d' ' -f1)"
all_there() {
  local ref
  while read -r ref; do [[ -s "$root/images/$(archive_name "$ref")" ]] || return 1; done < <(refs)
}
refs() { grep -v -e '^#' -e '^$' "$HERE/images.txt"; }
archive_name() { printf '%s.tar' "$(printf '%s' "$1" | tr '/:' '__')"; }
if [[ "$(cat "$root/.stamps/images" 2>/dev/null)" == "$key" ]] && all_there; then
  log "images: up to date ($(refs | wc -l) in $root/images)"
  exit 0
fi

work="$root/work/images"
rm -rf "$work"
mkdir -p "$work"

# with_libs ROOTFS FILE...: copy FILEs (and the shared libraries they load) into ROOTFS.
with_libs() {
  local rootfs="$1" f lib
  shift
  for f in "$@"; do
    mkdir -p "$rootfs$(dirname "$f")"
    cp -a "$f" "$rootfs$f"
    for lib in $(ldd "$f" 2>/dev/null | grep -o '/[^ ]*' | sort -u); do
      [[ -e "$rootfs$lib" ]] && continue
      mkdir -p "$rootfs$(dirname "$lib")"
      cp -L "$lib" "$rootfs$lib"
    done
  done
}

# iptables: Debian's xtables-nft-multi with its extensions (matches are loaded at run time) and
# the names kube-proxy and flanneld call, all in nft mode like the hosts (update-alternatives).
add_iptables() {
  local rootfs="$1" n
  command -v xtables-nft-multi >/dev/null || die "iptables (Debian package) is required for the images"
  with_libs "$rootfs" /usr/sbin/xtables-nft-multi "$ARCH_LIB"/xtables/*.so
  for n in iptables iptables-save iptables-restore ip6tables ip6tables-save ip6tables-restore; do
    ln -sf xtables-nft-multi "$rootfs/usr/sbin/$n"
  done
  mkdir -p "$rootfs/lib64" "$rootfs/run" "$rootfs/var/run"
}

# add_busybox ROOTFS APPLET...: Debian's static busybox as /bin/busybox and the named applets.
add_busybox() {
  local rootfs="$1" a
  shift
  [[ -x /bin/busybox ]] && file -L /bin/busybox | grep -q 'statically linked' ||
    die "a static /bin/busybox is required for the Flannel images (Debian: busybox-static)"
  install -D -m 0755 /bin/busybox "$rootfs/bin/busybox"
  for a in "$@"; do ln -sf busybox "$rootfs/bin/$a"; done
}

# rootfs_for REF DIR: fill DIR with the files of the image REF; prints its entrypoint.
rootfs_for() {
  local ref="$1" d="$2" name
  name="${ref%:*}"
  name="${name##*/}"
  mkdir -p "$d/etc" "$d/tmp"
  chmod 1777 "$d/tmp"
  case "$name" in
    pause) install -m 0755 "$root/bin/pause" "$d/pause" && echo /pause ;;
    kube-apiserver | kube-controller-manager | kube-scheduler | etcd | kube-proxy)
      install -D -m 0755 "$root/bin/$name" "$d/usr/local/bin/$name"
      [[ "$name" != kube-proxy ]] || add_iptables "$d"
      echo "/usr/local/bin/$name"
      ;;
    coredns) install -m 0755 "$root/bin/coredns" "$d/coredns" && echo /coredns ;;
    flannel)
      install -D -m 0755 "$root/bin/flanneld" "$d/opt/bin/flanneld"
      add_iptables "$d"
      add_busybox "$d" cp sh
      echo /opt/bin/flanneld
      ;;
    flannel-cni-plugin)
      install -m 0755 "$root/cni/flannel" "$d/flannel"
      add_busybox "$d" cp sh
      echo /bin/sh
      ;;
    *) die "images.txt names $ref, which images.sh does not know how to build" ;;
  esac
}

# A registry on loopback for crane (it reads and writes images by reference).
start_registry "$crane" "$work"

rm -f "$root/.stamps/images"
while read -r ref; do
  start=$SECONDS
  d="$work/rootfs-$(archive_name "$ref")"
  mkdir -p "$d"
  entry="$(rootfs_for "$ref" "$d")"
  assemble_image "$crane" "$d" "$entry" "$ref" "$root/images/$(archive_name "$ref")" "$work"
  out="$root/images/$(archive_name "$ref")"
  log "image $ref: $(du -h "$out" | cut -f1) ($((SECONDS - start)) s)"
  rm -rf "$d" "$d.layer.tar"
done < <(refs)
echo "$key" >"$root/.stamps/images"
rm -rf "$work"
