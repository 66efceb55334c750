// A stand-in for a libvirt NAT network inside a host namespace: the bridge with its gateway
// address and the firewall rules libvirt itself creates, for both backends —
//   iptables (libvirt <= 10.3, Debian 12's 9.0): chains LIBVIRT_INP/OUT/FWX/FWI/FWO and
//     nat LIBVIRT_PRT, jumped to from INPUT/OUTPUT/FORWARD/POSTROUTING;
//   nftables (libvirt >= 10.4): table ip libvirt_network, base chain forward jumping to
//     guest_cross/guest_input/guest_output, base chain guest_nat.
// Rules are inserted the way libvirt does it (REJECT first, then the ACCEPTs above it), and
// `restartFakeLibvirtNetwork` removes and re-inserts them as a network restart would.
import type { NetnsLab } from "./netns";

export interface FakeLibvirtNetwork {
  host: string;
  bridge: string;
  /** The network, e.g. "10.252.112.0/24". */
  cidr: string;
  /** The host's address on the bridge with prefix, e.g. "10.252.112.1/24". */
  gateway: string;
  backend: "iptables" | "nftables";
}

function iptablesNetworkRules(n: FakeLibvirtNetwork): string[][] {
  const b = n.bridge;
  return [
    ["filter", "LIBVIRT_INP", "-i", b, "-p", "udp", "--dport", "53", "-j", "ACCEPT"],
    ["filter", "LIBVIRT_INP", "-i", b, "-p", "tcp", "--dport", "53", "-j", "ACCEPT"],
    ["filter", "LIBVIRT_INP", "-i", b, "-p", "udp", "--dport", "67", "-j", "ACCEPT"],
    ["filter", "LIBVIRT_OUT", "-o", b, "-p", "udp", "--dport", "68", "-j", "ACCEPT"],
    ["filter", "LIBVIRT_FWX", "-i", b, "-o", b, "-j", "ACCEPT"],
    ["filter", "LIBVIRT_FWO", "-i", b, "-j", "REJECT", "--reject-with", "icmp-port-unreachable"],
    ["filter", "LIBVIRT_FWI", "-o", b, "-j", "REJECT", "--reject-with", "icmp-port-unreachable"],
    ["filter", "LIBVIRT_FWO", "-s", n.cidr, "-i", b, "-j", "ACCEPT"],
    [
      "filter",
      "LIBVIRT_FWI",
      "-d",
      n.cidr,
      "-o",
      b,
      "-m",
      "conntrack",
      "--ctstate",
      "RELATED,ESTABLISHED",
      "-j",
      "ACCEPT",
    ],
    ["nat", "LIBVIRT_PRT", "-s", n.cidr, "!", "-d", n.cidr, "-j", "MASQUERADE"],
    [
      "nat",
      "LIBVIRT_PRT",
      "-s",
      n.cidr,
      "!",
      "-d",
      n.cidr,
      "-p",
      "udp",
      "-j",
      "MASQUERADE",
      "--to-ports",
      "1024-65535",
    ],
    [
      "nat",
      "LIBVIRT_PRT",
      "-s",
      n.cidr,
      "!",
      "-d",
      n.cidr,
      "-p",
      "tcp",
      "-j",
      "MASQUERADE",
      "--to-ports",
      "1024-65535",
    ],
    ["nat", "LIBVIRT_PRT", "-s", n.cidr, "-d", "255.255.255.255/32", "-j", "RETURN"],
    ["nat", "LIBVIRT_PRT", "-s", n.cidr, "-d", "224.0.0.0/24", "-j", "RETURN"],
  ];
}

function ensureIptablesChains(lab: NetnsLab, host: string): void {
  const has = lab.exec(host, ["iptables", "-w", "-S", "LIBVIRT_FWI"]).code === 0;
  if (has) return;
  for (const c of ["LIBVIRT_INP", "LIBVIRT_OUT", "LIBVIRT_FWO", "LIBVIRT_FWI", "LIBVIRT_FWX"]) {
    lab.mustExec(host, ["iptables", "-w", "-N", c]);
  }
  lab.mustExec(host, ["iptables", "-w", "-t", "nat", "-N", "LIBVIRT_PRT"]);
  lab.mustExec(host, ["iptables", "-w", "-I", "INPUT", "-j", "LIBVIRT_INP"]);
  lab.mustExec(host, ["iptables", "-w", "-I", "OUTPUT", "-j", "LIBVIRT_OUT"]);
  for (const c of ["LIBVIRT_FWO", "LIBVIRT_FWI", "LIBVIRT_FWX"]) {
    lab.mustExec(host, ["iptables", "-w", "-I", "FORWARD", "-j", c]);
  }
  lab.mustExec(host, ["iptables", "-w", "-t", "nat", "-I", "POSTROUTING", "-j", "LIBVIRT_PRT"]);
}

