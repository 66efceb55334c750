// The CNI release's slice of the plan: everything CniRelease needs, decided here once — the
// decision, the pod MTU, the chart (pinned or overridden), the node addresses as far as the plan
// knows them, whether the proof runs — with the API endpoint the kubeadm slice decided. The
// component reads nothing else.
import { cniPlugin, type CniValuesPlan } from "../cni-plugins";
import type { KubeadmPlan } from "./kubeadm/plan";
import type { PlanCore } from "./types";

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

export interface CniReleasePlan extends CniValuesPlan {
  /** Chart coordinates: pinned defaults, overridden by kubernetes.cni.chart.{repo,version,path}. */
  chart: ChartSpec;
  /**
   * The API server every node uses (the kubeadm slice's `endpoint`):
   * kubernetes.controlPlaneEndpoint, else the first control plane's address; `host` unset when
   * that address is assigned at creation.
   */
  endpoint: { host?: string; port: number };
  /** The cluster's nodes in plan order; `address` (node-ip) unset when assigned at creation. */
  nodes: { name: string; address?: string }[];
  /** Run the post-install proof (kubernetes.proof). */
  proof: boolean;
  /** Where the nodes get packages and images (kubernetes.packageSource): the proof's image too. */
  packageSource: "internet" | "bundle";
}

/**
 * The slice; undefined when there is no CNI to install (no decision, or no node). The API
 * endpoint is the kubeadm slice's decision, never made again here.
 */
export function planCniRelease(
  core: PlanCore,
  kubeadm: KubeadmPlan | undefined,
): CniReleasePlan | undefined {
  const { cni, nodes, spec } = core;
  const podMtu = core.mtu.podMtu;
  if (!cni || !kubeadm || podMtu === undefined) return undefined;
  const k = spec.kubernetes;
  const { host, port } = kubeadm.endpoint;
  return {
    cni,
    podMtu,
    natOutgoing: k.cni.natOutgoing,
    chart: chartSpec(cni.plugin, k.cni.chart),
    endpoint: { host, port },
    nodes: nodes.map((n) => ({ name: n.name, ...(n.address ? { address: n.address } : {}) })),
    proof: k.proof,
    packageSource: k.packageSource,
  };
}

function chartSpec(
  plugin: CniReleasePlan["cni"]["plugin"],
  override: PlanCore["spec"]["kubernetes"]["cni"]["chart"],
): ChartSpec {
  const pinned = cniPlugin(plugin).chart;
  if (override.path) {
    return { name: plugin, chart: override.path, namespace: pinned.namespace, local: true };
  }
  return {
    name: plugin,
    chart: pinned.chart,
    version: override.version ?? pinned.version,
    repo: override.repo ?? pinned.repo,
    namespace: pinned.namespace,
    local: false,
  };
}
