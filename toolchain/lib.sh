# shellcheck shell=bash
# Helpers for ensure.sh: logging with elapsed time, the Go build environment, verified upstream
# sources, and long steps that report progress instead of minutes of silence. Sourced, not run.

T0=${T0:-$SECONDS}
log() { printf '[%s %4ss] %s\n' "${LOG_TAG:-toolchain}" "$((SECONDS - T0))" "$*" >&2; }
die() {
  log "ERROR: $*"
  exit 1
}

# The oldest Go that builds the pinned modules (their go.mod says `go 1.25.11`; GOTOOLCHAIN=local
# below forbids fetching a newer one).
GO_MIN=1.25.11

# go_env: the Go environment for builds; caches are reused across runs, nothing lands in the repo.
go_env() {
  # The pinned pulumi modules declare `go 1.25.11`; Debian 12's golang-go is 1.19, too old.
  command -v go >/dev/null 2>&1 || die "Go 1.25.11 or later is required to build the toolchain (go.dev/dl; Debian 12's golang-go is too old)"
  local have
  have=$(go env GOVERSION 2>/dev/null)
  have=${have#go}
  [ "$(printf '%s\n%s\n' "$GO_MIN" "$have" | sort -V | head -n1)" = "$GO_MIN" ] ||
    die "Go $GO_MIN or later is required to build the toolchain; $(command -v go) is $have (go.dev/dl)"
  export GOPATH="${GOPATH:-$CACHE/go}"
  export GOMODCACHE="${GOMODCACHE:-$GOPATH/pkg/mod}"
  export GOCACHE="${GOCACHE:-$CACHE/go-build}"
  export GOTOOLCHAIN=local
  case " ${GOFLAGS:-} " in *" -mod=mod "*) ;; *) export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod -modcacherw -buildvcs=false" ;; esac
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

# upstream_dir: where the unmodified upstream source tarballs are (LABFABRIC_UPSTREAM_DIR, else
# ../shared/upstream beside the repository, as on the machines labfabric is built on).
upstream_dir() {
  local d
  for d in "${LABFABRIC_UPSTREAM_DIR:-}" "$REPO/../shared/upstream" /work/shared/upstream; do
    if [[ -n "$d" && -d "$d" ]]; then
      (cd "$d" && pwd)
      return 0
    fi
  done
  return 1
}

# unpack_upstream TARBALL SHA256 DEST: check the tarball's sha256, then unpack it into DEST
# (emptied first). Prints nothing; dies naming the file on a missing tarball or a mismatch.
unpack_upstream() {
  local dir file got
  dir="$(upstream_dir)" || die "no upstream sources: set LABFABRIC_UPSTREAM_DIR to the folder holding $1" \
    "(see toolchain/README.md), or install the plugin with internet access"
  file="$dir/$1"
  [[ -f "$file" ]] || die "upstream source $file is missing"
  got="$(sha256sum "$file" | cut -d' ' -f1)"
  [[ "$got" == "$2" ]] || die "checksum mismatch for $file: sha256 $got, pinned $2 (versions.env)"
  rm -rf "$3"
  mkdir -p "$3"
  tar -xzf "$file" -C "$3" --strip-components=1
}

# step LABEL COMMAND...: runs COMMAND with its output in a log file, printing every 30 s how long
# it has run and how far it got (lines like `go build -v` package names or `go: downloading`).
# On failure prints the log's tail and dies.
step() {
  local label="$1" logf pid start next n last
  shift
  logf="$root/work/$(printf '%s' "$label" | tr -c 'A-Za-z0-9_.-' '_').log"
  mkdir -p "$root/work"
  log "$label"
  start=$SECONDS
  next=$((start + 30))
  "$@" >"$logf" 2>&1 &
  pid=$!
  while kill -0 "$pid" 2>/dev/null; do
    sleep 1
    if ((SECONDS >= next)); then
      n="$(grep -c . "$logf" 2>/dev/null || true)"
      last="$(tail -n 1 "$logf" 2>/dev/null | cut -c1-90)"
      log "  ... $label: $((SECONDS - start)) s, ${n:-0} lines of progress${last:+ (last: $last)}"
      next=$((SECONDS + 30))
    fi
  done
  if ! wait "$pid"; then
    tail -n 40 "$logf" >&2
    die "$label failed after $((SECONDS - start)) s (full log: $logf)"
  fi
  log "  done: $label ($((SECONDS - start)) s)"
}

# file_sha FILE: the sha256 of a file (empty when it is missing).
file_sha() { sha256sum "$1" 2>/dev/null | cut -d' ' -f1; }

# go_sum_of MODULE@VERSION GO_SUM_FILE: the h1: hash that a go.sum records for a module's content.
go_sum_of() {
  local mod="${1%@*}" ver="${1#*@}"
  awk -v m="$mod" -v v="$ver" '$1 == m && $2 == v { print $3 }' "$2"
}
