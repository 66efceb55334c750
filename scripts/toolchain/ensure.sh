#!/usr/bin/env bash
# Make a working offline Pulumi toolchain available and print, as the LAST line of stdout, the
# directory holding the binaries (pulumi, pulumi-language-nodejs, pulumi-resource-pulumi-nodejs).
# All progress goes to stderr. Versions are pinned in scripts/toolchain/versions.env.
#
#   bin_dir="$(bash scripts/toolchain/ensure.sh | tail -n 1)"   # or: source scripts/toolchain/env.sh
#
# The first run builds from the Go module proxy into a cache outside the repo (a few minutes on
# 2 cores); later runs only check the cached binaries and return in about a second.
#
# Environment:
#   LABFABRIC_CACHE            cache root (default $HOME/.cache/labfabric)
#   LABFABRIC_BUILD_TOOLCHAIN  1 = ignore a pulumi already on PATH; use/build the pinned one
#   PULUMI_HOME                plugin store (default $LABFABRIC_CACHE/pulumi-home)
#   LABFABRIC_COMMAND_PROVIDER_BIN
#                              a pulumi-resource-command binary (e.g. upstream's) to install as the
#                              command provider plugin instead of anything built here
#   GOPATH/GOMODCACHE/GOCACHE  honoured if set; otherwise kept under $LABFABRIC_CACHE
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

# The command provider version is the one the installed @pulumi/command SDK asks for.
cmd_pkg="$REPO/node_modules/@pulumi/command/package.json"
if [[ -f "$cmd_pkg" ]] && command -v node >/dev/null 2>&1; then
  v="$(node -e 'const p=require(process.argv[1]);process.stdout.write(String((p.pulumi&&p.pulumi.version)||""))' \
    "$cmd_pkg" 2>/dev/null || true)"
  if [[ -n "$v" ]]; then
    if [[ "v${v#v}" != "$COMMAND_PROVIDER_VERSION" ]]; then
      log "note: node_modules/@pulumi/command asks for provider v${v#v} (versions.env pins $COMMAND_PROVIDER_VERSION)"
      # The pinned module pseudo-version belongs to the pinned release only.
      COMMAND_PROVIDER_MODULE_VERSION=""
    fi
    COMMAND_PROVIDER_VERSION="v${v#v}"
  fi
fi
plugdir="$PULUMI_HOME/plugins/resource-command-${COMMAND_PROVIDER_VERSION}"
# Command provider builds are cached per engine version: upstream's, and our own (see below).
root="$CACHE/toolchain/pulumi-${PULUMI_VERSION}"
provider_bin="$root/providers/command-${COMMAND_PROVIDER_VERSION}/pulumi-resource-command"
own_bin="$root/providers/command-${COMMAND_PROVIDER_VERSION}/labfabric/pulumi-resource-command"

# Our own command provider (scripts/toolchain/command-provider), used when upstream's plugin cannot
# be obtained. A hash of its source (and of the version it reports) is stamped beside the build and,
# after installing it, in the plugin directory: `pulumi plugin install --reinstall` (and any upstream
# install) empties that directory, so the stamp there also tells our build apart from upstream's.
own_src="$HERE/command-provider"
own_hash="$(cd "$own_src" && {
  cat go.mod go.sum
  for f in *.go; do [[ "$f" == *_test.go ]] || cat "$f"; done
  echo "$COMMAND_PROVIDER_VERSION"
} | sha256sum | cut -c1-16)"
own_stamp="$plugdir/.labfabric-command-provider.sha"

# go_env: the Go environment for builds; they are reused across runs and nothing is written to the repo.
go_env() {
  command -v go >/dev/null 2>&1 || die "go is required to build the toolchain"
  export GOPATH="${GOPATH:-$CACHE/go}"
  export GOMODCACHE="${GOMODCACHE:-$GOPATH/pkg/mod}"
  export GOCACHE="${GOCACHE:-$CACHE/go-build}"
  export GOTOOLCHAIN=local
  case " ${GOFLAGS:-} " in *" -mod=mod "*) ;; *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -buildvcs=false" ;; esac
  export CGO_ENABLED="${CGO_ENABLED:-0}"
  # pkg/v3 at the pinned version is missing from the checksum database reachable here (lookups 404),
  # so the checksum DB is skipped for it and the download is checked against PULUMI_PKG_SUM instead.
  case ",${GONOSUMDB:-}," in *",github.com/pulumi/pulumi/pkg/v3,"*) ;;
  *) export GONOSUMDB="${GONOSUMDB:+$GONOSUMDB,}github.com/pulumi/pulumi/pkg/v3" ;; esac
}

