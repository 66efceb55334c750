// One MTU story across the layers, checked on the resources the stack actually registers (not
// on the plan they came from, so a layer that renders its own number is caught):
//
// 1. host fabric: a host's VM MTU fits its underlay minus the VXLAN overhead (post A);
// 2. libvirt networks: the network on the fabric bridge has exactly the fabric's VM MTU; any
//    other labfabric network at most the smallest one (its VMs' traffic crosses the fabric);
// 3. VM NICs (the network-config of each VM's NoCloud seed, read from the seed step's stdin)
//    have the MTU of the network they sit on;
// 4. the CNI's chart value fits the node NIC (the first NIC of every VM and instance): the
//    plugin whose chart the release installs reads its own MTU setting back from the values
//    (components/cni-plugins, `valuesMtu`) as the node NIC MTU it needs. Calico
//    `installation.calicoNetwork.mtu` is the POD MTU, so pod + encapsulation <= NIC; Cilium
//    `MTU` and Flannel `flannel.mtu` are the DEVICE MTU (Cilium and flanneld subtract their own
//    50 bytes), so value <= NIC.
//
// Values still unknown (preview before the values exist) are skipped, not guessed.
import type {
  PolicyResource,
  ReportViolation,
  StackValidationArgs,
  StackValidationPolicy,
} from "@pulumi/policy";
import { parse } from "yaml";
import { cniPluginOfChart, type ValuesMtu, type Values } from "../components/cni-plugins";
import { parseSeedStdin } from "../components/libvirt/seed";
import { ENCAP_OVERHEAD } from "../components/spec";
import { at, isObj, reveal, snapshot, type Obj, type Value } from "./props";

export const HOST_FABRIC = "labfabric:host-fabric:HostFabric";
export const LIBVIRT_NETWORK = "libvirt:index/network:Network";
export const LIBVIRT_DOMAIN = "libvirt:index/domain:Domain";
export const REMOTE_COMMAND = "command:remote:Command";
export const OPENSTACK_INSTANCE = "openstack:compute/instance:Instance";
export const HELM_RELEASE = "kubernetes:helm.sh/v3:Release";

/** Bytes the host fabric's VXLAN adds. */
export const VXLAN_OVERHEAD = ENCAP_OVERHEAD.vxlan;

export interface MtuFinding {
  message: string;
  urn?: string;
}

type Resource = Pick<PolicyResource, "type" | "name" | "urn" | "props" | "dependencies">;

const num = (v: Value | undefined): number | undefined => (typeof v === "number" ? v : undefined);
const str = (v: Value | undefined): string | undefined => (typeof v === "string" ? v : undefined);

