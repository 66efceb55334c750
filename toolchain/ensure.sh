#!/usr/bin/env bash
# Make the Pulumi toolchain available, with nothing but upstream parts, and print as the LAST
# line of stdout the directory holding `pulumi` and `pulumi-language-nodejs`. Progress (step and
# elapsed time) goes to stderr. Versions are pinned in toolchain/versions.env.
#
#   bin_dir="$(bash toolchain/ensure.sh | tail -n 1)"   # or: source toolchain/env.sh
#
# 1. The engine: a `pulumi` on PATH (an ordinary install, with its language hosts), else the
#    pinned CLI built from the Go module proxy and upstream's Node.js language host built from its
#    source tarball (the proxy refuses that module), both cached.
# 2. The resource plugins the program's SDKs ask for (command, libvirt, openstack, kubernetes),
#    installed into PULUMI_HOME: kept when already there, else `pulumi plugin install` (the usual
#    way, needs internet), else built from upstream's source (tarballs with checksums verified;
#    kubernetes from the Go module proxy, hashes pinned) and installed with `pulumi plugin install
#    --file`.
# A cold build takes about 25 minutes on 2 cores, plus the kubernetes provider (17 min of CPU; 35
# min at idle priority on a loaded machine); a warm run returns in seconds.
#
# Environment:
#   LABFABRIC_CACHE            cache root (default $HOME/.cache/labfabric)
#   LABFABRIC_BUILD_TOOLCHAIN  1 = ignore a pulumi already on PATH; use/build the pinned one
#   LABFABRIC_UPSTREAM_DIR     folder with the upstream source tarballs (default ../shared/upstream)
#   LABFABRIC_OFFLINE          1 = do not try to download plugins first
#   LABFABRIC_PLUGINS          the plugins to provide (default "command libvirt openstack kubernetes")
#   PULUMI_HOME                plugin store (default $LABFABRIC_CACHE/pulumi-home)
#   GOPATH/GOMODCACHE/GOCACHE  honoured if set; otherwise kept under $LABFABRIC_CACHE
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/.." && pwd)"
T0=$SECONDS
# shellcheck source=versions.env
source "$HERE/versions.env"
# shellcheck source=lib.sh
source "$HERE/lib.sh"

CACHE="${LABFABRIC_CACHE:-$HOME/.cache/labfabric}"
export PULUMI_HOME="${PULUMI_HOME:-$CACHE/pulumi-home}"
export PULUMI_SKIP_UPDATE_CHECK=true
mkdir -p "$PULUMI_HOME"
root="$CACHE/toolchain/pulumi-${PULUMI_VERSION}"
# Bump to rebuild every plugin built from source (e.g. after changing a build recipe below).
RECIPE=1

# --- the SDKs and the plugins must agree ------------------------------------------------------------
# Each SDK's package.json names the plugin version it registers resources with.
sdk_plugin_version() {
  node -e 'const p=require(process.argv[1]);process.stdout.write(String((p.pulumi&&p.pulumi.version)||""))' \
    "$1" 2>/dev/null || true
}
check_sdk() {
  local file="$REPO/$2/package.json" v
  [[ -f "$file" ]] && command -v node >/dev/null 2>&1 || return 0
  v="$(sdk_plugin_version "$file")"
  [[ -z "$v" || "v${v#v}" == "$3" ]] ||
    die "$2 asks for the $1 plugin v${v#v}, versions.env pins $3: change one to match the other"
}
check_sdk command node_modules/@pulumi/command "$COMMAND_PROVIDER_VERSION"
check_sdk openstack node_modules/@pulumi/openstack "$OPENSTACK_PROVIDER_VERSION"
check_sdk libvirt sdks/libvirt "$LIBVIRT_PROVIDER_VERSION"
check_sdk kubernetes node_modules/@pulumi/kubernetes "$KUBERNETES_PROVIDER_VERSION"

