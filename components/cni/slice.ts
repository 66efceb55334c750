// The CNI layer checks its own argument, never the lab: a slice whose parts do not fit
// together (a mode the plugin does not have, a chart of another plugin, no node) is refused
// before any child is registered. The lab itself was validated before it was planned.
import { modeRule, type CniDecision } from "../cni-plugins";
import type { CniReleasePlan } from "../plan";

/** What the post-install proof reads: the decision, the pod MTU and the nodes' names. */
export interface ProofPlan {
  cni?: Pick<CniDecision, "plugin" | "mode">;
  mtu: { podMtu?: number };
  nodes: readonly { name: string }[];
  /** "bundle": offline nodes, probed with the bundle's image. */
  packageSource: "internet" | "bundle";
}

/** The proof's view of the release's slice. */
export function proofPlan(plan: CniReleasePlan): ProofPlan {
  return {
    cni: plan.cni,
    mtu: { podMtu: plan.podMtu },
    nodes: plan.nodes,
    packageSource: plan.packageSource,
  };
}

/** What does not fit together in a CNI release slice, one phrase per problem. */
export function sliceProblems(plan: CniReleasePlan): string[] {
  const { cni } = plan;
  const rule = modeRule(cni.plugin, cni.mode);
  const names = plan.nodes.map((n) => n.name);
  return [
    ...(rule ? [] : [`mode ${cni.mode} is not a ${cni.plugin} mode`]),
    ...(rule && rule.encapsulation !== cni.encapsulation
      ? [
          `${cni.plugin} ${cni.mode} encapsulates with ${rule.encapsulation}, not ${cni.encapsulation}`,
        ]
      : []),
    ...(plan.chart.name === cni.plugin
      ? []
      : [`chart ${plan.chart.name} is not the ${cni.plugin} chart`]),
    ...(Number.isInteger(plan.podMtu) && plan.podMtu > 0
      ? []
      : [`pod MTU ${plan.podMtu} is not a positive whole number`]),
    ...(names.length === 0 ? ["no node is planned"] : []),
    ...names.filter((n, i) => names.indexOf(n) !== i).map((n) => `node ${n} is planned twice`),
  ];
}
