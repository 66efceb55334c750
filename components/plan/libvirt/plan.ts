// The libvirt plan: per host, the networks to create or adopt, the base images, and the VMs
// with their volumes, cloud-init documents and NICs. Pure: plain values from the lab plan core in,
// plain values out (their shape: types.ts); component.ts only turns them into resources.
import { gatewayOf, type VmNicPlan } from "../addresses";
import * as cidr from "../../shared";
import type { PlanCore } from "../types";
import { FABRIC_NETWORK, findNetwork } from "../nodes";
import type { NetworkSpec, VmSpec } from "../../spec";
import {
  renderCloudInit,
  seedVolumeName,
  type CloudInitNic,
  type CloudInitRoute,
} from "./cloud-init";
import { DEFAULT_VM_NAMESERVERS, GIB } from "./defaults";
import { renderNetworkXslt, type XsltHost } from "./network-xslt";
import type {
  LibvirtHostPlan,
  LibvirtImagePlan,
  LibvirtNetworkPlan,
  LibvirtNicPlan,
  LibvirtPlan,
  LibvirtPlanOptions,
  LibvirtReservation,
  LibvirtVmPlan,
  NetworkMode,
} from "./types";

/** The range 0.8.1 hands dnsmasq for a subnet: everything but network, first and broadcast. */
export function providerDhcpRange(subnet: string): { start: string; end: string } {
  return { start: cidr.nthAddress(subnet, 2), end: cidr.nthAddress(subnet, cidr.size(subnet) - 2) };
}

/** The address 0.8.1 gives the bridge of a nat/route/open network: the subnet's first. */
export function providerGateway(subnet: string): string {
  return cidr.nthAddress(subnet, 1);
}

/** libvirt's name of the fabric bridge network on every host of a vxlan lab. */
export function fabricNetworkName(lab: string): string {
  return `${lab}-${FABRIC_NETWORK}`;
}

export function hasLibvirtDhcp(mode: NetworkMode): boolean {
  return mode !== "bridge";
}

/** The range libvirt's dnsmasq leases from on a network: its `dhcp`, else 0.8's; none on a bridge. */
export function libvirtDhcpRange(
  net: Pick<NetworkSpec, "mode" | "cidr" | "dhcp">,
): { start: string; end: string } | undefined {
  return hasLibvirtDhcp(net.mode) ? (net.dhcp ?? providerDhcpRange(net.cidr)) : undefined;
}

/**
 * Who writes a NIC's DHCP reservation. terraform-provider-libvirt 0.8 adds the host entry to the
 * network when it creates a domain whose NIC lists `addresses` (or, with `waitForLease` and no
 * addresses, once the lease is seen), and its domain delete never removes it. On a network
 * labfabric creates the entry goes with the network; on an adopted one it would stay after
 * destroy, so there labfabric adds it itself with a step whose delete removes exactly that entry.
 */
export function reservationOwner(net: {
  dhcp?: unknown;
  adopt: boolean;
}): LibvirtNicPlan["reservation"] {
  if (net.dhcp === undefined) return "none";
  return net.adopt ? "host-step" : "domain";
}

function networkKey(host: string, name: string): string {
  return `${host}-${name}`;
}

function basePlan(lab: string, net: NetworkSpec, mtu: number, fabric: boolean): LibvirtNetworkPlan {
  return {
    key: networkKey(net.host, net.name),
    host: net.host,
    name: net.name,
    libvirtName: fabric ? fabricNetworkName(lab) : net.name,
    mode: net.mode,
    bridge: net.bridge,
    cidr: net.cidr,
    gateway: fabric ? undefined : gatewayOf(net),
    mtu,
    autostart: net.autostart,
    adopt: net.adopt,
    fabric,
    dhcp: libvirtDhcpRange(net),
    reservations: [],
  };
}

