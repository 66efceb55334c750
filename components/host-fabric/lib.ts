// The shell library every rendered host-fabric script starts with: a readable change log,
// owner markers, and idempotent "ensure" helpers for links, addresses, routes, FDB entries,
// sysctls and files. Static POSIX sh text (no plan values inside); the values arrive as
// single-quoted arguments from the renderers.
import type { HostFabricPlan } from "../plan";
import { hostPaths, ruleTag } from "./paths";
import { shq } from "../shared";
import { labfabricChain } from "./rules";

/** `#!/bin/sh`, `set -eu` and the variables every script reads. */
export function header(plan: HostFabricPlan, what: string): string {
  const paths = hostPaths(plan);
  return [
    "#!/bin/sh",
    `# labfabric ${what}: lab ${plan.lab}, host ${plan.host}, mode ${plan.mode}.`,
    "# Rendered by labfabric (components/host-fabric); do not edit, re-render instead.",
    "set -eu",
    `LF_LAB=${shq(plan.lab)}`,
    `LF_HOST=${shq(plan.host)}`,
    `LF_ROOT=${shq(plan.root)}`,
    `LF_STATE=${shq(paths.state)}`,
    `LF_TAG=${shq(ruleTag(plan.lab))}`,
    `LF_CHAIN=${shq(labfabricChain(plan.lab))}`,
  ].join("\n");
}

/** Logging, markers, files. Needed by every script. */
export const CORE_LIB = String.raw`PATH=/usr/sbin:/usr/bin:/sbin:/bin
export PATH
LF_CHANGES=0
LF_NEWDIRS=""

# A short log: "ok" = already in place, "changed" = this run did it.
lf_ok() { printf '  ok       %s\n' "$*"; }
lf_did() { printf '  changed  %s\n' "$*"; LF_CHANGES=$((LF_CHANGES + 1)); }
lf_skip() { printf '  skipped  %s\n' "$*"; }
lf_warn() { printf '  WARNING  %s\n' "$*"; }
lf_die() { printf 'labfabric: ERROR on %s: %s\n' "$LF_HOST" "$*" >&2; exit 1; }
lf_done() {
  if [ "$LF_CHANGES" -eq 0 ]; then
    printf '%s: no changes, everything was already in place\n' "$1"
  else
    printf '%s: %s change(s)\n' "$1" "$LF_CHANGES"
  fi
}

# Owner markers: written only when this lab created or changed something, so down.sh
# removes exactly that and leaves what was there before.
lf_mark() { mkdir -p "$LF_STATE/owned"; printf '%s\n' "$2" > "$LF_STATE/owned/$1"; }
lf_owned() { [ -f "$LF_STATE/owned/$1" ]; }
lf_key() { printf '%s' "$1" | tr '/' '_'; }

# mkdir -p that records every directory it creates (down.sh removes them if empty).
lf_mkdir() {
  if [ -d "$1" ]; then return 0; fi
  lf_mkdir "$(dirname "$1")"
  mkdir "$1"
  if [ -d "$LF_STATE" ]; then
    printf '%s\n' "$1" >> "$LF_STATE/dirs"
  else
    LF_NEWDIRS="$LF_NEWDIRS$1
"
  fi
}
lf_state_dir() {
  lf_mkdir "$LF_STATE"
  if [ -n "$LF_NEWDIRS" ]; then printf '%s' "$LF_NEWDIRS" >> "$LF_STATE/dirs"; LF_NEWDIRS=""; fi
}

# lf_install PATH MODE < content: write a file only when its content differs.
lf_install() {
  lf_mkdir "$(dirname "$1")"
  cat > "$1.lf-new"
  if [ -f "$1" ] && [ "$(cat "$1")" = "$(cat "$1.lf-new")" ]; then
    rm -f "$1.lf-new"
    chmod "$2" "$1"
    lf_ok "file $1"
  else
    chmod "$2" "$1.lf-new"
    mv -f "$1.lf-new" "$1"
    lf_did "wrote $1"
  fi
}`;

