// kubeadm configuration rendered from the kubeadm slice of the plan (LabPlan.kubeadm):
// InitConfiguration + ClusterConfiguration + KubeletConfiguration for the first control plane,
// JoinConfiguration for every other node. Pure (no Pulumi): the layouts below are the slice
// completed with the node addresses once they resolve, and the output is YAML with sorted keys.
//
// Choices, each a lesson from the seed posts:
// - node-ip is pinned to the node's address on the lab network: nodes with two NICs (post D's
//   OpenStack workers: ext-net + private-net) otherwise register whichever NIC holds the
//   default route, and the CNI then tunnels to the wrong address.
// - networking.podSubnet is the CNI decision's pool, so kubeadm and the CNI always agree
//   (post D: Flannel's "pod cidr not assigned"; kube-proxy's clusterCIDR comes from it too).
// - kubernetesVersion is written as "stable-<minor>" and pinned ON THE NODE to the installed
//   kubeadm's own version before `kubeadm init` (see node-scripts.ts): the packages come from
//   the per-minor pkgs.k8s.io repository, so the minor is fixed by the repository and the
//   control-plane images then match the installed kubelet/kubeadm patch exactly. "stable-1.32"
//   alone would make kubeadm ask dl.k8s.io at init (no good offline) and may pick a newer
//   patch than the installed kubelet; "v1.32.0" would pin an old patch the packages no
//   longer match.
import { stringify } from "yaml";
import * as cidr from "../shared";
import { KUBEADM_API, type KubeadmConfigApi, type KubeadmPlan } from "../plan";

/** A node with its addresses resolved (the machine layers hand them over as outputs). */
export interface ResolvedNode {
  name: string;
  role: "control-plane" | "worker";
  /** node-ip: the address on the lab's node network. */
  address: string;
  /** Reachable from where Pulumi runs (floating IP), if different. */
  publicAddress?: string;
}

export interface Endpoint {
  host: string;
  port: number;
}

/** What joining needs from the first control plane; secrets, never logged. */
export interface JoinSecrets {
  token: string;
  /** "sha256:<64 hex>" */
  caCertHash: string;
  /** Only when extra control planes join (kubeadm-certs Secret decryption key). */
  certificateKey?: string;
}

export interface ClusterLayout {
  lab: string;
  minor: string;
  /** The slice's kubeadm config API (KubeadmPlan.configApi). */
  api: KubeadmConfigApi;
  endpoint: Endpoint;
  /** The API server URL for kubeconfigs used from outside the lab network (Pulumi's provider). */
  externalServer: string;
  certSANs: string[];
  podSubnet: string;
  serviceSubnet: string;
  criSocket: string;
  firstControlPlane: ResolvedNode;
  /** Every node in plan order. */
  nodes: ResolvedNode[];
}

/**
 * What `kubeadm init` needs: the layout without the other nodes, so it is built from the
 * control planes alone (their addresses make the certSANs) and waits for no worker machine.
 */
export type ControlPlaneLayout = Omit<ClusterLayout, "nodes">;

/**
 * What one node's `kubeadm join` needs: the API endpoint (from the first control plane or
 * kubernetes.controlPlaneEndpoint) and that node. Built per node, so a join waits for its own
 * machine and the first control plane, never for every machine of the lab.
 */
export type JoinLayout = Pick<ClusterLayout, "api" | "endpoint" | "criSocket"> & {
  firstControlPlane: Pick<ResolvedNode, "name">;
  /** The joining node (any others are ignored). */
  nodes: readonly ResolvedNode[];
};

/** Cluster DNS domain (kubeadm's default), used by the proof's service lookup too. */
export const CLUSTER_DOMAIN = "cluster.local";

/** The version label written into the config; the init script pins it to the installed kubeadm. */
export function kubernetesVersionLabel(minor: string): string {
  return `stable-${minor}`;
}

export function formatEndpoint(e: Endpoint): string {
  return `${e.host}:${e.port}`;
}

/**
 * Order the resolved nodes like the plan and check they are the plan's nodes. Throws with the
 * names that are missing or unknown (a machine layer did not hand a node over).
 */
