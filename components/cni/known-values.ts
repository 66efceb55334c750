// The chart values as the Helm release receives them: everything the plan knows is a plain
// value (pool, MTU, mode, ports), and only a leaf that depends on something assigned at
// creation (an instance's address) is an Output. A reviewer reading `npm run render` or
// `pulumi preview` sees every value that is known before `up`.
import * as pulumi from "@pulumi/pulumi";
import type { CniReleasePlan } from "../plan";
import { cniValues, type ValueInputs, type Values } from "./values";

/** What the plan alone knows of the values' inputs: undefined where creation assigns it. */
export interface PlannedInputs {
  endpointHost?: string;
  endpointPort: number;
  nodeAddresses?: string[];
}

export function plannedInputs(plan: CniReleasePlan): PlannedInputs {
  const { nodes } = plan;
  return {
    endpointHost: plan.endpoint.host,
    endpointPort: plan.endpoint.port,
    nodeAddresses: nodes.every((n) => n.address) ? nodes.map((n) => n.address!) : undefined,
  };
}

function inputs(p: PlannedInputs, stand: "a" | "b"): ValueInputs {
  // Two different stand-ins for each unknown: a leaf that differs between them depends on it.
  return {
    endpoint: { host: p.endpointHost ?? `\u0000unknown-host-${stand}`, port: p.endpointPort },
    nodeAddresses: p.nodeAddresses ?? (stand === "a" ? [] : ["\u0000unknown-address"]),
  };
}

/** True when the plan knows every input: the values are plain. */
export function allKnown(p: PlannedInputs): boolean {
  return p.endpointHost !== undefined && p.nodeAddresses !== undefined;
}

/**
 * The values with each part that depends on an unknown input replaced by that part of `full`
 * (the values computed once the inputs are known); everything else plain, from the plan.
 */
export function knownValues(
  plan: CniReleasePlan,
  planned: PlannedInputs,
  full: pulumi.Output<unknown>,
): pulumi.Input<Values> {
  const a = cniValues(plan, inputs(planned, "a"));
  if (allKnown(planned)) return a;
  const b = cniValues(plan, inputs(planned, "b"));
  const merge = (x: unknown, y: unknown, path: (string | number)[]): unknown => {
    const pick = () => full.apply((v) => path.reduce<unknown>((o, k) => (o as never)?.[k], v));
    if (Array.isArray(x) && Array.isArray(y))
      return x.length === y.length ? x.map((e, i) => merge(e, y[i], [...path, i])) : pick();
    if (x && y && typeof x === "object" && typeof y === "object")
      return Object.fromEntries(
        Object.keys(x).map((k) => [k, merge((x as Values)[k], (y as Values)[k], [...path, k])]),
      );
    return x === y ? x : pick();
  };
  return merge(a, b, []) as Values;
}
