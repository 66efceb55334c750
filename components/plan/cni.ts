// The CNI decision: which encapsulation runs, the pod pool, the pod MTU and what the nodes
// must let through — each with the reason recorded, so the plan explains itself.
import * as d from "../spec";
import type { Encapsulation } from "./mtu";
import type { NodeInfo } from "./nodes";
import type { LabSpec } from "../spec";

export const CNI_MODES = {
  calico: ["IPIP", "IPIPCrossSubnet", "VXLAN", "VXLANCrossSubnet", "None"],
  cilium: ["tunnel-vxlan", "tunnel-geneve", "native"],
  flannel: ["vxlan", "host-gw"],
} as const;

/** The safe default per plugin: encapsulate always (posts B and C). */
export const DEFAULT_CNI_MODE = {
  calico: "IPIP",
  cilium: "tunnel-vxlan",
  flannel: "vxlan",
} as const;

export type CniPlugin = keyof typeof CNI_MODES;

const ENCAPSULATION: Record<string, Encapsulation> = {
  IPIP: "ipip",
  IPIPCrossSubnet: "ipip",
  VXLAN: "vxlan",
  VXLANCrossSubnet: "vxlan",
  None: "none",
  "tunnel-vxlan": "vxlan",
  "tunnel-geneve": "geneve",
  native: "none",
  vxlan: "vxlan",
  "host-gw": "none",
};

/** Modes that send some pod traffic unencapsulated, with pod IPs on the wire. */
const NATIVE_MODES = new Set(["IPIPCrossSubnet", "VXLANCrossSubnet", "None", "native", "host-gw"]);

export interface PortRule {
  protocol: "tcp" | "udp" | "icmp" | "4";
  from?: number;
  to?: number;
  /** "cluster" = the cluster's own nodes (remote group); "admin" = the declared admin CIDR. */
  source: "cluster" | "admin";
  roles: ("control-plane" | "worker")[];
  why: string;
}

export interface CniDecision {
  plugin: CniPlugin;
  requestedMode: string;
  mode: string;
  encapsulation: Encapsulation;
  /** Pod IPs appear on the node network (needs routes, and address pairs on OpenStack). */
  native: boolean;
  podSubnet: string;
  podSubnetFromDefault: boolean;
  reasons: string[];
}

export function isValidMode(plugin: CniPlugin, mode: string): boolean {
  return (CNI_MODES[plugin] as readonly string[]).includes(mode);
}

export function distinctSubnets(nodes: readonly NodeInfo[]): string[] {
  return [...new Set(nodes.map((n) => n.subnet))].sort();
}

const DEFAULT_POOL: Record<CniPlugin, string> = {
  calico: d.CALICO_DEFAULT_POOL,
  cilium: d.CILIUM_DEFAULT_POOL,
  flannel: d.FLANNEL_DEFAULT_POD_CIDR,
};

export function decideCni(spec: LabSpec, nodes: readonly NodeInfo[]): CniDecision {
  const { plugin, onNativeAcrossSubnets } = spec.kubernetes.cni;
  const requestedMode = spec.kubernetes.cni.mode ?? DEFAULT_CNI_MODE[plugin];
  const reasons: string[] = [];
  let mode = requestedMode;
  if (spec.kubernetes.cni.mode === undefined) {
    reasons.push(
      `${plugin} mode ${mode}: the default, it encapsulates all pod traffic and works on any node network`,
    );
  }
  const subnets = distinctSubnets(nodes);
  if (
    plugin === "cilium" &&
    mode === "native" &&
    subnets.length > 1 &&
    onNativeAcrossSubnets === "tunnel"
  ) {
    mode = "tunnel-vxlan";
    reasons.push(
      `cilium native routing switched to tunnel-vxlan: nodes span ${subnets.length} L3 subnets (${subnets.join(", ")}) ` +
        "and autoDirectNodeRoutes only reaches nodes on the same L2 segment",
    );
  }
  if (plugin === "calico" && spec.openstack.enabled && mode === "IPIP") {
    reasons.push(
      "calico IPIP Always on OpenStack: pod IPs never appear on Neutron ports, so anti-spoofing passes; " +
        "the cluster security group allows IP protocol 4 from itself",
    );
  }
  const native = NATIVE_MODES.has(mode);
  if (native && spec.openstack.enabled && spec.openstack.allowedAddressPairs) {
    reasons.push(
      "native routing on OpenStack: node ports carry allowed-address-pairs for the pod and service CIDRs",
    );
  }
  const podSubnet = spec.kubernetes.podSubnet ?? DEFAULT_POOL[plugin];
  if (spec.kubernetes.podSubnet) {
    reasons.push(
      `pod pool ${podSubnet} is given to kubeadm (networking.podSubnet) and to ${plugin} alike, so node podCIDRs ` +
        "are allocated from the pool the CNI uses (otherwise Flannel fails with 'pod cidr not assigned')",
    );
  }
  if (!spec.kubernetes.podSubnet)
    reasons.push(`pod pool ${podSubnet}: ${plugin}'s own default (no podSubnet set)`);
  return {
    plugin,
    requestedMode,
    mode,
    encapsulation: ENCAPSULATION[mode] ?? "none",
    native,
    podSubnet,
    podSubnetFromDefault: !spec.kubernetes.podSubnet,
    reasons,
  };
}

