// Scenario plans and hand-built NodeOutputs for the Kubernetes and CNI tests: the real stack
// files through readStackFile + loadLab, and node addresses as the machine layers would hand
// them over (B and C planned; D's OpenStack workers get placeholder addresses).
import assert from "node:assert/strict";
import * as pulumi from "@pulumi/pulumi";
import { formatReport } from "../../components/spec/findings";
import type { NodeOutput } from "../../components/ssh/node-outputs";
import { loadLab } from "../../components/load";
import type { KubeadmPlan } from "../../components/plan/kubeadm/plan";
import { planLab, type LabPlan } from "../../components/plan/plan";
import { labSpecSchema } from "../../components/spec/schema";
import { hostKeyLine, STACKS, stackRaw } from "../lab/helpers";
import type { ResolvedNode } from "../../components/kubernetes/kubeadm-config";

export type Scenario = "b" | "c" | "d";
export type Raw = Record<string, unknown> & {
  kubernetes: Record<string, unknown> & { cni: Record<string, unknown> };
  openstack?: Record<string, unknown>;
};

export const LABS: Record<Scenario, string> = {
  b: "b-openstack-calico",
  c: "c-cilium-subnets",
  d: "d-libvirt-routed",
};

/** DHCP gives D's OpenStack workers their ext-net addresses at creation; these stand in. */
export const D_WORKER_ADDRESSES: Record<string, string> = {
  "k8s-worker-1": "192.168.100.21",
  "k8s-worker-2": "192.168.100.22",
};
/** Floating IPs (documentation range): B's control plane, D's workers (on private-net). */
export const FLOATING: Record<string, string> = {
  "k8s-cp": "203.0.113.10",
  "k8s-worker-1": "203.0.113.21",
  "k8s-worker-2": "203.0.113.22",
};

export function raw(s: Scenario): Raw {
  return stackRaw(STACKS[s]) as Raw;
}

/** A plan built WITHOUT validation: for proving a component's own refusal of a bad plan. */
export function unvalidatedPlanOf(s: Scenario, adjust: (r: Raw) => void): LabPlan {
  const r = raw(s);
  adjust(r);
  return planLab(labSpecSchema.parse(r), LABS[s]);
}

export function planOf(s: Scenario, adjust: (r: Raw) => void = () => {}): LabPlan {
  const r = raw(s);
  adjust(r);
  const result = loadLab(r, LABS[s]);
  if (!result.ok) assert.fail(`${LABS[s]} does not load:\n${formatReport(result.findings)}`);
  return result.plan;
}

/** The scenario's kubeadm slice (LabPlan.kubeadm): what KubeadmCluster and its renderers take. */
export function kubeadmOf(s: Scenario, adjust: (r: Raw) => void = () => {}): KubeadmPlan {
  const slice = planOf(s, adjust).kubeadm;
  if (!slice) assert.fail(`${LABS[s]} has no kubeadm slice`);
  return slice;
}

/** The user each kind of machine is reached as: cloud images' default, the lab's VM user, root. */
const SSH_USER = { instance: "rocky", vm: "lab", host: "root" } as const;

export function addressOf(plan: LabPlan, name: string): string {
  const n = plan.nodes.find((x) => x.name === name)!;
  return n.address ?? D_WORKER_ADDRESSES[name];
}

export function resolvedNodes(plan: LabPlan): ResolvedNode[] {
  return plan.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    address: addressOf(plan, n.name),
    ...(n.source === "instance" && FLOATING[n.name] ? { publicAddress: FLOATING[n.name] } : {}),
  }));
}

export function nodeOutputs(plan: LabPlan): NodeOutput[] {
  return resolvedNodes(plan).map((r, i) => {
    const info = plan.nodes.find((n) => n.name === r.name)!;
    return {
      name: r.name,
      role: r.role,
      source: info.source,
      ...(info.host ? { host: info.host } : {}),
      address: pulumi.output(r.address),
      addresses: pulumi.output<Record<string, string>>({ node: r.address }),
      ...(r.publicAddress ? { publicAddress: pulumi.output(r.publicAddress) } : {}),
      // Every node arrives with its host key (deployLab pins or learns it: components/stack.ts).
      ssh: { port: 22, user: SSH_USER[info.source], hostKey: hostKeyLine(i + 1) },
      mtu: info.mtu,
    };
  });
}
