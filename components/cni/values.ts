// Helm values and chart coordinates for the lab's CNI, by pure functions of the plan's CNI
// decision. Keys are sorted so equal plans render byte-for-byte equal values.
//
// The MTU each chart takes is NOT always the pod MTU (checked in the charts' sources):
// - Calico `installation.calicoNetwork.mtu` is the pod network MTU itself.
// - Cilium `MTU` is the underlying device MTU; Cilium subtracts its tunnel overhead (50) for
//   the pod routes (pkg/mtu: RouteMTU = base - TunnelOverhead). So MTU = pod MTU + overhead.
// - Flannel `flannel.mtu` (chart v0.26.7 renders it as Backend.MTU) is the external interface
//   MTU; flanneld gives pods MTU - 50 for VXLAN (FLANNEL_MTU). So flannel.mtu = pod MTU + 50.
//   host-gw has no encapsulation and no MTU knob: pods get the interface's MTU.
// In every case the pod MTU that results is exactly the planned one (plan.mtu.podMtu).
import {
  CNI_CHARTS,
  ENCAP_OVERHEAD,
  CILIUM_VXLAN_PORT,
  GENEVE_PORT,
  FLANNEL_VXLAN_PORT,
} from "../spec";
import type { CniDecision } from "../plan";
import type { LabPlan } from "../plan";
import { NODE_POD_MASK } from "../spec";

export type Values = Record<string, unknown>;

/** What the values need beyond the plan: the API endpoint and the nodes' addresses. */
export interface ValueInputs {
  /** The API server every node uses (kubeadm controlPlaneEndpoint). */
  endpoint: { host: string; port: number };
  /** Every node's node-ip. Flannel binds its VXLAN to the NIC holding it (two-NIC nodes). */
  nodeAddresses: readonly string[];
}

/** Calico IP pool block size: /26 per block (64 pods), Calico's own default, stated. */
export const CALICO_BLOCK_SIZE = 26;

/** Recursively sort object keys (arrays keep their order). */
export function sortKeys<T>(value: T): T {
  if (Array.isArray(value)) return value.map(sortKeys) as T;
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.keys(value)
        .sort()
        .map((k) => [k, sortKeys((value as Record<string, unknown>)[k])]),
    ) as T;
  }
  return value;
}

function podMtuOf(plan: LabPlan): number {
  const mtu = plan.mtu.podMtu;
  if (mtu === undefined) throw new Error("the plan has no pod MTU (no Kubernetes nodes)");
  return mtu;
}

function calicoValues(plan: LabPlan, cni: CniDecision, inputs: ValueInputs): Values {
  const natOutgoing = plan.spec.kubernetes.cni.natOutgoing ? "Enabled" : "Disabled";
  // BGP carries the routes for IPIP and unencapsulated pools; VXLAN pools need none.
  const bgp = cni.mode.startsWith("VXLAN") ? "Disabled" : "Enabled";
  return {
    installation: {
      calicoNetwork: {
        bgp,
        ipPools: [
          {
            blockSize: CALICO_BLOCK_SIZE,
            cidr: cni.podSubnet,
            encapsulation: cni.mode,
            natOutgoing,
            nodeSelector: "all()",
          },
        ],
        mtu: podMtuOf(plan),
        // The address kubelet registered (node-ip), not the first NIC Calico finds: on nodes
        // with two NICs first-found picks the wrong one.
        nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" },
      },
    },
    // calico-node reaches the API server directly, not through the service VIP it programs.
    kubernetesServiceEndpoint: {
      host: inputs.endpoint.host,
      port: String(inputs.endpoint.port),
    },
  };
}

