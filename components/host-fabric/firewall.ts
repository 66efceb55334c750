// The firewall part of the host fabric, on its own so the libvirt network hook can re-run
// just this (libvirt rebuilds its NAT rules when it starts a network, dropping ours).
// vxlan mode: masquerade + scoped FORWARD accepts in the host's iptables tables.
// routed mode: openings in libvirt's NAT firewall, iptables backend (LIBVIRT_FWI/FWO/PRT)
// or nftables backend (table ip libvirt_network), detected on the host.
// Every rule carries the comment "labfabric:<lab>"; down.sh removes exactly those.
import type { HostFabricPlan } from "../plan";
import { CORE_LIB, header } from "./lib";
import { iptablesRules, LIBVIRT_CHAINS, libvirtOpenings, type LibvirtOpening } from "./rules";
import { sections, shq } from "../shared";

export const FIREWALL_LIB = String.raw`lf_have_iptables() { command -v iptables >/dev/null 2>&1; }
lf_have_nft() { command -v nft >/dev/null 2>&1; }

# iptables-nft creates a table on first use and leaves it behind, empty, when the last rule
# goes: note the tables this lab brought into existence, so down.sh can drop them if empty.
lf_ipt_table_mark() {
  if lf_have_nft && iptables -V 2>/dev/null | grep -q nf_tables && ! nft list table ip "$1" >/dev/null 2>&1; then
    lf_mark "ipt-table.$1" "$1"
  fi
}

# lf_ipt TABLE CHAIN top|append RULE...: add RULE unless iptables -C finds it.
lf_ipt() {
  lf_t=$1 lf_c=$2 lf_at=$3
  shift 3
  if iptables -w -t "$lf_t" -C "$lf_c" "$@" 2>/dev/null; then lf_ok "iptables -t $lf_t $lf_c $*"; return 0; fi
  if [ "$lf_at" = top ]; then iptables -w -t "$lf_t" -I "$lf_c" 1 "$@"; else iptables -w -t "$lf_t" -A "$lf_c" "$@"; fi
  lf_did "iptables -t $lf_t $lf_c $*"
}

# lf_ipt_chain TABLE CHAIN PARENT: the lab's own chain exists and PARENT jumps to it (tagged)
# above libvirt's first jump (-j LIBVIRT_...). libvirt leaves existing jumps where they are when
# it reloads, but inserts its own at the top when it creates its chains (first network start
# after boot or a flush): then ours is moved back above them.
lf_ipt_chain() {
  lf_t=$1 lf_c=$2 lf_p=$3
  lf_desc="iptables -t $lf_t $lf_p -j $lf_c"
  if iptables -w -t "$lf_t" -S "$lf_c" >/dev/null 2>&1; then
    lf_ok "iptables -t $lf_t chain $lf_c"
  else
    iptables -w -t "$lf_t" -N "$lf_c"
    lf_did "iptables -t $lf_t chain $lf_c"
  fi
  if iptables -w -t "$lf_t" -C "$lf_p" -m comment --comment "$LF_TAG" -j "$lf_c" 2>/dev/null; then
    lf_pos=$(iptables -w -t "$lf_t" -S "$lf_p" | awk -v j=" -j $lf_c " -v q1="--comment \"$LF_TAG\" " -v q2="--comment $LF_TAG " '
      $1 != "-A" { next }
      { n++; line = $0 " " }
      !mine && index(line, j) && (index(line, q1) || index(line, q2)) { mine = n }
      !first && index(line, " -j LIBVIRT_") { first = n }
      END { if (first && first < mine) print "late"; else print "ok" }')
  else
    lf_pos=none
  fi
  case $lf_pos in
    ok) lf_ok "$lf_desc" ;;
    none)
      iptables -w -t "$lf_t" -I "$lf_p" 1 -m comment --comment "$LF_TAG" -j "$lf_c"
      lf_did "$lf_desc (inserted at 1)" ;;
    late)
      while iptables -w -t "$lf_t" -D "$lf_p" -m comment --comment "$LF_TAG" -j "$lf_c" 2>/dev/null; do :; done
      iptables -w -t "$lf_t" -I "$lf_p" 1 -m comment --comment "$LF_TAG" -j "$lf_c"
      lf_did "$lf_desc (moved above libvirt's jumps)" ;;
  esac
}

# lf_nft_first CHAIN STOP RULE: the same for nftables, in table ip libvirt_network.
lf_nft_first() {
  lf_c=$1 lf_stop=$2 lf_r=$3
  if ! nft list chain ip libvirt_network "$lf_c" >/dev/null 2>&1; then
    lf_skip "nft chain ip libvirt_network $lf_c does not exist"
    return 0
  fi
  lf_pos=$(nft -a list chain ip libvirt_network "$lf_c" | awk -v want="$lf_r comment \"$LF_TAG\"" -v stop=" $lf_stop " '
    / # handle [0-9]+$/ && !/^[ \t]*chain / {
      n++
      line = $0
      sub(/^[ \t]+/, "", line)
      sub(/ # handle [0-9]+$/, "", line)
      if (!mine && line == want) { mine = n; handle = $NF }
      if (!first && index(" " line " ", stop)) first = n
    }
    END { if (!mine) print "none"; else if (first && first < mine) print handle; else print "ok" }')
  case $lf_pos in
    ok) lf_ok "nft ip libvirt_network $lf_c: $lf_r" ;;
    none)
      nft "insert rule ip libvirt_network $lf_c $lf_r comment \"$LF_TAG\""
      lf_did "nft ip libvirt_network $lf_c: $lf_r (inserted first)" ;;
    *)
      nft delete rule ip libvirt_network "$lf_c" handle "$lf_pos"
      nft "insert rule ip libvirt_network $lf_c $lf_r comment \"$LF_TAG\""
      lf_did "nft ip libvirt_network $lf_c: $lf_r (moved above libvirt's $lf_stop)" ;;
  esac
}`;

