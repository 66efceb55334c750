// Runs the labfabric policies the way the engine's policy server would, without an engine:
// typed fake ResourceValidationArgs / StackValidationArgs, remediation before validation (as
// the engine does for every resource), violations collected as strings. `captureLab` records
// what the real program registers for a lab under the mock runtime, as the engine would hand it
// to the policy pack: inputs with secrets marked (via @pulumi/policy's own deserializer),
// component outputs, dependencies, options. One capture per test process (the runtime is global).
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import type {
  PolicyResource,
  PolicyResourceOptions,
  ResourceValidationArgs,
  ResourceValidationPolicy,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import type { LabSecrets } from "../../components/config";
import type { LabPlan } from "../../components/plan/plan";
import { FAKE_CA_HASH, FAKE_CERT_KEY, FAKE_TOKEN, fakeKubeconfig } from "../kubernetes/mocks";

// The policy server's own deserializer (internal to @pulumi/policy, untyped): secrets become
// `policy.Secret` exactly as in a remediation request.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- internal module, no typings
const { deserializeProperties } = require("@pulumi/policy/deserialize") as {
  deserializeProperties: (struct: unknown, proxySecrets: boolean) => Record<string, unknown>;
};

export interface Captured {
  type: string;
  name: string;
  urn: string;
  custom: boolean;
  /** Inputs (custom resources) or registered outputs (components), secrets as policy.Secret. */
  props: Record<string, unknown>;
  dependencies: string[];
  parent?: string;
  additionalSecretOutputs: string[];
  deleteBeforeReplace?: boolean;
}

const SIG = "4dabf18193072939515e22adb298388d";

/** What a `-host-key` step prints in update mode: the machine's key, learned once. */
export const LEARNED_HOST_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGxlYXJuZWQgb25jZSBieSBzc2gta2V5c2NhbiAuLi4u";

/** Every resource `deployLab` registers for the plan; `preview` as in `pulumi preview`. */
export async function captureLab(plan: LabPlan, preview = true): Promise<Captured[]> {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => {
        const state: Record<string, unknown> = { ...args.inputs };
        // ssh-keyscan's answer for a host key learned on first use (components/ssh/host-key.ts).
        if (args.type.startsWith("command:") && args.name.endsWith("-host-key") && !preview) {
          state.stdout = `${LEARNED_HOST_KEY}\n`;
        }
        // A host's scan of its VMs: one `<vm> <key>` line per VM its script prints.
        if (args.type.startsWith("command:") && args.name.endsWith("-host-keys") && !preview) {
          const names = [...String(args.inputs.create).matchAll(/^printf '%s %s\\n' '([^']+)'/gm)];
          state.stdout = names.map((m) => `${m[1]} ${LEARNED_HOST_KEY}\n`).join("");
        }
        // As a control plane would answer (update only: preview runs nothing).
        if (args.type === "command:remote:Command" && !preview && !/-host-keys?$/.test(args.name)) {
          state.stderr = "";
          state.stdout = args.name.endsWith("-kubeconfig")
            ? fakeKubeconfig("https://127.0.0.1:6443")
            : args.name.endsWith("-join-token")
              ? `kubeadm join 10.0.0.1:6443 --token ${FAKE_TOKEN} --discovery-token-ca-cert-hash ${FAKE_CA_HASH} \ncertificate-key ${FAKE_CERT_KEY}\n`
              : "";
        }
        // Neutron's answers the OpenStack layer reads back (addresses, floating IPs).
        if (args.type === "openstack:networking/port:Port" && !preview) {
          const fixed = (args.inputs.fixedIps ?? []) as { ipAddress?: string }[];
          state.allFixedIps = fixed.map((f) => f.ipAddress ?? "192.0.2.50");
        }
        if (args.type === "openstack:networking/floatingIp:FloatingIp" && !preview) {
          state.address = "198.51.100.10";
        }
        return { id: `${args.name}-id`, state };
      },
      call: (args) => ({ ...args.inputs, id: `${args.token}-id` }),
    },
    "labfabric",
    plan.lab,
    preview,
  );
  const current = pulumi.runtime.getMonitor();
  if (!(current instanceof MockMonitor)) throw new Error("the mock monitor is not in place");
  const monitor: MockMonitor = current;
  const captured = new Map<string, Captured>();
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = async (req, callback) => {
    await register(req, (err, resp) => {
      if (!err) {
        const urn: string = resp.getUrn();
        captured.set(urn, {
          type: req.getType(),
          name: req.getName(),
          urn,
          custom: req.getCustom(),
          props: req.getCustom() ? deserializeProperties(req.getObject(), true) : {},
          dependencies: req.getDependenciesList(),
          ...(req.getParent() ? { parent: req.getParent() } : {}),
          additionalSecretOutputs: req.getAdditionalsecretoutputsList(),
          deleteBeforeReplace: req.getDeletebeforereplace(),
        });
      }
      callback(err, resp);
    });
  };
  const registerOutputs = monitor.registerResourceOutputs.bind(monitor);
  monitor.registerResourceOutputs = (req, callback) => {
    const c = captured.get(req.getUrn());
    if (c && !c.custom) c.props = deserializeProperties(req.getOutputs(), true);
    registerOutputs(req, callback);
  };
  const secrets: LabSecrets = {
    sshPrivateKey: pulumi.secret(
      "-----BEGIN OPENSSH PRIVATE KEY-----\nplaceholder\n-----END OPENSSH PRIVATE KEY-----\n",
    ),
  };
  // Imported after the mocks are set, as Pulumi's unit-testing guide requires.
  const { deployLab } = await import("../../components/stack");
  await deployLab(plan, secrets);
  await pulumi.runtime.disconnect();
  return [...captured.values()];
}

