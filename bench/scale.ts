// Section 4: program scaling. Each size runs in a fresh child process (bench/scale-child.ts),
// one after another, so time and peak RSS of one size never include another's.
import { join } from "node:path";
import { fmt, runAsync, table } from "./lib";
import type { ScaleSample } from "./scale-child";

export interface ScaleCase {
  hosts: number;
  vms: number;
  kubernetes: boolean;
  explicitAddresses: boolean;
  evaluate: boolean;
}

export const SCALE_SIZES: [number, number][] = [
  [2, 10],
  [8, 100],
  [16, 250],
  [32, 500],
  [64, 1000],
];

export async function scaleSample(c: ScaleCase): Promise<ScaleSample> {
  const flag = (b: boolean) => (b ? "1" : "0");
  const r = await runAsync(
    [
      process.execPath,
      "--import",
      "tsx",
      join(__dirname, "scale-child.ts"),
      String(c.hosts),
      String(c.vms),
      flag(c.kubernetes),
      flag(c.explicitAddresses),
      flag(c.evaluate),
    ],
    { timeoutMs: 300_000 },
  );
  const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH-SAMPLE "));
  if (r.code !== 0 || !line)
    throw new Error(
      `scale child ${c.hosts}x${c.vms} failed (${r.code}):\n${r.stderr.slice(-2000)}`,
    );
  return JSON.parse(line.slice("BENCH-SAMPLE ".length)) as ScaleSample;
}

/** d ln(x) / d ln(VMs) against the previous row: 1 = linear, 2 = quadratic. */
function exponent(
  prev: ScaleSample | undefined,
  cur: ScaleSample,
  key: "loadMs" | "evalMs" | "dependencyEdges",
) {
  const a = prev?.[key];
  const b = cur[key];
  if (!prev || a === undefined || b === undefined || prev.vms === cur.vms) return "-";
  return fmt(Math.log(b / a) / Math.log(cur.vms / prev.vms), 2);
}

export function scaleTable(samples: ScaleSample[]): string {
  // The growth exponents compare the main series (Kubernetes on, addresses allocated).
  const series = samples.filter((s) => s.kubernetes && !s.explicitAddresses);
  const rows = samples.map((s) => {
    const i = series.indexOf(s);
    const prev = i > 0 ? series[i - 1] : undefined;
    return [
      `${s.hosts}x${s.vms}${s.explicitAddresses ? " explicit addresses" : ""}`,
      s.kubernetes ? "on" : "off",
      fmt(s.loadMs, 0),
      i >= 0 ? exponent(prev, s, "loadMs") : "-",
      fmt(s.vmNicsMs, 0),
      s.evalMs !== undefined ? fmt(s.evalMs, 0) : "-",
      i >= 0 ? exponent(prev, s, "evalMs") : "-",
      s.evalMs !== undefined && s.resources ? fmt(s.evalMs / s.resources, 2) : "-",
      s.resources ?? "-",
      s.dependencyEdges ?? "-",
      i >= 0 ? exponent(prev, s, "dependencyEdges") : "-",
      s.fdbEntries,
      `${fmt(s.upBytesPerHost / 1024, 1)} KiB`,
      fmt(s.rssStartMiB, 0),
      fmt(s.rssAfterPlanMiB, 0),
      fmt(s.rssPeakMiB, 0),
    ];
  });
  const widest = series.filter((s) => s.maxDependencies).at(-1);
  const note = widest?.maxDependencies
    ? `\nmost dependencies per resource at ${widest.hosts}x${widest.vms}: ${widest.maxDependencies.map((m) => `${m.resource} ${m.count}`).join(", ")}`
    : "";
  return `${table(
    "Program scaling (fresh child process per size; times in ms, memory in MiB of RSS)",
    [
      "hosts x VMs",
      "k8s",
      "loadLab",
      "exp.",
      "1x planVmNics",
      "mock eval",
      "exp.",
      "ms/resource",
      "resources",
      "dep. edges",
      "exp.",
      "FDB entries",
      "up.sh/host",
      "RSS start",
      "RSS after plan",
      "RSS peak",
    ],
    rows,
  )}${note}`;
}
