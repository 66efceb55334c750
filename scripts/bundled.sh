#!/usr/bin/env bash
# bash scripts/bundled.sh <entry.ts> [args...]
# Runs a TypeScript entry point as one bundled CommonJS file instead of through tsx.
# Why: tsx resolves and transforms every project module on its own (a request to its loader
# thread, a cache lookup, a source map per file); at 64 hosts x 1000 VMs that was about 1 s of
# a render's 11 s of CPU (BENCHMARKS.md, section 4). esbuild bundles the project's own modules
# in about 0.1 s; packages stay external and load from node_modules as usual. The bundle is
# written under a temporary name and renamed, so concurrent runs never read a half-written one.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
entry=$1
shift
cache="$repo/node_modules/.cache/labfabric-bundles"
mkdir -p "$cache"
out="$cache/$(basename "${entry%.ts}").cjs"
"$repo/node_modules/.bin/esbuild" "$entry" --bundle --platform=node --format=cjs \
  --packages=external --sourcemap=inline --log-level=warning --outfile="$out.$$"
mv -f "$out.$$" "$out"
# Source maps: a stack trace names the .ts line. The mock evaluation turns them off while it
# runs (scripts/resources.ts), where the SDK captures a stack per resource.
exec node --enable-source-maps "$out" "$@"
