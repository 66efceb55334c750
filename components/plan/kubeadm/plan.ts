// The kubeadm layer's slice of the plan: everything KubeadmCluster needs, decided here once —
// the release, its kubeadm config API, runtime and package source, the pod and service subnets, the nodes in plan order
// with their roles and planned addresses, the node that runs `kubeadm init`, the API endpoint,
// the firewalld policy with the ports it opens, and the CNI's kernel modules. Pure: no Pulumi.
// What only the machines know (addresses assigned at creation, floating IPs) is resolved by the
// layer, through kubernetes/kubeadm-config.ts, applied to this slice.
import type { CniDecision } from "../../cni-plugins";
import { DEFAULT_API_PORT } from "../../spec";
import type { PortRule } from "../cni";
import type { PlanCore } from "../types";
import {
  CNI_KERNEL_MODULES,
  CRI_SOCKETS,
  DEFAULT_FIREWALLD_POLICY,
  kubeadmConfigApi,
  type FirewalldPolicy,
  type KubeadmConfigApi,
} from "./defaults";

export type KubeadmRole = "control-plane" | "worker";

export interface KubeadmNodePlan {
  name: string;
  role: KubeadmRole;
  /** The node-ip, when the plan knows it; unset when the machine gets it at creation. */
  address?: string;
}

/**
 * The API server every node uses. "controlPlaneEndpoint": kubernetes.controlPlaneEndpoint, as
 * given. "first-control-plane": the init node's node-ip on the default port; `host` unset when
 * that address is assigned at creation (the layer then takes the machine's).
 */
export type KubeadmEndpoint =
  | { from: "controlPlaneEndpoint"; host: string; port: number }
  | { from: "first-control-plane"; host?: string; port: number };

export interface KubeadmPlan {
  /** ClusterConfiguration.clusterName: the lab's name. */
  clusterName: string;
  /** kubernetes.version: the minor ("1.32") every node's packages are pinned to. */
  version: string;
  /** The kubeadm config API every init and join config is written in, from the minor. */
  configApi: KubeadmConfigApi;
  /** kubernetes.packageSource: pkgs.k8s.io and registries, or the offline bundle on the node. */
  packageSource: "internet" | "bundle";
  runtime: "containerd" | "crio";
  /** The runtime's CRI endpoint, for kubeadm and kubelet. */
  criSocket: string;
  /** The CNI decision's pool: kubeadm's podSubnet and the CNI's are one value. */
  podSubnet: string;
  serviceSubnet: string;
  /** Every node of the cluster, in plan order. */
  nodes: KubeadmNodePlan[];
  /** The node that runs `kubeadm init`: the first control plane in plan order. */
  initNode?: string;
  endpoint: KubeadmEndpoint;
  /** What the prerequisites do with firewalld; DEFAULT_FIREWALLD_POLICY. */
  firewalld: FirewalldPolicy;
  /** The ports each role must allow (plan.ports): what firewalld "open" opens. */
  ports: PortRule[];
  /** The CNI as far as the nodes' kernels are concerned: the modules its encapsulation needs. */
  cni: Pick<CniDecision, "plugin" | "mode" | "encapsulation"> & { modules: string[] };
}

/** The slice; undefined without a CNI decision (Kubernetes off, or a mode validation refuses). */
export function planKubeadm(core: PlanCore): KubeadmPlan | undefined {
  const { cni, nodes, spec } = core;
  if (!cni) return undefined;
  const k = spec.kubernetes;
  const cluster = nodes.map((n): KubeadmNodePlan => ({
    name: n.name,
    role: n.role,
    ...(n.address ? { address: n.address } : {}),
  }));
  const init = cluster.find((n) => n.role === "control-plane");
  return {
    clusterName: core.lab,
    version: k.version,
    configApi: kubeadmConfigApi(k.version),
    packageSource: k.packageSource,
    runtime: k.runtime,
    criSocket: CRI_SOCKETS[k.runtime],
    podSubnet: cni.podSubnet,
    serviceSubnet: k.serviceSubnet,
    nodes: cluster,
    ...(init ? { initNode: init.name } : {}),
    endpoint: k.controlPlaneEndpoint
      ? { from: "controlPlaneEndpoint", ...parseEndpoint(k.controlPlaneEndpoint) }
      : {
          from: "first-control-plane",
          ...(init?.address ? { host: init.address } : {}),
          port: DEFAULT_API_PORT,
        },
    firewalld: DEFAULT_FIREWALLD_POLICY,
    ports: core.ports,
    cni: {
      plugin: cni.plugin,
      mode: cni.mode,
      encapsulation: cni.encapsulation,
      modules: [...CNI_KERNEL_MODULES[cni.encapsulation]],
    },
  };
}

/** "host:port" (kubernetes.controlPlaneEndpoint, validated by the schema) as its parts. */
function parseEndpoint(value: string): { host: string; port: number } {
  const i = value.lastIndexOf(":");
  return { host: value.slice(0, i), port: Number(value.slice(i + 1)) };
}
