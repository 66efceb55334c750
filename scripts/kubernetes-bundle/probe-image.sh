#!/usr/bin/env bash
# The probe image of labfabric's own CNI proof (components/cni/proof-script.ts), for offline labs:
# the proof needs iputils `ping` (-M do sets DF; BusyBox's ping has no -M), `nslookup` and
# `sleep`. Debian's /usr/bin/ping with its libraries, and the static busybox for sh, sleep and
# nslookup, in one layer; made like images.sh makes the Kubernetes images (lib.sh: crane, a
# throw-away registry on loopback) into BUNDLE_DIR/probe/<reference>.tar. Called by build.sh:
#
#   probe-image.sh BUNDLE_DIR
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

root="${1:?usage: probe-image.sh BUNDLE_DIR}"
crane="$root/bin/crane"
[[ -x "$crane" ]] || die "$crane missing: run build.sh binaries first"
ref="$PROBE_IMAGE"
out="$root/probe/$(printf '%s' "$ref" | tr '/:' '__').tar"
key="$({
  cat "$0" "$HERE/lib.sh"
  echo "$ref"
  dpkg-query -W iputils-ping busybox-static libc6 libcap2 libidn2-0 2>/dev/null || true
} | sha256sum | cut -d' ' -f1)"
if [[ "$(cat "$root/.stamps/probe-image" 2>/dev/null)" == "$key" && -s "$out" ]]; then
  log "probe image: up to date ($ref)"
  exit 0
fi
[[ -x /usr/bin/ping ]] || die "iputils ping is required for the probe image (Debian: iputils-ping)"
[[ -x /bin/busybox ]] && file -L /bin/busybox | grep -q 'statically linked' ||
  die "a static /bin/busybox is required for the probe image (Debian: busybox-static)"

work="$root/work/probe-image"
rm -rf "$work"
mkdir -p "$work/rootfs/etc" "$work/rootfs/tmp" "$work/rootfs/bin" "$root/probe"
d="$work/rootfs"
chmod 1777 "$d/tmp"
for f in /usr/bin/ping $(ldd /usr/bin/ping | grep -o '/[^ ]*' | sort -u); do
  mkdir -p "$d$(dirname "$f")"
  cp -L "$f" "$d$f"
done
install -m 0755 /bin/busybox "$d/bin/busybox"
for a in sh sleep nslookup cat; do ln -sf busybox "$d/bin/$a"; done

start_registry "$crane" "$work"
assemble_image "$crane" "$d" /bin/sh "$ref" "$out" "$work"
echo "$key" >"$root/.stamps/probe-image"
log "probe image $ref: $(du -h "$out" | cut -f1)"
rm -rf "$work"
