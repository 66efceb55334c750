// Section 3: convergence. N namespace hosts on one switch, a VXLAN lab planned for them through
// `loadLab`, and each host's rendered up.sh run as-is: all hosts at once (as Pulumi runs the
// per-host commands) vs one after another, then a second run of up.sh (the no-op re-apply) in
// the same way, then down.sh everywhere to start the next repetition from a clean host.
// Repetitions alternate which mode goes first. Every apply is checked: the first host reaches
// the last host's bridge address over the fabric, and the re-apply reports no change.
import { formatReport } from "../components/spec/findings";
import { loadLab } from "../components/load";
import { type LabPlan } from "../components/plan/plan";
import { renderDownScript, renderUpScript } from "../components/host-fabric/scripts";
import { addHost, addSwitch, reaches, type NetnsLab } from "../scripts/lab/kit";
import { fmt, median, newLab, shAsync, table, tempDir } from "./lib";

type Mode = "parallel" | "sequential";

interface Timing {
  apply: number[];
  noop: number[];
  /** Wall time of each host's up.sh (first apply), for the per-host cost. */
  perHost: number[];
  down: number[];
}

export interface ConvergeResult {
  hosts: number;
  fdbEntries: number;
  upBytes: number;
  timing: Record<Mode, Timing>;
}

function plan(n: number, roots: string[]): LabPlan {
  const r = loadLab(
    {
      hosts: roots.map((root, i) => ({
        name: `h${i + 1}`,
        ssh: { address: `10.250.230.${11 + i}` },
        underlay: { interface: "eth0", address: `10.250.230.${11 + i}/24` },
        root,
      })),
      fabric: { mode: "vxlan", vni: 4230 + n, vmSubnet: "10.251.230.0/24" },
    },
    `bench-converge-${n}`,
  );
  if (!r.ok) throw new Error(formatReport(r.findings));
  return r.plan;
}

/** Run one script per host, all at once or one after another; wall time in ms. */
async function runAll(
  lab: NetnsLab,
  scripts: { host: string; script: string }[],
  mode: Mode,
  what: string,
): Promise<{ wall: number; each: number[]; stdout: string[] }> {
  const t0 = performance.now();
  const results =
    mode === "parallel"
      ? await Promise.all(scripts.map((s) => shAsync(lab, s.host, s.script)))
      : await scripts.reduce(
          async (acc, s) => [...(await acc), await shAsync(lab, s.host, s.script)],
          Promise.resolve([] as Awaited<ReturnType<typeof shAsync>>[]),
        );
  const wall = performance.now() - t0;
  results.forEach((r, i) => {
    if (r.code !== 0)
      throw new Error(`${what} on ${scripts[i].host} failed (${r.code}):\n${r.stdout}${r.stderr}`);
  });
  return { wall, each: results.map((r) => r.ms), stdout: results.map((r) => r.stdout) };
}

function changes(stdout: string): string[] {
  return stdout.split("\n").filter((l) => l.startsWith("  changed "));
}

interface ConvergeLab {
  n: number;
  lab: NetnsLab;
  up: { host: string; script: string }[];
  down: { host: string; script: string }[];
  lastBridge: string;
  result: ConvergeResult;
}

function prepare(n: number): ConvergeLab {
  const lab = newLab();
  const hosts = Array.from({ length: n }, (_, i) => `h${i + 1}`);
  const p = plan(
    n,
    hosts.map((h) => tempDir(`conv${n}-${h}`)),
  );
  addSwitch(lab, "sw");
  hosts.forEach((h, i) =>
    addHost(lab, { name: h, switch: "sw", iface: "eth0", address: `10.250.230.${11 + i}/24` }),
  );
  const up = p.hosts.map((h) => ({ host: h.host, script: renderUpScript(h) }));
  return {
    n,
    lab,
    up,
    down: p.hosts.map((h) => ({ host: h.host, script: renderDownScript(h) })),
    lastBridge: p.hosts[n - 1].vxlan!.bridgeAddress.split("/")[0],
    result: {
      hosts: n,
      fdbEntries: p.hosts.reduce((s, h) => s + (h.vxlan!.fdbPeers.length || 1), 0),
      upBytes: Math.round(up.reduce((s, u) => s + u.script.length, 0) / n),
      timing: {
        parallel: { apply: [], noop: [], perHost: [], down: [] },
        sequential: { apply: [], noop: [], perHost: [], down: [] },
      },
    },
  };
}

/** Apply, check, re-apply (must change nothing), then down.sh to leave clean hosts. */
async function measure(c: ConvergeLab, mode: Mode): Promise<void> {
  const t = c.result.timing[mode];
  const first = await runAll(c.lab, c.up, mode, "up.sh");
  t.apply.push(first.wall);
  t.perHost.push(...first.each);
  if (!reaches(c.lab, "h1", c.lastBridge))
    throw new Error(`${c.n} hosts, ${mode}: after up.sh h1 does not reach ${c.lastBridge}`);
  const again = await runAll(c.lab, c.up, mode, "up.sh (again)");
  t.noop.push(again.wall);
  const changed = again.stdout.flatMap(changes);
  if (changed.length > 0)
    throw new Error(
      `${c.n} hosts: the re-apply (${mode}) changed something:\n${changed.join("\n")}`,
    );
  t.down.push((await runAll(c.lab, c.down, "parallel", "down.sh")).wall);
}

/**
 * Every lab size is built first; each repetition then measures every size in both modes,
 * rotating the order of sizes and alternating which mode goes first, so a slow phase of the
 * machine does not land on one size or one mode.
 */
export async function converge(
  sizes: number[],
  reps: number,
  log: (s: string) => void,
): Promise<ConvergeResult[]> {
  const labs = sizes.map(prepare);
  try {
    for (let rep = 0; rep < reps; rep++) {
      const t0 = performance.now();
      const modes: Mode[] = rep % 2 ? ["sequential", "parallel"] : ["parallel", "sequential"];
      for (let i = 0; i < labs.length; i++) {
        const c = labs[(i + rep) % labs.length];
        for (const mode of modes) await measure(c, mode);
      }
      log(
        `  convergence repetition ${rep + 1}/${reps} in ${fmt((performance.now() - t0) / 1000, 0)} s`,
      );
    }
  } finally {
    for (const c of labs) c.lab.cleanup();
  }
  return labs.map((c) => c.result);
}

export function convergeTable(results: ConvergeResult[], reps: number): string {
  const rows = results.map((r) => {
    const par = median(r.timing.parallel.apply);
    const seq = median(r.timing.sequential.apply);
    return [
      r.hosts,
      r.fdbEntries,
      `${fmt(r.upBytes / 1024, 1)} KiB`,
      fmt(median(r.timing.sequential.perHost), 0),
      fmt(seq, 0),
      fmt(par, 0),
      `${fmt(seq / par, 2)}x`,
      fmt(median(r.timing.sequential.noop), 0),
      fmt(median(r.timing.parallel.noop), 0),
      fmt(median([...r.timing.parallel.down, ...r.timing.sequential.down]), 0),
    ];
  });
  return table(
    `Convergence, ms (median of ${reps} repetitions per mode; rendered up.sh run as-is in each host namespace)`,
    [
      "hosts",
      "FDB entries",
      "up.sh/host",
      "one up.sh",
      "apply seq",
      "apply par",
      "speed-up",
      "no-op seq",
      "no-op par",
      "down par",
    ],
    rows,
  );
}
