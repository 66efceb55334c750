// Section 5: the real engine on the dev dry lab (three namespace hosts, VXLAN fabric over SSH):
// `pulumi preview` and a no-op `pulumi up` side by side, and the size of the state they keep.
// The child holds /tmp/labfabric-netns.lock while it uses the namespace hosts.
import { join } from "node:path";
import type { EngineRun, EngineSample } from "./engine-child";
import { fmt, median, runAsync, table } from "./lib";

export const NETNS_LOCK = "/tmp/labfabric-netns.lock";

export async function engineSection(reps: number, log: (s: string) => void): Promise<string> {
  log(`  waiting for ${NETNS_LOCK}, then: dry lab up, ${reps} x (preview, no-op up), down`);
  const r = await runAsync(
    [
      "flock",
      NETNS_LOCK,
      process.execPath,
      "--import",
      "tsx",
      join(__dirname, "engine-child.ts"),
      String(reps),
    ],
    { timeoutMs: 3_600_000 },
  );
  const line = r.stdout.split("\n").find((l) => l.startsWith("ENGINE-SAMPLE "));
  if (r.code !== 0 || !line)
    throw new Error(`engine child failed (${r.code}):\n${r.stderr.slice(-3000)}`);
  const s = JSON.parse(line.slice("ENGINE-SAMPLE ".length)) as EngineSample;
  const of = (op: EngineRun["op"]) => s.runs.filter((x) => x.op === op);
  const row = (op: EngineRun["op"], what: string) => {
    const runs = of(op);
    const cpu = runs.map((x) => x.cpuS);
    return [
      what,
      fmt(median(runs.map((x) => x.wallS)), 1),
      fmt(median(cpu), 1),
      `${fmt(Math.min(...cpu), 1)}-${fmt(Math.max(...cpu), 1)}`,
      fmt(median(runs.map((x) => x.maxRssMiB)), 0),
    ];
  };
  const ratio = median(of("up").map((x) => x.cpuS)) / median(of("preview").map((x) => x.cpuS));
  return [
    table(
      `Real engine, dev dry lab (median of ${reps} interleaved runs each; pulumi + language host + plugins under /usr/bin/time; both with --expect-no-changes)`,
      ["operation", "wall s", "CPU s", "CPU range", "peak RSS MiB (largest process)"],
      [row("preview", "pulumi preview"), row("up", "pulumi up --skip-preview (no-op)")],
    ),
    `no-op up / preview, CPU: ${fmt(ratio, 2)}`,
    `state: ${s.resources} resources, ${s.dependencyEdges} dependency edges, ${s.propertyDependencyEdges} property-dependency edges, ${fmt(s.stateBytes / 1024, 1)} KiB (pulumi stack export)`,
  ].join("\n");
}
