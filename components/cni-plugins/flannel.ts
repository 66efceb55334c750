// Flannel: VXLAN, or host-gw (routes via each node, one L2 segment only). `flannel.mtu`
// (chart v0.26.7 renders it as Backend.MTU) is the external interface MTU; flanneld gives pods
// MTU - 50 for VXLAN (FLANNEL_MTU), so flannel.mtu = pod MTU + 50. host-gw has no
// encapsulation and no MTU knob: pods get the interface's MTU. Flannel needs kubeadm to
// allocate node podCIDRs, so kubernetes.podSubnet is required.
import { CNI_CHARTS, ENCAP_OVERHEAD, FLANNEL_DEFAULT_POD_CIDR, FLANNEL_VXLAN_PORT } from "../spec";
import { numberAt } from "./read";
import { OPENSTACK_NATIVE_FIX, type CniPluginModule } from "./types";

export const flannel: CniPluginModule = {
  name: "flannel",
  modes: [
    { name: "vxlan", encapsulation: "vxlan", native: false },
    { name: "host-gw", encapsulation: "none", native: true },
  ],
  defaultMode: "vxlan",
  defaultPool: FLANNEL_DEFAULT_POD_CIDR,
  requiresPodSubnet: true,
  chart: CNI_CHARTS.flannel,

  decide({ mode }) {
    return { mode, reasons: [] };
  },

  ports(mode) {
    return mode === "vxlan"
      ? [{ protocol: "udp", port: FLANNEL_VXLAN_PORT, why: "Flannel VXLAN" }]
      : [];
  },

  values({ cni, podMtu, natOutgoing }, inputs) {
    const vxlan = cni.mode === "vxlan";
    const args = [
      ...(natOutgoing ? ["--ip-masq"] : []),
      "--kube-subnet-mgr",
      // Each node matches only its own node-ip, so flanneld uses the NIC kubelet registered
      // with. Without it flanneld takes the default-route NIC; `--iface-can-reach=<API>` is no
      // fix either: on the control plane it resolves to `lo`.
      ...[...new Set(inputs.nodeAddresses)].sort().map((a) => `--iface=${a}`),
    ];
    return {
      flannel: {
        args,
        backend: cni.mode,
        ...(vxlan ? { backendPort: FLANNEL_VXLAN_PORT, mtu: podMtu + ENCAP_OVERHEAD.vxlan } : {}),
      },
      // kubeadm's podSubnet is the same value (post D: "pod cidr not assigned").
      podCidr: cni.podSubnet,
    };
  },

  valuesMtu(values) {
    const mtu = numberAt(values, "flannel", "mtu");
    if (mtu === undefined) return undefined;
    return { setting: "flannel.mtu (device MTU)", value: mtu, device: mtu };
  },

  nodeAddressesUse: "Flannel pins its interface to each node's address",

  checkRequest({ spec }, f) {
    if (spec.kubernetes.podSubnet) return;
    f.error(
      "kubernetes.podSubnet",
      undefined,
      "is required for Flannel: kubeadm must allocate node podCIDRs or Flannel fails with 'pod cidr not assigned'",
      `set it (Flannel's usual ${FLANNEL_DEFAULT_POD_CIDR}); labfabric passes the same value to kubeadm and Flannel`,
    );
  },

  checkRouting({ decision, subnets }, f) {
    if (subnets.length > 1 && decision.mode === "host-gw") {
      f.error(
        "kubernetes.cni.mode",
        "host-gw",
        `routes pods via each node's address as next hop, which only works on one L2 segment; the nodes span ${subnets.length} subnets (${subnets.join(", ")})`,
        `use mode "vxlan" (UDP ${FLANNEL_VXLAN_PORT} between nodes)`,
      );
    }
  },

  openstackNativeFix() {
    return OPENSTACK_NATIVE_FIX;
  },
};