# writable_copy SRC DST: a writable copy of a (read-only) module download or source directory.
writable_copy() {
  rm -rf "$2"
  cp -R "$1" "$2"
  chmod -R u+w "$2"
}

# build_upstream_provider: build upstream's provider from the module proxy into $provider_bin.
# Upstream never tags provider/, so the module is only reachable by the pseudo-version of the
# release tag's commit (COMMAND_PROVIDER_MODULE_VERSION). The proxy reachable from our machines
# refuses it (403) today, and then this returns 1 with a note; it works wherever the proxy (or
# GOPROXY=direct) serves the module.
build_upstream_provider() {
  local cmd_mod json prov_dir src err
  cmd_mod="github.com/pulumi/pulumi-command/provider@${COMMAND_PROVIDER_MODULE_VERSION:-$COMMAND_PROVIDER_VERSION}"
  go_env
  log "command provider: go mod download $cmd_mod"
  if ! json="$(go mod download -json "$cmd_mod" 2>&1)"; then
    err="$(printf '%s' "$json" | sed -n 's/.*"Error": "\(.*\)".*/\1/p' | head -n 1)"
    err="${err//\\n\\t/ }"
    log "command provider: upstream's is not obtainable (the module proxy does not serve $cmd_mod:" \
      "${err:-$json})"
    return 1
  fi
  prov_dir="$(printf '%s' "$json" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  src="$root/work/provider"
  mkdir -p "$root/work" "$(dirname "$provider_bin")"
  writable_copy "$prov_dir" "$src"
  log "command provider: go build ./cmd/pulumi-resource-command (upstream)"
  (cd "$src" && go build -trimpath -o "$provider_bin.tmp" \
    -ldflags "-s -w -X github.com/pulumi/pulumi-command/provider/pkg/version.Version=$COMMAND_PROVIDER_VERSION" \
    ./cmd/pulumi-resource-command) || die "building pulumi-resource-command failed"
  mv -f "$provider_bin.tmp" "$provider_bin"
  rm -rf "$src"
}

# build_own_provider: build our provider into $own_bin unless the build there is of this source.
build_own_provider() {
  local src
  if [[ -x "$own_bin" && "$(cat "$own_bin.sha" 2>/dev/null)" == "$own_hash" ]]; then
    return 0
  fi
  go_env
  log "command provider: go build scripts/toolchain/command-provider (labfabric's own, reports ${COMMAND_PROVIDER_VERSION})"
  src="$root/work/command-provider"
  mkdir -p "$root/work" "$(dirname "$own_bin")"
  writable_copy "$own_src" "$src"
  (cd "$src" && go build -trimpath -o "$own_bin.tmp" \
    -ldflags "-s -w -X main.version=${COMMAND_PROVIDER_VERSION#v}" .) ||
    die "building labfabric's command provider (scripts/toolchain/command-provider) failed"
  mv -f "$own_bin.tmp" "$own_bin"
  rm -rf "$src"
  echo "$own_hash" >"$own_bin.sha"
}

# plugin_install PULUMI_BIN FILE: install FILE as the command plugin into PULUMI_HOME (replacing
# whatever is there; --reinstall empties the plugin directory first).
plugin_install() {
  log "installing command provider ${COMMAND_PROVIDER_VERSION} ($2) into PULUMI_HOME=$PULUMI_HOME"
  "$1" plugin install --reinstall resource command "${COMMAND_PROVIDER_VERSION#v}" --file "$2" >&2 ||
    die "pulumi plugin install resource command failed"
}