export function clusterLayout(plan: KubeadmPlan, resolved: readonly ResolvedNode[]): ClusterLayout {
  const byName = new Map(resolved.map((n) => [n.name, n]));
  const missing = plan.nodes.filter((n) => !byName.has(n.name)).map((n) => n.name);
  const unknown = resolved
    .filter((n) => !plan.nodes.some((p) => p.name === n.name))
    .map((n) => n.name);
  if (missing.length || unknown.length) {
    throw new Error(
      `the nodes handed to the cluster do not match the plan` +
        (missing.length ? `; missing: ${missing.join(", ")}` : "") +
        (unknown.length ? `; not in the plan: ${unknown.join(", ")}` : ""),
    );
  }
  const nodes = plan.nodes.map((p) => ({ ...byName.get(p.name)!, role: p.role }));
  return { ...controlPlaneLayout(plan, nodes), nodes };
}

/**
 * The cluster-wide part of the layout: the slice's decisions, completed with what only the
 * resolved control planes know (workers, if any, are ignored): the endpoint's host when the plan
 * leaves it to creation, the certSANs, the server reached from outside. Throws when the slice's
 * init node is not among them.
 */
export function controlPlaneLayout(
  plan: KubeadmPlan,
  resolved: readonly ResolvedNode[],
): ControlPlaneLayout {
  const roles = new Map(plan.nodes.map((p) => [p.name, p.role]));
  const controlPlanes = resolved
    .map((n) => ({ ...n, role: roles.get(n.name) ?? n.role }))
    .filter((n) => n.role === "control-plane");
  const first = controlPlanes.find((n) => n.name === plan.initNode);
  if (!first) throw new Error("the plan has no control-plane node");
  const endpoint = apiEndpoint(plan, first);
  // Without an explicit endpoint, a control plane behind a floating IP is reached there.
  const externalHost =
    plan.endpoint.from === "first-control-plane" && first.publicAddress
      ? first.publicAddress
      : endpoint.host;
  const certSANs = [
    ...new Set([
      endpoint.host,
      ...controlPlanes.flatMap((n) => [n.address, ...(n.publicAddress ? [n.publicAddress] : [])]),
    ]),
  ].sort(compareHosts);
  return {
    lab: plan.clusterName,
    minor: plan.version,
    api: plan.configApi,
    endpoint,
    externalServer: `https://${externalHost}:${endpoint.port}`,
    certSANs,
    podSubnet: plan.podSubnet,
    serviceSubnet: plan.serviceSubnet,
    criSocket: plan.criSocket,
    firstControlPlane: first,
  };
}

/** One node's join layout: the first control plane (for the endpoint) and the node itself. */
export function joinLayout(plan: KubeadmPlan, first: ResolvedNode, node: ResolvedNode): JoinLayout {
  const role = plan.nodes.find((p) => p.name === node.name)?.role;
  if (!role) throw new Error(`node ${node.name} is not in the plan`);
  return {
    api: plan.configApi,
    endpoint: apiEndpoint(plan, first),
    criSocket: plan.criSocket,
    firstControlPlane: { name: first.name },
    nodes: [{ ...node, role }],
  };
}

/** The slice's API endpoint; its host from the first control plane when assigned at creation. */
function apiEndpoint(plan: KubeadmPlan, first: ResolvedNode): Endpoint {
  const { host, port } = plan.endpoint;
  return { host: host ?? first.address, port };
}

/** IPv4 addresses in numeric order, then names. */
function compareHosts(a: string, b: string): number {
  const ipA = /^\d+\.\d+\.\d+\.\d+$/.test(a);
  const ipB = /^\d+\.\d+\.\d+\.\d+$/.test(b);
  if (ipA && ipB) return cidr.compareAddresses(a, b);
  if (ipA !== ipB) return ipA ? -1 : 1;
  return a < b ? -1 : a > b ? 1 : 0;
}

function kubeletExtraArgs(api: KubeadmConfigApi, args: Record<string, string>): unknown {
  const names = Object.keys(args).sort();
  return api === KUBEADM_API.v1beta4
    ? names.map((name) => ({ name, value: args[name] }))
    : Object.fromEntries(names.map((n) => [n, args[n]]));
}

function nodeRegistration(
  layout: Pick<ClusterLayout, "api" | "criSocket">,
  node: ResolvedNode,
): Record<string, unknown> {
  return {
    criSocket: layout.criSocket,
    kubeletExtraArgs: kubeletExtraArgs(layout.api, { "node-ip": node.address }),
    // The plan's name, not the machine's hostname ("k8s-worker-1.novalocal" in post D), so
    // labels and the proof find the node by the name the lab gave it.
    name: node.name,
  };
}

function toYaml(docs: readonly Record<string, unknown>[]): string {
  return docs
    .map((d) => stringify(d, { aliasDuplicateObjects: false, lineWidth: 0, sortMapEntries: true }))
    .join("---\n");
}

