// Stack outputs: what each layer applied, in a shape a later stack or a person can read.
// The kubeconfig stays a secret (`pulumi stack output kubeconfig --show-secrets`).
import * as pulumi from "@pulumi/pulumi";
import type { LabPlan } from "./plan";
import type { LabStack } from "./stack";

export function labOutputs(plan: LabPlan, lab: LabStack) {
  return {
    /** MTU per layer, as planned: the fabric, the VM NICs, the pods. */
    mtu: {
      fabricOverhead: plan.mtu.fabricOverhead,
      vm: plan.mtu.vmMtu,
      pod: plan.mtu.podMtu ?? null,
    },
    cni: plan.cni
      ? {
          plugin: plan.cni.plugin,
          mode: plan.cni.mode,
          podSubnet: plan.cni.podSubnet,
          reasons: plan.cni.reasons,
        }
      : null,
    /** Per bare-metal host: devices, routes and rules the fabric applied, and its MTUs. */
    hosts: Object.fromEntries(
      lab.fabric.map((f, i) => [
        plan.hosts[i].host,
        pulumi.output({
          mode: f.mode,
          devices: f.devices,
          routes: f.routes,
          rules: f.rules,
          mtu: f.mtu,
          scriptHash: f.scriptHash,
        }),
      ]),
    ),
    vms: lab.libvirt?.vms ?? [],
    instances: lab.openstack?.instances ?? [],
    kubeconfig: lab.cluster ? pulumi.secret(lab.cluster.kubeconfig) : undefined,
  };
}
