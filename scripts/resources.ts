// Every resource the real program registers for a lab, evaluated through Pulumi's mock
// runtime (no engine, no hosts, no cloud): type, name, parent, provider and inputs, with every
// secret input redacted. This is what `npm run render` writes to resources.json.
import * as pulumi from "@pulumi/pulumi";
import type { LabSecrets } from "../components/config";
import type { LabPlan } from "../components/plan/plan";

/** Marks a value the SDK serialized as a secret. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
export const REDACTED = "[secret]";

export interface RegisteredResource {
  type: string;
  name: string;
  provider?: string;
  inputs: Record<string, unknown>;
}

/** Replaces every secret with a marker, recursively: nothing secret reaches the file. */
export function redact(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(redact);
  if (value && typeof value === "object") {
    const o = value as Record<string, unknown>;
    if (o[SECRET_SIG] === SECRET_VALUE) return REDACTED;
    return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, redact(v)]));
  }
  return value;
}

/** Placeholders standing in for the stack's secrets: marked secret so they are redacted too. */
function placeholderSecrets(): LabSecrets {
  return {
    sshPrivateKey: pulumi.secret("placeholder: pulumi config set --secret labfabric:sshPrivateKey"),
  };
}

/**
 * Runs `f` without the stack captures the Pulumi SDK makes for every promise (its leak
 * report, `debuggablePromise`) and every resource (source positions): under tsx each capture
 * is mapped through source maps, and at 64 hosts x 1000 VMs they were half of the CPU time and
 * a quarter of the peak memory of a render (BENCHMARKS.md, section 4). The mock runtime uses
 * neither. PULUMI_DEBUG_PROMISE_LEAKS keeps them, for when a leak is being chased.
 */
export async function withoutStackCaptures<T>(f: () => Promise<T>): Promise<T> {
  if (process.env.PULUMI_DEBUG_PROMISE_LEAKS) return f();
  const limit = Object.getOwnPropertyDescriptor(Error, "stackTraceLimit");
  const sourceMaps = process.sourceMapsEnabled;
  // The SDK lifts the limit to read `new Error().stack` twice per resource (its source
  // positions, resource.js callsites()); capturing and formatting those frames was ~5% of a
  // 64x1000 render, and the mock runtime records no source position. V8 captures a stack only
  // while Error.stackTraceLimit is a plain number: an accessor that ignores writes keeps every
  // capture off until the evaluation ends, whoever tries to lift it.
  Object.defineProperty(Error, "stackTraceLimit", {
    configurable: true,
    get: () => 0,
    set: () => undefined,
  });
  process.setSourceMapsEnabled(false);
  try {
    return await f();
  } finally {
    if (limit) Object.defineProperty(Error, "stackTraceLimit", limit);
    process.setSourceMapsEnabled(sourceMaps);
  }
}

export async function registeredResources(plan: LabPlan): Promise<RegisteredResource[]> {
  return withoutStackCaptures(() => evaluate(plan));
}

async function evaluate(plan: LabPlan): Promise<RegisteredResource[]> {
  const registered: RegisteredResource[] = [];
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        registered.push({
          type: args.type,
          name: args.name,
          ...(args.provider ? { provider: args.provider.split("::").slice(-1)[0] } : {}),
          inputs: redact(args.inputs) as Record<string, unknown>,
        });
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call: (args) => ({ ...args.inputs, id: `${args.token}-id` }),
    },
    "labfabric",
    plan.lab,
    true, // preview: outputs of remote steps stay unknown, as in `pulumi preview`
  );
  // Imported after the mocks are set, as Pulumi's unit-testing guide requires.
  const { deployLab } = await import("../components/stack");
  await deployLab(plan, placeholderSecrets());
  await pulumi.runtime.disconnect();
  return registered;
}
