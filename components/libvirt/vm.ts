// One VM of the libvirt layer: its copy-on-write root volume, its NoCloud seed and its DHCP host
// entries on adopted networks (each labfabric's own step on the host), the domain, and what the
// next layers see of it (the VM, and the node when it has a Kubernetes role). component.ts builds
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
import { renderSeedStep, seedPathOf } from "./seed";

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
  /** The host's pool when labfabric creates it (`libvirt.poolPath`): the seed step waits for it. */
  poolResource?: libvirt.Pool;
  base: libvirt.Volume;
  networkIds: ReadonlyMap<string, pulumi.Output<string>>;
  bridgeNetworks: ReadonlyMap<string, libvirt.Network>;
  fabric: pulumi.Resource[];
  vmSsh: "via-host" | "direct";
  hostConnection?: HostConnection;
  /** The host's key, pinned or learned: the VM's jump host is checked with it. */
  hostKey: pulumi.Input<string>;
}

export interface VmResources {
  domain: libvirt.Domain;
  vm: LibvirtVmOutput;
  /** Set for a VM with a Kubernetes role. */
  node?: NodeOutput;
}

/** The host's SSH connection for a remote step of the VM, or a refusal naming what needs it. */
function connectionFor(
  host: LibvirtHostPlan,
  vm: LibvirtVmPlan,
  ctx: VmContext,
  what: string,
): pulumi.Output<Connection> {
  if (!ctx.hostConnection) {
    throw new pulumi.ResourceError(
      `LibvirtLayer args.hostConnection is missing: labfabric writes ${what} of VM ${vm.name} over SSH on ${host.host}`,
      ctx.parent,
    );
  }
  return pulumi.secret(ctx.hostConnection(host.host));
}

/** A remote step of the VM on its host: what seed.ts and dhcp-host.ts render for it. */
interface HostStepText {
  create: string;
  delete: string;
  stdin?: string;
  triggers: string[];
}

/**
 * One of labfabric's own steps for a VM, run as root on its host over the host's connection;
 * what `what` writes is named when the layer has no connection to run it with.
 */
function hostStep(
  stepName: string,
  host: LibvirtHostPlan,
  vm: LibvirtVmPlan,
  ctx: VmContext,
  what: string,
  step: HostStepText,
  opts: pulumi.CustomResourceOptions,
): command.remote.Command {
  return new command.remote.Command(
    stepName,
    {
      connection: connectionFor(host, vm, ctx, what),
      create: asRoot(host.ssh.user, step.create),
      delete: asRoot(host.ssh.user, step.delete),
      ...(step.stdin !== undefined ? { stdin: step.stdin } : {}),
      triggers: step.triggers,
      addPreviousOutputInEnv: false,
      logging: "stdoutAndStderr",
    },
    { parent: ctx.parent, ...opts },
  );
}

/**
 * The VM's NoCloud seed volume, as labfabric's own step on its host (seed.ts): the documents on
 * stdin, the volume's path on stdout. A changed seed is a new volume name, so the step is
 * replaced (create before delete: the old volume goes after the domain that used it).
 */
function seedStep(
  name: string,
  host: LibvirtHostPlan,
  vm: LibvirtVmPlan,
  ctx: VmContext,
): command.remote.Command {
  const step = renderSeedStep({ pool: host.pool.name, volume: vm.seedVolumeName }, vm.cloudInit);
  // A pool labfabric creates exists first.
  return hostStep(`${name}-${vm.name}-seed`, host, vm, ctx, "the NoCloud seed", step, {
    dependsOn: ctx.poolResource ? [ctx.poolResource] : [],
  });
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
  const step = renderDhcpHostStep(vm.hostReservations);
  // A changed entry replaces the step: the old entry goes before the new one is added.
  return hostStep(
    `${name}-${vm.name}-dhcp-host`,
    host,
    vm,
    ctx,
    "the DHCP host entries",
    { create: step.create, delete: step.delete, triggers: [step.hash] },
    { deleteBeforeReplace: true },
  );
}

export function vmResources(
  name: string,
  host: LibvirtHostPlan,
  vm: LibvirtVmPlan,
  ctx: VmContext,
): VmResources {
  const { plan } = ctx;
  // A copy-on-write overlay of the base image: created by plain RPCs (no stream), after the
  // base image's upload by its baseVolumeId.
  const root = new libvirt.Volume(
    `${name}-${vm.name}-root`,
    {
      name: vm.rootVolumeName,
      pool: ctx.pool,
      format: "qcow2",
      baseVolumeId: ctx.base.id,
      size: vm.diskBytes,
    },
    ctx.child(),
  );
  const seed = seedStep(name, host, vm, ctx);
  const dhcpHost = dhcpHostStep(name, host, vm, ctx);
  const domain = new libvirt.Domain(
    `${name}-${vm.name}`,
    domainArgs(plan, vm, {
      rootVolumeId: root.id,
      seedPath: seed.stdout.apply(seedPathOf),
      networkIds: ctx.networkIds,
    }),
    ctx.child({
      dependsOn: [
        ...ctx.fabric,
        ...vm.nics.flatMap((nic) => ctx.bridgeNetworks.get(nic.network) ?? []),
        seed,
        // The reservation is in the network before the VM asks for its lease.
        ...(dhcpHost ? [dhcpHost] : []),
      ],
      customTimeouts: { create: DOMAIN_CREATE_TIMEOUT[plan.domainType] },
      // A new seed (or root volume) replaces the domain. 0.8 marks `disk` ForceNew, but while the
      // new seed's path is unknown (preview, the step being replaced) its diff says "update",
      // and 0.8's update cannot change a disk: measured in the vmlab e2e's changed-seed preview.
      replaceOnChanges: ["disks"],
    }),
  );
  // Known at preview (the name is an input) and still ordered after the domain.
  const addresses = domain.name.apply(() => ({ ...vm.addresses }));
  const out: VmResources = {
    domain,
    vm: { host: vm.host, name: vm.name, role: vm.role, addresses },
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