/**
 * down.sh: remove every rule tagged with this lab's comment, in both backends, then the lab's
 * own (now empty and unreferenced) iptables chain LF_CHAIN in filter and nat.
 */
export const FIREWALL_DOWN_LIB = String.raw`lf_firewall_down() {
  if command -v iptables-save >/dev/null 2>&1; then
    for lf_t in filter nat; do
      lf_rules=$(iptables-save -t "$lf_t" 2>/dev/null | grep -E -e "--comment \"?$LF_TAG\"?( |$)" | sed 's/^-A /-D /' || true)
      if [ -n "$lf_rules" ]; then
        printf '*%s\n%s\nCOMMIT\n' "$lf_t" "$lf_rules" | iptables-restore -w -n
        lf_did "removed $(printf '%s\n' "$lf_rules" | wc -l | tr -d ' ') iptables rule(s) tagged $LF_TAG from table $lf_t"
      fi
      if [ -n "$LF_CHAIN" ] && iptables -w -t "$lf_t" -S "$LF_CHAIN" >/dev/null 2>&1; then
        if iptables -w -t "$lf_t" -S "$LF_CHAIN" | grep -q '^-A '; then
          lf_skip "iptables -t $lf_t chain $LF_CHAIN holds rules not tagged $LF_TAG: kept"
        elif iptables -w -t "$lf_t" -X "$LF_CHAIN" 2>/dev/null; then
          lf_did "removed iptables -t $lf_t chain $LF_CHAIN"
        else
          lf_skip "iptables -t $lf_t chain $LF_CHAIN is still referenced: kept"
        fi
      fi
    done
  fi
  for lf_m in "$LF_STATE/owned/ipt-table".*; do
    [ -f "$lf_m" ] || continue
    read -r lf_t < "$lf_m" || true
    if nft list table ip "$lf_t" >/dev/null 2>&1; then
      if iptables-save -t "$lf_t" 2>/dev/null | grep -qE '^-A |^:[^ ]+ (DROP|-) '; then
        lf_skip "iptables table $lf_t: now used by others, kept"
      else
        nft delete table ip "$lf_t"
        lf_did "removed the empty table ip $lf_t (up.sh brought it into existence)"
      fi
    fi
    rm -f "$lf_m"
  done
  if command -v nft >/dev/null 2>&1 && nft list table ip libvirt_network >/dev/null 2>&1; then
    lf_rules=$(nft -a list table ip libvirt_network | awk -v tag="comment \"$LF_TAG\" # handle " '
      $1 == "chain" { c = $2 }
      index($0, tag) { print c, $NF }')
    while read -r lf_c lf_h; do
      [ -n "$lf_c" ] || continue
      nft delete rule ip libvirt_network "$lf_c" handle "$lf_h"
      lf_did "removed nft rule $lf_h tagged $LF_TAG from ip libvirt_network $lf_c"
    done <<LF_NFT_RULES
$lf_rules
LF_NFT_RULES
  fi
}`;

/** nft prints a /32 as the bare address; match its listing exactly. */
function nftAddress(cidr: string): string {
  return cidr.endsWith("/32") ? cidr.slice(0, -3) : cidr;
}

