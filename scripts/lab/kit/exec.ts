// Runs commands without a shell: every argument is passed as-is, nothing is interpolated. One
// runner for the namespace labs of the tests, the benchmark and the dry lab:
//   run      never throws: code, stdout, stderr (probes, best-effort cleanup)
//   must     throws with the command's output unless it exits 0; returns stdout
//   tryRun   `run` as ok/out, for probes that only ask "did it work, and what did it say"
//   tryInNs  tryRun inside a network namespace
import { spawnSync } from "node:child_process";

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

export interface RunOptions {
  input?: string;
  /** Kill the command after this long (default 60 s); 0 = no limit (image builds, installs). */
  timeoutMs?: number;
  env?: NodeJS.ProcessEnv;
  /** stderr goes to ours (progress of long steps); stdout is still returned. */
  inherit?: boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;

/** Run a command (argv, no shell). Never throws; see `must`. */
export function run(argv: string[], opts: RunOptions = {}): RunResult {
  const timeout = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const r = spawnSync(argv[0], argv.slice(1), {
    input: opts.input,
    encoding: "utf8",
    env: opts.env,
    timeout: timeout > 0 ? timeout : undefined,
    stdio: ["pipe", "pipe", opts.inherit ? "inherit" : "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  return {
    code: r.status ?? (r.error ? 127 : 1),
    stdout: r.stdout ?? "",
    stderr: r.stderr ?? String(r.error ?? ""),
  };
}

/** Run a command and throw (with its output) unless it exits 0. */
export function must(argv: string[], opts: RunOptions = {}): string {
  const r = run(argv, opts);
  if (r.code !== 0) {
    throw new Error(`command failed (${r.code}): ${argv.join(" ")}\n${r.stdout}${r.stderr}`);
  }
  return r.stdout;
}

/** Runs and reports success instead of throwing (probes, best-effort cleanup). */
export function tryRun(
  cmd: string,
  args: string[],
  timeoutMs = 15_000,
): { ok: boolean; out: string } {
  const r = run([cmd, ...args], { timeoutMs });
  return { ok: r.code === 0, out: `${r.stdout}${r.stderr}` };
}

/** `ip netns exec <ns> cmd args...` as ok/out. */
export function tryInNs(
  ns: string,
  cmd: string,
  args: string[],
  timeoutMs?: number,
): { ok: boolean; out: string } {
  return tryRun("ip", ["netns", "exec", ns, cmd, ...args], timeoutMs);
}
