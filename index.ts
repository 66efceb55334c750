// labfabric: stack config -> validated plan -> layers -> outputs. Thin on purpose: the plan is
// in components/lab, the layers in components/<layer>, the wiring in components/stack.ts.
import { readLabConfig } from "./components/config";
import { labOutputs } from "./components/outputs";
import { deployLab } from "./components/stack";

const { plan, secrets } = readLabConfig();
const lab = deployLab(plan, secrets, { hosts: true });
const out = labOutputs(plan, lab);

export const mtu = out.mtu;
export const cni = out.cni;
export const hosts = out.hosts;
export const vms = out.vms;
export const instances = out.instances;
export const kubeconfig = out.kubeconfig;
