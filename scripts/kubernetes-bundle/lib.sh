# shellcheck shell=bash
# Shared by images.sh and probe-image.sh (sourced; needs toolchain/lib.sh's `die`): a throw-away
# registry on loopback for crane, and one image assembled from a root filesystem through it.

# start_registry CRANE WORKDIR: `crane registry serve` on a random loopback port, stopped when
# the script exits; sets REGISTRY to its host:port once it answers.
start_registry() {
  local crane="$1" work="$2" port
  port=$((20000 + RANDOM % 20000))
  "$crane" registry serve --address "127.0.0.1:$port" >"$work/registry.log" 2>&1 &
  REGISTRY_PID=$!
  trap 'kill "$REGISTRY_PID" 2>/dev/null || true' EXIT
  for _ in $(seq 50); do
    curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null 2>&1 && break
    sleep 0.2
  done
  curl -fsS "http://127.0.0.1:$port/v2/" >/dev/null ||
    die "crane registry did not start: $(cat "$work/registry.log")"
  REGISTRY="127.0.0.1:$port"
}

# assemble_image CRANE ROOTFS ENTRYPOINT REF OUT WORKDIR: ROOTFS as one reproducible layer
# (sorted, owner 0, mtime 0), `crane append --oci-empty-base` into the registry, then `crane
# mutate` (entrypoint, PATH, linux/amd64, the exact reference REF) into the docker archive OUT.
assemble_image() {
  local crane="$1" rootfs="$2" entry="$3" ref="$4" out="$5" work="$6" tmp
  tar --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -C "$rootfs" -cf "$rootfs.layer.tar" .
  tmp="$REGISTRY/labfabric/${ref#*/}"
  "$crane" append --insecure --oci-empty-base -f "$rootfs.layer.tar" -t "$tmp" >"$work/append.log" 2>&1 ||
    die "crane append for $ref failed: $(tail -n 3 "$work/append.log")"
  "$crane" mutate --insecure "$tmp" --entrypoint "$entry" \
    -e "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" --set-platform linux/amd64 \
    -t "$ref" -o "$out.tmp" >"$work/mutate.log" 2>&1 ||
    die "crane mutate for $ref failed: $(tail -n 3 "$work/mutate.log")"
  mv -f "$out.tmp" "$out"
}
