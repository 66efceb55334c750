// Section 4: program scaling. Each size runs in a fresh child process (bench/scale-child.ts),
// one after another, so time and peak RSS of one size never include another's. The child runs
// under /usr/bin/time: "CPU s" is the whole process (imports, plan, mock evaluation), as
// `npm run render` would spend it. With `--baseline <rev>` every size is measured twice in the
// same run, interleaved: with that revision's code (extracted with `git archive`) and with
// this checkout's.
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, symlinkSync } from "node:fs";
import { join, resolve } from "node:path";
import { fmt, runAsync, table, tempDir } from "./lib";
import type { ScaleSample } from "./scale-child";

export interface ScaleCase {
  hosts: number;
  vms: number;
  kubernetes: boolean;
  explicitAddresses: boolean;
  evaluate: boolean;
}

/** A sample, which code produced it, and what the child process cost as a whole. */
export interface ScaleRow extends ScaleSample {
  version: string;
  cpuS: number;
  maxRssMiB: number;
}

export const SCALE_SIZES: [number, number][] = [
  [2, 10],
  [8, 100],
  [16, 250],
  [32, 500],
  [64, 1000],
];

const REPO = resolve(__dirname, "..");

/** The code of `rev` in a temp directory, sharing this checkout's node_modules. */
export function checkoutRevision(rev: string): { root: string; label: string } {
  const label = execFileSync("git", ["rev-parse", "--short", rev], { cwd: REPO, encoding: "utf8" });
  const root = tempDir("baseline");
  execFileSync("sh", ["-c", `git archive "$1" | tar -x -C "$2"`, "sh", rev, root], { cwd: REPO });
  if (!existsSync(join(root, "node_modules"))) {
    mkdirSync(root, { recursive: true });
    symlinkSync(join(REPO, "node_modules"), join(root, "node_modules"));
  }
  return { root, label: label.trim() };
}

export async function scaleSample(
  c: ScaleCase,
  code: { root: string; label: string } = { root: REPO, label: "this" },
): Promise<ScaleRow> {
  const flag = (b: boolean) => (b ? "1" : "0");
  return timedChild(
    [
      join(code.root, "bench", "scale-child.ts"),
      String(c.hosts),
      String(c.vms),
      flag(c.kubernetes),
      flag(c.explicitAddresses),
      flag(c.evaluate),
    ],
    `${c.hosts}x${c.vms} (${code.label})`,
    code.label,
    code.root,
  );
}

/** The SDK alone: `resources` bare remote.Commands constructed at once (bench/sdk-floor.ts). */
export function sdkFloorSample(resources: number): Promise<ScaleRow> {
  return timedChild(
    [join(__dirname, "sdk-floor.ts"), String(resources)],
    "sdk-floor",
    "SDK only",
    REPO,
  );
}

/**
 * Runs a child the way `npm run render` runs: bundled (scripts/bundled.sh), where the code
 * under test has that runner; a baseline from before it ran through tsx, and is run so.
 */
async function timedChild(
  args: string[],
  what: string,
  label: string,
  root: string,
): Promise<ScaleRow> {
  const bundled = join(root, "scripts", "bundled.sh");
  const runner = existsSync(bundled) ? ["bash", bundled] : [process.execPath, "--import", "tsx"];
  const r = await runAsync(["/usr/bin/time", "-f", "LFTIME %U %S %M", ...runner, ...args], {
    timeoutMs: 600_000,
  });
  const line = r.stdout.split("\n").find((l) => l.startsWith("BENCH-SAMPLE "));
  const time = /LFTIME (\S+) (\S+) (\d+)/.exec(r.stderr);
  if (r.code !== 0 || !line || !time)
    throw new Error(`scale child ${what} failed (${r.code}):\n${r.stderr.slice(-2000)}`);
  return {
    ...(JSON.parse(line.slice("BENCH-SAMPLE ".length)) as ScaleSample),
    version: label,
    cpuS: Number(time[1]) + Number(time[2]),
    maxRssMiB: Number(time[3]) / 1024,
  };
}

type Growing = "loadMs" | "evalMs" | "dependencyEdges" | "cpuS";

