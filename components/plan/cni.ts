// The CNI decision: which encapsulation runs, the pod pool, the pod MTU and what the nodes
// must let through — each with the reason recorded, so the plan explains itself. What differs
// between plugins (modes, defaults, their own rules and ports) is each plugin's module
// (components/cni-plugins); this file only dispatches through its registry.
import { CNI_PLUGINS, cniPlugin, modeRule, type CniDecision, type CniPlugin } from "../cni-plugins";
import type { NodeInfo } from "./nodes";
import type { LabSpec } from "../spec";

export type { CniDecision, CniPlugin } from "../cni-plugins";

/** Every plugin's modes, in the order a refusal lists them. */
export const CNI_MODES: Readonly<Record<CniPlugin, readonly string[]>> = {
  calico: CNI_PLUGINS.calico.modes.map((m) => m.name),
  cilium: CNI_PLUGINS.cilium.modes.map((m) => m.name),
  flannel: CNI_PLUGINS.flannel.modes.map((m) => m.name),
};

export interface PortRule {
  protocol: "tcp" | "udp" | "icmp" | "4";
  from?: number;
  to?: number;
  /** "cluster" = the cluster's own nodes (remote group); "admin" = the declared admin CIDR. */
  source: "cluster" | "admin";
  roles: ("control-plane" | "worker")[];
  why: string;
}

export function isValidMode(plugin: CniPlugin, mode: string): boolean {
  return modeRule(plugin, mode) !== undefined;
}

export function distinctSubnets(nodes: readonly NodeInfo[]): string[] {
  return [...new Set(nodes.map((n) => n.subnet))].sort();
}

export function decideCni(spec: LabSpec, nodes: readonly NodeInfo[]): CniDecision {
  const { plugin } = spec.kubernetes.cni;
  const rules = cniPlugin(plugin);
  const requestedMode = spec.kubernetes.cni.mode ?? rules.defaultMode;
  const reasons: string[] = [];
  if (spec.kubernetes.cni.mode === undefined) {
    reasons.push(
      `${plugin} mode ${requestedMode}: the default, it encapsulates all pod traffic and works on any node network`,
    );
  }
  const decided = rules.decide({ spec, mode: requestedMode, subnets: distinctSubnets(nodes) });
  const mode = decided.mode;
  reasons.push(...decided.reasons);
  const rule = modeRule(plugin, mode);
  const native = rule?.native ?? false;
  if (native && spec.openstack.enabled && spec.openstack.allowedAddressPairs) {
    reasons.push(
      "native routing on OpenStack: node ports carry allowed-address-pairs for the pod and service CIDRs",
    );
  }
  const podSubnet = spec.kubernetes.podSubnet ?? rules.defaultPool;
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
    encapsulation: rule?.encapsulation ?? "none",
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
  return cniPlugin(decision.plugin)
    .ports(decision.mode)
    .map((p) => ({
      protocol: p.protocol,
      ...(p.port === undefined ? {} : { from: p.port, to: p.port }),
      source: "cluster",
      roles: ALL_ROLES,
      why: p.why,
    }));
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
