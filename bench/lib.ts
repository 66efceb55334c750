// Shared pieces of the benchmark: one cleanup registry (namespace labs, background processes,
// temp directories) that runs on success, failure, SIGINT and SIGTERM; an async command runner
// (so parallel runs and signals work while a measurement is under way); medians and tables.
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { NetnsLab, run, type RunResult } from "../scripts/lab/kit";

/** Every namespace of the benchmark starts with this (other labs use lf, lfn, lfm, lfj, ...). */
export const NS_TAG = "lfbench";

const labs: NetnsLab[] = [];
const children = new Set<ChildProcess>();
const dirs: string[] = [];

/** A namespace lab whose namespaces are removed by `cleanupAll`. */
export function newLab(): NetnsLab {
  const lab = new NetnsLab(NS_TAG);
  labs.push(lab);
  return lab;
}

/** A temp directory (a host's `root` for the rendered scripts), removed by `cleanupAll`. */
export function tempDir(tag: string): string {
  const d = mkdtempSync(join(tmpdir(), `${NS_TAG}-${tag}-`));
  dirs.push(d);
  return d;
}

/** Stop background processes, delete namespaces, remove temp directories. Safe to repeat. */
export function cleanupAll(): void {
  for (const c of children) {
    if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  }
  children.clear();
  for (const lab of labs.splice(0)) lab.cleanup();
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
}

/** Clean up on exit, Ctrl-C and SIGTERM (exit 130 / 143). */
export function installCleanupHandlers(): void {
  process.on("exit", cleanupAll);
  for (const [sig, code] of [
    ["SIGINT", 130],
    ["SIGTERM", 143],
    ["SIGHUP", 129],
  ] as const) {
    process.on(sig, () => {
      console.error(`\nbench: ${sig}, cleaning up (namespaces, iperf3 servers, temp dirs)`);
      cleanupAll();
      process.exit(code);
    });
  }
}

/** Start a long-running process (killed by `cleanupAll` if still running). */
export function background(argv: string[]): ChildProcess {
  const c = spawn(argv[0], argv.slice(1), { stdio: ["ignore", "ignore", "pipe"] });
  children.add(c);
  c.on("exit", () => children.delete(c));
  return c;
}

/** Stop one process started with `background` and wait for it to go. */
export async function stop(c: ChildProcess): Promise<void> {
  if (c.exitCode !== null || c.signalCode !== null) return;
  const gone = new Promise<void>((r) => c.once("exit", () => r()));
  c.kill("SIGTERM");
  const t = setTimeout(() => c.kill("SIGKILL"), 2000);
  await gone;
  clearTimeout(t);
}

/** Run a command without blocking the event loop; never rejects. */
export function runAsync(
  argv: string[],
  opts: { input?: string; timeoutMs?: number } = {},
): Promise<RunResult & { ms: number; timedOut: boolean }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const input = opts.input;
    const c = spawn(argv[0], argv.slice(1), {
      stdio: [input === undefined ? "ignore" : "pipe", "pipe", "pipe"],
    });
    children.add(c);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    c.stdout?.on("data", (d: Buffer) => (stdout += d.toString()));
    c.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      timedOut = true;
      c.kill("SIGKILL");
    }, opts.timeoutMs ?? 60_000);
    c.on("error", (e) => (stderr += String(e)));
    c.on("close", (code) => {
      clearTimeout(timer);
      children.delete(c);
      resolve({ code: code ?? 1, stdout, stderr, ms: performance.now() - t0, timedOut });
    });
    if (input !== undefined && c.stdin) {
      c.stdin.on("error", () => undefined); // the child may exit without reading it
      c.stdin.end(input);
    }
  });
}

/** `sh -c <script>` inside a lab machine, asynchronously (the rendered scripts run as-is). */
export function shAsync(lab: NetnsLab, machine: string, script: string) {
  return runAsync(["ip", "netns", "exec", lab.ns(machine), "sh", "-c", script, "sh"], {
    timeoutMs: 120_000,
  });
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** A plain-text table with aligned columns (numbers right-aligned), and a title line. */
export function table(title: string, head: string[], rows: (string | number)[][]): string {
  const cells = [head, ...rows.map((r) => r.map(String))];
  const width = head.map((_, i) => Math.max(...cells.map((r) => (r[i] ?? "").length)));
  const isNumber = (c: string | number) => /^[-+]?[\d.,]+( ?[a-zA-Z%/]*)?$/.test(String(c));
  const numeric = head.map(
    (_, i) => rows.some((r) => isNumber(r[i])) && rows.every((r) => isNumber(r[i]) || r[i] === "-"),
  );
  const line = (r: string[]) =>
    r
      .map((c, i) => (numeric[i] && i > 0 ? c.padStart(width[i]) : c.padEnd(width[i])))
      .join("  ")
      .trimEnd();
  return [
    title,
    line(head),
    width
      .map((w) => "-".repeat(w))
      .join("  ")
      .trimEnd(),
    ...cells.slice(1).map(line),
  ].join("\n");
}

export function fmt(x: number, digits = 1): string {
  return Number.isFinite(x) ? x.toFixed(digits) : "-";
}

/** One line of machine facts for the report header. */
export function machineInfo(): string[] {
  const one = (argv: string[]) => run(argv).stdout.trim();
  const cpu =
    one(["sh", "-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2-"]).trim() || "unknown";
  return [
    `nproc: ${one(["nproc"])}`,
    `kernel: ${one(["uname", "-r"])}`,
    `CPU: ${cpu}`,
    `memory: ${one(["sh", "-c", "free -m | awk '/^Mem:/ {print $2\" MiB\"}'"])}`,
    `iperf3: ${one(["iperf3", "--version"]).split("\n")[0]}`,
    `node: ${process.version}`,
  ];
}