# install_command_plugin PULUMI_BIN: make pulumi-resource-command known to the engine offline by
# installing it into PULUMI_HOME (not on PATH: the engine warns on every run about "ambient" plugins).
# Preference: LABFABRIC_COMMAND_PROVIDER_BIN, upstream's (built here earlier, on PATH, or already
# installed), upstream's built from the module proxy, and only then our own (command-provider/).
install_command_plugin() {
  local pulumi_bin="$1" provider=""
  if [[ -n "${LABFABRIC_COMMAND_PROVIDER_BIN:-}" ]]; then
    [[ -x "$LABFABRIC_COMMAND_PROVIDER_BIN" ]] ||
      die "LABFABRIC_COMMAND_PROVIDER_BIN=$LABFABRIC_COMMAND_PROVIDER_BIN is not an executable"
    provider="$LABFABRIC_COMMAND_PROVIDER_BIN"
  elif [[ -x "$provider_bin" ]]; then
    provider="$provider_bin"
  elif command -v pulumi-resource-command >/dev/null 2>&1; then
    log "command provider: pulumi-resource-command is on PATH ($(command -v pulumi-resource-command))"
    return 0
  fi
  if [[ -n "$provider" ]]; then
    if [[ -x "$plugdir/pulumi-resource-command" ]] && cmp -s "$provider" "$plugdir/pulumi-resource-command"; then
      log "command provider ${COMMAND_PROVIDER_VERSION}: installed in $plugdir ($provider)"
    else
      plugin_install "$pulumi_bin" "$provider"
    fi
    return 0
  fi

  if [[ -x "$plugdir/pulumi-resource-command" ]]; then
    if [[ ! -f "$own_stamp" ]]; then
      log "command provider ${COMMAND_PROVIDER_VERSION}: installed in $plugdir (not labfabric's build)"
      return 0
    elif [[ "$(cat "$own_stamp")" == "$own_hash" ]]; then
      log "command provider ${COMMAND_PROVIDER_VERSION}: labfabric's own, installed in $plugdir"
      return 0
    fi
    log "command provider: labfabric's own provider changed; rebuilding it"
  elif build_upstream_provider; then
    plugin_install "$pulumi_bin" "$provider_bin"
    return 0
  fi

  # Upstream's plugin is not obtainable: build and install our own.
  if [[ "$COMMAND_PROVIDER_VERSION" != "$OWN_COMMAND_PROVIDER_VERSION" ]]; then
    log "WARNING: no pulumi-resource-command ${COMMAND_PROVIDER_VERSION} could be obtained, and labfabric's" \
      "own provider is written for ${OWN_COMMAND_PROVIDER_VERSION} only, so programs using @pulumi/command" \
      "will fail; set LABFABRIC_COMMAND_PROVIDER_BIN to a binary"
    return 0
  fi
  build_own_provider
  plugin_install "$pulumi_bin" "$own_bin"
  echo "$own_hash" >"$own_stamp"
  log "command provider ${COMMAND_PROVIDER_VERSION}: labfabric's own, installed in $plugdir"
}

# --- 1. a pulumi already on PATH ---------------------------------------------------------------------
if [[ "${LABFABRIC_BUILD_TOOLCHAIN:-}" != 1 ]] && command -v pulumi >/dev/null 2>&1; then
  bindir="$(cd "$(dirname "$(command -v pulumi)")" && pwd)"
  log "using pulumi on PATH: $bindir/pulumi ($("$bindir/pulumi" version 2>/dev/null || echo 'version unknown'))"
  install_command_plugin "$bindir/pulumi"
  echo "$bindir"
  exit 0
fi

# --- 2. the pinned toolchain in the cache --------------------------------------------------------------
# Our Node.js language host is built from scripts/toolchain/nodejs-host; a hash of that source is
# stamped beside the binary so that editing it rebuilds just that binary.
host_src="$HERE/nodejs-host"
host_hash="$(cat "$host_src/go.mod" "$host_src/go.sum" "$host_src"/*.go | sha256sum | cut -c1-16)"
bindir="$root/bin"

host_ok() {
  [[ -x "$bindir/pulumi-language-nodejs" && "$(cat "$bindir/.nodejs-host.sha" 2>/dev/null)" == "$host_hash" ]]
}
pulumi_ok() {
  [[ -x "$bindir/pulumi" && "$("$bindir/pulumi" version 2>/dev/null || true)" == "$PULUMI_VERSION" ]]
}
toolchain_ok() { pulumi_ok && host_ok && [[ -x "$bindir/pulumi-resource-pulumi-nodejs" ]]; }