function iptablesOpening(o: LibvirtOpening): string {
  const c = LIBVIRT_CHAINS[o.kind].iptables;
  const match = ["-s", o.source, "-d", o.destination].map(shq).join(" ");
  return `  lf_ipt ${c.table} "$LF_CHAIN" append ${match} -m comment --comment "$LF_TAG" -j ACCEPT`;
}

function nftOpening(o: LibvirtOpening): string {
  const c = LIBVIRT_CHAINS[o.kind].nftables;
  const rule = `ip saddr ${nftAddress(o.source)} ip daddr ${nftAddress(o.destination)} ${c.verdict}`;
  return `  lf_nft_first ${c.chain} ${c.before} ${shq(rule)}`;
}

function renderIptablesRules(plan: HostFabricPlan): string | undefined {
  const rules = iptablesRules(plan);
  if (rules.length === 0) return undefined;
  const lines = rules.map((r) => {
    const args = [...r.match.map(shq), "-m", "comment", "--comment", '"$LF_TAG"', "-j", r.target];
    return `lf_ipt ${r.table} ${r.chain} ${r.at} ${args.join(" ")}`;
  });
  const tables = [...new Set(rules.map((r) => r.table))];
  const body = [...tables.map((t) => `lf_ipt_table_mark ${t}`), ...lines];
  if (plan.masquerade) {
    return [
      "# Egress for the VM subnet: masquerade out the underlay, forward out, replies only back in.",
      'lf_have_iptables || lf_die "iptables is not installed: install it (the nftables-backed iptables is fine), or set fabric.masquerade to false"',
      ...body,
    ].join("\n");
  }
  return [
    "# Bridged VM<->VM traffic through FORWARD (br_netfilter); no egress (fabric.masquerade is off).",
    "if lf_have_iptables; then",
    ...body.map((l) => `  ${l}`),
    "else",
    '  lf_skip "iptables is not installed: nothing filters FORWARD, no rule needed"',
    "fi",
  ].join("\n");
}

function renderLibvirtOpenings(plan: HostFabricPlan): string | undefined {
  const openings = libvirtOpenings(plan);
  if (openings.length === 0) return undefined;
  const later = plan.persist
    ? "the libvirt network hook opens them when libvirt starts a network"
    : "run up.sh again after libvirt has started its networks (fabric.persist is off, so no hook is installed)";
  const tables = [...new Set(openings.map((o) => LIBVIRT_CHAINS[o.kind].iptables))];
  const parents = [...new Map(tables.map((t) => [t.table, t])).values()];
  return [
    "# libvirt's NAT firewall rejects new connections into its subnets and masquerades everything",
    "# leaving them: open the peers' subnets and keep VM addresses between hosts.",
    "# iptables backend: the lab's own chain, jumped to above libvirt's jumps, which libvirt's",
    "# reloads (daemon restart, network start) never touch.",
    "lf_found=0",
    "if lf_have_iptables && iptables -w -t filter -S LIBVIRT_FWI >/dev/null 2>&1; then",
    "  lf_found=1",
    '  echo "libvirt firewall: iptables backend (chains LIBVIRT_FWI/FWO/PRT): openings in chain $LF_CHAIN, jumped to first"',
    ...parents.map((t) => `  lf_ipt_chain ${t.table} "$LF_CHAIN" ${t.parent}`),
    ...openings.map(iptablesOpening),
    "fi",
    "if lf_have_nft && nft list table ip libvirt_network >/dev/null 2>&1; then",
    "  lf_found=1",
    '  echo "libvirt firewall: nftables backend (table ip libvirt_network)"',
    ...openings.map(nftOpening),
    "fi",
    'if [ "$lf_found" = 0 ]; then',
    `  echo ${shq(`libvirt firewall: neither the iptables chain LIBVIRT_FWI nor the nftables table 'ip libvirt_network' exists yet, nothing to open now; ${later}`)}`,
    "fi",
  ].join("\n");
}

/** The firewall steps (no header): used inside apply.sh and as firewall.sh. */
export function renderFirewallSteps(plan: HostFabricPlan): string | undefined {
  return sections(renderIptablesRules(plan), renderLibvirtOpenings(plan)) || undefined;
}

/** firewall.sh: only the firewall part, for the libvirt network hook. */
export function renderFirewallScript(plan: HostFabricPlan): string {
  return `${sections(
    header(plan, "firewall.sh (re-run by the libvirt network hook)"),
    CORE_LIB,
    FIREWALL_LIB,
    'echo "labfabric $LF_LAB on $LF_HOST: firewall"',
    renderFirewallSteps(plan) ?? 'lf_skip "no firewall rules planned for this host"',
    'lf_done "labfabric $LF_LAB on $LF_HOST: firewall"',
  )}\n`;
}
