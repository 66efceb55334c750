// The CNI release's slice of the plan: everything CniRelease needs, decided here once — the
// decision, the pod MTU, the chart (pinned or overridden), the API endpoint and node addresses
// as far as the plan knows them, whether the proof runs. The component reads nothing else.
import { cniPlugin, type CniValuesPlan } from "../cni-plugins";
import { DEFAULT_API_PORT } from "../spec";
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
   * The API server every node uses: kubernetes.controlPlaneEndpoint, else the first control
   * plane's address; `host` unset when that address is assigned at creation.
   */
  endpoint: { host?: string; port: number };
  /** The cluster's nodes in plan order; `address` (node-ip) unset when assigned at creation. */
  nodes: { name: string; address?: string }[];
  /** Run the post-install proof (kubernetes.proof). */
  proof: boolean;
  /** Where the nodes get packages and images (kubernetes.packageSource): the proof's image too. */
  packageSource: "internet" | "bundle";
}

/** The slice; undefined when there is no CNI to install (no decision, or no node). */
export function planCniRelease(core: PlanCore): CniReleasePlan | undefined {
  const { cni, nodes, spec } = core;
  const podMtu = core.mtu.podMtu;
  if (!cni || podMtu === undefined) return undefined;
  const k = spec.kubernetes;
  return {
    cni,
    podMtu,
    natOutgoing: k.cni.natOutgoing,
    chart: chartSpec(cni.plugin, k.cni.chart),
    endpoint: k.controlPlaneEndpoint
      ? parseEndpoint(k.controlPlaneEndpoint)
      : {
          host: nodes.find((n) => n.role === "control-plane")?.address,
          port: DEFAULT_API_PORT,
        },
    nodes: nodes.map((n) => ({ name: n.name, ...(n.address ? { address: n.address } : {}) })),
    proof: k.proof,
    packageSource: k.packageSource,
  };
}

function parseEndpoint(endpoint: string): { host: string; port: number } {
  const i = endpoint.lastIndexOf(":");
  return { host: endpoint.slice(0, i), port: Number(endpoint.slice(i + 1)) };
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