/** Links, addresses, routes, FDB entries and sysctls (apply.sh and down.sh). */
export const NET_LIB = String.raw`lf_link_exists() { ip link show dev "$1" >/dev/null 2>&1; }
lf_link_info() { ip -d -o link show dev "$1" 2>/dev/null | tr '\\' ' '; }
lf_link_mtu() { ip -o link show dev "$1" 2>/dev/null | sed -n 's/.* mtu \([0-9][0-9]*\) .*/\1/p'; }
lf_master_of() { ip -o link show dev "$1" 2>/dev/null | sed -n 's/.* master \([^ ]*\) .*/\1/p'; }
lf_is_up() {
  case "$(ip -o link show dev "$1" 2>/dev/null)" in
    *"<UP,"* | *"<UP>"* | *",UP,"* | *",UP>"*) return 0 ;;
  esac
  return 1
}
lf_has_addr() { ip -4 -o addr show dev "$2" 2>/dev/null | grep -qF " inet $1 "; }
lf_routes_for() { ip -4 route show exact "$1" 2>/dev/null | sed 's/$/ /' | tr '\n' ' '; }
lf_fdb_has() {
  bridge fdb show dev "$1" 2>/dev/null |
    awk -v d="$2" '$1 == "00:00:00:00:00:00" && $2 == "dst" && $3 == d { f = 1 } END { exit !f }'
}
# Tokens of "$1" (ip -d link output) that are missing from it, e.g. " dstport 4789".
lf_tokens_missing() {
  lf_i=" $1 "
  shift
  for lf_t; do
    case "$lf_i" in *" $lf_t "*) ;; *) printf ' %s' "$lf_t" ;; esac
  done
}

lf_ensure_bridge() {
  lf_info=$(lf_link_info "$1")
  if [ -z "$lf_info" ]; then
    lf_mark "link.$1" "$1"
    ip link add "$1" type bridge
    lf_did "created bridge $1"
    return 0
  fi
  case "$lf_info " in
    *" bridge "*) lf_ok "bridge $1" ;;
    *) lf_die "$1 exists but is not a bridge; remove it or set fabric.bridge to another name" ;;
  esac
}
lf_ensure_mtu() {
  lf_cur=$(lf_link_mtu "$1")
  if [ "$lf_cur" = "$2" ]; then lf_ok "$1 mtu $2"; return 0; fi
  if ! lf_owned "link.$1" && ! lf_owned "mtu.$1"; then lf_mark "mtu.$1" "$1 $lf_cur"; fi
  ip link set dev "$1" mtu "$2"
  lf_did "$1 mtu $lf_cur -> $2"
}
lf_ensure_master() {
  lf_cur=$(lf_master_of "$1")
  if [ "$lf_cur" = "$2" ]; then lf_ok "$1 attached to $2"; return 0; fi
  if [ -z "$lf_cur" ]; then lf_cur=-; fi
  if ! lf_owned "link.$1" && ! lf_owned "master.$1"; then lf_mark "master.$1" "$1 $lf_cur"; fi
  ip link set dev "$1" master "$2"
  lf_did "$1 attached to $2"
}
lf_ensure_up() {
  if lf_is_up "$1"; then lf_ok "$1 up"; return 0; fi
  if ! lf_owned "link.$1" && ! lf_owned "down.$1"; then lf_mark "down.$1" "$1"; fi
  ip link set dev "$1" up
  lf_did "$1 up"
}
lf_ensure_addr() {
  if lf_has_addr "$1" "$2"; then lf_ok "address $1 on $2"; return 0; fi
  lf_mark "addr.$2.$(lf_key "$1")" "$1 $2"
  ip addr add "$1" dev "$2"
  lf_did "address $1 on $2"
}
lf_ensure_route() {
  lf_cur=$(lf_routes_for "$1")
  case " $lf_cur" in
    " ")
      lf_mark "route.$(lf_key "$1")" "$1 $2 $3"
      ip route add "$1" via "$2" dev "$3"
      lf_did "route $1 via $2 dev $3"
      ;;
    *" via $2 dev $3 "*) lf_ok "route $1 via $2 dev $3" ;;
    *) lf_die "a different route for $1 already exists ($lf_cur); labfabric plans '$1 via $2 dev $3' and does not replace routes it did not make. Remove it (ip route del $1) or change the lab's subnets, then run again" ;;
  esac
}
lf_ensure_fdb() {
  if lf_fdb_has "$1" "$2"; then lf_ok "flood entry $1 -> $2"; return 0; fi
  lf_owned "link.$1" || lf_mark "fdb.$1.$2" "$1 $2"
  bridge fdb append 00:00:00:00:00:00 dev "$1" dst "$2"
  lf_did "flood entry $1 -> $2"
}
# lf_prune_fdb DEV KEEP...: remove all-zeros entries for peers no longer planned.
lf_prune_fdb() {
  lf_dev=$1
  shift
  for lf_dst in $(bridge fdb show dev "$lf_dev" 2>/dev/null | awk '$1 == "00:00:00:00:00:00" && $2 == "dst" { print $3 }'); do
    lf_keep=0
    for lf_k; do
      if [ "$lf_k" = "$lf_dst" ]; then lf_keep=1; fi
    done
    if [ "$lf_keep" = 0 ]; then
      bridge fdb del 00:00:00:00:00:00 dev "$lf_dev" dst "$lf_dst"
      rm -f "$LF_STATE/owned/fdb.$lf_dev.$lf_dst"
      lf_did "removed stale flood entry $lf_dev -> $lf_dst"
    fi
  done
}
# lf_sysctl KEY VALUE (slash form): record the original once, then set.
lf_sysctl() {
  lf_f="/proc/sys/$1"
  if [ ! -e "$lf_f" ]; then
    lf_skip "sysctl $1 (not present yet; conf/default covers interfaces created later)"
    return 0
  fi
  lf_cur=$(cat "$lf_f")
  if ! awk -v k="$1" '$1 == k { f = 1 } END { exit !f }' "$LF_STATE/sysctl.orig" 2>/dev/null; then
    printf '%s %s\n' "$1" "$lf_cur" >> "$LF_STATE/sysctl.orig"
  fi
  if [ "$lf_cur" = "$2" ]; then lf_ok "sysctl $1 = $2"; return 0; fi
  printf '%s\n' "$2" > "$lf_f"
  lf_did "sysctl $1: $lf_cur -> $2"
}`;

