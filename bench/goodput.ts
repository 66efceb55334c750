// Section 1: TCP goodput. iperf3 (-t 3 -J), VM -> VM across the fabric and host -> host on the
// underlay, round-robin over every configuration and path so noise hits all alike; once with
// frames as veth makes them (offload) and once MTU-sized, as on a physical wire.
import { availableParallelism } from "node:os";
import type { NetnsLab } from "../scripts/lab/kit";
import type { Endpoint, FabricConfig } from "./dataplane";
import { background, fmt, median, runAsync, sleep, table } from "./lib";
import { flushPmtu } from "./mtu-sweep";

const IPERF_PORT = "5201";
const CPUS = availableParallelism();

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
