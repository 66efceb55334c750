// Shared by the libvirt tests: scenario loading (stack file -> loadLab), a mock monitor that
// records every registration (type, name, inputs, provider reference), and the expected
// host of every resource the layer registers.
import assert from "node:assert/strict";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { MockMonitor } from "@pulumi/pulumi/runtime/mocks";
import { formatReport } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { type LabPlan } from "../../components/plan/plan";
import { labSpecSchema, type LabSpec } from "../../components/spec/schema";
import { readStackFile } from "../../components/spec/stack-file";
import type { LibvirtLayer } from "../../components/libvirt/component";
import { SEED_STDIN_MARK } from "../../components/libvirt/seed";

export const REPO = join(__dirname, "..", "..");
export const STACK_A = join(REPO, "Pulumi.a-vxlan-stretch.yaml");
export const STACK_D = join(REPO, "Pulumi.d-libvirt-routed.yaml");

/** A public key for the tests (not a real key pair's). */
export const PUBLIC_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIH0wmN/Cr3JXqmLW7u+g9pTh+wyqDHpSQEQ3 lab@ci";
/** What a private key looks like: must never reach a resource input. */
export const PRIVATE_KEY_MARKER = "PRIVATE KEY";

/** Load a scenario's stack file, optionally bending its raw config first. */
export function loadScenario(
  path: string,
  edit: (raw: Record<string, unknown>) => void = () => {},
): LabPlan {
  const stack = readStackFile(path);
  assert.deepEqual(stack.findings, [], formatReport(stack.findings));
  const raw = structuredClone(stack.raw);
  edit(raw);
  const result = loadLab(raw, stack.lab);
  if (!result.ok) assert.fail(formatReport(result.findings));
  return result.plan;
}

/** A scenario's spec, bent by `edit`, parsed but NOT validated (for validator tests). */
export function parseScenario(path: string, edit: (raw: Record<string, unknown>) => void): LabSpec {
  const raw = structuredClone(readStackFile(path).raw);
  edit(raw);
  return labSpecSchema.parse(raw);
}

export interface Registration {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
  /** "<provider urn>::<provider id>", or undefined for the default provider. */
  provider?: string;
  custom?: boolean;
}

/** Type of the stand-in host-fabric resources the tests hand the layer. */
export const FABRIC_TYPE = "test:index:HostFabric";
/** How long a stand-in fabric resource takes to "create": whatever depends on it waits. */
export const FABRIC_DELAY_MS = 150;

/**
 * Install the mocks; returns the list every registration is appended to. A stand-in fabric
 * resource and a remote command answer after FABRIC_DELAY_MS and then append a
 * `{ type: "done" }` marker, so a test can tell what waited for them.
 */
export async function recordRegistrations(preview: boolean): Promise<Registration[]> {
  const registered: Registration[] = [];
  await pulumi.runtime.setMocks(
    {
      async newResource(args: pulumi.runtime.MockResourceArgs) {
        registered.push({
          type: args.type,
          name: args.name,
          inputs: args.inputs as Record<string, unknown>,
          provider: args.provider,
          custom: args.custom,
        });
        if (args.type === FABRIC_TYPE || args.type === T.command) {
          await new Promise((r) => setTimeout(r, FABRIC_DELAY_MS));
          registered.push({ type: "done", name: args.name, inputs: {} });
        }
        return { id: `${args.name}-id`, state: { ...args.inputs, ...seedStepOutput(args) } };
      },
      call(args: pulumi.runtime.MockCallArgs) {
        return args.inputs as Record<string, unknown>;
      },
    },
    "labfabric",
    "test",
    preview,
  );
  return registered;
}

/** A dir pool's path of the volume: what a seed step (components/libvirt/seed.ts) prints. */
export const seedPathFor = (volume: string) => `/var/lib/libvirt/images/${volume}`;

/** What a seed step prints on the host: its volume's path (its triggers are [pool, volume]). */
function seedStepOutput(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
  const inputs = args.inputs as { stdin?: string; triggers?: string[] };
  if (args.type !== T.command || !inputs.stdin?.startsWith(`${SEED_STDIN_MARK}\n`)) return {};
  return { stdout: `${seedPathFor(String(inputs.triggers?.[1]))}\n` };
}

export function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** Wait until every child of the layer is registered (domains wait for everything they use). */
export async function settle(layer: LibvirtLayer): Promise<void> {
  await Promise.all([
    ...Object.values(layer.providers).map((p) => valueOf(p.urn)),
    ...Object.values(layer.domains).map((d) => valueOf(d.id)),
    ...Object.values(layer.networks)
      .flat()
      .flatMap((n) => (n.id ? [valueOf(n.id)] : [])),
    valueOf(layer.urn),
  ]);
}