function ciliumValues(plan: LabPlan, cni: CniDecision, inputs: ValueInputs): Values {
  const native = cni.mode === "native";
  const tunnel = cni.mode === "tunnel-geneve" ? "geneve" : "vxlan";
  return {
    // The device MTU: Cilium subtracts its tunnel overhead for the pod routes.
    MTU: podMtuOf(plan) + ENCAP_OVERHEAD[cni.encapsulation],
    // Only on one L2 segment (validated before): nodes in other subnets need tunnel mode (post C).
    autoDirectNodeRoutes: native,
    enableIPv4Masquerade: plan.spec.kubernetes.cni.natOutgoing,
    ipam: {
      mode: "cluster-pool",
      operator: {
        // Never the chart's 10.0.0.0/8 default: it swallows 10.x node networks and the
        // default service range. Same pool as kubeadm's podSubnet (kube-proxy's clusterCIDR).
        clusterPoolIPv4MaskSize: NODE_POD_MASK,
        clusterPoolIPv4PodCIDRList: [cni.podSubnet],
      },
    },
    ...(native ? { ipv4NativeRoutingCIDR: cni.podSubnet } : {}),
    k8sServiceHost: inputs.endpoint.host,
    k8sServicePort: inputs.endpoint.port,
    routingMode: native ? "native" : "tunnel",
    // Stated, so the opened firewall/security-group port and the chart can never disagree.
    ...(native
      ? {}
      : {
          tunnelPort: tunnel === "geneve" ? GENEVE_PORT : CILIUM_VXLAN_PORT,
          tunnelProtocol: tunnel,
        }),
  };
}

function flannelValues(plan: LabPlan, cni: CniDecision, inputs: ValueInputs): Values {
  const vxlan = cni.mode === "vxlan";
  const args = [
    ...(plan.spec.kubernetes.cni.natOutgoing ? ["--ip-masq"] : []),
    "--kube-subnet-mgr",
    // Each node matches only its own node-ip, so flanneld uses the NIC kubelet registered
    // with. Without it flanneld takes the default-route NIC; `--iface-can-reach=<API>` is no
    // fix either: on the control plane it resolves to `lo`.
    ...[...new Set(inputs.nodeAddresses)].sort().map((a) => `--iface=${a}`),
  ];
  return {
    flannel: {
      args,
      backend: cni.mode,
      ...(vxlan
        ? { backendPort: FLANNEL_VXLAN_PORT, mtu: podMtuOf(plan) + ENCAP_OVERHEAD.vxlan }
        : {}),
    },
    // kubeadm's podSubnet is the same value (post D: "pod cidr not assigned").
    podCidr: cni.podSubnet,
  };
}

/**
 * Whether the plugin's values carry every node's address (Flannel's `--iface`). Only then does
 * the release wait for every machine; otherwise it waits for the cluster alone.
 */
export function valuesNeedNodeAddresses(cni: CniDecision): boolean {
  switch (cni.plugin) {
    case "calico":
    case "cilium":
      return false;
    case "flannel":
      return true;
  }
}

/** The chart values for the lab's CNI, keys sorted. */
export function cniValues(plan: LabPlan, inputs: ValueInputs): Values {
  const cni = plan.cni;
  if (!cni) throw new Error("kubernetes is not enabled in this lab");
  switch (cni.plugin) {
    case "calico":
      return sortKeys(calicoValues(plan, cni, inputs));
    case "cilium":
      return sortKeys(ciliumValues(plan, cni, inputs));
    case "flannel":
      return sortKeys(flannelValues(plan, cni, inputs));
  }
}

export interface ChartSpec {
  /** Release name (the plugin's name). */
  name: string;
  /** Chart name in the repository, or the local path. */
  chart: string;
  /** Unset for a local chart: the chart's own version is what is installed. */
  version?: string;
  repo?: string;
  namespace: string;
  local: boolean;
}

/** Chart coordinates: pinned defaults, overridden by kubernetes.cni.chart.{repo,version,path}. */
export function chartSpec(plan: LabPlan): ChartSpec {
  const cni = plan.cni;
  if (!cni) throw new Error("kubernetes is not enabled in this lab");
  const pinned = CNI_CHARTS[cni.plugin];
  const override = plan.spec.kubernetes.cni.chart;
  if (override.path) {
    return { name: cni.plugin, chart: override.path, namespace: pinned.namespace, local: true };
  }
  return {
    name: cni.plugin,
    chart: pinned.chart,
    version: override.version ?? pinned.version,
    repo: override.repo ?? pinned.repo,
    namespace: pinned.namespace,
    local: false,
  };
}
