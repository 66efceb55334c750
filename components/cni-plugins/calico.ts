// Calico (the tigera-operator chart): IPIP or VXLAN, always or only across subnets, or no
// encapsulation at all (BGP). `installation.calicoNetwork.mtu` is the pod network MTU itself.
import { CALICO_DEFAULT_POOL, CALICO_VXLAN_PORT, CNI_CHARTS, ENCAP_OVERHEAD } from "../spec";
import { numberAt, valueAt } from "./read";
import type { CniPluginModule, ModeRule } from "./types";

const MODES: readonly ModeRule[] = [
  { name: "IPIP", encapsulation: "ipip", native: false },
  { name: "IPIPCrossSubnet", encapsulation: "ipip", native: true },
  { name: "VXLAN", encapsulation: "vxlan", native: false },
  { name: "VXLANCrossSubnet", encapsulation: "vxlan", native: true },
  { name: "None", encapsulation: "none", native: true },
];

/** Calico IP pool block size: /26 per block (64 pods), Calico's own default, stated. */
export const CALICO_BLOCK_SIZE = 26;

export const calico: CniPluginModule = {
  name: "calico",
  modes: MODES,
  defaultMode: "IPIP",
  defaultPool: CALICO_DEFAULT_POOL,
  requiresPodSubnet: false,
  chart: CNI_CHARTS.calico,

  decide({ spec, mode }) {
    const reasons =
      spec.openstack.enabled && mode === "IPIP"
        ? [
            "calico IPIP Always on OpenStack: pod IPs never appear on Neutron ports, so anti-spoofing passes; " +
              "the cluster security group allows IP protocol 4 from itself",
          ]
        : [];
    return { mode, reasons };
  },

  ports(mode) {
    return [
      { protocol: "tcp", port: 5473, why: "Calico Typha" },
      ...(mode.startsWith("IPIP")
        ? [{ protocol: "4" as const, why: "Calico IPIP (IP protocol 4)" }]
        : []),
      ...(mode.startsWith("VXLAN")
        ? [{ protocol: "udp" as const, port: CALICO_VXLAN_PORT, why: "Calico VXLAN" }]
        : []),
      ...(mode.startsWith("IPIP") || mode === "None"
        ? [{ protocol: "tcp" as const, port: 179, why: "Calico BGP route exchange" }]
        : []),
    ];
  },

  values({ cni, podMtu, natOutgoing }, inputs) {
    // BGP carries the routes for IPIP and unencapsulated pools; VXLAN pools need none.
    const bgp = cni.mode.startsWith("VXLAN") ? "Disabled" : "Enabled";
    return {
      installation: {
        calicoNetwork: {
          bgp,
          ipPools: [
            {
              blockSize: CALICO_BLOCK_SIZE,
              cidr: cni.podSubnet,
              encapsulation: cni.mode,
              natOutgoing: natOutgoing ? "Enabled" : "Disabled",
              nodeSelector: "all()",
            },
          ],
          mtu: podMtu,
          // The address kubelet registered (node-ip), not the first NIC Calico finds: on nodes
          // with two NICs first-found picks the wrong one.
          nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" },
        },
      },
      // calico-node reaches the API server directly, not through the service VIP it programs.
      kubernetesServiceEndpoint: {
        host: inputs.endpoint.host,
        port: String(inputs.endpoint.port),
      },
    };
  },

  valuesMtu(values) {
    // The pod MTU: the node NIC must carry it plus the biggest encapsulation of any pool.
    const mtu = numberAt(values, "installation", "calicoNetwork", "mtu");
    if (mtu === undefined) return undefined;
    const pools = valueAt(values, "installation", "calicoNetwork", "ipPools");
    const overhead = Math.max(
      0,
      ...(Array.isArray(pools) ? pools : []).map((p) => {
        const mode = valueAt(p, "encapsulation");
        const rule = MODES.find((m) => m.name === (typeof mode === "string" ? mode : "None"));
        return rule ? ENCAP_OVERHEAD[rule.encapsulation] : 0;
      }),
    );
    return {
      setting: "installation.calicoNetwork.mtu (pod MTU)",
      value: mtu,
      device: mtu + overhead,
    };
  },

  checkRequest() {},

  checkRouting({ decision, subnets }, f) {
    if (subnets.length > 1 && decision.mode === "None") {
      f.warn(
        "kubernetes.cni.mode",
        "None",
        `sends pod traffic unencapsulated and the nodes span ${subnets.length} subnets (${subnets.join(", ")}): the routers between them must learn the pod routes (BGP peering with Calico)`,
        'use "IPIPCrossSubnet" or "VXLANCrossSubnet" to encapsulate only across subnets, or peer the routers with Calico',
      );
    }
  },

  openstackNativeFix(mode) {
    return mode.startsWith("VXLAN")
      ? `use mode "VXLAN" (always encapsulated; labfabric then allows UDP ${CALICO_VXLAN_PORT} between the nodes), or set openstack.allowedAddressPairs: true`
      : 'use mode "IPIP" (Always; labfabric then allows IP protocol 4 from the cluster security group), or set openstack.allowedAddressPairs: true';
  },
};
