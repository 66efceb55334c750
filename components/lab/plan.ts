// stack config -> spec -> plan. `loadLab` is the one entry point: it parses, validates and
// plans, and returns either the plan (with warnings) or every finding at once.
import { planVmNics, type VmNicPlan } from "./addresses";
import { mtuBudget, type MtuBudget } from "./budget";
import { decideCni, nodePorts, type CniDecision, type PortRule } from "./cni";
import { planHostFabric, type HostFabricPlan } from "./fabric";
import { fromZodIssues, type Finding } from "./findings";
import { kubernetesNodes, type NodeInfo } from "./nodes";
import { knownKeysAt, labSpecSchema, type LabSpec } from "./schema";
import { validateLab } from "./validate";

export interface LabPlan {
  lab: string;
  spec: LabSpec;
  warnings: Finding[];
  hosts: HostFabricPlan[];
  vmNics: VmNicPlan[];
  nodes: NodeInfo[];
  cni?: CniDecision;
  /** Ports each node must allow (Kubernetes + the CNI), by role and source. */
  ports: PortRule[];
  mtu: MtuBudget;
}

export type LoadResult = { ok: true; plan: LabPlan } | { ok: false; findings: Finding[] };

export const LAB_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

export function planLab(spec: LabSpec, lab: string, warnings: Finding[] = []): LabPlan {
  const nodes = kubernetesNodes(spec);
  const cni = spec.kubernetes.enabled ? decideCni(spec, nodes) : undefined;
  return {
    lab,
    spec,
    warnings,
    hosts: planHostFabric(spec, lab),
    vmNics: planVmNics(spec, lab),
    nodes,
    cni,
    ports: cni ? nodePorts(cni) : [],
    mtu: mtuBudget(spec, nodes, cni),
  };
}

/** Parse, validate and plan a lab from raw `labfabric:` config values. */
export function loadLab(raw: unknown, lab: string): LoadResult {
  if (!LAB_NAME.test(lab)) {
    return {
      ok: false,
      findings: [
        {
          severity: "error",
          path: "(stack name)",
          value: lab,
          message: "must be a DNS label of up to 32 characters",
          fix: "rename the stack",
        },
      ],
    };
  }
  const parsed = labSpecSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success)
    return { ok: false, findings: fromZodIssues(parsed.error.issues, knownKeysAt) };
  const findings = validateLab(parsed.data, lab);
  if (findings.errors.length > 0) return { ok: false, findings: findings.all };
  return { ok: true, plan: planLab(parsed.data, lab, findings.warnings) };
}
