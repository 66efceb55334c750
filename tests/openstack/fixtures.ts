// Scenario loading for the OpenStack tests: the real stack files, optionally adjusted, through
// the same readStackFile + loadLab path the program uses.
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatReport, type Finding } from "../../components/spec/findings";
import { planLab, type LabPlan } from "../../components/plan/plan";
import { loadLab } from "../../components/load";
import { labSpecSchema } from "../../components/spec/schema";
import { readStackFile } from "../../components/spec/stack-file";

export const ROOT = join(__dirname, "..", "..");
export const B = "b-openstack-calico";
export const D = "d-libvirt-routed";

/** A syntactically valid key used only in tests. */
export const TEST_PUBLIC_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH1abfabricTestKeyNotForAnyRealHost0000000 lab@test";

export type Raw = Record<string, unknown> & {
  openstack: Record<string, unknown>;
  kubernetes: Record<string, unknown> & { cni: Record<string, unknown> };
};

export function rawScenario(lab: string): Raw {
  const file = readStackFile(join(ROOT, `Pulumi.${lab}.yaml`));
  assert.deepEqual(file.findings, []);
  return structuredClone(file.raw) as Raw;
}

export function load(
  lab: string,
  adjust: (raw: Raw) => void = () => {},
): { ok: true; plan: LabPlan } | { ok: false; findings: Finding[] } {
  const raw = rawScenario(lab);
  adjust(raw);
  return loadLab(raw, lab);
}

/** A plan built WITHOUT validation, for testing a validator on its own. */
export function unvalidatedPlan(lab: string, adjust: (raw: Raw) => void): LabPlan {
  const raw = rawScenario(lab);
  adjust(raw);
  return planLab(labSpecSchema.parse(raw), lab);
}

export function plan(lab: string, adjust?: (raw: Raw) => void): LabPlan {
  const r = load(lab, adjust);
  if (!r.ok) assert.fail(`${lab} does not load:\n${formatReport(r.findings)}`);
  return r.plan;
}

export function withCni(plugin: string, mode: string, extra: Record<string, unknown> = {}) {
  return (raw: Raw) => {
    raw.kubernetes.cni = { ...raw.kubernetes.cni, plugin, mode };
    raw.openstack = { ...raw.openstack, ...extra };
  };
}
