// Kubernetes nodes, whatever they run on: libvirt VMs, OpenStack instances or existing
// machines. Each carries the subnet and MTU of the NIC it registers with (kubelet node-ip).
import * as cidr from "../shared";
import type { LabSpec, NetworkSpec, Role } from "../spec";

/** The network name VMs use to join the host fabric bridge in vxlan labs. */
export const FABRIC_NETWORK = "fabric";

export interface NodeInfo {
  name: string;
  role: Exclude<Role, "none">;
  source: "vm" | "instance" | "host";
  /** The L3 subnet of the node's primary NIC. */
  subnet: string;
  /** The node-ip, when known before anything is created. */
  address?: string;
  /** MTU of the node's primary NIC. */
  mtu: number;
  /** The bare-metal host it runs on (VMs) or sits behind (existing machines on a libvirt network). */
  host?: string;
}

/** The libvirt network a VM NIC names on its host; the fabric network is implicit in vxlan labs. */
export function findNetwork(spec: LabSpec, host: string, name: string): NetworkSpec | undefined {
  if (name === FABRIC_NETWORK && spec.fabric.mode === "vxlan" && spec.fabric.vmSubnet) {
    return {
      name: FABRIC_NETWORK,
      host,
      mode: "bridge",
      bridge: spec.fabric.bridge,
      cidr: spec.fabric.vmSubnet,
      reservations: [],
      adopt: false,
      autostart: true,
    };
  }
  return spec.networks.find((n) => n.host === host && n.name === name);
}

/**
 * The libvirt network an existing machine (kubernetes.nodes) sits on: the one whose subnet holds
 * its node address (a machine cabled to a host's NAT or routed bridge, as post D's `master` on
 * `k8snat`). The fabric routes and opens that subnet like any network behind the host; validation
 * keeps the address out of the network's DHCP range and the NIC's MTU within the network's.
 */
export function networkOfNode(spec: LabSpec, address: string): NetworkSpec | undefined {
  const ip = cidr.addressOf(address);
  return spec.networks.find((n) => cidr.contains(n.cidr, ip));
}

/**
 * Every Kubernetes node of the lab. A VM's NIC carries `vmMtu`, the MTU of every libvirt network
 * in the lab: the stretched bridge needs it; routed and NAT networks carry VM traffic between
 * hosts over the smallest underlay on the way, and one lab-wide VM MTU keeps every node's CNI
 * MTU equal.
 */
export function kubernetesNodes(spec: LabSpec, vmMtu: number): NodeInfo[] {
  const nodes: NodeInfo[] = [];
  for (const vm of spec.vms) {
    if (vm.role === "none") continue;
    const net = findNetwork(spec, vm.host, vm.nics[0].network);
    if (!net) continue; // reported by validation
    nodes.push({
      name: vm.name,
      role: vm.role,
      source: "vm",
      subnet: net.cidr,
      address: vm.nics[0].address ?? net.reservations.find((r) => r.name === vm.name)?.address,
      mtu: vmMtu,
      host: vm.host,
    });
  }
  for (const inst of spec.openstack.enabled ? spec.openstack.instances : []) {
    if (inst.role === "none") continue;
    const net = spec.openstack.networks.find((n) => n.name === inst.nics[0].network);
    if (!net) continue;
    nodes.push({
      name: inst.name,
      role: inst.role,
      source: "instance",
      subnet: net.cidr,
      address: inst.nics[0].fixedIp,
      mtu: net.mtu,
    });
  }
  for (const n of spec.kubernetes.nodes) {
    const net = networkOfNode(spec, n.address);
    nodes.push({
      name: n.name,
      role: n.role,
      source: "host",
      subnet: cidr.network(n.address),
      address: cidr.addressOf(n.address),
      mtu: n.mtu,
      ...(net ? { host: net.host } : {}),
    });
  }
  return nodes;
}
