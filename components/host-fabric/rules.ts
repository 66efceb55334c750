// The firewall/NAT rules a host gets, as data: rendered into the scripts (firewall.ts) and
// listed as readable outputs of the component. Pure; no Pulumi, no shell.
import type { HostFabricPlan } from "../plan";

/** A rule in the host's own iptables tables (vxlan mode: egress for the VM subnet). */
export interface IptablesRule {
  table: "filter" | "nat";
  chain: string;
  /** "top": inserted at position 1 (ahead of other FORWARD rules); "append": added at the end. */
  at: "top" | "append";
  /** Match arguments without the comment and target, e.g. ["-s", "10.39.0.0/24", "-o", "eth0"]. */
  match: string[];
  target: "ACCEPT" | "MASQUERADE";
  description: string;
}

export type LibvirtOpeningKind = "input" | "output" | "nat";

/**
 * An opening in libvirt's NAT firewall (routed mode). Each kind maps to one iptables chain
 * and one nftables chain; the rule must sit above libvirt's own REJECT / MASQUERADE.
 */
export interface LibvirtOpening {
  kind: LibvirtOpeningKind;
  source: string;
  destination: string;
  description: string;
}

/**
 * Where each opening goes in each libvirt firewall backend.
 *
 * iptables (libvirt <= 10.3, Debian 12's 9.0): in a chain of labfabric's own per table
 * (`labfabricChain`), jumped to from FORWARD / nat POSTROUTING ABOVE libvirt's own jumps
 * (LIBVIRT_FWX/FWI/FWO, LIBVIRT_PRT). libvirt re-creates the rules inside its chains on every
 * daemon restart and network start, but leaves existing jumps in FORWARD/POSTROUTING where they
 * are, so an ACCEPT reached first survives whatever libvirt reloads (verified against libvirtd
 * 9.0: tests/libvirt-real). In nat POSTROUTING the ACCEPT ends the nat table's traversal, so
 * libvirt's MASQUERADE is never reached for peer destinations.
 *
 * nftables (libvirt >= 10.4): an accept in another table cannot override libvirt's reject, so
 * the rule must go into `ip libvirt_network` itself, above libvirt's reject/masquerade: libvirt
 * rebuilds those chains when it starts a network, and the network hook puts the rule back.
 */
export const LIBVIRT_CHAINS: Record<
  LibvirtOpeningKind,
  {
    iptables: { table: "filter" | "nat"; parent: "FORWARD" | "POSTROUTING" };
    nftables: { chain: string; verdict: "accept" | "return"; before: string };
  }
> = {
  input: {
    iptables: { table: "filter", parent: "FORWARD" },
    nftables: { chain: "guest_input", verdict: "accept", before: "reject" },
  },
  output: {
    iptables: { table: "filter", parent: "FORWARD" },
    nftables: { chain: "guest_output", verdict: "accept", before: "reject" },
  },
  nat: {
    iptables: { table: "nat", parent: "POSTROUTING" },
    nftables: { chain: "guest_nat", verdict: "return", before: "masquerade" },
  },
};

/** iptables chain names hold at most 28 characters. */
const IPTABLES_CHAIN_MAX = 28;

/**
 * The lab's own iptables chain (same name in filter and nat): "LF-<lab>", or for long lab names
 * "LF-<first 17 characters>-<6 hex digits of an FNV-1a hash of the name>": two labs never share one.
 */
export function labfabricChain(lab: string): string {
  const plain = `LF-${lab}`;
  if (plain.length <= IPTABLES_CHAIN_MAX) return plain;
  let h = 0x811c9dc5;
  for (const c of Buffer.from(lab, "utf8")) h = Math.imul(h ^ c, 0x01000193) >>> 0;
  return `LF-${lab.slice(0, 17)}-${h.toString(16).padStart(8, "0").slice(0, 6)}`;
}

/** The nftables table libvirt >= 10.4 (nftables backend) keeps its rules in. */
export const LIBVIRT_NFT_TABLE = "ip libvirt_network";

