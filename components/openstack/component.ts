// The OpenStack layer: flavors, keypair, security groups, one port per NIC, instances and
// floating IPs, all from its slice of the lab plan (plan.ts, planned by planLab). The lab was
// validated before the plan reached here; the layer only checks its own argument.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";
import * as cidr from "../shared";
import type { NodeOutput } from "../ssh";
import type { Role } from "../spec";
import { type GroupRole, type OpenstackPlan, type PortPlan, type SecurityRulePlan } from "../plan";
import { sliceProblems } from "./slice";

export { openstackProvider, providerArgs, type OpenstackCredentials } from "./provider";

export interface OpenstackLayerArgs {
  /** The lab plan's OpenStack slice (LabPlan.openstack). */
  plan: OpenstackPlan;
  /** Unset: the default provider from the stack's `openstack:*` config (e.g. openstack:cloud). */
  provider?: openstack.Provider;
}

export interface InstanceOutput {
  name: string;
  role: Role;
  source: "instance";
  instanceId: pulumi.Output<string>;
  /** Fixed IP per network name. */
  addresses: pulumi.Output<Record<string, string>>;
  /** The first NIC's fixed IP: the kubelet node-ip. */
  nodeAddress: pulumi.Output<string>;
  floatingAddress?: pulumi.Output<string>;
}

/** The planned address if there is one (known at preview), else the first IPv4 Neutron gave. */
function portAddress(port: openstack.networking.Port, p: PortPlan): pulumi.Output<string> {
  if (p.fixedIp) return pulumi.output(p.fixedIp);
  return port.allFixedIps.apply((ips) => ips.find((ip) => cidr.contains(p.cidr, ip)) ?? ips[0]);
}

export class OpenstackLayer extends pulumi.ComponentResource {
  public readonly plan: OpenstackPlan;
  /** Security group ids by role ("cluster" is on every port); empty with port security off. */
  public readonly securityGroupIds: Partial<Record<GroupRole, pulumi.Output<string>>>;
  public readonly rules: SecurityRulePlan[];
  public readonly keypairName: pulumi.Output<string>;
  public readonly instances: InstanceOutput[];
  /** Instances that are Kubernetes nodes, in the shape every machine layer hands on. */
  public readonly nodes: NodeOutput[];

