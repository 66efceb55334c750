// The MTU budget: every layer subtracts its encapsulation from the one below it.
// underlay -> host fabric (VXLAN) -> VM NIC -> CNI encapsulation -> pod.
// Post A's black hole (VM at 1500 over a 1500 VXLAN underlay) cannot be planned.
import { ENCAP_OVERHEAD, MIN_MTU, TCP_IPV4_HEADERS } from "../spec";
import type { LabSpec } from "../spec";

export type Encapsulation = keyof typeof ENCAP_OVERHEAD;

export interface MtuLayer {
  layer: string;
  /** Bytes this layer's encapsulation takes from the layer below. */
  overhead: number;
  mtu: number;
}

export interface MtuPath {
  name: string;
  layers: MtuLayer[];
  /** TCP payload per packet at the innermost layer relative to the bare underlay. */
  efficiency: number;
}

export function fabricEncapsulation(spec: LabSpec): Encapsulation {
  return spec.fabric.mode === "vxlan" ? "vxlan" : "none";
}

/** The most a VM NIC on the fabric can carry: the smallest underlay minus the fabric's overhead. */
export function plannedFabricVmMtu(spec: LabSpec): number {
  if (spec.hosts.length === 0) return 0;
  const smallestUnderlay = Math.min(...spec.hosts.map((h) => h.underlay.mtu));
  return smallestUnderlay - ENCAP_OVERHEAD[fabricEncapsulation(spec)];
}

export interface FabricMtu {
  /** What the fabric carries: the smallest underlay minus the fabric's overhead. */
  capacity: number;
  /** The VM NIC MTU used: the capacity, or fabric.vmMtu when it is lower. */
  vmMtu: number;
}

/** The lab-wide VM NIC MTU, decided once by planLab and read from the plan everywhere else. */
export function fabricVmMtu(spec: LabSpec): FabricMtu {
  const capacity = plannedFabricVmMtu(spec);
  const pinned = spec.fabric.vmMtu;
  return { capacity, vmMtu: pinned !== undefined && pinned < capacity ? pinned : capacity };
}

export function efficiency(innerMtu: number, outerMtu: number): number {
  return Math.round(((innerMtu - TCP_IPV4_HEADERS) / (outerMtu - TCP_IPV4_HEADERS)) * 1000) / 1000;
}

/** Build one path from its outermost MTU and the encapsulations stacked on it. */
export function buildPath(
  name: string,
  outer: { layer: string; mtu: number },
  stack: { layer: string; encapsulation: Encapsulation; pinned?: number }[],
): MtuPath {
  const layers: MtuLayer[] = [{ layer: outer.layer, overhead: 0, mtu: outer.mtu }];
  for (const s of stack) {
    const below = layers[layers.length - 1].mtu;
    const fits = below - ENCAP_OVERHEAD[s.encapsulation];
    const mtu = s.pinned !== undefined && s.pinned < fits ? s.pinned : fits;
    layers.push({ layer: s.layer, overhead: ENCAP_OVERHEAD[s.encapsulation], mtu });
  }
  return { name, layers, efficiency: efficiency(layers[layers.length - 1].mtu, outer.mtu) };
}

export function isMonotonic(path: MtuPath): boolean {
  return path.layers.every((l, i) => i === 0 || l.mtu <= path.layers[i - 1].mtu);
}

export function belowMinimum(path: MtuPath): MtuLayer[] {
  return path.layers.filter((l) => l.mtu < MIN_MTU);
}
