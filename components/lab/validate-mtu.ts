// MTU checks: no layer below the IPv6 minimum, and no pinned MTU above what its layer can
// carry (post A: VMs at 1500 over a 1500 VXLAN underlay black-hole large packets).
import { mtuBudget } from "./budget";
import { decideCni, isValidMode } from "./cni";
import { MIN_MTU } from "./defaults";
import type { Findings } from "./findings";
import { plannedFabricVmMtu } from "./mtu";
import { kubernetesNodes } from "./nodes";
import type { LabSpec } from "./schema";

export function validateMtu(spec: LabSpec, f: Findings): void {
  const planned = plannedFabricVmMtu(spec);
  const { vmMtu } = spec.fabric;
  if (vmMtu !== undefined && spec.hosts.length > 0 && vmMtu > planned) {
    f.error(
      "fabric.vmMtu",
      vmMtu,
      `is above the ${planned} bytes the fabric carries (smallest underlay minus ${spec.fabric.mode} overhead): full-size packets would be black-holed while small pings pass (post A)`,
      `remove it (labfabric plans ${planned}) or set it lower`,
    );
  }
  const k = spec.kubernetes;
  const validMode = k.cni.mode === undefined || isValidMode(k.cni.plugin, k.cni.mode);
  const nodes = kubernetesNodes(spec);
  const cni = k.enabled && validMode ? decideCni(spec, nodes) : undefined;
  const budget = mtuBudget(spec, nodes, cni);
  if (cni && k.cni.mtu !== undefined && nodes.length > 0) {
    const fits = Math.min(...nodes.map((n) => n.mtu)) - (budget.cniOverhead ?? 0);
    if (k.cni.mtu > fits) {
      f.error(
        "kubernetes.cni.mtu",
        k.cni.mtu,
        `is above the ${fits} bytes a ${cni.plugin} ${cni.mode} packet can carry over the smallest node NIC`,
        `remove it (labfabric plans ${fits}) or set it lower`,
      );
    }
  }
  // A pinned MTU below the minimum is the pin's fault, not the underlay's: name the pin.
  if (vmMtu !== undefined && vmMtu < MIN_MTU) {
    f.error(
      "fabric.vmMtu",
      vmMtu,
      `is below the ${MIN_MTU}-byte minimum (IPv6)`,
      `remove it (labfabric plans ${planned}) or set it to ${MIN_MTU} or more`,
    );
  }
  if (k.enabled && k.cni.mtu !== undefined && k.cni.mtu < MIN_MTU) {
    f.error(
      "kubernetes.cni.mtu",
      k.cni.mtu,
      `is below the ${MIN_MTU}-byte minimum (IPv6)`,
      `remove it or set it to ${MIN_MTU} or more`,
    );
  }
  for (const path of budget.paths) {
    // From the first layer held below what its lower layer carries (a pin, or the lab-wide VM or
    // pod MTU set by another path), the shortfall is reported at that pin or other path.
    let lowered = false;
    path.layers.forEach((layer, i) => {
      if (i > 0 && layer.mtu < path.layers[i - 1].mtu - layer.overhead) lowered = true;
      if (lowered || layer.mtu >= MIN_MTU) return;
      f.error(
        path.key,
        path.layers[0].mtu,
        `leaves ${layer.layer} on path "${path.name}" at ${layer.mtu} bytes, below the ${MIN_MTU}-byte minimum (IPv6)`,
        "raise the underlay/network MTU or use fewer stacked encapsulations",
      );
    });
  }
}
