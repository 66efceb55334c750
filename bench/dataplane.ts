// Sections 1 and 2: the data plane of each fabric configuration in the namespace lab.
// Every configuration is two "hosts" on one switch, each with one "VM", built from a lab spec
// through `loadLab` and the rendered up.sh run as-is in each host namespace (as the tests do):
//   vxlan-1500  VXLAN over a 1500 underlay, VMs at the planned 1450
//   vxlan-9000  VXLAN over a 9000 underlay, VMs at the planned 8950
//   routed      post D: libvirt-like NAT networks joined by static routes, VMs at 1500
//   post-A      the mistake: the vxlan-1500 fabric, but VM NICs left at 1500
// Goodput: iperf3 (-t 3 -J), VM -> VM across the fabric and host -> host on the underlay,
// round-robin over every configuration and path so noise hits all alike.
// Correctness: a DF ping sweep around the planned MTU; a size that neither gets a reply nor
// an error the sender sees is a BLACK HOLE.
import type { ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";
import { formatReport } from "../components/lab/findings";
import { loadLab, type LabPlan } from "../components/lab/plan";
import { renderUpScript } from "../components/host-fabric/scripts";
import {
  addFakeLibvirtNetwork,
  addHost,
  addSwitch,
  addVm,
  attach,
  reaches,
  type NetnsLab,
} from "../tests/netns";
import { background, fmt, median, newLab, runAsync, sleep, table, tempDir } from "./lib";

export interface Endpoint {
  machine: string;
  address: string;
}

export interface FabricConfig {
  key: string;
  what: string;
  lab: NetnsLab;
  underlayMtu: number;
  /** The VM MTU the planner plans for this lab. */
  plannedMtu: number;
  /** The MTU actually set on the VM NICs (differs only in the post-A mistake). */
  vmMtu: number;
  /** Payload efficiency of the layer stack from the planner's budget; undefined if unplannable. */
  efficiency?: number;
  /** The planner's MTU budget path for the VMs: layer MTUs, outermost first. */
  stack: string;
  overlay: { from: Endpoint; to: Endpoint };
  underlay: { from: Endpoint; to: Endpoint };
  servers: ChildProcess[];
}

const IPERF_PORT = "5201";
const CPUS = availableParallelism();

function planOrThrow(raw: unknown, name: string): LabPlan {
  const r = loadLab(raw, name);
  if (!r.ok) throw new Error(`bench lab ${name} does not load:\n${formatReport(r.findings)}`);
  return r.plan;
}

function mustUp(lab: NetnsLab, plan: LabPlan, host: string): void {
  const h = plan.hosts.find((x) => x.host === host)!;
  const r = lab.sh(host, renderUpScript(h));
  if (r.code !== 0) throw new Error(`up.sh on ${host} failed (${r.code}):\n${r.stdout}${r.stderr}`);
}

/** The VM path of the planner's MTU budget: its efficiency and its layers as one line. */
function budget(plan: LabPlan): { efficiency: number; stack: string } {
  const path = plan.mtu.paths[0];
  if (!path) throw new Error(`lab ${plan.lab} has no MTU path`);
  const stack = path.layers
    .map((l) => `${l.layer} ${l.mtu}${l.overhead ? ` (-${l.overhead})` : ""}`)
    .join(" > ");
  return { efficiency: path.efficiency, stack };
}

/** Two hosts joined by the planned VXLAN fabric, one VM each at `vmMtu` (default: planned). */
function vxlanConfig(
  key: string,
  what: string,
  n: number,
  underlayMtu: number,
  vmMtu?: number,
): FabricConfig {
  const lab = newLab();
  const net = `10.250.${200 + n}`;
  const vmNet = `10.251.${200 + n}`;
  const hosts = ["h1", "h2"];
  const plan = planOrThrow(
    {
      hosts: hosts.map((h, i) => ({
        name: h,
        ssh: { address: `${net}.${11 + i}` },
        underlay: { interface: "eth0", address: `${net}.${11 + i}/24`, mtu: underlayMtu },
        root: tempDir(`${key}-${h}`),
      })),
      fabric: { mode: "vxlan", vni: 900 + n, vmSubnet: `${vmNet}.0/24` },
    },
    `bench-${key.toLowerCase()}`,
  );
  const planned = plan.mtu.vmMtu;
  addSwitch(lab, "sw", underlayMtu);
  hosts.forEach((h, i) =>
    addHost(lab, {
      name: h,
      switch: "sw",
      iface: "eth0",
      address: `${net}.${11 + i}/24`,
      mtu: underlayMtu,
    }),
  );
  hosts.forEach((h) => mustUp(lab, plan, h));
  const bridge = plan.spec.fabric.bridge;
  hosts.forEach((h, i) => {
    addVm(lab, {
      name: `vm${i + 1}`,
      host: h,
      port: `v${i + 1}`,
      address: `${vmNet}.${11 + i}/24`,
      mtu: vmMtu ?? planned,
    });
    attach(lab, h, `v${i + 1}`, bridge);
  });
  return {
    key,
    what,
    lab,
    underlayMtu,
    plannedMtu: planned,
    vmMtu: vmMtu ?? planned,
    ...(vmMtu === undefined || vmMtu <= planned
      ? budget(plan)
      : { stack: `${budget(plan).stack}, but VM NICs set to ${vmMtu}` }),
    overlay: {
      from: { machine: "vm1", address: `${vmNet}.11` },
      to: { machine: "vm2", address: `${vmNet}.12` },
    },
    underlay: {
      from: { machine: "h1", address: `${net}.11` },
      to: { machine: "h2", address: `${net}.12` },
    },
    servers: [],
  };
}

/** Post D: a libvirt-like NAT network per host (iptables backend), joined by static routes. */
function routedConfig(key: string, what: string, n: number): FabricConfig {
  const lab = newLab();
  const net = `10.250.${200 + n}`;
  const internal = `10.250.${220 + n}`;
  const vmNets = [`10.252.${200 + n}`, `10.252.${220 + n}`];
  const hosts = ["h1", "h2"];
  const plan = planOrThrow(
    {
      hosts: hosts.map((h, i) => ({
        name: h,
        ssh: { address: `${net}.${11 + i}` },
        underlay: { interface: "eth0", address: `${net}.${11 + i}/24` },
        internalAddress: `${internal}.${1 + i}/24`,
        root: tempDir(`${key}-${h}`),
      })),
      fabric: { mode: "routed", rpFilter: 0 },
      networks: hosts.map((h, i) => ({
        name: `nat${i + 1}`,
        host: h,
        mode: "nat",
        bridge: `virbr${i + 1}`,
        cidr: `${vmNets[i]}.0/24`,
      })),
    },
    `bench-${key.toLowerCase()}`,
  );
  const planned = plan.mtu.vmMtu;
  addSwitch(lab, "sw");
  hosts.forEach((h, i) =>
    addHost(lab, { name: h, switch: "sw", iface: "eth0", address: `${net}.${11 + i}/24` }),
  );
  hosts.forEach((h, i) => {
    addFakeLibvirtNetwork(lab, {
      host: h,
      bridge: `virbr${i + 1}`,
      cidr: `${vmNets[i]}.0/24`,
      gateway: `${vmNets[i]}.1/24`,
      backend: "iptables",
    });
    addVm(lab, {
      name: `vm${i + 1}`,
      host: h,
      port: "vnet0",
      address: `${vmNets[i]}.10/24`,
      gateway: `${vmNets[i]}.1`,
      mtu: planned,
    });
    attach(lab, h, "vnet0", `virbr${i + 1}`);
  });
  hosts.forEach((h) => mustUp(lab, plan, h));
  return {
    key,
    what,
    lab,
    underlayMtu: 1500,
    plannedMtu: planned,
    vmMtu: planned,
    ...budget(plan),
    overlay: {
      from: { machine: "vm1", address: `${vmNets[0]}.10` },
      to: { machine: "vm2", address: `${vmNets[1]}.10` },
    },
    underlay: {
      from: { machine: "h1", address: `${net}.11` },
      to: { machine: "h2", address: `${net}.12` },
    },
    servers: [],
  };
}

/** The planner's answer to post A's configuration (fabric.vmMtu 1500 on a 1500 underlay). */
export function postARefusal(): string {
  const r = loadLab(
    {
      hosts: ["h1", "h2"].map((h, i) => ({
        name: h,
        ssh: { address: `10.250.9.${11 + i}` },
        underlay: { interface: "eth0", address: `10.250.9.${11 + i}/24`, mtu: 1500 },
      })),
      fabric: { mode: "vxlan", vmSubnet: "10.251.9.0/24", vmMtu: 1500 },
    },
    "bench-post-a",
  );
  return r.ok ? "(accepted: unexpected)" : formatReport(r.findings);
}

export function buildConfigs(): FabricConfig[] {
  const configs = [
    vxlanConfig("vxlan-1500", "VXLAN, 1500 underlay, VM 1450 (planned)", 1, 1500),
    vxlanConfig("vxlan-9000", "VXLAN, 9000 underlay, VM 8950 (planned)", 2, 9000),
    routedConfig("routed", "routed + libvirt NAT (post D), VM 1500 (planned)", 3),
    vxlanConfig("post-A", "post A mistake: VXLAN, 1500 underlay, VM 1500", 4, 1500, 1500),
  ];
  for (const c of configs) {
    if (!reaches(c.lab, c.overlay.from.machine, c.overlay.to.address))
      throw new Error(`${c.key}: ${c.overlay.from.machine} does not reach ${c.overlay.to.address}`);
    if (!reaches(c.lab, c.underlay.from.machine, c.underlay.to.address))
      throw new Error(`${c.key}: ${c.underlay.from.machine} does not reach the peer host`);
  }
  return configs;
}

export function configTable(configs: FabricConfig[]): string {
  return table(
    "Configurations (each: 2 host namespaces on one switch, 1 VM namespace per host; up.sh as rendered)",
    ["config", "what", "planner's MTU budget for the VM path", "efficiency"],
    configs.map((c) => [
      c.key,
      c.what,
      c.stack,
      c.efficiency !== undefined ? fmt(c.efficiency, 3) : "n/a",
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Section 2: DF sweep

export type ProbeOutcome = "pass" | "error" | "BLACK HOLE";

/** Two DF pings of an exact IP packet size: a reply, an error the sender sees, or nothing. */
export async function dfProbe(
  lab: NetnsLab,
  from: string,
  to: string,
  packet: number,
): Promise<{ outcome: ProbeOutcome; detail: string }> {
  const argv = ["ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "-M", "do"];
  argv.push("-s", String(packet - 28), to);
  const r = await runAsync(["ip", "netns", "exec", lab.ns(from), ...argv], { timeoutMs: 10_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  if (/bytes from/.test(out)) return { outcome: "pass", detail: "reply" };
  const tooLong = /message too long[^\n]*/i.exec(out);
  if (tooLong) return { outcome: "error", detail: tooLong[0].replace(/^.*?: /, "").trim() };
  const fragNeeded = /Frag needed[^\n]*/i.exec(out);
  if (fragNeeded) return { outcome: "error", detail: `ICMP ${fragNeeded[0].trim()}` };
  return { outcome: "BLACK HOLE", detail: "no reply, no error" };
}

/** IP packet sizes to probe: planned-8 .. planned+8 in steps of 2, plus a few larger. */
export function sweepSizes(c: FabricConfig): number[] {
  const p = c.plannedMtu;
  const around = Array.from({ length: 9 }, (_, i) => p - 8 + 2 * i);
  const extra =
    c.key === "post-A"
      ? [1460, 1472, 1480, 1490, 1498, 1500, 1501, 1600]
      : [p + 50, 1500, 1501, 9000, 9001];
  return [...new Set([...around, ...extra])]
    .filter((s) => s >= 1280 && s <= 9216)
    .sort((a, b) => a - b);
}

export interface SweepResult {
  config: FabricConfig;
  rows: { size: number; expected: "pass" | "error"; outcome: ProbeOutcome; detail: string }[];
}

async function flushPmtu(c: FabricConfig): Promise<void> {
  for (const m of ["vm1", "vm2", "h1", "h2"]) {
    await runAsync(["ip", "netns", "exec", c.lab.ns(m), "ip", "route", "flush", "cache"]);
  }
}

export async function sweep(c: FabricConfig): Promise<SweepResult> {
  await flushPmtu(c);
  const rows: SweepResult["rows"] = [];
  for (const size of sweepSizes(c)) {
    const { outcome, detail } = await dfProbe(
      c.lab,
      c.overlay.from.machine,
      c.overlay.to.address,
      size,
    );
    rows.push({ size, expected: size <= c.plannedMtu ? "pass" : "error", outcome, detail });
  }
  return { config: c, rows };
}

/** Runs of adjacent probed sizes with this outcome: "1452..1500, 9000". */
function runsOf(rows: SweepResult["rows"], outcome: ProbeOutcome): string {
  const out: string[] = [];
  let run: number[] = [];
  for (const r of [...rows, undefined]) {
    if (r && r.outcome === outcome) {
      run.push(r.size);
      continue;
    }
    if (run.length) out.push(run.length === 1 ? `${run[0]}` : `${run[0]}..${run[run.length - 1]}`);
    run = [];
  }
  return out.join(", ") || "-";
}

export function sweepTables(results: SweepResult[]): string {
  const detail = results.map((r) => {
    const rows = r.rows.map((x) => [
      x.size,
      x.expected === "pass" ? "pass" : "error",
      x.outcome,
      x.outcome === x.expected ? "ok" : x.outcome === "BLACK HOLE" ? "BLACK HOLE" : "WRONG",
      x.detail,
    ]);
    return table(
      `DF sweep ${r.config.key} (VM NIC ${r.config.vmMtu}, planned ${r.config.plannedMtu}; sizes are IP packet bytes = ping -s + 28)`,
      ["size", "expected", "seen", "verdict", "detail"],
      rows,
    );
  });
  const summary = table(
    "DF sweep summary",
    ["config", "VM MTU", "planned", "pass up to", "clean errors", "BLACK HOLES", "verdict"],
    results.map((r) => {
      const passed = r.rows.filter((x) => x.outcome === "pass").map((x) => x.size);
      const holes = r.rows.filter((x) => x.outcome === "BLACK HOLE");
      const wrong = r.rows.filter((x) => x.outcome !== x.expected);
      return [
        r.config.key,
        r.config.vmMtu,
        r.config.plannedMtu,
        passed.length ? Math.max(...passed) : "-",
        runsOf(r.rows, "error"),
        runsOf(r.rows, "BLACK HOLE"),
        holes.length > 0
          ? `BLACK HOLE (${holes.length} sizes)`
          : wrong.length > 0
            ? "WRONG"
            : "ok: <= planned pass, > planned refused",
      ];
    }),
  );
  return [...detail, summary].join("\n\n");
}

// ---------------------------------------------------------------------------------------------
// Section 1: goodput

async function waitListening(lab: NetnsLab, machine: string, port: string): Promise<void> {
  for (let i = 0; i < 100; i++) {
    const r = await runAsync(
      ["ip", "netns", "exec", lab.ns(machine), "ss", "-Hltn", `sport = :${port}`],
      { timeoutMs: 5000 },
    );
    if (r.stdout.trim()) return;
    await sleep(50);
  }
  throw new Error(`iperf3 server in ${machine} did not start listening`);
}

export async function startServers(c: FabricConfig): Promise<void> {
  for (const to of [c.overlay.to, c.underlay.to]) {
    c.servers.push(
      background([
        "ip",
        "netns",
        "exec",
        c.lab.ns(to.machine),
        "iperf3",
        "-s",
        "-B",
        to.address,
        "-p",
        IPERF_PORT,
      ]),
    );
    await waitListening(c.lab, to.machine, IPERF_PORT);
  }
}

export interface IperfRun {
  gbps: number;
  retransmits?: number;
  error?: string;
  /** The path MTU the sender learned during the run (an ICMP frag-needed reached it). */
  learnedPmtu?: number;
}

export async function iperf(lab: NetnsLab, from: Endpoint, to: Endpoint): Promise<IperfRun> {
  const r = await runAsync(
    [
      "ip",
      "netns",
      "exec",
      lab.ns(from.machine),
      "iperf3",
      "-c",
      to.address,
      "-B",
      from.address,
      "-p",
      IPERF_PORT,
      "-t",
      "3",
      "-J",
      "--connect-timeout",
      "3000",
      // Client on CPU 0, server on CPU 1: on a 2-core machine the scheduler otherwise sometimes
      // puts both on one core, and a run's goodput depends on where they landed.
      ...(CPUS > 1 ? ["-A", "0,1"] : []),
    ],
    { timeoutMs: 15_000 },
  );
  const route = await runAsync([
    "ip",
    "netns",
    "exec",
    lab.ns(from.machine),
    "ip",
    "route",
    "get",
    to.address,
  ]);
  const pmtu = / mtu (\d+)/.exec(route.stdout);
  const learned = pmtu ? { learnedPmtu: Number(pmtu[1]) } : {};
  if (r.timedOut) return { gbps: 0, error: "client killed after 15 s (stalled)", ...learned };
  try {
    const j = JSON.parse(r.stdout) as {
      error?: string;
      end?: {
        sum_received?: { bits_per_second?: number };
        sum_sent?: { retransmits?: number };
      };
    };
    const bps = j.end?.sum_received?.bits_per_second ?? 0;
    return {
      gbps: bps / 1e9,
      retransmits: j.end?.sum_sent?.retransmits,
      ...(j.error ? { error: j.error } : {}),
      ...learned,
    };
  } catch {
    return {
      gbps: 0,
      error: `no JSON (exit ${r.code}): ${r.stderr.trim().slice(0, 120)}`,
      ...learned,
    };
  }
}

/**
 * How frames cross the lab. "offload": veth as it comes (GSO/TSO): TCP hands 64 KB
 * super-packets down and nothing on the way cuts them to the MTU, so the MTU hardly matters and
 * per-packet costs are paid per 64 KB. "wire": gso_max_segs 1 on every machine's eth0, so each
 * frame is MTU-sized as on a physical wire and per-packet costs are paid per MTU.
 */
export type Segmentation = "offload" | "wire";
export const SEGMENTATIONS: Segmentation[] = ["offload", "wire"];

const current = new Map<FabricConfig, Segmentation>();

function setSegmentation(c: FabricConfig, mode: Segmentation): void {
  if ((current.get(c) ?? "offload") === mode) return;
  for (const m of ["vm1", "vm2", "h1", "h2"])
    c.lab.ip(m, "link", "set", "dev", "eth0", "gso_max_segs", mode === "wire" ? "1" : "65535");
  current.set(c, mode);
}

export interface GoodputResult {
  config: FabricConfig;
  mode: Segmentation;
  overlay: IperfRun[];
  underlay: IperfRun[];
}

/**
 * `runs` rounds; each round measures every (config, mode, path) once, starting one later each
 * round, so slow phases of a noisy machine spread over all of them.
 */
export async function goodput(
  configs: FabricConfig[],
  runs: number,
  log: (s: string) => void,
): Promise<GoodputResult[]> {
  const results: GoodputResult[] = SEGMENTATIONS.flatMap((mode) =>
    configs.map((config) => ({ config, mode, overlay: [], underlay: [] })),
  );
  const jobs = results.flatMap((res) =>
    (["overlay", "underlay"] as const).map((path) => ({ res, path })),
  );
  for (let round = 0; round < runs; round++) {
    const t0 = performance.now();
    const order = jobs.map((_, i) => jobs[(i + round) % jobs.length]);
    for (const { res, path } of order) {
      setSegmentation(res.config, res.mode);
      await flushPmtu(res.config);
      const ends = res.config[path];
      res[path].push(await iperf(res.config.lab, ends.from, ends.to));
    }
    log(
      `  goodput round ${round + 1}/${runs}: ${jobs.length} runs in ${fmt((performance.now() - t0) / 1000, 0)} s`,
    );
  }
  for (const c of configs) setSegmentation(c, "offload");
  return results;
}

function range(xs: IperfRun[]): string {
  const g = xs.map((x) => x.gbps);
  return `${fmt(Math.min(...g), 2)}-${fmt(Math.max(...g), 2)}`;
}

const MODE_TITLE: Record<Segmentation, string> = {
  offload:
    "frames as veth makes them (GSO/TSO on: 64 KB super-packets cross the lab uncut, so the MTU hardly matters)",
  wire: "MTU-sized frames as on a physical wire (gso_max_segs 1 on every eth0: per-packet cost paid per MTU)",
};

export function goodputTable(results: GoodputResult[], runs: number): string {
  return SEGMENTATIONS.map((mode) => {
    const rows = results
      .filter((r) => r.mode === mode)
      .map((r) => {
        const o = median(r.overlay.map((x) => x.gbps));
        const u = median(r.underlay.map((x) => x.gbps));
        const failed = r.overlay.filter((x) => x.error || x.gbps === 0).length;
        const learned = r.overlay.map((x) => x.learnedPmtu).filter((x) => x !== undefined);
        const eff = r.config.efficiency;
        return [
          r.config.key,
          r.config.underlayMtu,
          r.config.vmMtu,
          fmt(o, 2),
          range(r.overlay),
          fmt(u, 2),
          range(r.underlay),
          u > 0 ? fmt(o / u, 3) : "-",
          eff !== undefined ? fmt(eff, 3) : "n/a (refused)",
          eff !== undefined && u > 0 ? fmt(o / u / eff, 3) : "-",
          fmt(median(r.overlay.map((x) => x.retransmits ?? NaN).filter(Number.isFinite)), 0),
          learned.length ? `${learned[0]} (${learned.length}/${runs})` : "-",
          failed ? `${failed}/${runs} runs moved nothing` : "",
        ];
      });
    return table(
      `TCP goodput, Gbit/s, ${MODE_TITLE[mode]}\n(iperf3 -t 3 -J, median of ${runs} interleaved runs; range = min-max; ratio = VM->VM / host->host)`,
      [
        "config",
        "underlay",
        "VM MTU",
        "VM->VM",
        "range",
        "host->host",
        "range",
        "ratio",
        "planned eff.",
        "ratio/eff.",
        "retr.",
        "PMTU learned",
        "notes",
      ],
      rows,
    );
  }).join("\n\n");
}