/** Reservations (domain-carried and stylesheet-only) and the stylesheet of one network. */
function finishNetwork(
  plan: LibvirtNetworkPlan,
  net: NetworkSpec,
  nics: readonly LibvirtNicPlan[],
): LibvirtNetworkPlan {
  if (!plan.dhcp) return plan;
  const carried = nics.map((n): LibvirtReservation => ({
    vm: n.vm,
    mac: n.mac,
    address: cidr.addressOf(n.address),
    via: n.reservation === "host-step" ? "host-step" : "domain",
  }));
  const carriedVms = new Set(carried.map((r) => r.vm));
  // A reservation for a machine the lab does not create (adopted networks: nothing to apply).
  const extra = plan.adopt
    ? []
    : net.reservations
        .filter((r) => !carriedVms.has(r.name))
        .map((r): LibvirtReservation => ({
          vm: r.name,
          mac: r.mac,
          address: r.address,
          via: "xslt",
        }));
  const reservations = [...carried, ...extra];
  if (plan.adopt) return { ...plan, reservations };
  const def = providerDhcpRange(net.cidr);
  const range = plan.dhcp.start !== def.start || plan.dhcp.end !== def.end ? plan.dhcp : undefined;
  const gateway = plan.gateway !== providerGateway(net.cidr) ? plan.gateway : undefined;
  const hosts: XsltHost[] = extra.map((r) => ({ mac: r.mac, name: r.vm, ip: r.address }));
  const xslt = renderNetworkXslt({ gateway, range, hosts });
  return { ...plan, reservations, ...(xslt ? { xslt } : {}) };
}

/** Routes to the subnets behind the other hosts, via this host's libvirt gateway (post D). */
function peerRoutes(lab: PlanCore, host: string, gateway: string): CloudInitRoute[] {
  if (lab.spec.fabric.mode !== "routed") return [];
  const routed = lab.hosts.find((h) => h.host === host)?.routed;
  const seen = new Set<string>();
  return (routed?.routes ?? [])
    .filter((r) => !seen.has(r.to) && seen.add(r.to))
    .map((r) => ({ to: r.to, via: gateway }));
}

function planNics(
  lab: PlanCore,
  vm: VmSpec,
  nicPlans: readonly VmNicPlan[],
  networks: ReadonlyMap<string, LibvirtNetworkPlan>,
  mtu: number,
  nameservers: readonly string[],
): LibvirtNicPlan[] {
  let routesPlaced = false;
  // A NIC on an unknown network or without a free address is a finding of validateLab; the
  // plan leaves it out instead of failing before the lab is validated.
  return nicPlans.flatMap((p) => {
    const net = networks.get(p.network);
    if (!net || !p.address) return [];
    const dhcp = net.dhcp !== undefined;
    // The fabric's gateway is the VM's own host (planned per NIC); other networks have one.
    const gateway = net.fabric ? p.gateway : net.gateway;
    // Peer routes go on the first NIC whose network the host routes (nat/route/open).
    const routes = dhcp && !routesPlaced ? peerRoutes(lab, vm.host, net.gateway!) : [];
    if (routes.length > 0) routesPlaced = true;
    const cloudInit: CloudInitNic = {
      mac: p.mac,
      mtu,
      addressing: dhcp
        ? { kind: "dhcp" }
        : {
            kind: "static",
            address: p.address,
            // The first NIC carries the default route: via its host's bridge address (fabric)
            // or the network's gateway; a later static NIC only reaches its own subnet.
            ...(p.index === 0 && gateway ? { gateway } : {}),
            nameservers: p.index === 0 && gateway ? nameservers : [],
          },
      routes,
    };
    const nic: LibvirtNicPlan = {
      vm: vm.name,
      index: p.index,
      network: p.network,
      networkKey: net.key,
      libvirtNetwork: net.libvirtName,
      adopted: net.adopt,
      mac: p.mac,
      address: p.address,
      dhcp,
      reservation: reservationOwner(net),
      ...(net.mode === "bridge" ? { bridge: net.bridge } : {}),
      cloudInit,
    };
    return [nic];
  });
}