# --- 1. the engine ------------------------------------------------------------------------------------
bindir="$root/bin"
pulumi_ok() { [[ -x "$bindir/pulumi" && "$("$bindir/pulumi" version 2>/dev/null || true)" == "$PULUMI_VERSION" ]]; }
host_stamp="language-nodejs $LANGUAGE_NODEJS_SHA256 $PULUMI_VERSION"
# The stamp names the source and the binary built from it, so a binary replaced by anything
# else (an older checkout's ensure.sh, a hand copy) is noticed and rebuilt.
host_ok() {
  [[ -x "$bindir/pulumi-language-nodejs" ]] &&
    [[ "$(cat "$bindir/.language-nodejs.stamp" 2>/dev/null)" == "$host_stamp $(file_sha "$bindir/pulumi-language-nodejs")" ]]
}

# mod_download MODULE@VERSION PINNED_SUM: download a module, check its hash, print its directory.
mod_download() {
  local json dir sum
  json="$(go mod download -json "$1")" || die "go mod download $1 failed: $json"
  dir="$(printf '%s' "$json" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p')"
  sum="$(printf '%s' "$json" | sed -n 's/^\t"Sum": "\(.*\)",$/\1/p')"
  [[ -n "$dir" && -d "$dir" ]] || die "go mod download $1: no Dir in: $json"
  [[ "$sum" == "$2" ]] || die "checksum mismatch for $1: got $sum, pinned $2"
  printf '%s\n' "$dir"
}

build_cli() {
  local pkg_dir sdk_dir src
  log "pulumi CLI $PULUMI_VERSION: downloading github.com/pulumi/pulumi/{pkg,sdk}/v3"
  pkg_dir="$(mod_download "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "$PULUMI_PKG_SUM")"
  sdk_dir="$(mod_download "github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION" "$PULUMI_SDK_SUM")"
  # pkg's go.mod says `replace github.com/pulumi/pulumi/sdk/v3 => ../sdk`, which is why
  # `go install ...@version` fails: build a writable copy with that replace pointed at the download.
  src="$root/work/pkg"
  writable_copy "$pkg_dir" "$src"
  (cd "$src" && go mod edit -replace "github.com/pulumi/pulumi/sdk/v3=$sdk_dir")
  step "pulumi CLI: go build ./cmd/pulumi" bash -c 'cd "$1" && go build -v -trimpath -o "$2" \
    -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$3" ./cmd/pulumi' \
    _ "$src" "$bindir/pulumi.tmp" "$PULUMI_VERSION"
  mv -f "$bindir/pulumi.tmp" "$bindir/pulumi"
  rm -rf "$src"
  # The CLI distribution also ships the Node.js dynamic-provider plugin (a script running
  # @pulumi/pulumi/cmd/dynamic-provider); pulumi.dynamic.Resource needs it beside pulumi.
  install -m 0755 "$sdk_dir/nodejs/dist/pulumi-resource-pulumi-nodejs" "$bindir/pulumi-resource-pulumi-nodejs"
}

# Upstream's language host is its own module, which the proxy refuses; its go.mod replaces pkg and
# sdk with paths of the monorepo, so the build drops those replaces and requires both at the CLI's
# version (the hash go records for pkg/v3 must be the pinned one).
build_language_host() {
  local src="$root/work/language-nodejs" dir
  unpack_upstream "$LANGUAGE_NODEJS_TARBALL" "$LANGUAGE_NODEJS_SHA256" "$src"
  dir="$src/sdk/nodejs/cmd/pulumi-language-nodejs"
  (cd "$dir" && go mod edit \
    -dropreplace=github.com/pulumi/pulumi/pkg/v3 -dropreplace=github.com/pulumi/pulumi/sdk/v3 \
    -require="github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" \
    -require="github.com/pulumi/pulumi/sdk/v3@$PULUMI_VERSION")
  step "pulumi-language-nodejs (upstream $PULUMI_VERSION): go build" bash -c 'cd "$1" && go build -v \
    -trimpath -o "$2" -ldflags "-s -w -X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=$3" .' \
    _ "$dir" "$bindir/pulumi-language-nodejs.tmp" "$PULUMI_VERSION"
  [[ "$(go_sum_of "github.com/pulumi/pulumi/pkg/v3@$PULUMI_VERSION" "$dir/go.sum")" == "$PULUMI_PKG_SUM" ]] ||
    die "the language host's build recorded a pkg/v3 hash other than the pinned $PULUMI_PKG_SUM"
  mv -f "$bindir/pulumi-language-nodejs.tmp" "$bindir/pulumi-language-nodejs"
  echo "$host_stamp $(file_sha "$bindir/pulumi-language-nodejs")" >"$bindir/.language-nodejs.stamp"
  rm -rf "$src"
}