const NFT_BASE = `table ip libvirt_network {
  chain forward { type filter hook forward priority filter; policy accept; counter jump guest_cross; counter jump guest_input; counter jump guest_output; }
  chain guest_output { }
  chain guest_input { }
  chain guest_cross { }
  chain guest_nat { type nat hook postrouting priority srcnat; policy accept; }
}
`;

function nftNetworkRules(n: FakeLibvirtNetwork): string[] {
  const b = `"${n.bridge}"`;
  return [
    `insert rule ip libvirt_network guest_output iif ${b} counter reject`,
    `insert rule ip libvirt_network guest_input oif ${b} counter reject`,
    `insert rule ip libvirt_network guest_output ip saddr ${n.cidr} iif ${b} counter accept`,
    `insert rule ip libvirt_network guest_input oif ${b} ip daddr ${n.cidr} ct state related,established counter accept`,
    `insert rule ip libvirt_network guest_cross iif ${b} oif ${b} counter accept`,
    `insert rule ip libvirt_network guest_nat ip saddr ${n.cidr} ip daddr != ${n.cidr} counter masquerade`,
    `insert rule ip libvirt_network guest_nat meta l4proto udp ip saddr ${n.cidr} ip daddr != ${n.cidr} counter masquerade to :1024-65535`,
    `insert rule ip libvirt_network guest_nat meta l4proto tcp ip saddr ${n.cidr} ip daddr != ${n.cidr} counter masquerade to :1024-65535`,
    `insert rule ip libvirt_network guest_nat ip saddr ${n.cidr} ip daddr 255.255.255.255 counter return`,
    `insert rule ip libvirt_network guest_nat ip saddr ${n.cidr} ip daddr 224.0.0.0/24 counter return`,
  ];
}

function insertFirewall(lab: NetnsLab, n: FakeLibvirtNetwork): void {
  if (n.backend === "iptables") {
    ensureIptablesChains(lab, n.host);
    for (const [table, chain, ...rule] of iptablesNetworkRules(n)) {
      lab.mustExec(n.host, ["iptables", "-w", "-t", table, "-I", chain, ...rule]);
    }
  } else {
    if (lab.exec(n.host, ["nft", "list", "table", "ip", "libvirt_network"]).code !== 0) {
      lab.mustExec(n.host, ["nft", "-f", "-"], { input: NFT_BASE });
    }
    lab.mustExec(n.host, ["nft", "-f", "-"], { input: `${nftNetworkRules(n).join("\n")}\n` });
  }
}

function removeFirewall(lab: NetnsLab, n: FakeLibvirtNetwork): void {
  if (n.backend === "iptables") {
    for (const [table, chain, ...rule] of iptablesNetworkRules(n)) {
      lab.exec(n.host, ["iptables", "-w", "-t", table, "-D", chain, ...rule]);
    }
    return;
  }
  // libvirt deletes its own rules by handle; everything else in its chains stays.
  const listing = lab.mustExec(n.host, ["nft", "-a", "list", "table", "ip", "libvirt_network"]);
  let chain = "";
  for (const line of listing.split("\n")) {
    const c = /^\s*chain (\S+) \{/.exec(line);
    if (c) chain = c[1];
    const h = /# handle (\d+)$/.exec(line);
    // A rule of this network names its bridge or its subnet; rules others added stay.
    const ours = line.includes(`"${n.bridge}"`) || line.includes(n.cidr);
    if (!c && h && chain !== "forward" && ours && !line.includes("labfabric")) {
      lab.mustExec(n.host, [
        "nft",
        "delete",
        "rule",
        "ip",
        "libvirt_network",
        chain,
        "handle",
        h[1],
      ]);
    }
  }
}

/** Create the network's bridge (gateway address, up), its firewall rules, and ip_forward=1. */
export function addFakeLibvirtNetwork(lab: NetnsLab, n: FakeLibvirtNetwork): void {
  lab.ip(n.host, "link", "add", n.bridge, "type", "bridge");
  lab.ip(n.host, "addr", "add", n.gateway, "dev", n.bridge);
  lab.ip(n.host, "link", "set", n.bridge, "up");
  lab.mustExec(n.host, ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
  insertFirewall(lab, n);
}

/** What libvirt does to its firewall on a network restart: drop its rules, insert them again on top. */
export function restartFakeLibvirtNetwork(lab: NetnsLab, n: FakeLibvirtNetwork): void {
  removeFirewall(lab, n);
  insertFirewall(lab, n);
}
