// MTU checks: no layer below the IPv6 minimum, and no pinned MTU above what its layer can
// carry (post A: VMs at 1500 over a 1500 VXLAN underlay black-hole large packets).
import { MIN_MTU } from "../spec";
import type { Findings } from "../spec";
import type { PlanCore } from "../plan";

/** Reads the planned budget (plan.mtu), the nodes and the CNI decision; derives none of them. */
export function validateMtu(plan: PlanCore, f: Findings): void {
  const { spec, nodes, cni, mtu: budget } = plan;
  const planned = budget.fabricCapacity;
  const { vmMtu } = spec.fabric;
  if (vmMtu !== undefined && spec.hosts.length > 0 && vmMtu > planned) {
    f.error(
      "fabric.vmMtu",
      vmMtu,
      `is above the ${planned} bytes the fabric carries (smallest underlay minus ${spec.fabric.mode} overhead): full-size packets would be black-holed while small pings pass`,
      `remove it (labfabric plans ${planned}) or set it lower`,
    );
  }
  const k = spec.kubernetes;
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
  // Every layer below the minimum is reported, on the key that set its value: the path's own
  // outer MTU, a pin (fabric.vmMtu, kubernetes.cni.mtu), or the smallest underlay that sets the
  // lab-wide fabric and VM MTU. A pod MTU held down by another path's node is reported on that
  // path. One error per key, naming every layer and path it leaves too small.
  const hostKeys = spec.hosts.map((h, i) => ({
    key: `hosts[${i}].underlay.mtu`,
    value: h.underlay.mtu,
  }));
  const smallestHost = hostKeys.reduce<(typeof hostKeys)[number] | undefined>(
    (a, b) => (a === undefined || b.value < a.value ? b : a),
    undefined,
  );
  type Source = { key: string; value: number; pin: boolean };
  const tooSmall = new Map<string, { source: Source; layers: string[]; paths: string[] }>();
  for (const path of budget.paths) {
    let source: Source | undefined = { key: path.key, value: path.layers[0].mtu, pin: false };
    path.layers.forEach((layer, i) => {
      if (i > 0 && layer.mtu < path.layers[i - 1].mtu - layer.overhead) {
        if (!layer.layer.startsWith("CNI ")) {
          // The host fabric device and the VM NIC: lab-wide, from the smallest underlay.
          source =
            vmMtu !== undefined && layer.mtu === vmMtu
              ? { key: "fabric.vmMtu", value: vmMtu, pin: true }
              : smallestHost && { ...smallestHost, pin: false };
        } else {
          source =
            k.cni.mtu !== undefined && layer.mtu === k.cni.mtu
              ? { key: "kubernetes.cni.mtu", value: k.cni.mtu, pin: true }
              : undefined;
        }
      }
      if (!source || layer.mtu >= MIN_MTU) return;
      const entry = tooSmall.get(source.key) ?? { source, layers: [], paths: [] };
      const at = `${layer.layer} at ${layer.mtu}`;
      if (!entry.layers.includes(at)) entry.layers.push(at);
      for (const name of path.name.split(", "))
        if (!entry.paths.includes(name)) entry.paths.push(name);
      tooSmall.set(source.key, entry);
    });
  }
  for (const { source, layers, paths } of tooSmall.values()) {
    f.error(
      source.key,
      source.value,
      `leaves ${layers.join(", ")} bytes (${paths.join(", ")}), below the ${MIN_MTU}-byte minimum (IPv6)`,
      source.pin
        ? `remove it or set it so every layer stays at ${MIN_MTU} or more`
        : "raise the underlay/network MTU or use fewer stacked encapsulations",
    );
  }
}
