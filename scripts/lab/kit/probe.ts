// Probes for namespace labs: pings (plain and DF at an exact size) and a snapshot of a
// machine's network state that ignores what changes by itself (counters, timers, learned
// FDB entries), so "ran twice = no change" and "down = as before" are plain equality checks.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import type { NetnsLab } from "./netns";

export interface PingOptions {
  /** ICMP payload bytes (-s). The IP packet is size + 28. */
  size?: number;
  /** Set DF and never fragment (-M do). */
  df?: boolean;
  /** Seconds to wait for the reply (-W). */
  wait?: number;
  /** Source interface or address (-I). */
  from?: string;
}

/** One ping from a machine; true when a reply came back. */
export function ping(lab: NetnsLab, machine: string, to: string, o: PingOptions = {}): boolean {
  const argv = ["ping", "-n", "-q", "-c", "1", "-W", String(o.wait ?? 1)];
  if (o.df) argv.push("-M", "do");
  if (o.size !== undefined) argv.push("-s", String(o.size));
  if (o.from) argv.push("-I", o.from);
  argv.push(to);
  return lab.exec(machine, argv, { timeoutMs: 15_000 }).code === 0;
}

/** True when any of `attempts` pings gets a reply (the first may wait for ARP/FDB). */
export function reaches(
  lab: NetnsLab,
  machine: string,
  to: string,
  o: PingOptions = {},
  attempts = 3,
): boolean {
  for (let i = 0; i < attempts; i++) if (ping(lab, machine, to, { wait: 2, ...o })) return true;
  return false;
}

/** The largest ICMP payload whose DF packet fits an IPv4 MTU. */
export function payloadFor(mtu: number): number {
  return mtu - 28;
}

export type Snapshot = Record<string, string>;

const DEFAULT_SYSCTLS = [
  "net/ipv4/ip_forward",
  "net/ipv4/conf/all/rp_filter",
  "net/ipv4/conf/default/rp_filter",
];

function cmd(lab: NetnsLab, machine: string, argv: string[]): string {
  const r = lab.exec(machine, argv);
  return r.code === 0 ? r.stdout : `(exit ${r.code}) ${r.stderr}`;
}

/** Every file and directory under `dir`, relative, sorted ("" when it does not exist). */
export function listTree(dir: string): string {
  const out: string[] = [];
  const walk = (d: string, rel: string) => {
    for (const e of readdirSync(d).sort()) {
      const p = join(d, e);
      const r = rel ? `${rel}/${e}` : e;
      const isDir = statSync(p).isDirectory();
      out.push(isDir ? `${r}/` : r);
      if (isDir) walk(p, r);
    }
  };
  try {
    walk(dir, "");
  } catch {
    return "";
  }
  return out.join("\n");
}

/** A machine's network state: links, IPv4 addresses, routes, static FDB, iptables, nftables, sysctls. */
export function snapshot(
  lab: NetnsLab,
  machine: string,
  o: { sysctls?: string[]; root?: string } = {},
): Snapshot {
  const sysctls = [...DEFAULT_SYSCTLS, ...(o.sysctls ?? [])];
  const snap: Snapshot = {
    // Timers tick, and the kernel derives a bridge's offload limits from its current ports.
    // An STP bridge (libvirt's) is in "topology change" for a while after a port joins, with
    // its ageing time cut to twice the forward delay until it ends: state that settles by
    // itself, so a snapshot taken seconds later must not differ on it.
    links: cmd(lab, machine, ["ip", "-d", "-o", "link", "show"])
      .replace(/\b(\w+_timer) +[\d.]+/g, "$1")
      .replace(/\b(topology_change(?:_detected)?|ageing_time) +\d+/g, "$1")
      .replace(/\b((?:gso|tso|gro|gso_ipv4|gro_ipv4)_max_(?:size|segs)) +\d+/g, "$1"),
    addresses: cmd(lab, machine, ["ip", "-4", "-o", "addr", "show"]),
    routes: cmd(lab, machine, ["ip", "-4", "route", "show", "table", "all"]),
    rules: cmd(lab, machine, ["ip", "-4", "rule", "show"]),
    fdb: cmd(lab, machine, ["bridge", "fdb", "show"])
      .split("\n")
      .filter((l) => /permanent|static| dst /.test(l))
      .join("\n"),
    iptables: cmd(lab, machine, ["iptables-save"])
      .split("\n")
      .filter((l) => !l.startsWith("#"))
      .map((l) => l.replace(/\[\d+:\d+\]/g, "[0:0]"))
      .join("\n"),
    nftables: cmd(lab, machine, ["nft", "list", "ruleset"]).replace(
      /counter packets \d+ bytes \d+/g,
      "counter",
    ),
    sysctls: lab
      .mustExec(machine, [
        "sh",
        "-c",
        'for k; do printf "%s=%s\\n" "$k" "$(cat "/proc/sys/$k" 2>/dev/null || echo absent)"; done',
        "sh",
        ...sysctls,
      ])
      .trim(),
  };
  if (o.root !== undefined) snap.files = listTree(o.root);
  return snap;
}

/** Snapshot without what a re-created device changes by itself (ifindex, MAC addresses). */
export function normalized(s: Snapshot): Snapshot {
  const out: Snapshot = {};
  for (const [k, v] of Object.entries(s)) {
    out[k] = v
      .replace(/^\d+: /gm, "")
      .replace(/@if\d+/g, "@if")
      .replace(/\b(bridge_id|designated_root|designated_bridge) [0-9a-f]+\.[0-9a-f:]+/g, "$1 <id>")
      .replace(/\b(?!00:00:00:00:00:00)([0-9a-f]{2}:){5}[0-9a-f]{2}\b/g, "<mac>")
      .split("\n")
      .sort()
      .join("\n");
  }
  return out;
}

/** Per key, the lines only in `a` ("-") and only in `b` ("+"); empty when equal. */
export function diffSnapshots(a: Snapshot, b: Snapshot): string[] {
  const out: string[] = [];
  for (const key of [...new Set([...Object.keys(a), ...Object.keys(b)])].sort()) {
    const x = (a[key] ?? "").split("\n");
    const y = (b[key] ?? "").split("\n");
    const gone = x.filter((l) => !y.includes(l)).map((l) => `${key} - ${l}`);
    const added = y.filter((l) => !x.includes(l)).map((l) => `${key} + ${l}`);
    const moved =
      gone.length + added.length === 0 && a[key] !== b[key]
        ? [`${key}: same lines, different order`]
        : [];
    out.push(...gone, ...added, ...moved);
  }
  return out;
}

/**
 * Count packets a machine receives from `source` (an iptables INPUT rule with a counter):
 * proves whether an address survived the trip or was masqueraded on the way.
 */
export function countFrom(lab: NetnsLab, machine: string, source: string): () => number {
  const tag = `count-from-${source}`;
  lab.mustExec(machine, [
    "iptables",
    "-w",
    "-I",
    "INPUT",
    "-s",
    source,
    "-m",
    "comment",
    "--comment",
    tag,
  ]);
  return () => {
    const line = lab
      .mustExec(machine, ["iptables", "-w", "-L", "INPUT", "-v", "-n", "-x"])
      .split("\n")
      .find((l) => l.includes(tag));
    return line ? Number(line.trim().split(/\s+/)[0]) : 0;
  };
}