if [[ "${LABFABRIC_BUILD_TOOLCHAIN:-}" != 1 ]] && command -v pulumi >/dev/null 2>&1; then
  bindir="$(cd "$(dirname "$(command -v pulumi)")" && pwd)"
  log "using pulumi on PATH: $bindir/pulumi ($("$bindir/pulumi" version 2>/dev/null || echo 'version unknown'))"
  [[ -x "$bindir/pulumi-language-nodejs" ]] || command -v pulumi-language-nodejs >/dev/null 2>&1 ||
    die "pulumi on PATH has no pulumi-language-nodejs beside it: install the full distribution," \
      "or set LABFABRIC_BUILD_TOOLCHAIN=1 to build the pinned toolchain"
else
  mkdir -p "$bindir" "$root/work"
  if pulumi_ok && host_ok && [[ -x "$bindir/pulumi-resource-pulumi-nodejs" ]]; then
    log "cached engine OK: $bindir (pulumi $PULUMI_VERSION, upstream language host)"
  else
    go_env
    log "building the engine into $bindir ($(nproc) cores; GOMODCACHE=$GOMODCACHE)"
    pulumi_ok && [[ -x "$bindir/pulumi-resource-pulumi-nodejs" ]] || build_cli
    host_ok || build_language_host
    pulumi_ok && host_ok || die "the engine in $bindir failed its self-check"
  fi
fi
PULUMI="$bindir/pulumi"

# --- 2. resource plugins -----------------------------------------------------------------------------
# build_plugin NAME VERSION SRC OUT: build upstream's provider from its unpacked source in SRC.
build_plugin() {
  local name="$1" v="${2#v}" src="$3" out="$4" cmd
  cmd="$src/provider/cmd/pulumi-resource-$name"
  case "$name" in
    libvirt)
      (cd "$src/provider" && go mod edit \
        -replace "github.com/dmacvicar/terraform-provider-libvirt=$LIBVIRT_TF_PROVIDER")
      ;;
  esac
  # Bridged providers embed their schema, stamped with the version by generate.go.
  if [[ -f "$cmd/generate.go" ]]; then
    step "$name $v: schema (go run generate.go)" bash -c 'cd "$1" && VERSION="$2" go run generate.go' _ "$cmd" "$v"
  fi
  # The version stamp is required: a bridged provider without it panics at start.
  step "$name $v: go build ./cmd/pulumi-resource-$name" bash -c 'cd "$1/provider" && go build -v -trimpath \
    -o "$2" -ldflags "-s -w -X $(go list -m)/pkg/version.Version=$3" "./cmd/pulumi-resource-$4"' \
    _ "$src" "$out" "$v" "$name"
}

