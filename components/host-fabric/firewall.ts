// The firewall part of the host fabric, on its own so the libvirt network hook can re-run
// just this (libvirt rebuilds its NAT rules when it starts a network, dropping ours).
// vxlan mode: masquerade + scoped FORWARD accepts in the host's iptables tables.
// routed mode: openings in libvirt's NAT firewall, iptables backend (LIBVIRT_FWI/FWO/PRT)
// or nftables backend (table ip libvirt_network), detected on the host.
// Every rule carries the comment "labfabric:<lab>"; down.sh removes exactly those.
import type { HostFabricPlan } from "../lab/fabric";
import { CORE_LIB, header } from "./lib";
import { iptablesRules, LIBVIRT_CHAINS, libvirtOpenings, type LibvirtOpening } from "./rules";
import { sections, shq } from "./shell";

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

# lf_ipt_first TABLE CHAIN STOP SOURCE DESTINATION TARGET: make sure the tagged rule
# "-s SOURCE -d DESTINATION -j TARGET" exists AND sits above the chain's first "-j STOP"
# (libvirt inserts its REJECT at the top again when it restarts a network).
lf_ipt_first() {
  lf_t=$1 lf_c=$2 lf_stop=$3 lf_s=$4 lf_d=$5 lf_j=$6
  lf_desc="iptables -t $lf_t $lf_c -s $lf_s -d $lf_d -j $lf_j"
  if iptables -w -t "$lf_t" -C "$lf_c" -s "$lf_s" -d "$lf_d" -m comment --comment "$LF_TAG" -j "$lf_j" 2>/dev/null; then
    lf_pos=$(iptables -w -t "$lf_t" -S "$lf_c" | awk -v s=" -s $lf_s " -v d=" -d $lf_d " \
      -v q1="--comment \"$LF_TAG\" " -v q2="--comment $LF_TAG " -v j=" -j $lf_j " -v stop=" -j $lf_stop " '
      $1 != "-A" { next }
      { n++; line = $0 " " }
      !mine && index(line, s) && index(line, d) && (index(line, q1) || index(line, q2)) && index(line, j) { mine = n }
      !first && index(line, stop) { first = n }
      END { if (first && first < mine) print "late"; else print "ok" }')
  else
    lf_pos=none
  fi
  case $lf_pos in
    ok) lf_ok "$lf_desc" ;;
    none)
      iptables -w -t "$lf_t" -I "$lf_c" 1 -s "$lf_s" -d "$lf_d" -m comment --comment "$LF_TAG" -j "$lf_j"
      lf_did "$lf_desc (inserted at 1)" ;;
    late)
      while iptables -w -t "$lf_t" -D "$lf_c" -s "$lf_s" -d "$lf_d" -m comment --comment "$LF_TAG" -j "$lf_j" 2>/dev/null; do :; done
      iptables -w -t "$lf_t" -I "$lf_c" 1 -s "$lf_s" -d "$lf_d" -m comment --comment "$LF_TAG" -j "$lf_j"
      lf_did "$lf_desc (moved above libvirt's $lf_stop)" ;;
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

/** down.sh: remove every rule tagged with this lab's comment, in both backends. */
export const FIREWALL_DOWN_LIB = String.raw`lf_firewall_down() {
  if command -v iptables-save >/dev/null 2>&1; then
    for lf_t in filter nat; do
      lf_rules=$(iptables-save -t "$lf_t" 2>/dev/null | grep -E -e "--comment \"?$LF_TAG\"?( |$)" | sed 's/^-A /-D /' || true)
      if [ -n "$lf_rules" ]; then
        printf '*%s\n%s\nCOMMIT\n' "$lf_t" "$lf_rules" | iptables-restore -w -n
        lf_did "removed $(printf '%s\n' "$lf_rules" | wc -l | tr -d ' ') iptables rule(s) tagged $LF_TAG from table $lf_t"
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
  return `  lf_ipt_first ${c.table} ${c.chain} ${c.before} ${shq(o.source)} ${shq(o.destination)} ${c.target}`;
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
  const input = openings.filter((o) => o.kind !== "nat");
  const nat = openings.filter((o) => o.kind === "nat");
  const later = plan.persist
    ? "the libvirt network hook opens them when libvirt starts a network"
    : "run up.sh again after libvirt has started its networks (fabric.persist is off, so no hook is installed)";
  return [
    "# libvirt's NAT firewall rejects new connections into its subnets and masquerades everything",
    "# leaving them: open the peers' subnets and keep VM addresses between hosts.",
    "lf_found=0",
    "if lf_have_iptables && iptables -w -t filter -S LIBVIRT_FWI >/dev/null 2>&1; then",
    "  lf_found=1",
    '  echo "libvirt firewall: iptables backend (chains LIBVIRT_FWI/FWO/PRT)"',
    ...input.map(iptablesOpening),
    ...(nat.length > 0
      ? [
          "  if iptables -w -t nat -S LIBVIRT_PRT >/dev/null 2>&1; then",
          ...nat.map((o) => `  ${iptablesOpening(o)}`),
          "  else",
          '    lf_skip "iptables -t nat LIBVIRT_PRT does not exist (no NAT network yet)"',
          "  fi",
        ]
      : []),
    "fi",
    "if lf_have_nft && nft list table ip libvirt_network >/dev/null 2>&1; then",
    "  lf_found=1",
    '  echo "libvirt firewall: nftables backend (table ip libvirt_network)"',
    ...[...input, ...nat].map(nftOpening),
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
