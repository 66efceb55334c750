#!/usr/bin/env bash
# Make a working offline Pulumi toolchain available and print (as the LAST line of stdout) the
# directory holding the binaries: pulumi, pulumi-language-nodejs and (when it can be had)
# pulumi-resource-command. All progress goes to stderr.
#
#   bin_dir=$(bash scripts/toolchain/ensure.sh)      # or: source scripts/toolchain/env.sh
#
# Environment:
#   LABFABRIC_CACHE            cache root (default $HOME/.cache/labfabric); builds go OUTSIDE the repo
#   LABFABRIC_BUILD_TOOLCHAIN  1 = ignore a pulumi already on PATH and use/build the pinned one
#   PULUMI_HOME                plugin store (default $LABFABRIC_CACHE/pulumi-home)
#   LABFABRIC_COMMAND_PROVIDER_BIN  path to a pulumi-resource-command binary to use instead of
#                              building one (e.g. when its source is not on the module proxy)
#   GOPATH/GOMODCACHE/GOCACHE  honoured if set; otherwise kept under $LABFABRIC_CACHE/go
# Versions are pinned in scripts/toolchain/versions.env.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
# shellcheck source=versions.env
source "$HERE/versions.env"

T0=$SECONDS
log() { printf '[toolchain %4ss] %s\n' "$((SECONDS - T0))" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

CACHE="${LABFABRIC_CACHE:-$HOME/.cache/labfabric}"
export PULUMI_HOME="${PULUMI_HOME:-$CACHE/pulumi-home}"
export PULUMI_SKIP_UPDATE_CHECK=true
mkdir -p "$PULUMI_HOME"

# --- the command provider version: what the installed @pulumi/command SDK asks for ------------
cmd_ver="$COMMAND_PROVIDER_VERSION"
cmd_pkg="$REPO/node_modules/@pulumi/command/package.json"
if [[ -f "$cmd_pkg" ]] && command -v node >/dev/null 2>&1; then
  v="$(node -e 'const p=require(process.argv[1]);process.stdout.write(String((p.pulumi&&p.pulumi.version)||""))' "$cmd_pkg" 2>/dev/null || true)"
  if [[ -n "$v" ]]; then cmd_ver="v${v#v}"; fi
fi
COMMAND_PROVIDER_VERSION="$cmd_ver"

# --- helpers -----------------------------------------------------------------------------------
# install_command_plugin BIN_DIR: make pulumi-resource-command known to the engine offline.
install_command_plugin() {
  local bindir="$1" pulumi_bin="$1/pulumi" provider=""
  if [[ -n "${LABFABRIC_COMMAND_PROVIDER_BIN:-}" ]]; then
    provider="$LABFABRIC_COMMAND_PROVIDER_BIN"
  elif [[ -x "$bindir/pulumi-resource-command" ]]; then
    provider="$bindir/pulumi-resource-command"
  elif command -v pulumi-resource-command >/dev/null 2>&1; then
    provider="$(command -v pulumi-resource-command)"
  fi
  local plugdir="$PULUMI_HOME/plugins/resource-command-${COMMAND_PROVIDER_VERSION}"
  if [[ -z "$provider" ]]; then
    if [[ -x "$plugdir/pulumi-resource-command" ]]; then
      log "command provider ${COMMAND_PROVIDER_VERSION}: already installed in $plugdir"
      return 0
    fi
    log "WARNING: no pulumi-resource-command ${COMMAND_PROVIDER_VERSION} binary could be obtained;" \
      "programs using @pulumi/command will fail (set LABFABRIC_COMMAND_PROVIDER_BIN to a binary)"
    return 0
  fi
  if [[ -x "$plugdir/pulumi-resource-command" ]] && cmp -s "$provider" "$plugdir/pulumi-resource-command"; then
    log "command provider ${COMMAND_PROVIDER_VERSION}: already installed in $plugdir"
    return 0
  fi
  log "installing command provider ${COMMAND_PROVIDER_VERSION} into PULUMI_HOME=$PULUMI_HOME"
  "$pulumi_bin" plugin install resource command "${COMMAND_PROVIDER_VERSION#v}" --file "$provider" >&2 ||
    die "pulumi plugin install resource command failed"
}

# --- 1. an existing pulumi on PATH ---------------------------------------------------------------
if [[ "${LABFABRIC_BUILD_TOOLCHAIN:-}" != 1 ]] && command -v pulumi >/dev/null 2>&1; then
  bindir="$(cd "$(dirname "$(command -v pulumi)")" && pwd)"
  log "using pulumi on PATH: $bindir/pulumi ($("$bindir/pulumi" version 2>/dev/null || echo '?'))"
  if [[ ! -x "$bindir/pulumi-language-nodejs" ]] && ! command -v pulumi-language-nodejs >/dev/null 2>&1; then
    log "note: no pulumi-language-nodejs beside it or on PATH; the engine will look in PULUMI_HOME"
  fi
  install_command_plugin "$bindir"
  echo "$bindir"
  exit 0
fi

# --- 2. the pinned toolchain in the cache ----------------------------------------------------------
command -v go >/dev/null 2>&1 || die "go is required to build the toolchain"

# Our own Node.js language host: a hash of its source is stamped beside the binary, so editing it
# triggers a rebuild of just that binary.
host_src="$HERE/nodejs-host"
host_hash="$(cat "$host_src/go.mod" "$host_src/go.sum" "$host_src"/*.go | sha256sum | cut -c1-16)"
key="pulumi-${PULUMI_VERSION}_command-${COMMAND_PROVIDER_VERSION}"
root="$CACHE/toolchain/$key"
bindir="$root/bin"

host_ok() {
  [[ -x "$bindir/pulumi-language-nodejs" && "$(cat "$bindir/.nodejs-host.sha" 2>/dev/null)" == "$host_hash" ]]
}
cli_ok() {
  [[ -x "$bindir/pulumi" ]] && host_ok || return 1
  local v
  v="$("$bindir/pulumi" version 2>/dev/null)" || return 1
  [[ "$v" == "$PULUMI_VERSION" ]]
}

if cli_ok; then
  log "cached toolchain OK: $bindir (pulumi $PULUMI_VERSION)"
  install_command_plugin "$bindir"
  echo "$bindir"
  exit 0
fi

# Go environment: reuse builds across runs, never touch the repo.
export GOPATH="${GOPATH:-$CACHE/go}"
export GOMODCACHE="${GOMODCACHE:-$GOPATH/pkg/mod}"
export GOCACHE="${GOCACHE:-$CACHE/go-build}"
export GOTOOLCHAIN=local
export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -buildvcs=false"
export CGO_ENABLED="${CGO_ENABLED:-0}"
# pkg/v3 at the pinned version is not in the checksum DB reachable here; it is verified below
# against PULUMI_PKG_SUM instead.
export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi/pulumi/pkg/v3"
mkdir -p "$bindir" "$root/work"
log "building toolchain into $bindir (GOMODCACHE=$GOMODCACHE, GOCACHE=$GOCACHE, $(nproc) cores)"

# mod_download MODULE@VERSION EXPECTED_SUM -> prints the module's Dir
mod_download() {
  local json dir sum err
  json="$(go mod download -json "$1")" || {
    err="$(printf '%s' "$json" | sed -n 's/.*"Error": "\(.*\)".*/\1/p')"
    die "go mod download $1 failed: ${err:-$json}"
  }
  dir="$(printf '%s' "$json" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  sum="$(printf '%s' "$json" | sed -n 's/^\t"Sum": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || die "go mod download $1: no Dir in: $json"
  if [[ -n "${2:-}" && "$sum" != "$2" ]]; then
    die "checksum mismatch for $1: got $sum, pinned $2"
  fi
  printf '%s\n' "$dir"
}

# 2a. the CLI -------------------------------------------------------------------------------------
if [[ -x "$bindir/pulumi" && "$("$bindir/pulumi" version 2>/dev/null || true)" == "$PULUMI_VERSION" ]]; then
  log "[1/3] pulumi CLI $PULUMI_VERSION already built"
else
  log "[1/3] downloading github.com/pulumi/pulumi/{pkg,sdk}/v3@$PULUMI_VERSION"
  pkg_dir="$(mod_download "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "$PULUMI_PKG_SUM")"
  sdk_dir="$(mod_download "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" "$PULUMI_SDK_SUM")"
  # pkg's go.mod has `replace github.com/pulumi/pulumi/sdk/v3 => ../sdk` (so `go install @version`
  # fails); build in a writable copy of pkg with that replace pointed at the sdk download. pkg's own
  # go.sum then pins every other dependency, and its other (non-local) replaces keep working.
  src="$root/work/pkg"
  rm -rf "$src"
  cp -R "$pkg_dir" "$src"
  chmod -R u+w "$src"
  (cd "$src" && go mod edit -replace "github.com/pulumi/pulumi/sdk/v3=$sdk_dir")
  log "[1/3] go build ./cmd/pulumi (first time: ~10+ min on 2 cores)"
  (cd "$src" && go build -trimpath -o "$bindir/pulumi.tmp" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    ./cmd/pulumi) || die "building the pulumi CLI failed"
  mv -f "$bindir/pulumi.tmp" "$bindir/pulumi"
  rm -rf "$src"
  log "[1/3] built $bindir/pulumi: $("$bindir/pulumi" version)"
fi

# 2b. the Node.js language host ---------------------------------------------------------------------
# Upstream's host (module github.com/pulumi/pulumi/sdk/nodejs/cmd/pulumi-language-nodejs/v3) is its
# own, untagged module that the module proxy reachable here does not serve, and it is not part of the
# sdk/v3 module download. So we build a small host of our own (scripts/toolchain/nodejs-host) against
# sdk/v3 at the pinned version; it runs @pulumi/pulumi's own cmd/run exactly as upstream's does.
if host_ok; then
  log "[2/3] pulumi-language-nodejs already built"
else
log "[2/3] building pulumi-language-nodejs from $host_src"
rm -rf "$root/work/nodejs-host"
cp -R "$host_src" "$root/work/nodejs-host"
chmod -R u+w "$root/work/nodejs-host"
(cd "$root/work/nodejs-host" && go build -trimpath -o "$bindir/pulumi-language-nodejs.tmp" \
  -ldflags "-s -w -X main.version=$PULUMI_VERSION" .) || die "building pulumi-language-nodejs failed"
mv -f "$bindir/pulumi-language-nodejs.tmp" "$bindir/pulumi-language-nodejs"
rm -rf "$root/work/nodejs-host"
echo "$host_hash" >"$bindir/.nodejs-host.sha"
log "[2/3] built $bindir/pulumi-language-nodejs"
fi

# 2c. the command provider ---------------------------------------------------------------------------
if [[ -n "${LABFABRIC_COMMAND_PROVIDER_BIN:-}" ]]; then
  log "[3/3] command provider: using LABFABRIC_COMMAND_PROVIDER_BIN=$LABFABRIC_COMMAND_PROVIDER_BIN"
elif [[ -x "$bindir/pulumi-resource-command" ]]; then
  log "[3/3] command provider already built"
else
  log "[3/3] looking for github.com/pulumi/pulumi-command/provider@${COMMAND_PROVIDER_MODULE_VERSION:-$COMMAND_PROVIDER_VERSION}"
  if json="$(go mod download -json "github.com/pulumi/pulumi-command/provider@${COMMAND_PROVIDER_MODULE_VERSION:-$COMMAND_PROVIDER_VERSION}" 2>&1)"; then
    prov_dir="$(printf '%s' "$json" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
    src="$root/work/provider"
    rm -rf "$src"
    cp -R "$prov_dir" "$src"
    chmod -R u+w "$src"
    log "[3/3] go build ./cmd/pulumi-resource-command"
    (cd "$src" && go build -trimpath -o "$bindir/pulumi-resource-command.tmp" \
      -ldflags "-s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$COMMAND_PROVIDER_VERSION" \
      ./cmd/pulumi-resource-command) || die "building pulumi-resource-command failed"
    mv -f "$bindir/pulumi-resource-command.tmp" "$bindir/pulumi-resource-command"
    rm -rf "$src"
  else
    err="$(printf '%s' "$json" | sed -n 's/.*"Error": "\(.*\)".*/\1/p' | head -1)"
    log "[3/3] WARNING: the command provider source is not available from the Go module proxy" \
      "(${err:-$json}); pulumi-resource-command NOT built"
  fi
fi

cli_ok || die "toolchain in $bindir failed its self-check"
install_command_plugin "$bindir"
log "toolchain ready in ${SECONDS}s: $bindir"
echo "$bindir"
