// What a policy sees of a resource's properties, as plain data: JSON values, secrets kept as
// `Secret` (only the remediation path of @pulumi/policy hands them over, see secrets.ts), and
// values unknown during preview as UNKNOWN.
//
// @pulumi/policy wraps the properties in proxies whose `get` throws on an unknown value. The
// snapshot reads them through property descriptors instead (the proxies trap `get` only), so a
// policy can skip an unknown value rather than be reported as "can't run during preview".
import { Secret } from "@pulumi/policy";

export const UNKNOWN: unique symbol = Symbol("unknown");

export type Value =
  null | boolean | number | string | typeof UNKNOWN | Secret | Value[] | { [key: string]: Value };

export type Obj = { [key: string]: Value };

/**
 * The engine's markers for values not known during preview, one per type (the same strings in
 * every Pulumi SDK and in @pulumi/policy's deserializer: sdk/go/common/resource/plugin/rpc.go).
 */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
  "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7", // bool
  "3eeb2bf0-c639-47a8-9e75-3b44932eb421", // number
  "04da6b54-80e4-46f7-96ec-b56ff0331ba9", // string
  "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2", // array
  "030794c1-ac77-496b-92df-f27374a8bd58", // asset
  "e48ece36-62e2-4504-bad9-02848725956a", // archive
  "dd056dcd-154b-4c76-9bd3-c8f88648b5ff", // object
]);

function own(target: object, key: string): unknown {
  return Object.getOwnPropertyDescriptor(target, key)?.value;
}

/** A plain copy of `props` (proxies, secrets and unknowns included), never throwing. */
export function snapshot(value: unknown): Value {
  if (value === null || value === undefined) return null;
  if (value instanceof Secret) return new Secret(snapshot(own(value, "value")));
  if (typeof value === "string") return UNKNOWN_SENTINELS.has(value) ? UNKNOWN : value;
  if (typeof value === "number" || typeof value === "boolean") return value;
  if (typeof value !== "object") return null;
  if (Array.isArray(value)) {
    const length = Number(own(value, "length") ?? 0);
    return Array.from({ length }, (_, i) => snapshot(own(value, String(i))));
  }
  const out: Obj = {};
  for (const key of Object.keys(value)) out[key] = snapshot(own(value, key));
  return out;
}

export function isObj(v: Value | undefined): v is Obj {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    !(v instanceof Secret) &&
    (v as unknown) !== UNKNOWN
  );
}

/** The value without its secret wrapper(s). */
export function unwrap(v: Value | undefined): Value | undefined {
  let x = v;
  while (x instanceof Secret) x = x.value as Value;
  return x;
}

/** The value at `path` (secrets looked through); undefined when a step is missing or unknown. */
export function at(v: Value | undefined, ...path: string[]): Value | undefined {
  let x = unwrap(v);
  for (const key of path) {
    if (!isObj(x)) return undefined;
    x = unwrap(x[key]);
  }
  return x;
}

/** A value with every secret wrapper removed, recursively. */
export function reveal(v: Value): Value {
  const x = unwrap(v)!;
  if (Array.isArray(x)) return x.map(reveal);
  if (isObj(x)) return Object.fromEntries(Object.entries(x).map(([k, y]) => [k, reveal(y)]));
  return x;
}

export interface Leaf {
  /** "connection.privateKey", "values.flannel.args[0]". */
  path: string;
  value: string | number | boolean | typeof UNKNOWN;
  /** The leaf or one of its ancestors is a secret. */
  secret: boolean;
}

/** Every scalar leaf with its path and whether a secret covers it. */
export function leaves(v: Value, path = "", secret = false): Leaf[] {
  if (v instanceof Secret) return leaves(v.value as Value, path, true);
  if (Array.isArray(v)) return v.flatMap((x, i) => leaves(x, `${path}[${i}]`, secret));
  if (isObj(v)) {
    return Object.entries(v).flatMap(([k, x]) => leaves(x, path ? `${path}.${k}` : k, secret));
  }
  if (v === null) return [];
  return [{ path, value: v, secret }];
}

/** Whether the value at `path` exists; and if so whether it is covered by a secret. */
export function secretness(
  v: Value,
  path: readonly string[],
): "absent" | "unknown" | "secret" | "plaintext" {
  let x: Value | undefined = v;
  let secret = false;
  for (const key of ["", ...path]) {
    if (key !== "") {
      if (!isObj(x)) return x === UNKNOWN ? "unknown" : "absent";
      x = x[key];
    }
    while (x instanceof Secret) {
      secret = true;
      x = x.value as Value;
    }
    if (x === undefined || x === null) return "absent";
    if (x === UNKNOWN) return secret ? "secret" : "unknown";
  }
  if (x === "") return "absent";
  return secret ? "secret" : "plaintext";
}
