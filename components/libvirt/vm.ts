// One VM of the libvirt layer: its copy-on-write root volume, its cloud-init disk, its DHCP host
// entries on adopted networks (labfabric's own step on the host), the domain, and what the next
// layers see of it (the VM, and the node when it has a Kubernetes role). component.ts builds
// the hosts and their networks, pools and images, and calls vmResources once per VM.
import * as command from "@pulumi/command";
import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import type { LibvirtHostPlan, LibvirtPlan, LibvirtVmPlan } from "../plan";
import { asRoot } from "../shared";
import type { Role } from "../spec";
import type { Connection, NodeOutput, SshTarget } from "../ssh";
import { DOMAIN_CREATE_TIMEOUT, VM_SSH_PORT } from "./defaults";
import { renderDhcpHostStep } from "./dhcp-host";
import { domainArgs } from "./domain-args";

export interface LibvirtVmOutput {
  host: string;
  name: string;
  role: Role;
  /** Address (no prefix) by network name; resolves once the domain exists. */
  addresses: pulumi.Output<Record<string, string>>;
}

/** The SSH connection of a bare-metal host by name (LibvirtLayerArgs.hostConnection). */
export type HostConnection = (host: string) => pulumi.Input<Connection>;

/** What one VM's resources need from its layer and its host. */
export interface VmContext {
  /** The layer: parent of every resource, named in refusals. */
  parent: pulumi.ComponentResource;
  plan: LibvirtPlan;
  /** Options of a resource on the host: its provider, under the layer. */
  child: (extra?: pulumi.CustomResourceOptions) => pulumi.CustomResourceOptions;
  pool: pulumi.Input<string>;
  base: libvirt.Volume;
  networkIds: ReadonlyMap<string, pulumi.Output<string>>;
  bridgeNetworks: ReadonlyMap<string, libvirt.Network>;
  fabric: pulumi.Resource[];
  vmSsh: "via-host" | "direct";
  hostConnection?: HostConnection;
  /** The host's key, pinned or learned: the VM's jump host is checked with it. */
  hostKey: pulumi.Input<string>;
  /** The host's previous volume operation: this VM's volumes come after it. */
  after: pulumi.Resource[];
  /** Resolves with the host's last cloud-init disk: domains start after every upload. */
  isos: Promise<pulumi.Resource>;
}

export interface VmResources {
  domain: libvirt.Domain;
  vm: LibvirtVmOutput;
  /** Set for a VM with a Kubernetes role. */
  node?: NodeOutput;
  /** The VM's last volume operation: the host's next one waits for it. */
  lastVolume: pulumi.Resource;
}

/**
 * The VM's DHCP host entries on adopted networks, as labfabric's own step on its host; the
 * domain waits for it, and destroy removes exactly these entries after the domain is gone.
 */
function dhcpHostStep(
  name: string,
  host: LibvirtHostPlan,
  vm: LibvirtVmPlan,
  ctx: VmContext,
): command.remote.Command | undefined {
  if (vm.hostReservations.length === 0) return undefined;
  if (!ctx.hostConnection) {
    throw new pulumi.ResourceError(
      `LibvirtLayer args.hostConnection is missing: VM ${vm.name} is on an adopted network, whose DHCP host entry labfabric adds over SSH on ${host.host}`,
      ctx.parent,
    );
  }
  const step = renderDhcpHostStep(vm.hostReservations);
  return new command.remote.Command(
    `${name}-${vm.name}-dhcp-host`,
    {
      connection: pulumi.secret(ctx.hostConnection(host.host)),
      create: asRoot(host.ssh.user, step.create),
      delete: asRoot(host.ssh.user, step.delete),
      // A changed entry replaces the step: the old entry goes before the new one is added.
      triggers: [step.hash],
      addPreviousOutputInEnv: false,
      logging: "stdoutAndStderr",
    },
    { parent: ctx.parent, deleteBeforeReplace: true },
  );
}

export function vmResources(
  name: string,
  host: LibvirtHostPlan,
  vm: LibvirtVmPlan,
  ctx: VmContext,
): VmResources {
  const { plan } = ctx;
  const root = new libvirt.Volume(
    `${name}-${vm.name}-root`,
    {
      name: vm.rootVolumeName,
      pool: ctx.pool,
      format: "qcow2",
      baseVolumeId: ctx.base.id,
      size: vm.diskBytes,
    },
    ctx.child({ dependsOn: ctx.after }),
  );
  const cloudInit = new libvirt.CloudInitDisk(
    `${name}-${vm.name}-cloudinit`,
    {
      name: vm.cloudInitName,
      pool: ctx.pool,
      userData: vm.cloudInit.userData,
      metaData: vm.cloudInit.metaData,
      networkConfig: vm.cloudInit.networkConfig,
    },
    ctx.child({ dependsOn: [root] }),
  );
  const dhcpHost = dhcpHostStep(name, host, vm, ctx);
  const domain = new libvirt.Domain(
    `${name}-${vm.name}`,
    domainArgs(plan, vm, {
      rootVolumeId: root.id,
      cloudInitId: cloudInit.id,
      networkIds: ctx.networkIds,
    }),
    ctx.child({
      dependsOn: [
        ...ctx.fabric,
        ...vm.nics.flatMap((nic) => ctx.bridgeNetworks.get(nic.network) ?? []),
        // The reservation is in the network before the VM asks for its lease.
        ...(dhcpHost ? [dhcpHost] : []),
        ctx.isos,
      ],
      customTimeouts: { create: DOMAIN_CREATE_TIMEOUT[plan.domainType] },
    }),
  );
  // Known at preview (the name is an input) and still ordered after the domain.
  const addresses = domain.name.apply(() => ({ ...vm.addresses }));
  const out: VmResources = {
    domain,
    vm: { host: vm.host, name: vm.name, role: vm.role, addresses },
    lastVolume: cloudInit,
  };
  if (vm.role === "none") return out;
  const ssh: Omit<SshTarget, "address"> = {
    port: VM_SSH_PORT,
    user: plan.vmUser,
    ...(ctx.vmSsh === "via-host"
      ? {
          jump: {
            address: host.ssh.address,
            port: host.ssh.port,
            user: host.ssh.user,
            hostKey: ctx.hostKey,
          },
        }
      : {}),
  };
  out.node = {
    name: vm.name,
    role: vm.role,
    source: "vm",
    host: vm.host,
    address: domain.name.apply(() => vm.address),
    addresses,
    // A replaced VM is a new machine with a new host key: it is learned again.
    machineId: domain.id,
    ssh,
    mtu: plan.mtu,
  };
  return out;
}
