// What one CNI plugin is to labfabric, as a small typed interface: its modes and their
// encapsulation, its defaults, its decision rules, the ports it needs between nodes, its Helm
// chart and values (and how to read their MTU back), and its checks on the plan. One module per
// plugin implements it (calico.ts, cilium.ts, flannel.ts); the planner, the validator, the
// CniRelease component and the policy pack dispatch through the registry (registry.ts) and never
// branch on a plugin's name.
import type { ENCAP_OVERHEAD, Findings, LabSpec } from "../spec";

/** The plugins labfabric installs (kubernetes.cni.plugin). */
export type CniPlugin = LabSpec["kubernetes"]["cni"]["plugin"];

export type Encapsulation = keyof typeof ENCAP_OVERHEAD;

export interface ModeRule {
  /** The mode as kubernetes.cni.mode names it. */
  name: string;
  /** What pod traffic between nodes is wrapped in ("none": sent as is). */
  encapsulation: Encapsulation;
  /** Some pod traffic leaves unencapsulated, with pod IPs on the node network. */
  native: boolean;
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

/** A port the plugin needs between the cluster's nodes (every role, from the cluster itself). */
export interface CniPort {
  protocol: "tcp" | "udp" | "4";
  /** Unset for a protocol without ports (IP protocol 4). */
  port?: number;
  why: string;
}

/** What a plugin's decision rules read: the lab, the mode asked for, the nodes' subnets. */
export interface DecisionContext {
  spec: LabSpec;
  /** kubernetes.cni.mode, or the plugin's default mode. */
  mode: string;
  /** The distinct L3 subnets of the nodes, sorted. */
  subnets: readonly string[];
}

/** What a plugin's checks read: the lab, the planned decision, the nodes' subnets. */
export interface CheckContext {
  spec: LabSpec;
  decision: CniDecision;
  /** The distinct L3 subnets of the nodes, sorted. */
  subnets: readonly string[];
}

/** The part of the lab plan a plugin's Helm values are made of. */
export interface CniValuesPlan {
  cni: CniDecision;
  /** The pod MTU the plan decided: every pod interface gets exactly this. */
  podMtu: number;
  /** kubernetes.cni.natOutgoing: pod traffic leaving the pool is masqueraded. */
  natOutgoing: boolean;
}

/** What the values need beyond the plan: the API endpoint and the nodes' addresses. */
export interface ValueInputs {
  /** The API server every node uses (kubeadm controlPlaneEndpoint). */
  endpoint: { host: string; port: number };
  /** Every node's node-ip. Flannel binds its VXLAN to the NIC holding it (two-NIC nodes). */
  nodeAddresses: readonly string[];
}

export type Values = Record<string, unknown>;

/** The MTU a release's values set, as the node NIC MTU it needs. */
export interface ValuesMtu {
  /** The values key and what it means ("flannel.mtu (device MTU)"). */
  setting: string;
  value: number;
  /** The smallest node NIC MTU that carries full-size pod packets with this setting. */
  device: number;
}

/** A Helm chart, pinned by repository and version. */
export interface PinnedChart {
  repo: string;
  chart: string;
  version: string;
  namespace: string;
}

export interface CniPluginModule {
  name: CniPlugin;
  /** Every mode, in the order a refusal lists them. */
  modes: readonly ModeRule[];
  /** The mode without kubernetes.cni.mode: the safe one, encapsulating always (any network). */
  defaultMode: string;
  /** The pod pool the plugin falls back to without kubernetes.podSubnet. */
  defaultPool: string;
  /**
   * kubernetes.podSubnet must be set (the plugin's checks refuse a lab without it), so its
   * default pool is never used and never warned about.
   */
  requiresPodSubnet: boolean;
  chart: PinnedChart;
  /** The plugin's own rules on the mode asked for: the mode it runs, and why, in order. */
  decide(ctx: DecisionContext): { mode: string; reasons: string[] };
  /** The ports the mode needs between nodes, in order. */
  ports(mode: string): CniPort[];
  /** The chart values (keys in any order: the caller sorts them). */
  values(plan: CniValuesPlan, inputs: ValueInputs): Values;
  /**
   * The MTU setting read back from a release's values (plain data, as a policy sees them):
   * undefined when the values set none, or leave it to the plugin to detect.
   */
  valuesMtu(values: Values): ValuesMtu | undefined;
  /**
   * Set when the values carry every node's address: why, as the start of the sentence that
   * asks for them when the plan does not know them. The release then waits for every machine.
   */
  nodeAddressesUse?: string;
  /** Checks on what the lab asks of the plugin (the pool, the requested mode). */
  checkRequest(ctx: CheckContext, f: Findings): void;
  /** Checks of the decided mode against the nodes' networks. */
  checkRouting(ctx: CheckContext, f: Findings): void;
  /** The fix when the decided mode sends pod IPs between OpenStack instances unwrapped. */
  openstackNativeFix(mode: string): string;
}

/** The fix for native routing on OpenStack that fits any plugin with a tunnel mode. */
export const OPENSTACK_NATIVE_FIX =
  "use a tunnel mode, or set openstack.allowedAddressPairs: true for the pod and service CIDRs";
