// The OpenStack layer checks its own argument, never the lab: a slice whose parts do not fit
// together (an unplanned flavor or network, a floating IP without a pool, a node that is not an
// instance) is refused before any child is registered.
import type { OpenstackPlan } from "../plan";

/** What does not fit together in an OpenStack slice, one phrase per problem. */
export function sliceProblems(plan: OpenstackPlan): string[] {
  const flavors = new Set(plan.flavors.map((f) => f.name));
  const networks = new Set(plan.networks.map((n) => n.name));
  const instances = new Set(plan.instances.map((i) => i.name));
  return [
    ...plan.instances.flatMap((i) => [
      ...(flavors.has(i.flavor) ? [] : [`instance ${i.name} uses flavor ${i.flavor}, not planned`]),
      ...(i.ports.length === 0 ? [`instance ${i.name} has no port`] : []),
      ...i.ports
        .filter((p) => !networks.has(p.network))
        .map((p) => `port ${p.key} is on network ${p.network}, not planned`),
      ...i.ports
        .filter((p) => p.floatingIp && !plan.floatingPool)
        .map((p) => `port ${p.key} wants a floating IP but no floatingPool is planned`),
    ]),
    ...plan.nodes
      .filter((n) => !instances.has(n.name))
      .map((n) => `node ${n.name} is not a planned instance`),
  ];
}