/** down.sh: undo every owner marker (routes, FDB, addresses, link attributes, links). */
export const UNDO_LIB = String.raw`lf_undo_owned() {
  [ -d "$LF_STATE/owned" ] || return 0
  for lf_kind in route fdb addr master mtu down link; do
    for lf_m in "$LF_STATE/owned/$lf_kind".*; do
      [ -f "$lf_m" ] || continue
      lf_a="" lf_b="" lf_c=""
      read -r lf_a lf_b lf_c < "$lf_m" || true
      case $lf_kind in
        route)
          case " $(lf_routes_for "$lf_a")" in
            *" via $lf_b dev $lf_c "*) ip route del "$lf_a" via "$lf_b" dev "$lf_c"; lf_did "removed route $lf_a via $lf_b dev $lf_c" ;;
          esac ;;
        fdb)
          if lf_fdb_has "$lf_a" "$lf_b"; then
            bridge fdb del 00:00:00:00:00:00 dev "$lf_a" dst "$lf_b"
            lf_did "removed flood entry $lf_a -> $lf_b"
          fi ;;
        addr)
          if lf_has_addr "$lf_a" "$lf_b"; then ip addr del "$lf_a" dev "$lf_b"; lf_did "removed address $lf_a from $lf_b"; fi ;;
        master)
          if lf_link_exists "$lf_a"; then
            if [ "$lf_b" = - ]; then ip link set dev "$lf_a" nomaster; else ip link set dev "$lf_a" master "$lf_b"; fi
            lf_did "restored master of $lf_a ($lf_b)"
          fi ;;
        mtu)
          if lf_link_exists "$lf_a"; then ip link set dev "$lf_a" mtu "$lf_b"; lf_did "restored $lf_a mtu $lf_b"; fi ;;
        down)
          if lf_link_exists "$lf_a"; then ip link set dev "$lf_a" down; lf_did "set $lf_a down again"; fi ;;
        link)
          if lf_link_exists "$lf_a"; then ip link del dev "$lf_a"; lf_did "deleted $lf_a"; fi ;;
      esac
      rm -f "$lf_m"
    done
  done
}
lf_restore_sysctls() {
  [ -f "$LF_STATE/sysctl.orig" ] || return 0
  while read -r lf_k lf_v; do
    [ -n "$lf_k" ] || continue
    lf_f="/proc/sys/$lf_k"
    if [ -e "$lf_f" ] && [ "$(cat "$lf_f")" != "$lf_v" ]; then
      printf '%s\n' "$lf_v" > "$lf_f"
      lf_did "restored sysctl $lf_k = $lf_v"
    fi
  done < "$LF_STATE/sysctl.orig"
}`;
