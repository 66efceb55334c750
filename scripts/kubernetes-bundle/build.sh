#!/usr/bin/env bash
# Build the offline Kubernetes bundle once, then reuse it: every binary kubeadm 1.32 and Flannel
# need, built from the Go module proxy (pause from its C source), the container images kubeadm and
# the Flannel chart ask for (exact names and tags, docker archives for `ctr -n k8s.io images
# import`), and the Flannel chart (sha256 checked). Versions: versions.env; images: images.txt.
# Prints the bundle directory as the LAST line of stdout; progress (step, elapsed) on stderr.
#
#   bundle="$(bash scripts/kubernetes-bundle/build.sh | tail -n 1)"
#   bash scripts/kubernetes-bundle/build.sh binaries     # only the binaries (or: images)
#
# Layout of the bundle ($LABFABRIC_CACHE/kubernetes-bundle/<K8S_VERSION>):
#   bin/     kubeadm kubelet kubectl kube-* etcd coredns flanneld crane crictl pause
#   cni/     bridge host-local loopback portmap flannel
#   images/  one docker archive per image of images.txt; chart/  the Flannel chart
#   manifest.txt  every file with its sha256 and the image references
# Each part carries a stamp (module@version and recipe); a part whose stamp matches is kept, so a
# warm run takes seconds and an interrupted one resumes (Go's build cache keeps compiled packages).
# containerd and runc are Debian's (scripts/setup.sh installs them). Run long builds under nice.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../.." && pwd)"
T0=$SECONDS
LOG_TAG=k8s-bundle
# shellcheck source=versions.env
source "$HERE/versions.env"
# shellcheck source=../../toolchain/lib.sh
source "$REPO/toolchain/lib.sh"

CACHE="${LABFABRIC_CACHE:-$HOME/.cache/labfabric}"
root="$CACHE/kubernetes-bundle/$K8S_VERSION"
mkdir -p "$root"/{bin,cni,images,probe,chart,work,.stamps}
what="${1:-all}"

# fresh NAME STAMP: true when the part NAME was built with exactly this recipe.
fresh() { [[ "$(cat "$root/.stamps/$1" 2>/dev/null)" == "$2 recipe $BUNDLE_RECIPE" ]]; }
done_part() { echo "$2 recipe $BUNDLE_RECIPE" >"$root/.stamps/$1"; }
mod_dir() { go mod download -json "$1" | sed -n 's/^\t"Dir": "\(.*\)",$/\1/p'; }

# go_install NAME MODULE@VERSION OUTDIR LDFLAGS PKG...: `go install PKG@VERSION` for modules
# without replace directives (coredns, flannel, CNI plugins, crane, crictl).
go_install() {
  local name="$1" modver="$2" out="$3" ldflags="$4" pkgs=() p
  shift 4
  for p in "$@"; do pkgs+=("$p@${modver#*@}"); done
  fresh "$name" "$modver $*" && return 0
  step "$name ($modver): go install" env GOBIN="$out" go install -v -trimpath -ldflags "$ldflags" "${pkgs[@]}"
  done_part "$name" "$modver $*"
}

build_pause() {
  local src
  fresh pause "$K8S_VERSION $PAUSE_VERSION" && return 0
  command -v gcc >/dev/null || die "gcc is required for pause (Debian: gcc, libc6-dev)"
  src="$(mod_dir "k8s.io/kubernetes@$K8S_VERSION")/build/pause/linux/pause.c"
  step "pause $PAUSE_VERSION: gcc -static" gcc -Os -Wall -Werror -static -DVERSION="v$PAUSE_VERSION-labfabric" \
    -o "$root/bin/pause" "$src"
  done_part pause "$K8S_VERSION $PAUSE_VERSION"
}

