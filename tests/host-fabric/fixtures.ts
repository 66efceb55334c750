// Lab specs for the host-fabric tests: loaded through `loadLab` exactly like a stack config,
// so the scripts under test are the ones a real `pulumi up` would run.
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { HostFabricPlan } from "../../components/plan/fabric";
import { formatReport } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { type LabPlan } from "../../components/plan/plan";
import { readStackFile } from "../../components/spec/stack-file";
import { renderDownScript, renderUpScript } from "../../components/host-fabric/scripts";
import type { NetnsLab, RunResult } from "../../scripts/lab/kit";

export const REPO = join(__dirname, "..", "..");

export function planLabOrThrow(raw: unknown, lab: string): LabPlan {
  const r = loadLab(raw, lab);
  if (!r.ok) throw new Error(`lab ${lab} does not load:\n${formatReport(r.findings)}`);
  return r.plan;
}

export function stackPlan(file: string): LabPlan {
  const s = readStackFile(join(REPO, file));
  return planLabOrThrow(s.raw, s.lab);
}

export function hostPlan(plan: LabPlan, host: string): HostFabricPlan {
  const h = plan.hosts.find((x) => x.host === host);
  if (!h) throw new Error(`no host ${host} in lab ${plan.lab}`);
  return h;
}

/** A temp directory used as a host's `root`, so scripts never touch the real /etc. */
export function tempRoot(tag: string): { path: string; remove: () => void } {
  const path = mkdtempSync(join(tmpdir(), `lf-${tag}-`));
  return { path, remove: () => rmSync(path, { recursive: true, force: true }) };
}

/** Run a host's rendered up.sh / down.sh as-is inside its namespace. */
export function runUp(lab: NetnsLab, machine: string, plan: HostFabricPlan): RunResult {
  return lab.sh(machine, renderUpScript(plan));
}
export function runDown(lab: NetnsLab, machine: string, plan: HostFabricPlan): RunResult {
  return lab.sh(machine, renderDownScript(plan));
}

/** Throw with the script's log unless it exited 0. */
export function ok(r: RunResult, what: string): RunResult {
  if (r.code !== 0) throw new Error(`${what} failed (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** The "N change(s)" / "no changes" summary lines of a script log. */
export function changedLines(r: RunResult): string[] {
  return r.stdout.split("\n").filter((l) => l.startsWith("  changed "));
}