/** Whether a captured value still carries the SDK's raw secret marker (it never should). */
export function hasRawSecretMarker(v: unknown): boolean {
  if (Array.isArray(v)) return v.some(hasRawSecretMarker);
  if (v && typeof v === "object") {
    if (SIG in v) return true;
    return Object.values(v).some(hasRawSecretMarker);
  }
  return false;
}

class NotApplicable extends Error {}

function options(c: Partial<Captured>): PolicyResourceOptions {
  return {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: c.additionalSecretOutputs ?? [],
    ...(c.deleteBeforeReplace !== undefined ? { deleteBeforeReplace: c.deleteBeforeReplace } : {}),
    ...(c.parent ? { parent: c.parent } : {}),
  };
}

let fakeUrns = 0;

/** The args the policy server builds for one resource, from a capture or a fake. */
export function resourceArgs(
  c: Pick<Captured, "type" | "name" | "props"> & Partial<Captured>,
  config: object = {},
): ResourceValidationArgs {
  const urn = c.urn ?? `urn:pulumi:test::labfabric::${c.type}::${c.name}-${++fakeUrns}`;
  return {
    type: c.type,
    name: c.name,
    urn,
    props: c.props,
    opts: options(c),
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

/** The args for a stack policy: every resource with its dependencies resolved. */
export function stackArgs(captured: readonly Captured[], config: object = {}): StackValidationArgs {
  const byUrn = new Map<string, PolicyResource>();
  for (const c of captured) {
    byUrn.set(c.urn, {
      type: c.type,
      name: c.name,
      urn: c.urn,
      props: c.props,
      opts: options(c),
      dependencies: [],
      propertyDependencies: {},
      isType: () => false,
      asType: () => undefined,
    });
  }
  for (const c of captured) {
    const r = byUrn.get(c.urn)!;
    r.dependencies = c.dependencies.flatMap((u) => (byUrn.has(u) ? [byUrn.get(u)!] : []));
    if (c.parent && byUrn.has(c.parent)) r.parent = byUrn.get(c.parent);
  }
  return {
    resources: [...byUrn.values()],
    stackTags: new Map(),
    getConfig: <T extends object>() => config as T,
    notApplicable: (reason?: string): never => {
      throw new NotApplicable(reason);
    },
  };
}

export interface Outcome {
  violations: string[];
  /** Set when the policy declared itself not applicable. */
  notApplicable?: string;
}

/** Remediation (if the policy has one) then validation, as the engine runs them. */
export async function runResourcePolicy(
  policy: ResourceValidationPolicy,
  args: ResourceValidationArgs,
): Promise<Outcome> {
  const violations: string[] = [];
  try {
    if (policy.remediateResource) await policy.remediateResource(args);
    const checks = policy.validateResource
      ? Array.isArray(policy.validateResource)
        ? policy.validateResource
        : [policy.validateResource]
      : [];
    for (const check of checks) await check(args, (m) => violations.push(m));
  } catch (e) {
    if (e instanceof NotApplicable) return { violations, notApplicable: e.message };
    throw e;
  }
  return { violations };
}

export async function runStackPolicy(
  policy: StackValidationPolicy,
  args: StackValidationArgs,
): Promise<Outcome> {
  const violations: string[] = [];
  try {
    await policy.validateStack(args, (m, urn) => violations.push(urn ? `${urn}: ${m}` : m));
  } catch (e) {
    if (e instanceof NotApplicable) return { violations, notApplicable: e.message };
    throw e;
  }
  return { violations };
}

/** Every policy of the pack over a captured lab: violations by policy name. */
export async function runPack(
  policies: readonly (ResourceValidationPolicy | StackValidationPolicy)[],
  captured: readonly Captured[],
  config: Record<string, object> = {},
): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const p of policies) {
    const cfg = config[p.name] ?? {};
    const found: string[] = [];
    if ("validateStack" in p) {
      found.push(...(await runStackPolicy(p, stackArgs(captured, cfg))).violations);
    } else {
      for (const c of captured) {
        found.push(...(await runResourcePolicy(p, resourceArgs(c, cfg))).violations);
      }
    }
    out[p.name] = found;
  }
  return out;
}
