// The host fabric plan: per bare-metal host, the devices, addresses, routes, sysctls and
// firewall openings the host-fabric scripts apply. Pure data; the scripts render from it.
import { bridgeAddresses } from "./addresses";
import * as cidr from "../shared";
import type { HostSpec, LabSpec } from "../spec";

export interface Sysctl {
  /** Slash form ("net/ipv4/conf/eth0.100/rp_filter") so dotted interface names stay unambiguous. */
  key: string;
  value: string;
}

export interface VxlanPlan {
  device: string;
  vni: number;
  port: number;
  /** This host's underlay address, the tunnel's source. */
  local: string;
  dev: string;
  /** Two hosts: the single peer as `remote` (post A). */
  remote?: string;
  /** Three or more hosts: one all-zeros FDB entry per peer (head-end replication). */
  fdbPeers: string[];
  bridge: string;
  /** MTU of the bridge and the VXLAN device: underlay - 50. */
  mtu: number;
  bridgeAddress: string;
}

export interface RoutePlan {
  to: string;
  via: string;
  peer: string;
}

export interface RoutedPlan {
  internalAddress: string;
  routes: RoutePlan[];
  /** Subnets behind this host (its libvirt networks and declared local subnets). */
  localSubnets: string[];
  /** Sources let into the local subnets through libvirt's NAT firewall: the internal subnet and peer subnets. */
  peerSources: string[];
  /** Peer VM subnets exempt from libvirt's masquerade, so VM addresses survive between hosts. */
  noMasqueradeTo: string[];
}

export interface HostFabricPlan {
  lab: string;
  host: string;
  mode: LabSpec["fabric"]["mode"];
  root: string;
  underlay: { interface: string; address: string; mtu: number };
  rpFilter: 0 | 1 | 2;
  sysctls: Sysctl[];
  vxlan?: VxlanPlan;
  masquerade?: { subnet: string; outInterface: string; bridge: string };
  routed?: RoutedPlan;
  persist: boolean;
}

/** Subnets that sit behind a host in a routed lab. */
export function subnetsBehind(spec: LabSpec, host: HostSpec): string[] {
  const nets = spec.networks
    .filter((n) => n.host === host.name && n.mode !== "bridge")
    .map((n) => n.cidr);
  return [...new Set([...nets, ...host.localSubnets])].sort(cidr.compareNetworks);
}

function rpFilterSysctls(rp: number, interfaces: string[]): Sysctl[] {
  // The kernel uses max(all, iface): `all` must be lowered too, or all=1 overrides loose mode.
  return ["all", "default", ...interfaces].map((i) => ({
    key: `net/ipv4/conf/${i}/rp_filter`,
    value: String(rp),
  }));
}

export function planHostFabric(spec: LabSpec, lab: string, vmMtu: number): HostFabricPlan[] {
  const { fabric } = spec;
  const bridges = bridgeAddresses(spec);
  return spec.hosts.map((host): HostFabricPlan => {
    const peers = spec.hosts.filter((h) => h.name !== host.name);
    const base: HostFabricPlan = {
      lab,
      host: host.name,
      mode: fabric.mode,
      root: host.root,
      underlay: {
        interface: host.underlay.interface,
        address: host.underlay.address,
        mtu: host.underlay.mtu,
      },
      rpFilter: fabric.rpFilter,
      sysctls: [],
      persist: fabric.persist,
    };
    const forward: Sysctl = { key: "net/ipv4/ip_forward", value: "1" };
    if (fabric.mode === "vxlan" && fabric.vmSubnet) {
      const peerAddresses = peers.map((p) => cidr.addressOf(p.underlay.address));
      const vxlan: VxlanPlan = {
        device: fabric.vxlanDevice,
        vni: fabric.vni,
        port: fabric.port,
        local: cidr.addressOf(host.underlay.address),
        dev: host.underlay.interface,
        remote: peers.length === 1 ? peerAddresses[0] : undefined,
        fdbPeers: peers.length === 1 ? [] : peerAddresses,
        bridge: fabric.bridge,
        mtu: vmMtu,
        bridgeAddress: bridges.get(host.name)!,
      };
      return {
        ...base,
        sysctls: [
          forward,
          ...rpFilterSysctls(fabric.rpFilter, [
            host.underlay.interface,
            fabric.bridge,
            fabric.vxlanDevice,
          ]),
        ],
        vxlan,
        masquerade: fabric.masquerade
          ? {
              subnet: fabric.vmSubnet,
              outInterface: host.underlay.interface,
              bridge: fabric.bridge,
            }
          : undefined,
      };
    }
    if (fabric.mode === "routed" && host.internalAddress) {
      const internalSubnet = cidr.network(host.internalAddress);
      const routes = peers.flatMap((p) =>
        subnetsBehind(spec, p).map((to) => ({
          to,
          via: cidr.addressOf(p.internalAddress ?? ""),
          peer: p.name,
        })),
      );
      const peerSubnets = routes.map((r) => r.to);
      const localBridges = spec.networks
        .filter((n) => n.host === host.name && n.mode !== "bridge")
        .map((n) => n.bridge);
      return {
        ...base,
        sysctls: [
          forward,
          ...rpFilterSysctls(fabric.rpFilter, [host.underlay.interface, ...localBridges]),
        ],
        routed: {
          internalAddress: host.internalAddress,
          routes,
          localSubnets: subnetsBehind(spec, host),
          peerSources: [internalSubnet, ...peerSubnets],
          noMasqueradeTo: peerSubnets,
        },
      };
    }
    return base;
  });
}