  constructor(name: string, args: OpenstackLayerArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labfabric:openstack:OpenstackLayer", name, {}, opts);
    const { plan, provider } = args;
    const problems = sliceProblems(plan);
    if (problems.length > 0) {
      throw new pulumi.ResourceError(
        `OpenstackLayer args.plan is inconsistent: ${problems.join("; ")}`,
        this,
      );
    }
    this.plan = plan;
    this.rules = plan.rules;
    const child: pulumi.CustomResourceOptions = { parent: this, provider };
    const invoke: pulumi.InvokeOptions = { parent: this, provider };

    const flavorIds = new Map<string, pulumi.Output<string>>();
    for (const f of plan.flavors) {
      flavorIds.set(
        f.name,
        f.adopt
          ? openstack.compute.getFlavorOutput({ name: f.name }, invoke).id
          : new openstack.compute.Flavor(
              `${name}-flavor-${f.name}`,
              { name: f.name, vcpus: f.vcpus, ram: f.ramMiB, disk: f.diskGiB },
              child,
            ).id,
      );
    }

    this.keypairName =
      plan.keypair.publicKey === undefined
        ? openstack.compute.getKeypairOutput({ name: plan.keypair.name }, invoke).name
        : new openstack.compute.Keypair(
            `${name}-keypair`,
            { name: plan.keypair.name, publicKey: plan.keypair.publicKey },
            child,
          ).name;

    const imageIds = new Map(
      plan.images.map((img) => [
        img,
        openstack.images.getImageOutput({ name: img, mostRecent: true }, invoke).id,
      ]),
    );
    const networks = new Map(
      plan.networks.map((n) => {
        const networkId = openstack.networking.getNetworkOutput({ name: n.name }, invoke).id;
        const subnetId = openstack.networking.getSubnetOutput(
          { networkId, cidr: n.cidr },
          invoke,
        ).id;
        return [n.name, { networkId, subnetId }];
      }),
    );

    const groups = new Map<GroupRole, openstack.networking.SecGroup>();
    for (const g of plan.groups) {
      groups.set(
        g.role,
        new openstack.networking.SecGroup(
          `${name}-sg-${g.role}`,
          { name: g.name, description: g.description },
          child,
        ),
      );
    }
    const groupId = (role: GroupRole) => groups.get(role)!.id;
    this.securityGroupIds = Object.fromEntries([...groups].map(([role, g]) => [role, g.id]));
    const rules = plan.rules.map(
      (r) =>
        new openstack.networking.SecGroupRule(
          `${name}-rule-${r.key}`,
          {
            securityGroupId: groupId(r.group),
            direction: "ingress",
            ethertype: "IPv4",
            protocol: r.protocol,
            portRangeMin: r.portRangeMin,
            portRangeMax: r.portRangeMax,
            remoteGroupId: r.remoteGroup ? groupId(r.remoteGroup) : undefined,
            remoteIpPrefix: r.remoteIpPrefix,
            description: r.description,
          },
          child,
        ),
    );

    this.instances = plan.instances.map((inst): InstanceOutput => {
      const ports = inst.ports.map((p) => {
        const net = networks.get(p.network)!;
        const port = new openstack.networking.Port(
          `${name}-port-${p.key}`,
          {
            name: `${plan.lab}-${p.key}`,
            networkId: net.networkId,
            fixedIps: [{ subnetId: net.subnetId, ...(p.fixedIp ? { ipAddress: p.fixedIp } : {}) }],
            portSecurityEnabled: p.portSecurity,
            ...(p.portSecurity
              ? { securityGroupIds: p.groups.map(groupId) }
              : { noSecurityGroups: true }),
            ...(p.allowedAddressPairs.length
              ? { allowedAddressPairs: p.allowedAddressPairs.map((ipAddress) => ({ ipAddress })) }
              : {}),
          },
          child,
        );
        let floatingAddress: pulumi.Output<string> | undefined;
        if (p.floatingIp) {
          const fip = new openstack.networking.FloatingIp(
            `${name}-fip-${p.key}`,
            { pool: plan.floatingPool!, description: `labfabric ${plan.lab}: ${p.key}` },
            child,
          );
          new openstack.networking.FloatingIpAssociate(
            `${name}-fip-assoc-${p.key}`,
            { floatingIp: fip.address, portId: port.id },
            child,
          );
          floatingAddress = fip.address;
        }
        return { plan: p, port, address: portAddress(port, p), floatingAddress };
      });
      const instance = new openstack.compute.Instance(
        `${name}-instance-${inst.name}`,
        {
          name: inst.name,
          flavorId: flavorIds.get(inst.flavor)!,
          imageId: imageIds.get(inst.image)!,
          keyPair: this.keypairName,
          networks: ports.map((p) => ({ port: p.port.id })),
          userData: inst.userDataText,
          metadata: inst.metadata,
        },
        // Rules first: the Kubernetes layer connects as soon as the instance exists.
        { ...child, dependsOn: rules },
      );
      const addresses = pulumi
        .all(ports.map((p) => p.address))
        .apply((ips) => Object.fromEntries(ports.map((p, i) => [p.plan.network, ips[i]])));
      const floating = ports.find((p) => p.floatingAddress)?.floatingAddress;
      return {
        name: inst.name,
        role: inst.role,
        source: "instance",
        instanceId: instance.id,
        addresses,
        nodeAddress: ports[0].address,
        ...(floating ? { floatingAddress: floating } : {}),
      };
    });

    const nodeInfo = new Map(plan.nodes.map((n) => [n.name, n]));
    this.nodes = this.instances.flatMap((i): NodeOutput[] => {
      const info = nodeInfo.get(i.name);
      if (!info) return [];
      return [
        {
          name: i.name,
          role: info.role,
          source: "instance",
          ...(plan.host ? { host: plan.host } : {}),
          address: i.nodeAddress,
          addresses: i.addresses,
          ...(i.floatingAddress ? { publicAddress: i.floatingAddress } : {}),
          machineId: i.instanceId,
          ssh: { port: plan.sshPort, user: plan.sshUser },
          mtu: info.mtu,
        },
      ];
    });

    this.registerOutputs({
      securityGroupIds: this.securityGroupIds,
      keypairName: this.keypairName,
      instances: this.instances.map((i) => ({
        name: i.name,
        role: i.role,
        instanceId: i.instanceId,
        addresses: i.addresses,
        nodeAddress: i.nodeAddress,
        floatingAddress: i.floatingAddress,
      })),
    });
  }
}