export function planLibvirt(lab: PlanCore, options: LibvirtPlanOptions = {}): LibvirtPlan {
  const { spec } = lab;
  const mtu = lab.mtu.vmMtu;
  const nameservers = options.nameservers ?? DEFAULT_VM_NAMESERVERS;
  const hosts: LibvirtHostPlan[] = [];
  for (const host of spec.hosts) {
    const vms = spec.vms.filter((v) => v.host === host.name);
    const hostNics = lab.vmNics.filter((n) => n.host === host.name);
    // Networks of this host: declared ones, plus the fabric bridge network when a VM uses it.
    const specs = spec.networks.filter((n) => n.host === host.name);
    const fabricSpec = hostNics.some((n) => n.network === FABRIC_NETWORK)
      ? findNetwork(spec, host.name, FABRIC_NETWORK)
      : undefined;
    if (fabricSpec && !specs.includes(fabricSpec)) specs.push(fabricSpec);
    if (specs.length === 0 && vms.length === 0) continue;
    const drafts = new Map(specs.map((n) => [n.name, basePlan(lab.lab, n, mtu, n === fabricSpec)]));

    const images = [...new Set(vms.map((v) => v.image))].map((image): LibvirtImagePlan => ({
      key: `${host.name}-${image}`,
      host: host.name,
      image,
      source: spec.libvirt.images[image],
      volumeName: `${lab.lab}-${image}-base`,
    }));
    const vmPlans = vms.map((vm): LibvirtVmPlan => {
      const nics = planNics(
        lab,
        vm,
        hostNics.filter((n) => n.vm === vm.name).sort((a, b) => a.index - b.index),
        drafts,
        mtu,
        nameservers,
      );
      const addresses = Object.fromEntries(nics.map((n) => [n.network, cidr.addressOf(n.address)]));
      const cloudInit = renderCloudInit({
        lab: lab.lab,
        hostname: vm.name,
        user: spec.libvirt.vmUser,
        sshPublicKey: spec.sshPublicKey,
        nics: nics.map((n) => n.cloudInit),
      });
      return {
        name: vm.name,
        host: vm.host,
        role: vm.role,
        vcpus: vm.vcpus,
        memoryMiB: vm.memoryMiB,
        diskGiB: vm.diskGiB,
        diskBytes: vm.diskGiB * GIB,
        imageKey: `${host.name}-${vm.image}`,
        rootVolumeName: `${lab.lab}-${vm.name}-root.qcow2`,
        seedVolumeName: seedVolumeName(lab.lab, vm.name, cloudInit),
        nics,
        cloudInit,
        address: nics.length > 0 ? cidr.addressOf(nics[0].address) : "",
        addresses,
        hostReservations: nics
          .filter((n) => n.reservation === "host-step")
          .map((n) => ({
            network: n.libvirtNetwork,
            mac: n.mac,
            name: vm.name,
            address: cidr.addressOf(n.address),
          })),
      };
    });
    const allNics = vmPlans.flatMap((v) => v.nics);
    const networks = specs.map((n) =>
      finishNetwork(
        drafts.get(n.name)!,
        n,
        allNics.filter((x) => x.network === n.name && x.dhcp),
      ),
    );
    hosts.push({
      host: host.name,
      ssh: {
        address: host.ssh.address,
        port: host.ssh.port,
        user: host.ssh.user,
        ...(host.ssh.hostKey ? { hostKey: host.ssh.hostKey } : {}),
        ...(host.ssh.jump ? { jump: host.ssh.jump } : {}),
      },
      managed: vms.length > 0 || networks.some((n) => !n.adopt),
      pool: {
        name: spec.libvirt.pool,
        ...(spec.libvirt.poolPath ? { path: spec.libvirt.poolPath } : {}),
      },
      networks,
      images,
      vms: vmPlans,
    });
  }
  return {
    lab: lab.lab,
    vmUser: spec.libvirt.vmUser,
    domainType: spec.libvirt.domainType,
    vmIndex: Object.fromEntries(spec.vms.map((v, i) => [v.name, i])),
    mtu,
    ...(spec.libvirt.sshKeyFile ? { sshKeyFile: spec.libvirt.sshKeyFile } : {}),
    hosts,
  };
}