export function byName(registered: readonly Registration[], name: string): Registration {
  const found = registered.filter((r) => r.name === name && r.type !== "done");
  assert.equal(found.length, 1, `exactly one registration named ${name}`);
  return found[0];
}

export function ofType(registered: readonly Registration[], type: string): Registration[] {
  return registered.filter((r) => r.type === type);
}

/** Type -> count, for the libvirt resources and the component. */
export function countByType(registered: readonly Registration[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const r of registered) out[r.type] = (out[r.type] ?? 0) + 1;
  return out;
}

export const T = {
  layer: "labfabric:libvirt:LibvirtLayer",
  provider: "pulumi:providers:libvirt",
  network: "libvirt:index/network:Network",
  volume: "libvirt:index/volume:Volume",
  domain: "libvirt:index/domain:Domain",
  pool: "libvirt:index/pool:Pool",
  command: "command:remote:Command",
} as const;

/** The host every resource of the layer belongs to, from the plan (resource name -> host). */
export function expectedHosts(layer: LibvirtLayer, name: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const h of layer.plan.hosts) {
    for (const n of h.networks) if (!n.adopt) out.set(`${name}-${n.key}`, h.host);
    for (const i of h.images) out.set(`${name}-${i.key}-image`, h.host);
    if (h.pool.path) out.set(`${name}-${h.host}-pool`, h.host);
    for (const vm of h.vms) {
      out.set(`${name}-${vm.name}-root`, h.host);
      out.set(`${name}-${vm.name}`, h.host);
    }
  }
  return out;
}

/** Every libvirt resource uses its host's provider; none uses the default provider. */
export async function assertProvidersPerHost(
  layer: LibvirtLayer,
  name: string,
  registered: readonly Registration[],
): Promise<void> {
  const refs = new Map<string, string>();
  for (const [host, p] of Object.entries(layer.providers)) {
    refs.set(host, `${await valueOf(p.urn)}::${await valueOf(p.id)}`);
  }
  const hosts = expectedHosts(layer, name);
  const libvirtResources = registered.filter((r) => r.type.startsWith("libvirt:"));
  assert.equal(libvirtResources.length, hosts.size, "every libvirt resource is one the plan names");
  for (const r of libvirtResources) {
    const host = hosts.get(r.name);
    assert.ok(host, `${r.name} belongs to a host of the plan`);
    assert.ok(r.provider, `${r.type} ${r.name} has an explicit provider (not the default)`);
    assert.equal(r.provider, refs.get(host), `${r.name} uses the provider of ${host}`);
  }
}

class HostFabricStandIn extends pulumi.CustomResource {
  constructor(host: string) {
    super(FABRIC_TYPE, `fabric-${host}`, {});
  }
}

/** A stand-in for one host's fabric resources (the bridge the VMs attach to). */
export function fabricStandIn(host: string): pulumi.CustomResource {
  return new HostFabricStandIn(host);
}

/** Index of the marker appended once the stand-in fabric of `host` was created. */
export function fabricDoneIndex(registered: readonly Registration[], host: string): number {
  return doneIndex(registered, `fabric-${host}`);
}

/** Index of the marker appended once the stand-in or command `name` was created. */
export function doneIndex(registered: readonly Registration[], name: string): number {
  const i = registered.findIndex((r) => r.type === "done" && r.name === name);
  assert.ok(i >= 0, `${name} was created`);
  return i;
}

/** A stand-in SSH connection of a bare-metal host (no key material). */
export function connectionStandIn(host: string) {
  return { host: `${host}.example`, port: 22, user: "root", hostKey: "ssh-ed25519 AAAA" };
}

export function indexOf(registered: readonly Registration[], name: string): number {
  const i = registered.findIndex((r) => r.name === name && r.type !== "done");
  assert.ok(i >= 0, `${name} was registered`);
  return i;
}

/** Every string anywhere in the registered inputs. */
export function allStrings(value: unknown): string[] {
  if (typeof value === "string") return [value];
  if (Array.isArray(value)) return value.flatMap(allStrings);
  if (value && typeof value === "object") return Object.values(value).flatMap(allStrings);
  return [];
}

/**
 * Records, from now on, the names of the resources each registration depends on (what the
 * engine would keep in the state), by resource name.
 */
export function recordDependencies(): Map<string, string[]> {
  const deps = new Map<string, string[]>();
  const proto = MockMonitor.prototype as unknown as {
    registerResource: (
      req: { getName(): string; getDependenciesList(): string[] },
      cb: unknown,
    ) => Promise<void>;
  };
  const original = proto.registerResource;
  proto.registerResource = function (this: unknown, req, cb) {
    deps.set(
      req.getName(),
      req.getDependenciesList().map((urn) => urn.split("::").pop()!),
    );
    return original.call(this, req, cb);
  };
  return deps;
}