export function iptablesRules(plan: HostFabricPlan): IptablesRule[] {
  const v = plan.vxlan;
  if (!v) return [];
  const rules: IptablesRule[] = [
    {
      // br_netfilter hands bridged frames to iptables; with FORWARD's policy DROP (e.g. Docker
      // hosts) VM<->VM traffic on the stretched segment would die here. Scoped to the bridge.
      table: "filter",
      chain: "FORWARD",
      at: "top",
      match: ["-i", v.bridge, "-o", v.bridge],
      target: "ACCEPT",
      description: `filter FORWARD: accept within ${v.bridge} (bridged VM<->VM)`,
    },
  ];
  const m = plan.masquerade;
  if (m) {
    rules.push(
      {
        table: "filter",
        chain: "FORWARD",
        at: "top",
        match: ["-s", m.subnet, "-i", m.bridge, "-o", m.outInterface],
        target: "ACCEPT",
        description: `filter FORWARD: accept ${m.subnet} from ${m.bridge} out ${m.outInterface}`,
      },
      {
        table: "filter",
        chain: "FORWARD",
        at: "top",
        match: [
          "-d",
          m.subnet,
          "-i",
          m.outInterface,
          "-o",
          m.bridge,
          "-m",
          "conntrack",
          "--ctstate",
          "RELATED,ESTABLISHED",
        ],
        target: "ACCEPT",
        description: `filter FORWARD: accept replies only (RELATED,ESTABLISHED) to ${m.subnet} from ${m.outInterface} into ${m.bridge}`,
      },
      {
        table: "nat",
        chain: "POSTROUTING",
        at: "append",
        match: ["-s", m.subnet, "-o", m.outInterface],
        target: "MASQUERADE",
        description: `nat POSTROUTING: masquerade ${m.subnet} out ${m.outInterface}`,
      },
    );
  }
  return rules;
}

export function libvirtOpenings(plan: HostFabricPlan): LibvirtOpening[] {
  const r = plan.routed;
  if (!r) return [];
  const out: LibvirtOpening[] = [];
  for (const local of r.localSubnets) {
    for (const peer of r.peerSources) {
      out.push({
        kind: "input",
        source: peer,
        destination: local,
        description: `libvirt input (FORWARD -> ${labfabricChain(plan.lab)} | guest_input): accept ${peer} -> ${local}`,
      });
    }
    for (const peer of r.peerSources) {
      out.push({
        kind: "output",
        source: local,
        destination: peer,
        description: `libvirt output (FORWARD -> ${labfabricChain(plan.lab)} | guest_output): accept ${local} -> ${peer}`,
      });
    }
    for (const peer of r.noMasqueradeTo) {
      out.push({
        kind: "nat",
        source: local,
        destination: peer,
        description: `libvirt nat (POSTROUTING -> ${labfabricChain(plan.lab)} | guest_nat): no masquerade ${local} -> ${peer}`,
      });
    }
  }
  return out;
}

/** Every firewall/NAT rule the host gets, one readable line each. */
export function describeRules(plan: HostFabricPlan): string[] {
  return [...iptablesRules(plan), ...libvirtOpenings(plan)].map((r) => r.description);
}

export interface FabricSummary {
  host: string;
  mode: HostFabricPlan["mode"];
  devices: { bridge?: string; vxlan?: string };
  routes: string[];
  rules: string[];
  /** MTU per layer: the underlay NIC, the fabric devices (vxlan mode) and what a VM NIC may use. */
  mtu: { underlay: number; fabric?: number; vm: number };
}

export function fabricSummary(plan: HostFabricPlan): FabricSummary {
  const v = plan.vxlan;
  return {
    host: plan.host,
    mode: plan.mode,
    devices: v ? { bridge: v.bridge, vxlan: v.device } : {},
    routes: (plan.routed?.routes ?? []).map(
      (r) => `${r.to} via ${r.via} dev ${plan.underlay.interface} (${r.peer})`,
    ),
    rules: describeRules(plan),
    mtu: v
      ? { underlay: plan.underlay.mtu, fabric: v.mtu, vm: v.mtu }
      : { underlay: plan.underlay.mtu, vm: plan.underlay.mtu },
  };
}
