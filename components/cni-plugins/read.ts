// Reading chart values back (the policy pack reads what a stack registered, not the plan): plain
// data walked by key, where anything that is not there or not of the asked type is undefined.
import type { Values } from "./types";

/** The value at `path` inside nested objects; undefined when a step is missing or no object. */
export function valueAt(values: unknown, ...path: string[]): unknown {
  let x = values;
  for (const key of path) {
    if (typeof x !== "object" || x === null || Array.isArray(x)) return undefined;
    x = (x as Values)[key];
  }
  return x;
}

/** The number at `path`; undefined for anything else (a value unknown during preview too). */
export function numberAt(values: unknown, ...path: string[]): number | undefined {
  const x = valueAt(values, ...path);
  return typeof x === "number" ? x : undefined;
}
