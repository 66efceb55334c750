#!/usr/bin/env bash
# The probe image of labfabric's own CNI proof (components/cni/proof-script.ts), for offline labs:
# the proof needs iputils `ping` (-M do sets DF; BusyBox's ping has no -M), `nslookup` and
# `sleep`. Debian's /usr/bin/ping with its libraries, and the static busybox for sh, sleep and
# nslookup, in one layer; made like images.sh makes the Kubernetes images (crane, a throw-away
# registry on loopback) into BUNDLE_DIR/probe/<reference>.tar. Called by build.sh:
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

root="${1:?usage: probe-image.sh BUNDLE_DIR}"
crane="$root/bin/crane"
[[ -x "$crane" ]] || die "$crane missing: run build.sh binaries first"
ref="$PROBE_IMAGE"
out="$root/probe/$(printf '%s' "$ref" | tr '/:' '__').tar"
key="$({
  cat "$0"
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
tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$d" -cf "$work/layer.tar" .

port=$((20000 + RANDOM % 20000))
"$crane" registry serve --address "127.0.0.1:$port" >"$work/registry.log" 2>&1 &
reg_pid=$!
trap 'kill "$reg_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
  sleep 0.2
done
tmp="127.0.0.1:$port/labfabric/proof"
"$crane" append --insecure --oci-empty-base -f "$work/layer.tar" -t "$tmp" >"$work/append.log" 2>&1 ||
  die "crane append failed: $(tail -n 3 "$work/append.log")"
"$crane" mutate --insecure "$tmp" --entrypoint /bin/sh \
  -e "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" --set-platform linux/amd64 \
  -t "$ref" -o "$out.tmp" >"$work/mutate.log" 2>&1 || die "crane mutate failed: $(tail -n 3 "$work/mutate.log")"
mv -f "$out.tmp" "$out"
echo "$key" >"$root/.stamps/probe-image"
log "probe image $ref: $(du -h "$out" | cut -f1)"
rm -rf "$work"
