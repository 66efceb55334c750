// stack config -> spec -> plan -> validated plan. `loadLab` is the one entry point: it parses,
// plans once and validates the finished plan, and returns either the plan (with warnings) or
// every finding at once. `planLab` decides every value of the plan exactly once; validation and
// the layers read it, never re-derive it.
import { planLibvirt, type LibvirtPlan } from "../libvirt/plan";
import { planOpenstack, type OpenstackPlan } from "../openstack/plan";
import { planVmNics } from "./addresses";
import { mtuBudget } from "./budget";
import { decideCni, isValidMode, nodePorts } from "./cni";
import { planHostFabric } from "./fabric";
import { fromZodIssues, type Finding } from "./findings";
import { fabricVmMtu } from "./mtu";
import { kubernetesNodes } from "./nodes";
import type { PlanCore } from "./plan-types";
import { knownKeysAt, labSpecSchema, type LabSpec } from "./schema";
import { validateLab } from "./validate";

export interface LabPlan extends PlanCore {
  /** The libvirt layer's plan: networks, images and VMs per host. */
  libvirt: LibvirtPlan;
  /** The OpenStack layer's plan: groups, rules, ports and instances. */
  openstack: OpenstackPlan;
}

export type LoadResult = { ok: true; plan: LabPlan } | { ok: false; findings: Finding[] };

export const LAB_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/**
 * Decide everything once. Total on any schema-valid spec: what validation refuses (unknown
 * networks, exhausted subnets, an unknown CNI mode) is left out of the plan, never thrown.
 */
export function planLab(spec: LabSpec, lab: string, warnings: Finding[] = []): LabPlan {
  const fabricMtu = fabricVmMtu(spec);
  const nodes = kubernetesNodes(spec, fabricMtu.vmMtu);
  const { enabled, cni: wanted } = spec.kubernetes;
  const validMode = wanted.mode === undefined || isValidMode(wanted.plugin, wanted.mode);
  const cni = enabled && validMode ? decideCni(spec, nodes) : undefined;
  const core: PlanCore = {
    lab,
    spec,
    warnings,
    hosts: planHostFabric(spec, lab, fabricMtu.vmMtu),
    vmNics: planVmNics(spec, lab),
    nodes,
    cni,
    ports: cni ? nodePorts(cni) : [],
    mtu: mtuBudget(spec, fabricMtu, nodes, cni),
  };
  return { ...core, libvirt: planLibvirt(core), openstack: planOpenstack(core) };
}

/** Parse, plan and validate a lab from raw `labfabric:` config values. */
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
  const plan = planLab(parsed.data, lab);
  const findings = validateLab(plan);
  if (findings.errors.length > 0) return { ok: false, findings: findings.all };
  return { ok: true, plan: { ...plan, warnings: findings.warnings } };
}
