// Pulumi mocks for the OpenStack layer: every registered resource is recorded with its type,
// name, inputs and provider; lookups answer with ids derived from their arguments.
import * as pulumi from "@pulumi/pulumi";
import * as cidr from "../../components/shared/cidr";

export interface Registered {
  type: string;
  name: string;
  id: string;
  inputs: Record<string, unknown>;
  provider?: string;
}

export const registered: Registered[] = [];
export const calls: { token: string; inputs: Record<string, unknown> }[] = [];

let nextHost = 100;

/** Neutron's side of a port: the planned address, or the next one in the subnet (mock DHCP). */
function portState(inputs: Record<string, unknown>) {
  const fixed = (inputs.fixedIps ?? []) as { subnetId: string; ipAddress?: string }[];
  const ips = fixed.map(
    (f) => f.ipAddress ?? cidr.nthAddress(f.subnetId.replace(/^subnet-/, ""), nextHost++),
  );
  return { allFixedIps: ips, macAddress: "fa:16:3e:00:00:01" };
}

export async function installMocks(preview = false): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        const id = `${args.name}-id`;
        registered.push({
          type: args.type,
          name: args.name,
          id,
          inputs: args.inputs,
          provider: args.provider,
        });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === "openstack:networking/port:Port")
          Object.assign(state, portState(args.inputs));
        if (args.type === "openstack:networking/floatingIp:FloatingIp") {
          state.address = `203.0.113.${registered.filter((r) => r.type === args.type).length}`;
        }
        return { id, state };
      },
      call(args) {
        const inputs = args.inputs as Record<string, unknown>;
        calls.push({ token: args.token, inputs });
        switch (args.token) {
          case "openstack:compute/getFlavor:getFlavor":
            return { id: `flavor-${inputs.name}`, name: inputs.name };
          case "openstack:compute/getKeypair:getKeypair":
            return { id: inputs.name, name: inputs.name, publicKey: "ssh-ed25519 AAAA existing" };
          case "openstack:images/getImage:getImage":
            return { id: `image-${inputs.name}`, name: inputs.name };
          case "openstack:networking/getNetwork:getNetwork":
            return { id: `net-${inputs.name}`, name: inputs.name };
          case "openstack:networking/getSubnet:getSubnet":
            return { id: `subnet-${inputs.cidr}`, cidr: inputs.cidr, networkId: inputs.networkId };
          default:
            throw new Error(`unexpected call ${args.token}`);
        }
      },
    },
    "labfabric",
    "test",
    preview,
  );
}

/** The resolved value of an Output (update mode only: preview leaves unknowns unresolved). */
export function value<T>(o: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => o.apply(resolve));
}

/** Waits until no new resource has been registered for a few turns of the event loop. */
export async function settle(): Promise<void> {
  let last = -1;
  let quiet = 0;
  while (quiet < 5) {
    await new Promise((r) => setTimeout(r, 10));
    if (registered.length === last) quiet++;
    else quiet = 0;
    last = registered.length;
  }
}

/** Resources registered by the component named `layer` (children are named "<layer>-..."). */
export function childrenOf(layer: string, type?: string): Registered[] {
  return registered.filter(
    (r) => r.name.startsWith(`${layer}-`) && (type === undefined || r.type === type),
  );
}

export const T = {
  flavor: "openstack:compute/flavor:Flavor",
  keypair: "openstack:compute/keypair:Keypair",
  instance: "openstack:compute/instance:Instance",
  group: "openstack:networking/secGroup:SecGroup",
  rule: "openstack:networking/secGroupRule:SecGroupRule",
  port: "openstack:networking/port:Port",
  fip: "openstack:networking/floatingIp:FloatingIp",
  fipAssoc: "openstack:networking/floatingIpAssociate:FloatingIpAssociate",
  provider: "pulumi:providers:openstack",
} as const;
