#!/usr/bin/env bash
# Regenerates sdks/libvirt, the @pulumi/libvirt SDK the program imports, from the schema of the
# libvirt plugin that toolchain installed (`npm run gen:libvirt-sdk`):
#   1. `pulumi package get-schema libvirt@<version>` -> sdks/libvirt/schema.json (the plugin's own);
#   2. `pulumi package gen-sdk --language nodejs --local` from that file -> sdks/libvirt;
#   3. npm builds it (the root postinstall compiles sdks/libvirt to bin/).
# tests/e2e/libvirt-sdk.e2e.ts fails when the committed SDK differs from what this produces.
# Usage: gen-libvirt-sdk.sh [OUT_DIR]   (default: sdks/libvirt of this repository)
set -euo pipefail
HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"
out="${1:-$REPO/sdks/libvirt}"

# shellcheck source=env.sh
source "$HERE/env.sh"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

pulumi package get-schema "libvirt@${LIBVIRT_PROVIDER_VERSION#v}" >"$work/schema.raw.json"
# Stable, reviewable formatting: sorted keys, two-space indent.
node -e '
  const fs = require("fs");
  const sort = (v) => Array.isArray(v) ? v.map(sort) : v && typeof v === "object"
    ? Object.fromEntries(Object.keys(v).sort().map((k) => [k, sort(v[k])])) : v;
  fs.writeFileSync(process.argv[2], JSON.stringify(sort(JSON.parse(fs.readFileSync(process.argv[1], "utf8"))), null, 2) + "\n");
' "$work/schema.raw.json" "$work/schema.json"

(cd "$work" && pulumi package gen-sdk "$work/schema.json" --language nodejs --local --out "$work/sdk" >&2)
rm -rf "$out"
mkdir -p "$out"
cp -R "$work/sdk/nodejs/." "$out/"
cp "$work/schema.json" "$out/schema.json"
echo "generated $out from the schema of libvirt ${LIBVIRT_PROVIDER_VERSION} ($(command -v pulumi))" >&2