function yamlOf(text: string | undefined): unknown {
  if (!text) return undefined;
  try {
    return parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * The network-config of a VM's NoCloud seed step (components/libvirt/seed.ts): a remote command
 * whose stdin is a seed, recognised by its format (the mark line and three base64 documents,
 * parsed by the module that writes it), not by the step's name.
 */
export function seedNetworkConfig(r: Pick<Resource, "type" | "props">): string | undefined {
  if (r.type !== REMOTE_COMMAND) return undefined;
  return parseSeedStdin(str(at(snapshot(r.props), "stdin")))?.networkConfig;
}

/** MTUs of a cloud-init network-config v2, in NIC order (nic0, nic1, ...). */
export function cloudInitNicMtus(networkConfig: string | undefined): number[] {
  const doc = yamlOf(networkConfig) as
    { ethernets?: Record<string, { mtu?: unknown }> } | undefined;
  return Object.values(doc?.ethernets ?? {})
    .map((e) => e?.mtu)
    .filter((m): m is number => typeof m === "number");
}

/** MTUs the instance's boot script sets (components/plan/openstack/userdata.ts), in NIC order. */
export function userDataNicMtus(userData: string | undefined): number[] {
  return [...(userData ?? "").matchAll(/ip link set dev "\$dev" mtu (\d+)/g)].map((m) =>
    Number(m[1]),
  );
}

interface Fabric {
  host: string;
  urn: string;
  bridge?: string;
  underlay?: number;
  fabric?: number;
  vm?: number;
  mode?: string;
}

function fabrics(resources: readonly Resource[]): Fabric[] {
  return resources
    .filter((r) => r.type === HOST_FABRIC)
    .map((r) => {
      const p = snapshot(r.props);
      return {
        host: str(at(p, "host")) ?? r.name,
        urn: r.urn,
        bridge: str(at(p, "devices", "bridge")),
        underlay: num(at(p, "mtu", "underlay")),
        fabric: num(at(p, "mtu", "fabric")),
        vm: num(at(p, "mtu", "vm")),
        mode: str(at(p, "mode")),
      };
    });
}

function checkFabrics(list: readonly Fabric[], out: MtuFinding[]): void {
  for (const f of list) {
    if (f.underlay === undefined || f.vm === undefined) continue;
    const overhead = f.mode === "vxlan" ? VXLAN_OVERHEAD : 0;
    if (f.vm > f.underlay - overhead) {
      out.push({
        urn: f.urn,
        message: `host ${f.host}: VM MTU ${f.vm} does not fit the underlay MTU ${f.underlay}${overhead ? ` minus ${overhead} bytes of VXLAN` : ""}: full-size packets would be black-holed (post A)`,
      });
    }
  }
}

function checkNetworks(resources: readonly Resource[], list: readonly Fabric[], out: MtuFinding[]) {
  const vms = list.map((f) => f.vm).filter((m): m is number => m !== undefined);
  const smallest = vms.length ? Math.min(...vms) : undefined;
  const byBridge = new Map(list.filter((f) => f.bridge).map((f) => [f.bridge!, f]));
  const mtuOf = new Map<string, number>();
  for (const r of resources.filter((x) => x.type === LIBVIRT_NETWORK)) {
    const p = snapshot(r.props);
    const mtu = num(at(p, "mtu"));
    if (mtu === undefined) continue;
    mtuOf.set(r.urn, mtu);
    const bridge = str(at(p, "bridge"));
    const fabric = bridge ? byBridge.get(bridge) : undefined;
    const name = str(at(p, "name")) ?? r.name;
    if (fabric?.vm !== undefined && mtu !== fabric.vm) {
      out.push({
        urn: r.urn,
        message: `libvirt network ${name} on the fabric bridge ${bridge} has MTU ${mtu}, the fabric carries ${fabric.vm} for VMs: they must be equal`,
      });
    } else if (!fabric && smallest !== undefined && mtu > smallest) {
      out.push({
        urn: r.urn,
        message: `libvirt network ${name} has MTU ${mtu}, above the fabric's VM MTU ${smallest}: packets between hosts would be too big`,
      });
    }
  }
  return mtuOf;
}

function checkVmNics(
  resources: readonly Resource[],
  networkMtu: Map<string, number>,
  out: MtuFinding[],
) {
  const byUrn = new Map(resources.map((r) => [r.urn, r]));
  const nodeNics: number[] = [];
  for (const d of resources.filter((r) => r.type === LIBVIRT_DOMAIN)) {
    const deps = d.dependencies.map((x) => byUrn.get(x.urn) ?? x);
    const networkConfig = deps.map(seedNetworkConfig).find((c) => c !== undefined);
    if (networkConfig === undefined) continue;
    const nics = cloudInitNicMtus(networkConfig);
    if (nics.length > 0) nodeNics.push(nics[0]);
    const nets = deps
      .filter((x) => x.type === LIBVIRT_NETWORK)
      .map((x) => networkMtu.get(x.urn))
      .filter((m): m is number => m !== undefined);
    if (nets.length === 0) continue; // adopted networks: no resource, no MTU to compare
    for (const [i, mtu] of nics.entries()) {
      if (!nets.includes(mtu)) {
        out.push({
          urn: d.urn,
          message: `VM ${str(at(snapshot(d.props), "name")) ?? d.name}: NIC ${i} has MTU ${mtu} in its cloud-init network-config, its libvirt network${nets.length > 1 ? "s have" : " has"} ${[...new Set(nets)].join(", ")}`,
        });
      }
    }
  }
  return nodeNics;
}

function instanceNodeNics(resources: readonly Resource[]): number[] {
  return resources
    .filter((r) => r.type === OPENSTACK_INSTANCE)
    .flatMap((r) => {
      const p = snapshot(r.props);
      if (at(p, "metadata", "labfabric-role") === "none") return [];
      const nics = userDataNicMtus(str(at(p, "userData")));
      return nics.length ? [nics[0]] : [];
    });
}

/**
 * The CNI's MTU setting as the device MTU it implies, from a Helm release's values: read by the
 * plugin whose pinned chart this is; undefined for any other chart.
 */
export function cniDeviceMtu(chart: string, values: Obj): ValuesMtu | undefined {
  return cniPluginOfChart(chart)?.valuesMtu(reveal(values) as Values);
}

function checkCni(resources: readonly Resource[], nodeNics: number[], out: MtuFinding[]): void {
  if (nodeNics.length === 0) return; // existing machines only: their NICs are not resources
  const smallest = Math.min(...nodeNics);
  for (const r of resources.filter((x) => x.type === HELM_RELEASE)) {
    const p = snapshot(r.props);
    const chart = str(at(p, "chart"));
    const values = at(p, "values");
    if (!chart || !isObj(values)) continue; // unknown during preview
    const cni = cniDeviceMtu(chart.split("/").pop()!, values);
    if (!cni) continue;
    if (cni.device > smallest) {
      out.push({
        urn: r.urn,
        message: `${chart} ${cni.setting} = ${cni.value} needs a node NIC of ${cni.device} bytes, the smallest node NIC has ${smallest}: pod traffic at full size would be dropped`,
      });
    }
  }
}

/** Every MTU inconsistency between the stack's resources. */
export function mtuFindings(resources: readonly Resource[]): MtuFinding[] {
  const out: MtuFinding[] = [];
  const list = fabrics(resources);
  checkFabrics(list, out);
  const networkMtu = checkNetworks(resources, list, out);
  const nodeNics = [...checkVmNics(resources, networkMtu, out), ...instanceNodeNics(resources)];
  checkCni(resources, nodeNics, out);
  return out;
}

export const mtuConsistent: StackValidationPolicy = {
  name: "mtu-consistent",
  description:
    "Fabric, libvirt networks, VM NICs and the CNI agree on the MTU: no layer is planned bigger than the layer below carries.",
  enforcementLevel: "mandatory",
  validateStack: (args: StackValidationArgs, reportViolation: ReportViolation) => {
    for (const f of mtuFindings(args.resources)) reportViolation(f.message, f.urn);
  },
};
