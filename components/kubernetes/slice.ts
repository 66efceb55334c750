// The kubeadm layer checks its own argument, never the lab: a slice whose parts do not fit
// together (no node, a node twice, an init node that is not the first control plane, an
// endpoint that is not the init node's address, a config API of another minor, a CRI socket of another runtime, a CNI mode
// the plugin does not have, a release the offline bundle does not hold) is refused before any
// child is registered. The lab itself was validated before it was planned.
import { modeRule } from "../cni-plugins";
import { CNI_KERNEL_MODULES, CRI_SOCKETS, kubeadmConfigApi, type KubeadmPlan } from "../plan";
import { bundleMismatch } from "./bundle";

/** What does not fit together in a kubeadm slice, one phrase per problem. */
export function sliceProblems(plan: KubeadmPlan): string[] {
  const names = plan.nodes.map((n) => n.name);
  const controlPlanes = plan.nodes.filter((n) => n.role === "control-plane");
  const init = plan.nodes.find((n) => n.name === plan.initNode);
  const { cni, endpoint } = plan;
  const rule = modeRule(cni.plugin, cni.mode);
  const modules = CNI_KERNEL_MODULES[cni.encapsulation] ?? [];
  const bundle = plan.packageSource === "bundle" ? bundleMismatch(plan) : undefined;
  return [
    ...(names.length === 0 ? ["no node is planned"] : []),
    ...names.filter((n, i) => names.indexOf(n) !== i).map((n) => `node ${n} is planned twice`),
    ...initNodeProblems(plan, controlPlanes[0]?.name),
    ...(endpoint.from === "first-control-plane" &&
    endpoint.host !== undefined &&
    init?.address !== undefined &&
    endpoint.host !== init.address
      ? [`endpoint ${endpoint.host} is not the init node's address ${init.address}`]
      : []),
    ...(Number.isInteger(endpoint.port) && endpoint.port > 0 && endpoint.port < 65536
      ? []
      : [`API port ${endpoint.port} is not a TCP port`]),
    ...(plan.configApi === kubeadmConfigApi(plan.version)
      ? []
      : [`kubeadm config API ${plan.configApi} is not the one for Kubernetes ${plan.version}`]),
    ...(plan.criSocket === CRI_SOCKETS[plan.runtime]
      ? []
      : [`CRI socket ${plan.criSocket} is not the ${plan.runtime} socket`]),
    ...(rule ? [] : [`mode ${cni.mode} is not a ${cni.plugin} mode`]),
    ...(rule && rule.encapsulation !== cni.encapsulation
      ? [
          `${cni.plugin} ${cni.mode} encapsulates with ${rule.encapsulation}, not ${cni.encapsulation}`,
        ]
      : []),
    ...(cni.modules.join(" ") === modules.join(" ")
      ? []
      : [
          `kernel modules [${cni.modules.join(", ")}] are not what ${cni.encapsulation} needs [${modules.join(", ")}]`,
        ]),
    ...(bundle ? [bundle] : []),
  ];
}

function initNodeProblems(plan: KubeadmPlan, firstControlPlane: string | undefined): string[] {
  if (firstControlPlane === undefined) return ["no control-plane node is planned"];
  if (plan.initNode === firstControlPlane) return [];
  return [
    `init node ${plan.initNode ?? "(unset)"} is not the first control plane ${firstControlPlane}`,
  ];
}