# Kubernetes: a writable copy of the module without its staging replaces (and go.work), the
# staging modules required at the matching v0.32.N, one `go build` for every command, stamped
# with the version (else kubeadm reports v0.0.0-master and refuses to match the kubelet).
build_kubernetes() {
  local src mods=() m ex ldflags pkg="k8s.io/component-base/version" cmds=() c
  fresh kubernetes "$K8S_VERSION $K8S_COMMANDS $K8S_STAGING_EXCEPTIONS" && return 0
  src="$root/work/kubernetes"
  log "kubernetes $K8S_VERSION: preparing a writable copy of the module"
  writable_copy "$(mod_dir "k8s.io/kubernetes@$K8S_VERSION")" "$src"
  rm -f "$src/go.work" "$src/go.work.sum"
  mapfile -t mods < <(sed -n 's|^\t\(k8s.io/[^ ]*\) => ./staging/.*|\1|p' "$src/go.mod")
  local args=()
  for m in "${mods[@]}"; do
    args+=("-dropreplace=$m")
    grep -q "^	$m v0.0.0$" "$src/go.mod" || continue
    ex="$(tr ' ' '\n' <<<"$K8S_STAGING_EXCEPTIONS" | sed -n "s|^$m@||p")"
    args+=("-require=$m@${ex:-$K8S_STAGING_VERSION}")
  done
  (cd "$src" && go mod edit "${args[@]}")
  ldflags="-s -w -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=$(cut -d. -f1 <<<"${K8S_VERSION#v}")"
  ldflags+=" -X $pkg.gitMinor=$(cut -d. -f2 <<<"$K8S_VERSION") -X $pkg.gitTreeState=clean"
  ldflags+=" -X $pkg.buildDate=1970-01-01T00:00:00Z"
  for c in $K8S_COMMANDS; do cmds+=("./cmd/$c"); done
  step "kubernetes $K8S_VERSION: go build $K8S_COMMANDS" bash -c 'cd "$1" && shift && go build -v -trimpath "$@"' \
    _ "$src" -o "$root/bin/" -ldflags "$ldflags" "${cmds[@]}"
  "$root/bin/kubeadm" version -o short | grep -qx "$K8S_VERSION" || die "kubeadm does not report $K8S_VERSION"
  rm -rf "$src"
  done_part kubernetes "$K8S_VERSION $K8S_COMMANDS $K8S_STAGING_EXCEPTIONS"
}

# etcd: the server module's go.mod replaces its sibling modules with ../ paths (absent from the
# zip): drop them; its require lines already name the siblings of the release (client/v2 is
# v2.305.24, the others v3.5.24).
build_etcd() {
  local src args=() m
  fresh etcd "$ETCD_MODULE" && return 0
  src="$root/work/etcd"
  writable_copy "$(mod_dir "$ETCD_MODULE")" "$src"
  for m in $(sed -n 's|^\t\(go.etcd.io/[^ ]*\) => \.\./.*|\1|p' "$src/go.mod"); do
    args+=("-dropreplace=$m")
  done
  (cd "$src" && go mod edit "${args[@]}")
  step "etcd $ETCD_VERSION: go build" bash -c 'cd "$1" && go build -v -trimpath -ldflags "-s -w" -o "$2" .' \
    _ "$src" "$root/bin/etcd"
  rm -rf "$src"
  done_part etcd "$ETCD_MODULE"
}

build_binaries() {
  go_env
  build_pause
  go_install crane "$CRANE_MODULE" "$root/bin" "-s -w" github.com/google/go-containerregistry/cmd/crane
  go_install crictl "$CRICTL_MODULE" "$root/bin" \
    "-s -w -X sigs.k8s.io/cri-tools/pkg/version.Version=${CRICTL_MODULE#*@v}" sigs.k8s.io/cri-tools/cmd/crictl
  local p pkgs=()
  for p in $CNI_PLUGINS; do pkgs+=("github.com/containernetworking/plugins/plugins/$p"); done
  go_install cni-plugins "$CNI_PLUGINS_MODULE" "$root/cni" "-s -w" "${pkgs[@]}"
  go_install cni-flannel "$CNI_FLANNEL_MODULE" "$root/cni" "-s -w" \
    github.com/containernetworking/plugins/plugins/meta/flannel
  build_kubernetes
  build_etcd
  go_install coredns "$COREDNS_MODULE" "$root/bin" "-s -w" github.com/coredns/coredns
  CGO_ENABLED=1 go_install flanneld "$FLANNEL_MODULE" "$root/work/flannel-bin" \
    "-s -w -X github.com/flannel-io/flannel/pkg/version.Version=${FLANNEL_MODULE#*@} -extldflags -static" \
    github.com/flannel-io/flannel
  if [[ -x "$root/work/flannel-bin/flannel" ]]; then mv -f "$root/work/flannel-bin/flannel" "$root/bin/flanneld"; fi
  [[ -x "$root/bin/flanneld" ]] || die "flanneld missing: remove $root/.stamps/flanneld and rerun"
}

chart() {
  local dir
  dir="$(upstream_dir)" || die "no upstream sources: set LABFABRIC_UPSTREAM_DIR to the folder holding $FLANNEL_CHART"
  [[ "$(sha256sum "$dir/$FLANNEL_CHART" | cut -d' ' -f1)" == "$FLANNEL_CHART_SHA256" ]] ||
    die "checksum mismatch for $dir/$FLANNEL_CHART (pinned $FLANNEL_CHART_SHA256 in versions.env)"
  install -m 0644 "$dir/$FLANNEL_CHART" "$root/chart/$FLANNEL_CHART"
}

case "$what" in
  binaries) build_binaries ;;
  images)
    bash "$HERE/images.sh" "$root"
    bash "$HERE/probe-image.sh" "$root"
    ;;
  all)
    build_binaries
    chart
    bash "$HERE/images.sh" "$root"
    bash "$HERE/probe-image.sh" "$root"
    ;;
  *) die "usage: build.sh [all|binaries|images]" ;;
esac

# The manifest: every file of the bundle with its sha256, then the image references.
(
  cd "$root"
  find bin cni chart images probe -type f -printf '%p\n' | LC_ALL=C sort | xargs -r sha256sum
  grep -v '^#' "$HERE/images.txt" | sed 's/^/image /'
  echo "probe-image $PROBE_IMAGE"
) >"$root/manifest.txt"
log "bundle ready: $root ($(du -sh "$root" --exclude=work | cut -f1))"
echo "$root"