const BASE_PORTS: PortRule[] = [
  {
    protocol: "tcp",
    from: 22,
    to: 22,
    source: "admin",
    roles: ["control-plane", "worker"],
    why: "SSH for bootstrap",
  },
  {
    protocol: "tcp",
    from: 6443,
    to: 6443,
    source: "admin",
    roles: ["control-plane"],
    why: "API server (admins)",
  },
  {
    protocol: "tcp",
    from: 6443,
    to: 6443,
    source: "cluster",
    roles: ["control-plane"],
    why: "API server (nodes)",
  },
  {
    protocol: "tcp",
    from: 2379,
    to: 2380,
    source: "cluster",
    roles: ["control-plane"],
    why: "etcd",
  },
  {
    protocol: "tcp",
    from: 10250,
    to: 10250,
    source: "cluster",
    roles: ["control-plane", "worker"],
    why: "kubelet",
  },
  {
    protocol: "tcp",
    from: 10256,
    to: 10256,
    source: "cluster",
    roles: ["control-plane", "worker"],
    why: "kube-proxy health",
  },
  {
    protocol: "tcp",
    from: 10257,
    to: 10257,
    source: "cluster",
    roles: ["control-plane"],
    why: "controller-manager",
  },
  {
    protocol: "tcp",
    from: 10259,
    to: 10259,
    source: "cluster",
    roles: ["control-plane"],
    why: "scheduler",
  },
  {
    protocol: "tcp",
    from: 30000,
    to: 32767,
    source: "admin",
    roles: ["worker"],
    why: "NodePort services",
  },
  {
    protocol: "icmp",
    source: "cluster",
    roles: ["control-plane", "worker"],
    why: "ICMP: path MTU discovery and ping",
  },
];

const ALL_ROLES: PortRule["roles"] = ["control-plane", "worker"];

/** What the chosen CNI needs between nodes, always scoped to the cluster itself. */
export function cniPorts(decision: Pick<CniDecision, "plugin" | "mode">): PortRule[] {
  const rule = (
    protocol: PortRule["protocol"],
    port: number | undefined,
    why: string,
  ): PortRule => ({
    protocol,
    ...(port === undefined ? {} : { from: port, to: port }),
    source: "cluster",
    roles: ALL_ROLES,
    why,
  });
  const { plugin, mode } = decision;
  if (plugin === "calico") {
    const rules = [rule("tcp", 5473, "Calico Typha")];
    if (mode.startsWith("IPIP")) rules.push(rule("4", undefined, "Calico IPIP (IP protocol 4)"));
    if (mode.startsWith("VXLAN")) rules.push(rule("udp", d.CALICO_VXLAN_PORT, "Calico VXLAN"));
    if (mode.startsWith("IPIP") || mode === "None")
      rules.push(rule("tcp", 179, "Calico BGP route exchange"));
    return rules;
  }
  if (plugin === "cilium") {
    const rules = [rule("tcp", 4240, "Cilium health checks")];
    if (mode === "tunnel-vxlan") rules.push(rule("udp", d.CILIUM_VXLAN_PORT, "Cilium VXLAN"));
    if (mode === "tunnel-geneve") rules.push(rule("udp", d.GENEVE_PORT, "Cilium Geneve"));
    return rules;
  }
  return mode === "vxlan" ? [rule("udp", d.FLANNEL_VXLAN_PORT, "Flannel VXLAN")] : [];
}

export function nodePorts(decision: Pick<CniDecision, "plugin" | "mode">): PortRule[] {
  return [...BASE_PORTS, ...cniPorts(decision)];
}

/**
 * What any lab machine needs when no Kubernetes runs on it (kubernetes.enabled false, or an
 * instance with role "none"): SSH from the admins and ICMP inside the lab. Taken from the node
 * rules so the two never drift apart.
 */
export function machinePorts(): PortRule[] {
  return BASE_PORTS.filter((r) => r.from === 22 || r.protocol === "icmp").map((r) => ({
    ...r,
    roles: [...r.roles],
  }));
}
