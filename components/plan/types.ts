// The lab plan's core: every value decided once from the spec (addresses, MTU budget, fabric per
// host, node list, CNI decision, ports). The layer planners (libvirt, OpenStack, kubeadm) read
// this core; validation reads the finished plan. Types only.
import type { VmNicPlan } from "./addresses";
import type { MtuBudget } from "./budget";
import type { CniDecision, PortRule } from "./cni";
import type { HostFabricPlan } from "./fabric";
import type { Finding } from "../spec";
import type { NodeInfo } from "./nodes";
import type { LabSpec } from "../spec";

export interface PlanCore {
  lab: string;
  spec: LabSpec;
  hosts: HostFabricPlan[];
  vmNics: VmNicPlan[];
  nodes: NodeInfo[];
  /** Decided when kubernetes.enabled and kubernetes.cni.mode is one of the plugin's modes. */
  cni?: CniDecision;
  /** Ports each node must allow (Kubernetes + the CNI), by role and source. */
  ports: PortRule[];
  mtu: MtuBudget;
  warnings: Finding[];
}
