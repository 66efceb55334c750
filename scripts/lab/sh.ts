// Runs commands without a shell: every argument is passed as-is, nothing is interpolated.
import { execFileSync, spawnSync } from "node:child_process";

export function run(
  cmd: string,
  args: string[],
  /** inherit: stderr goes to ours (progress of long steps), stdout is still returned. */
  opts: { input?: string; env?: NodeJS.ProcessEnv; inherit?: boolean } = {},
): string {
  return execFileSync(cmd, args, {
    encoding: "utf8",
    input: opts.input,
    env: opts.env,
    stdio: ["pipe", "pipe", opts.inherit ? "inherit" : "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
}

/** Runs and reports success instead of throwing (probes, best-effort cleanup). */
export function tryRun(
  cmd: string,
  args: string[],
  timeoutMs = 15_000,
): { ok: boolean; out: string } {
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: timeoutMs });
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
}

export function inNs(ns: string, cmd: string, args: string[]): string {
  return run("ip", ["netns", "exec", ns, cmd, ...args]);
}

export function tryInNs(
  ns: string,
  cmd: string,
  args: string[],
  timeoutMs?: number,
): { ok: boolean; out: string } {
  return tryRun("ip", ["netns", "exec", ns, cmd, ...args], timeoutMs);
}
