// Kubernetes checks the cluster layer relies on, beyond validate.ts: what kubeadm itself
// would refuse (pod subnet narrower than a node's /24, service subnet wider than /12), pod
// pools too small for the nodes, the effective pod pool (a CNI default included) clashing
// with a node network or the service range, and routing modes that need one L2 segment (each
// plugin's own checkRouting, components/cni-plugins).
// Static checks, before any host is touched; every message names the key, the value, the rule
// and the fix.
import * as cidr from "../shared";
import { cniPlugin } from "../cni-plugins";
import { distinctSubnets } from "../plan";
import type { Findings } from "../spec";
import { KUBERNETES_BUNDLE, MAX_NODE_MASK_DIFF, MIN_SERVICE_PREFIX, NODE_POD_MASK } from "../spec";
import type { PlanCore } from "../plan";
import type { LabSpec } from "../spec";

export function validateKubernetesCluster(plan: PlanCore, f: Findings): void {
  const { spec, nodes, cni: decision } = plan;
  const k = spec.kubernetes;
  // No decision: Kubernetes is off, or the CNI mode is unknown (reported by validate.ts).
  if (!k.enabled || !decision) return;
  if (k.packageSource === "bundle") validateBundle(spec, decision.plugin, f);
  const pool = decision.podSubnet;
  const poolPath = "kubernetes.podSubnet";
  const poolValue = k.podSubnet;
  const prefix = cidr.prefixLength(pool);

  if (prefix > NODE_POD_MASK) {
    f.error(
      poolPath,
      poolValue ?? pool,
      `is a /${prefix}: kubeadm gives every node a /${NODE_POD_MASK} of the pod subnet, so it must be /${NODE_POD_MASK} or wider (kubeadm init refuses it)`,
      "use a /16 (256 nodes), e.g. 172.16.0.0/16",
    );
  } else if (NODE_POD_MASK - prefix > MAX_NODE_MASK_DIFF) {
    f.error(
      poolPath,
      poolValue ?? pool,
      `is a /${prefix}: kubeadm allows a pod subnet at most ${MAX_NODE_MASK_DIFF} bits wider than the /${NODE_POD_MASK} per node (/${NODE_POD_MASK - MAX_NODE_MASK_DIFF})`,
      `use a /${NODE_POD_MASK - MAX_NODE_MASK_DIFF} or narrower, e.g. 172.16.0.0/16`,
    );
  } else if (nodes.length > 2 ** (NODE_POD_MASK - prefix)) {
    f.error(
      poolPath,
      poolValue ?? pool,
      `holds ${2 ** (NODE_POD_MASK - prefix)} node pod ranges (/${NODE_POD_MASK} each) but the lab has ${nodes.length} nodes`,
      `widen it to at least a /${NODE_POD_MASK - Math.ceil(Math.log2(nodes.length))}`,
    );
  }

  const svcPrefix = cidr.prefixLength(k.serviceSubnet);
  if (svcPrefix < MIN_SERVICE_PREFIX) {
    f.error(
      "kubernetes.serviceSubnet",
      k.serviceSubnet,
      `is a /${svcPrefix}: kubeadm refuses service subnets wider than /${MIN_SERVICE_PREFIX}`,
      "use a /12 to /24, e.g. 10.96.0.0/12",
    );
  }

  // An explicit podSubnet is checked against every lab range by validate-addresses.ts. A
  // defaulted pool is only warned about there; a clash with the nodes or the services breaks
  // the cluster outright, so it is refused here.
  if (decision.podSubnetFromDefault) {
    const clashes = [
      ...distinctSubnets(nodes)
        .filter((c) => cidr.overlaps(c, pool))
        .map(
          (c) =>
            `node network ${c} (${nodes
              .filter((n) => n.subnet === c)
              .map((n) => n.name)
              .join(", ")})`,
        ),
      ...(cidr.overlaps(k.serviceSubnet, pool)
        ? [`kubernetes.serviceSubnet ${k.serviceSubnet}`]
        : []),
    ];
    if (clashes.length > 0) {
      f.error(
        poolPath,
        undefined,
        `is unset, and ${decision.plugin}'s default pool ${pool} overlaps ${clashes.join(" and ")}: pod addresses would shadow nodes or services`,
        "set kubernetes.podSubnet to a private range no node network uses, e.g. 172.16.0.0/16",
      );
    }
  }

  cniPlugin(decision.plugin).checkRouting({ spec, decision, subnets: distinctSubnets(nodes) }, f);
}

/** kubernetes.packageSource "bundle": only what the offline bundle holds, refused before any node. */
function validateBundle(spec: LabSpec, plugin: string, f: Findings): void {
  const k = spec.kubernetes;
  const b = KUBERNETES_BUNDLE;
  const holds = `kubernetes.packageSource "bundle" holds Kubernetes ${b.release}, ${b.runtime} and ${b.cni} only`;
  const orInternet = 'or set kubernetes.packageSource to "internet"';
  if (k.version !== b.minor) {
    f.error(
      "kubernetes.version",
      k.version,
      `is not in the offline bundle: ${holds}`,
      `use "${b.minor}", ${orInternet}`,
    );
  }
  if (k.runtime !== b.runtime) {
    f.error(
      "kubernetes.runtime",
      k.runtime,
      `is not in the offline bundle: ${holds}`,
      `use "${b.runtime}", ${orInternet}`,
    );
  }
  if (plugin !== b.cni) {
    f.error(
      "kubernetes.cni.plugin",
      plugin,
      `has no images in the offline bundle: ${holds}`,
      `use "${b.cni}", ${orInternet}`,
    );
  } else if (!k.cni.chart.path) {
    // The images are in the bundle; the chart must be too, or Helm fetches it from the repo.
    f.error(
      "kubernetes.cni.chart.path",
      undefined,
      `is unset, and kubernetes.packageSource "bundle" is an offline lab: the ${b.cni} chart would be fetched from ${k.cni.chart.repo ?? "its repository"}`,
      `set it to the bundle's chart (<bundle>/chart/*.tgz, scripts/kubernetes-bundle/build.sh), ${orInternet}`,
    );
  }
}