/** The first control plane's `kubeadm init --config` file. */
export function renderInitConfig(layout: ControlPlaneLayout): string {
  const { api } = layout;
  const first = layout.firstControlPlane;
  return toYaml([
    {
      apiVersion: api,
      kind: "InitConfiguration",
      localAPIEndpoint: { advertiseAddress: first.address, bindPort: layout.endpoint.port },
      nodeRegistration: nodeRegistration(layout, first),
    },
    {
      apiVersion: api,
      kind: "ClusterConfiguration",
      apiServer: { certSANs: layout.certSANs },
      clusterName: layout.lab,
      controlPlaneEndpoint: formatEndpoint(layout.endpoint),
      kubernetesVersion: kubernetesVersionLabel(layout.minor),
      networking: {
        dnsDomain: CLUSTER_DOMAIN,
        podSubnet: layout.podSubnet,
        serviceSubnet: layout.serviceSubnet,
      },
    },
    {
      apiVersion: "kubelet.config.k8s.io/v1beta1",
      kind: "KubeletConfiguration",
      // Must match the runtime: containerd is configured with SystemdCgroup = true, CRI-O
      // uses systemd by default.
      cgroupDriver: "systemd",
      // Stated, not defaulted: kubelet refuses to run with swap on (post D); the node
      // scripts turn swap off for good.
      failSwapOn: true,
    },
  ]);
}

/** A worker's or extra control plane's `kubeadm join --config` file. */
export function renderJoinConfig(layout: JoinLayout, nodeName: string, join: JoinSecrets): string {
  const node = layout.nodes.find((n) => n.name === nodeName);
  if (!node) throw new Error(`node ${nodeName} is not in the plan`);
  if (node.name === layout.firstControlPlane.name) {
    throw new Error(`node ${nodeName} is the first control plane: it runs kubeadm init, not join`);
  }
  if (node.role === "control-plane" && !join.certificateKey) {
    throw new Error(`control plane ${nodeName} joins with a certificate key, and none was fetched`);
  }
  return toYaml([
    {
      apiVersion: layout.api,
      kind: "JoinConfiguration",
      ...(node.role === "control-plane"
        ? {
            controlPlane: {
              certificateKey: join.certificateKey,
              localAPIEndpoint: { advertiseAddress: node.address, bindPort: layout.endpoint.port },
            },
          }
        : {}),
      discovery: {
        bootstrapToken: {
          apiServerEndpoint: formatEndpoint(layout.endpoint),
          caCertHashes: [join.caCertHash],
          token: join.token,
        },
      },
      nodeRegistration: nodeRegistration(layout, node),
    },
  ]);
}

const TOKEN = /--token\s+([a-z0-9]{6}\.[a-z0-9]{16})(\s|$)/;
const CA_HASH = /--discovery-token-ca-cert-hash\s+(sha256:[a-f0-9]{64})(\s|$)/;
const CERT_KEY = /^certificate-key ([a-f0-9]{64})$/m;

/**
 * Parse what the join-token step prints: `kubeadm token create --print-join-command`, then
 * "certificate-key <hex>" when control planes join. Messages never echo the secret text.
 */
export function parseJoinOutput(stdout: string, needCertificateKey: boolean): JoinSecrets {
  const token = TOKEN.exec(stdout)?.[1];
  const caCertHash = CA_HASH.exec(stdout)?.[1];
  const certificateKey = CERT_KEY.exec(stdout)?.[1];
  const problems = [
    ...(token ? [] : ["no bootstrap token (--token <6>.<16>)"]),
    ...(caCertHash
      ? []
      : ["no CA certificate hash (--discovery-token-ca-cert-hash sha256:<64 hex>)"]),
    ...(needCertificateKey && !certificateKey
      ? ["no certificate key (certificate-key <64 hex>)"]
      : []),
  ];
  if (problems.length > 0 || !token || !caCertHash) {
    throw new Error(`the join-token step printed ${problems.join(", ")}`);
  }
  return { token, caCertHash, ...(certificateKey ? { certificateKey } : {}) };
}

/** Stand-ins that make a join script's content hash independent of the rotating token. */
export const JOIN_PLACEHOLDERS: JoinSecrets = {
  token: "xxxxxx.xxxxxxxxxxxxxxxx",
  caCertHash: `sha256:${"0".repeat(64)}`,
  certificateKey: "0".repeat(64),
};
