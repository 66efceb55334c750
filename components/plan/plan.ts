// spec -> plan. `planLab` decides every value of the plan exactly once; validation and the layers
// read it, never re-derive it. The pipeline around it (parse -> plan -> validate) is load.ts.
import { planLibvirt } from "./libvirt/plan";
import type { LibvirtPlan } from "./libvirt/types";
import { planOpenstack, type OpenstackPlan } from "./openstack/plan";
import { planVmNics } from "./addresses";
import { mtuBudget } from "./budget";
import { decideCni, isValidMode, nodePorts } from "./cni";
import { planCniRelease, type CniReleasePlan } from "./cni-release";
import { planHostFabric } from "./fabric";
import { planKubeadm, type KubeadmPlan } from "./kubeadm/plan";
import type { Finding } from "../spec";
import { fabricVmMtu } from "./mtu";
import { kubernetesNodes } from "./nodes";
import type { PlanCore } from "./types";
import type { LabSpec } from "../spec";

export interface LabPlan extends PlanCore {
  /** The libvirt layer's plan: networks, images and VMs per host. */
  libvirt: LibvirtPlan;
  /** The OpenStack layer's plan: groups, rules, ports and instances. */
  openstack: OpenstackPlan;
  /** The kubeadm layer's slice: set when Kubernetes is on and its CNI decided. */
  kubeadm?: KubeadmPlan;
  /** The CNI release's slice: set when there is a CNI to install (a decision and nodes). */
  cniRelease?: CniReleasePlan;
}

/**
 * Decide everything once. Total on any schema-valid spec: what validation refuses (unknown
 * networks, exhausted subnets, an unknown CNI mode) is left out of the plan, never thrown.
 */
export function planLab(spec: LabSpec, lab: string, warnings: Finding[] = []): LabPlan {
  const fabricMtu = fabricVmMtu(spec);
  const nodes = kubernetesNodes(spec, fabricMtu.vmMtu);
  const { enabled, cni: wanted } = spec.kubernetes;
  const validMode = wanted.mode === undefined || isValidMode(wanted.plugin, wanted.mode);
  const cni = enabled && validMode ? decideCni(spec, nodes) : undefined;
  const core: PlanCore = {
    lab,
    spec,
    warnings,
    hosts: planHostFabric(spec, lab, fabricMtu.vmMtu),
    vmNics: planVmNics(spec, lab),
    nodes,
    cni,
    ports: cni ? nodePorts(cni) : [],
    mtu: mtuBudget(spec, fabricMtu, nodes, cni),
  };
  const kubeadm = planKubeadm(core);
  const cniRelease = planCniRelease(core, kubeadm);
  return {
    ...core,
    libvirt: planLibvirt(core),
    openstack: planOpenstack(core),
    ...(kubeadm ? { kubeadm } : {}),
    ...(cniRelease ? { cniRelease } : {}),
  };
}
