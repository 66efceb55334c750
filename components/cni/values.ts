// Helm values for the lab's CNI: the plugin's own module (components/cni-plugins) renders them
// from the release's slice of the plan; keys are sorted here so equal plans render
// byte-for-byte equal values. In every case the pod MTU that results is exactly the planned
// one (the slice's podMtu), whatever MTU knob the chart takes (see each plugin's module).
import { cniPlugin, type CniValuesPlan, type ValueInputs, type Values } from "../cni-plugins";

export type { ValueInputs, Values } from "../cni-plugins";

/** Recursively sort object keys (arrays keep their order). */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    ) as T;
  }
  return value;
}

/** The chart values for the lab's CNI, keys sorted. */
export function cniValues(plan: CniValuesPlan, inputs: ValueInputs): Values {
  return sortKeys(cniPlugin(plan.cni.plugin).values(plan, inputs));
}