# ensure_plugin NAME VERSION TARBALL SHA256: the plugin installed in PULUMI_HOME, one way or another.
# With TARBALL "module:" the source is the Go module of <NAME>_PROVIDER_MODULE (kubernetes).
ensure_plugin() {
  local name="$1" version="$2" tarball="$3" sha="$4" plugdir stamp built src
  plugdir="$PULUMI_HOME/plugins/resource-$name-$version"
  stamp="upstream $tarball $sha recipe $RECIPE"
  [[ "$name" != libvirt ]] || stamp+=" $LIBVIRT_TF_PROVIDER"
  [[ "$name" != kubernetes ]] || stamp="module $KUBERNETES_PROVIDER_MODULE $KUBERNETES_SDK_MODULE recipe $RECIPE"
  built="$root/plugins/$name-$version/pulumi-resource-$name"
  if [[ -x "$plugdir/pulumi-resource-$name" ]]; then
    if [[ ! -f "$plugdir/.labfabric-build" ]]; then
      log "plugin $name $version: installed ($plugdir)"
      return 0
    elif [[ "$(cat "$plugdir/.labfabric-build")" == "$stamp $(file_sha "$plugdir/pulumi-resource-$name")" ]]; then
      log "plugin $name $version: built from upstream source, installed"
      return 0
    fi
  fi
  # Not installed, or our install of another source or binary: start over (otherwise
  # `pulumi plugin install` below would find it there and do nothing).
  rm -rf "$plugdir" "$plugdir.lock"
  if [[ ! -x "$built" || "$(cat "$built.stamp" 2>/dev/null)" != "$stamp $(file_sha "$built")" ]]; then
    # Nothing built here yet: the usual way first (a download), else upstream's source.
    if [[ "${LABFABRIC_OFFLINE:-}" != 1 ]] &&
      timeout 120 "$PULUMI" plugin install resource "$name" "${version#v}" >"$root/work/download-$name.log" 2>&1 &&
      [[ -x "$plugdir/pulumi-resource-$name" ]]; then
      log "plugin $name $version: downloaded (pulumi plugin install)"
      return 0
    fi
    log "plugin $name $version: not downloadable here ($(tail -n 1 "$root/work/download-$name.log" 2>/dev/null |
      cut -c1-120)); building it from upstream's source"
    go_env
    src="$root/work/$name"
    mkdir -p "$(dirname "$built")"
    if [[ "$name" == kubernetes ]]; then unpack_kubernetes "$src"; else unpack_upstream "$tarball" "$sha" "$src"; fi
    build_plugin "$name" "$version" "$src" "$built.tmp"
    mv -f "$built.tmp" "$built"
    echo "$stamp $(file_sha "$built")" >"$built.stamp"
    rm -rf "$src"
  fi
  "$PULUMI" plugin install --reinstall resource "$name" "${version#v}" --file "$built" >&2 ||
    die "pulumi plugin install resource $name ${version#v} --file $built failed"
  echo "$stamp $(file_sha "$plugdir/pulumi-resource-$name")" >"$plugdir/.labfabric-build"
  log "plugin $name $version: built from upstream source, installed into $plugdir"
}

# unpack_kubernetes DEST: the provider module (hash pinned) as DEST/provider, its replace of sdk/v4
# (a path of the monorepo) dropped and sdk/v4 required at the release, its hash checked as well.
unpack_kubernetes() {
  rm -rf "$1"
  mkdir -p "$1"
  writable_copy "$(mod_download "$KUBERNETES_PROVIDER_MODULE" "$KUBERNETES_PROVIDER_SUM")" "$1/provider"
  mod_download "$KUBERNETES_SDK_MODULE" "$KUBERNETES_SDK_SUM" >/dev/null
  (cd "$1/provider" && go mod edit -dropreplace=github.com/pulumi/pulumi-kubernetes/sdk/v4 \
    -require="$KUBERNETES_SDK_MODULE")
}

mkdir -p "$root/work"
# LABFABRIC_PLUGINS narrows the set (e.g. CI leaves out kubernetes while no test drives it).
wanted() { [[ " ${LABFABRIC_PLUGINS:-command libvirt openstack kubernetes} " == *" $1 "* ]]; }
! wanted command || ensure_plugin command "$COMMAND_PROVIDER_VERSION" "$COMMAND_TARBALL" "$COMMAND_SHA256"
! wanted libvirt || ensure_plugin libvirt "$LIBVIRT_PROVIDER_VERSION" "$LIBVIRT_TARBALL" "$LIBVIRT_SHA256"
! wanted openstack || ensure_plugin openstack "$OPENSTACK_PROVIDER_VERSION" "$OPENSTACK_TARBALL" "$OPENSTACK_SHA256"
! wanted kubernetes || ensure_plugin kubernetes "$KUBERNETES_PROVIDER_VERSION" module: "$KUBERNETES_PROVIDER_SUM"

log "toolchain ready: $bindir"
echo "$bindir"
