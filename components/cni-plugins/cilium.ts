// Cilium: a VXLAN or Geneve tunnel, or native routing with autoDirectNodeRoutes (one L2
// segment only). Its `MTU` value is the underlying device MTU: Cilium subtracts its tunnel
// overhead for the pod routes (pkg/mtu: RouteMTU = base - TunnelOverhead), so
// MTU = pod MTU + overhead, and the pod MTU that results is exactly the planned one.
import {
  CILIUM_DEFAULT_POOL,
  CILIUM_VXLAN_PORT,
  CNI_CHARTS,
  ENCAP_OVERHEAD,
  GENEVE_PORT,
  NODE_POD_MASK,
} from "../spec";
import { numberAt } from "./read";
import { OPENSTACK_NATIVE_FIX, type CniPluginModule } from "./types";

export const cilium: CniPluginModule = {
  name: "cilium",
  modes: [
    { name: "tunnel-vxlan", encapsulation: "vxlan", native: false },
    { name: "tunnel-geneve", encapsulation: "geneve", native: false },
    { name: "native", encapsulation: "none", native: true },
  ],
  defaultMode: "tunnel-vxlan",
  defaultPool: CILIUM_DEFAULT_POOL,
  requiresPodSubnet: false,
  chart: CNI_CHARTS.cilium,

  decide({ spec, mode, subnets }) {
    if (
      mode === "native" &&
      subnets.length > 1 &&
      spec.kubernetes.cni.onNativeAcrossSubnets === "tunnel"
    ) {
      return {
        mode: "tunnel-vxlan",
        reasons: [
          `cilium native routing switched to tunnel-vxlan: nodes span ${subnets.length} L3 subnets (${subnets.join(", ")}) ` +
            "and autoDirectNodeRoutes only reaches nodes on the same L2 segment",
        ],
      };
    }
    return { mode, reasons: [] };
  },

  ports(mode) {
    return [
      { protocol: "tcp", port: 4240, why: "Cilium health checks" },
      ...(mode === "tunnel-vxlan"
        ? [{ protocol: "udp" as const, port: CILIUM_VXLAN_PORT, why: "Cilium VXLAN" }]
        : []),
      ...(mode === "tunnel-geneve"
        ? [{ protocol: "udp" as const, port: GENEVE_PORT, why: "Cilium Geneve" }]
        : []),
    ];
  },

  values({ cni, podMtu, natOutgoing }, inputs) {
    const native = cni.mode === "native";
    const tunnel = cni.mode === "tunnel-geneve" ? "geneve" : "vxlan";
    return {
      // The device MTU: Cilium subtracts its tunnel overhead for the pod routes.
      MTU: podMtu + ENCAP_OVERHEAD[cni.encapsulation],
      // Only on one L2 segment (validated before): nodes in other subnets need tunnel mode (post C).
      autoDirectNodeRoutes: native,
      enableIPv4Masquerade: natOutgoing,
      ipam: {
        mode: "cluster-pool",
        operator: {
          // Never the chart's 10.0.0.0/8 default: it swallows 10.x node networks and the
          // default service range. Same pool as kubeadm's podSubnet (kube-proxy's clusterCIDR).
          clusterPoolIPv4MaskSize: NODE_POD_MASK,
          clusterPoolIPv4PodCIDRList: [cni.podSubnet],
        },
      },
      ...(native ? { ipv4NativeRoutingCIDR: cni.podSubnet } : {}),
      k8sServiceHost: inputs.endpoint.host,
      k8sServicePort: inputs.endpoint.port,
      routingMode: native ? "native" : "tunnel",
      // Stated, so the opened firewall/security-group port and the chart can never disagree.
      ...(native
        ? {}
        : {
            tunnelPort: tunnel === "geneve" ? GENEVE_PORT : CILIUM_VXLAN_PORT,
            tunnelProtocol: tunnel,
          }),
    };
  },

  valuesMtu(values) {
    const mtu = numberAt(values, "MTU");
    if (!mtu) return undefined; // 0 = Cilium detects it
    return { setting: "MTU (device MTU)", value: mtu, device: mtu };
  },

  checkRequest({ spec, decision, subnets }, f) {
    if (decision.requestedMode !== "native" || subnets.length <= 1) return;
    const msg = `native routing with nodes in ${subnets.length} L3 subnets (${subnets.join(", ")}): autoDirectNodeRoutes only reaches nodes on the same L2 segment`;
    if (spec.kubernetes.cni.onNativeAcrossSubnets === "refuse") {
      f.error(
        "kubernetes.cni.mode",
        "native",
        msg,
        'use mode "tunnel-vxlan", or set cni.onNativeAcrossSubnets: "tunnel" to switch automatically',
      );
    } else {
      f.warn(
        "kubernetes.cni.mode",
        "native",
        `${msg}; switched to tunnel-vxlan`,
        'set mode "tunnel-vxlan" explicitly to silence this',
      );
    }
  },

  checkRouting() {},

  openstackNativeFix() {
    return OPENSTACK_NATIVE_FIX;
  },
};