/** d ln(x) / d ln(VMs) against the previous row: 1 = linear, 2 = quadratic. */
function exponent(prev: ScaleRow | undefined, cur: ScaleRow, key: Growing) {
  const a = prev?.[key];
  const b = cur[key];
  if (!prev || a === undefined || b === undefined || prev.vms === cur.vms) return "-";
  return fmt(Math.log(b / a) / Math.log(cur.vms / prev.vms), 2);
}

export function scaleTable(samples: ScaleRow[]): string {
  // The growth exponents compare a main series (Kubernetes on, addresses allocated) of one code.
  const seriesOf = (s: ScaleRow) =>
    samples.filter((x) => x.version === s.version && x.kubernetes && !x.explicitAddresses);
  const rows = samples.map((s) => {
    const series = seriesOf(s);
    const i = series.indexOf(s);
    const prev = i > 0 ? series[i - 1] : undefined;
    const exp = (k: Growing) => (i >= 0 ? exponent(prev, s, k) : "-");
    return [
      s.version,
      s.version === "SDK only"
        ? `${s.dependencyEdges} bare Commands`
        : `${s.hosts}x${s.vms}${s.explicitAddresses ? " explicit addresses" : ""}`,
      s.kubernetes ? "on" : "off",
      fmt(s.loadMs, 0),
      s.evalMs !== undefined ? fmt(s.evalMs, 0) : "-",
      s.resources ?? "-",
      s.dependencyEdges ?? "-",
      exp("dependencyEdges"),
      fmt(s.cpuS, 1),
      exp("cpuS"),
      s.resources ? fmt((1000 * s.cpuS) / s.resources, 2) : "-",
      fmt(s.rssStartMiB, 0),
      fmt(s.maxRssMiB, 0),
    ];
  });
  const notes = [...new Set(samples.map((s) => s.version))].map((v) => {
    const widest = samples
      .filter((s) => s.version === v && s.kubernetes && s.maxDependencies)
      .at(-1);
    return widest?.maxDependencies
      ? `most dependencies per resource at ${widest.hosts}x${widest.vms} (${v}): ${widest.maxDependencies.map((m) => `${m.resource} ${m.count}`).join(", ")}`
      : "";
  });
  return `${table(
    "Program scaling (fresh child process per size, run under /usr/bin/time; wall times in ms, CPU in s of user+sys for the whole process, memory in MiB of RSS)",
    [
      "code",
      "hosts x VMs",
      "k8s",
      "loadLab ms",
      "mock eval ms",
      "resources",
      "dep. edges",
      "exp.",
      "CPU s",
      "exp.",
      "CPU ms/resource",
      "RSS start",
      "RSS peak",
    ],
    rows,
  )}\n${notes.filter(Boolean).join("\n")}`;
}

/**
 * The whole section: every size (Kubernetes on), then two contrasts with this checkout's code:
 * the largest lab with every VM address given (plan only) and the second largest without
 * Kubernetes. With a baseline, each size runs with the baseline's code first, then this one's.
 */
export async function scaleSection(
  sizes: [number, number][],
  baseline: string | undefined,
  log: (s: string) => void,
): Promise<ScaleRow[]> {
  const codes = [...(baseline ? [checkoutRevision(baseline)] : []), undefined];
  const rows: ScaleRow[] = [];
  const k8s = { kubernetes: true, explicitAddresses: false, evaluate: true };
  for (const [hosts, vms] of sizes) {
    for (const code of codes) {
      const row = await scaleSample({ hosts, vms, ...k8s }, code);
      rows.push(row);
      log(
        `  ${hosts}x${vms} (${row.version}): ${fmt(row.cpuS, 1)} s CPU, ${fmt(row.maxRssMiB, 0)} MiB`,
      );
    }
  }
  const [hosts, vms] = sizes[sizes.length - 1];
  rows.push(await scaleSample({ hosts, vms, ...k8s, explicitAddresses: true, evaluate: false }));
  const [h2, v2] = sizes[sizes.length - 2];
  rows.push(await scaleSample({ hosts: h2, vms: v2, ...k8s, kubernetes: false }));
  const largest = rows.find((r) => r.version === "this" && r.hosts === hosts && r.resources);
  if (largest?.resources) rows.push(await sdkFloorSample(largest.resources - 1));
  // Baseline rows first, then this checkout's, each in size order.
  const mine = (r: ScaleRow) => r.version === "this" || r.version === "SDK only";
  return [...rows.filter((r) => !mine(r)), ...rows.filter(mine)];
}
