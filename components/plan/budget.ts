// The lab's MTU budget across every path a pod packet can take:
// bare-metal underlay -> host fabric -> VM NIC -> CNI -> pod, OpenStack network -> instance
// NIC -> CNI -> pod, and existing node NIC -> CNI -> pod. One pod MTU serves the whole cluster.
import { ENCAP_OVERHEAD } from "../spec";
import type { CniDecision } from "./cni";
import {
  buildPath,
  fabricEncapsulation,
  type Encapsulation,
  type FabricMtu,
  type MtuPath,
} from "./mtu";
import type { NodeInfo } from "./nodes";
import type { LabSpec } from "../spec";

export interface KeyedPath extends MtuPath {
  /** The config key whose value sets this path's outermost MTU. */
  key: string;
}

export interface MtuBudget {
  fabricOverhead: number;
  /** What the fabric carries (smallest underlay minus the fabric's overhead). */
  fabricCapacity: number;
  /** MTU of every VM NIC, libvirt network and host bridge. */
  vmMtu: number;
  cniOverhead?: number;
  podMtu?: number;
  paths: KeyedPath[];
}

export function podMtuFor(
  spec: LabSpec,
  nodes: readonly NodeInfo[],
  cni: CniDecision,
): number | undefined {
  if (nodes.length === 0) return undefined;
  const fits = Math.min(...nodes.map((n) => n.mtu)) - ENCAP_OVERHEAD[cni.encapsulation];
  const pinned = spec.kubernetes.cni.mtu;
  return pinned !== undefined && pinned < fits ? pinned : fits;
}

export function mtuBudget(
  spec: LabSpec,
  fabric: FabricMtu,
  nodes: readonly NodeInfo[],
  cni?: CniDecision,
): MtuBudget {
  const { vmMtu } = fabric;
  const podMtu = cni ? podMtuFor(spec, nodes, cni) : undefined;
  const cniLayers: { layer: string; encapsulation: Encapsulation; pinned?: number }[] = cni
    ? [
        {
          layer: `CNI ${cni.plugin} ${cni.mode} -> pod`,
          encapsulation: cni.encapsulation,
          pinned: podMtu,
        },
      ]
    : [];
  const fabricEnc = fabricEncapsulation(spec);
  const paths: KeyedPath[] = [];
  const add = (key: string, path: MtuPath) => {
    const same = paths.find((p) => JSON.stringify(p.layers) === JSON.stringify(path.layers));
    if (same) same.name += `, ${path.name}`;
    else paths.push({ ...path, key });
  };
  const hasVms = spec.vms.length > 0 || spec.fabric.mode !== "none";
  spec.hosts.forEach((h, i) => {
    if (!hasVms) return;
    const stack = [
      ...(fabricEnc === "none"
        ? []
        : [
            {
              layer: `host ${fabricEnc.toUpperCase()} (VNI ${spec.fabric.vni})`,
              encapsulation: fabricEnc,
              // One L2 segment: every host's bridge and VXLAN device carry the lab-wide VM MTU
              // (fabric.ts), never this host's own underlay minus the overhead.
              pinned: vmMtu,
            },
          ]),
      { layer: "VM NIC", encapsulation: "none" as const, pinned: vmMtu },
      ...(nodes.some((n) => n.host === h.name) || (cni && spec.vms.length === 0) ? cniLayers : []),
    ];
    add(
      `hosts[${i}].underlay.mtu`,
      buildPath(
        `host ${h.name}`,
        { layer: `underlay ${h.underlay.interface}`, mtu: h.underlay.mtu },
        stack,
      ),
    );
  });
  if (spec.openstack.enabled) {
    spec.openstack.networks.forEach((n, i) => {
      if (!nodes.some((x) => x.source === "instance" && x.subnet === n.cidr)) return;
      const stack = [{ layer: "instance NIC", encapsulation: "none" as const }, ...cniLayers];
      add(
        `openstack.networks[${i}].mtu`,
        buildPath(
          `OpenStack ${n.name}`,
          { layer: `OpenStack network ${n.name}`, mtu: n.mtu },
          stack,
        ),
      );
    });
  }
  spec.kubernetes.nodes.forEach((n, i) => {
    add(
      `kubernetes.nodes[${i}].mtu`,
      buildPath(`node ${n.name}`, { layer: `node NIC`, mtu: n.mtu }, cniLayers),
    );
  });
  return {
    fabricOverhead: ENCAP_OVERHEAD[fabricEnc],
    fabricCapacity: fabric.capacity,
    vmMtu,
    cniOverhead: cni ? ENCAP_OVERHEAD[cni.encapsulation] : undefined,
    podMtu,
    paths,
  };
}