if toolchain_ok; then
  log "cached toolchain OK: $bindir (pulumi $PULUMI_VERSION)"
  install_command_plugin "$bindir/pulumi"
  echo "$bindir"
  exit 0
fi

go_env
mkdir -p "$bindir" "$root/work"
log "building the toolchain into $bindir ($(nproc) cores; GOMODCACHE=$GOMODCACHE GOCACHE=$GOCACHE)"

# mod_download MODULE@VERSION [PINNED_SUM]: download a module and print its directory.
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

# 2a. the CLI -------------------------------------------------------------------------------------------
if pulumi_ok; then
  log "[1/2] pulumi CLI $PULUMI_VERSION: already built"
else
  log "[1/2] pulumi CLI: downloading github.com/pulumi/pulumi/{pkg,sdk}/v3@$PULUMI_VERSION"
  pkg_dir="$(mod_download "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "$PULUMI_PKG_SUM")"
  sdk_dir="$(mod_download "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" "$PULUMI_SDK_SUM")"
  # pkg's go.mod says `replace github.com/pulumi/pulumi/sdk/v3 => ../sdk`, which is why
  # `go install ...@version` fails. Build in a writable copy of pkg with that replace pointed at the
  # sdk download: pkg's own go.sum then pins every other dependency and its other replaces apply.
  src="$root/work/pkg"
  writable_copy "$pkg_dir" "$src"
  (cd "$src" && go mod edit -replace "github.com/pulumi/pulumi/sdk/v3=$sdk_dir")
  log "[1/2] pulumi CLI: go build ./cmd/pulumi (the first build takes several minutes)"
  (cd "$src" && go build -trimpath -o "$bindir/pulumi.tmp" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$PULUMI_VERSION" \
    ./cmd/pulumi) || die "building the pulumi CLI failed"
  mv -f "$bindir/pulumi.tmp" "$bindir/pulumi"
  rm -rf "$src"
  log "[1/2] pulumi CLI: built, version $("$bindir/pulumi" version)"
fi
# The CLI distribution also ships the Node.js dynamic-provider plugin, a shell script that runs
# @pulumi/pulumi/cmd/dynamic-provider; pulumi.dynamic.Resource needs it beside pulumi.
if [[ ! -x "$bindir/pulumi-resource-pulumi-nodejs" ]]; then
  sdk_dir="$(mod_download "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" "$PULUMI_SDK_SUM")"
  install -m 0755 "$sdk_dir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$bindir/pulumi-resource-pulumi-nodejs"
  log "[1/2] installed pulumi-resource-pulumi-nodejs (dynamic providers)"
fi

# 2b. the Node.js language host -------------------------------------------------------------------------
# Upstream's host is its own untagged module (github.com/pulumi/pulumi/sdk/nodejs/cmd/
# pulumi-language-nodejs/v3), which the module proxy reachable here does not serve (every version,
# pseudo-versions included, answers 403), and it is not inside the sdk/v3 module download. So we
# build our own small host against sdk/v3 at the pinned version; like upstream's, it hands the
# program to @pulumi/pulumi's own cmd/run.
if host_ok; then
  log "[2/2] pulumi-language-nodejs: already built"
else
  log "[2/2] pulumi-language-nodejs: go build (scripts/toolchain/nodejs-host)"
  src="$root/work/nodejs-host"
  writable_copy "$host_src" "$src"
  (cd "$src" && go build -trimpath -o "$bindir/pulumi-language-nodejs.tmp" \
    -ldflags "-s -w -X main.version=$PULUMI_VERSION" .) || die "building pulumi-language-nodejs failed"
  mv -f "$bindir/pulumi-language-nodejs.tmp" "$bindir/pulumi-language-nodejs"
  rm -rf "$src"
  echo "$host_hash" >"$bindir/.nodejs-host.sha"
  log "[2/2] pulumi-language-nodejs: built"
fi

toolchain_ok || die "the toolchain in $bindir failed its self-check"
install_command_plugin "$bindir/pulumi"
log "toolchain ready: $bindir"
echo "$bindir"
