// Helm values for every plugin x mode, pinned exactly, plus the scenario values and the chart
// coordinates (pinned defaults, overrides, a local chart for offline labs).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cniValues, sortKeys } from "../../components/cni/values";
import { CNI_MODES } from "../../components/plan/cni";
import { planOf, resolvedNodes, type Raw, type Scenario } from "../kubernetes/fixtures";

const ENDPOINT = { host: "192.168.10.100", port: 6443 };
const ADDRESSES = ["192.168.10.100", "192.168.10.101", "192.168.10.102"];

/** Scenario C's machines, all on one subnet, so every mode (native ones too) is allowed. */
function oneSubnet(plugin: string, mode: string, extra: (r: Raw) => void = () => {}) {
  return sliceOf("c", (r) => {
    const nodes = r.kubernetes.nodes as { ssh: { address: string }; address: string }[];
    nodes[2].ssh.address = "192.168.10.102";
    nodes[2].address = "192.168.10.102/24";
    r.kubernetes.cni = { plugin, mode };
    extra(r);
  });
}

/** A scenario's CNI slice (LabPlan.cniRelease), which the values and the chart come from. */
function sliceOf(s: Scenario, adjust?: (r: Raw) => void) {
  const slice = planOf(s, adjust).cniRelease;
  if (!slice) assert.fail(`scenario ${s} plans no CNI`);
  return slice;
}

const calico = (encapsulation: string, bgp: string, mtu: number) => ({
  installation: {
    calicoNetwork: {
      bgp,
      ipPools: [
        {
          blockSize: 26,
          cidr: "172.20.0.0/16",
          encapsulation,
          natOutgoing: "Enabled",
          nodeSelector: "all()",
        },
      ],
      mtu,
      nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" },
    },
  },
  kubernetesServiceEndpoint: { host: "192.168.10.100", port: "6443" },
});

const ciliumIpam = {
  mode: "cluster-pool",
  operator: { clusterPoolIPv4MaskSize: 24, clusterPoolIPv4PodCIDRList: ["172.20.0.0/16"] },
};

const TABLE: { plugin: string; mode: string; podMtu: number; values: unknown }[] = [
  { plugin: "calico", mode: "IPIP", podMtu: 1480, values: calico("IPIP", "Enabled", 1480) },
  {
    plugin: "calico",
    mode: "IPIPCrossSubnet",
    podMtu: 1480,
    values: calico("IPIPCrossSubnet", "Enabled", 1480),
  },
  { plugin: "calico", mode: "VXLAN", podMtu: 1450, values: calico("VXLAN", "Disabled", 1450) },
  {
    plugin: "calico",
    mode: "VXLANCrossSubnet",
    podMtu: 1450,
    values: calico("VXLANCrossSubnet", "Disabled", 1450),
  },
  { plugin: "calico", mode: "None", podMtu: 1500, values: calico("None", "Enabled", 1500) },
  {
    plugin: "cilium",
    mode: "tunnel-vxlan",
    podMtu: 1450,
    values: {
      MTU: 1500,
      autoDirectNodeRoutes: false,
      enableIPv4Masquerade: true,
      ipam: ciliumIpam,
      k8sServiceHost: "192.168.10.100",
      k8sServicePort: 6443,
      routingMode: "tunnel",
      tunnelPort: 8472,
      tunnelProtocol: "vxlan",
    },
  },
  {
    plugin: "cilium",
    mode: "tunnel-geneve",
    podMtu: 1450,
    values: {
      MTU: 1500,
      autoDirectNodeRoutes: false,
      enableIPv4Masquerade: true,
      ipam: ciliumIpam,
      k8sServiceHost: "192.168.10.100",
      k8sServicePort: 6443,
      routingMode: "tunnel",
      tunnelPort: 6081,
      tunnelProtocol: "geneve",
    },
  },
  {
    plugin: "cilium",
    mode: "native",
    podMtu: 1500,
    values: {
      MTU: 1500,
      autoDirectNodeRoutes: true,
      enableIPv4Masquerade: true,
      ipam: ciliumIpam,
      ipv4NativeRoutingCIDR: "172.20.0.0/16",
      k8sServiceHost: "192.168.10.100",
      k8sServicePort: 6443,
      routingMode: "native",
    },
  },
  {
    plugin: "flannel",
    mode: "vxlan",
    podMtu: 1450,
    values: {
      flannel: {
        args: [
          "--ip-masq",
          "--kube-subnet-mgr",
          "--iface=192.168.10.100",
          "--iface=192.168.10.101",
          "--iface=192.168.10.102",
        ],
        backend: "vxlan",
        backendPort: 8472,
        mtu: 1500,
      },
      podCidr: "172.20.0.0/16",
    },
  },
  {
    plugin: "flannel",
    mode: "host-gw",
    podMtu: 1500,
    values: {
      flannel: {
        args: [
          "--ip-masq",
          "--kube-subnet-mgr",
          "--iface=192.168.10.100",
          "--iface=192.168.10.101",
          "--iface=192.168.10.102",
        ],
        backend: "host-gw",
      },
      podCidr: "172.20.0.0/16",
    },
  },
];

describe("Helm values for every plugin x mode", () => {
  it("covers every mode the planner knows", () => {
    const all = Object.entries(CNI_MODES).flatMap(([p, modes]) => modes.map((m) => `${p}/${m}`));
    assert.deepEqual(TABLE.map((t) => `${t.plugin}/${t.mode}`).sort(), all.sort());
  });
  for (const row of TABLE) {
    it(`${row.plugin} ${row.mode}`, () => {
      const plan = oneSubnet(row.plugin, row.mode);
      assert.equal(plan.podMtu, row.podMtu);
      const values = cniValues(plan, { endpoint: ENDPOINT, nodeAddresses: ADDRESSES });
      assert.deepEqual(values, row.values);
      // Sorted keys at every level: the rendered JSON is stable.
      assert.equal(JSON.stringify(values), JSON.stringify(sortKeys(values)));
    });
  }

  it("natOutgoing false: Calico Disabled, Cilium no masquerade, Flannel without --ip-masq", () => {
    const off = (r: Raw) => {
      r.kubernetes.cni.natOutgoing = false;
    };
    const inputs = { endpoint: ENDPOINT, nodeAddresses: ADDRESSES };
    const c = cniValues(oneSubnet("calico", "IPIP", off), inputs) as ReturnType<typeof calico>;
    assert.equal(c.installation.calicoNetwork.ipPools[0].natOutgoing, "Disabled");
    assert.equal(
      cniValues(oneSubnet("cilium", "tunnel-vxlan", off), inputs).enableIPv4Masquerade,
      false,
    );
    const f = cniValues(oneSubnet("flannel", "vxlan", off), inputs) as {
      flannel: { args: string[] };
    };
    assert.deepEqual(f.flannel.args.slice(0, 1), ["--kube-subnet-mgr"]);
  });

  it("a pinned, lower kubernetes.cni.mtu flows into every chart's knob", () => {
    const pin = (r: Raw) => {
      r.kubernetes.cni.mtu = 1400;
    };
    const inputs = { endpoint: ENDPOINT, nodeAddresses: ADDRESSES };
    const c = cniValues(oneSubnet("calico", "IPIP", pin), inputs) as ReturnType<typeof calico>;
    assert.equal(c.installation.calicoNetwork.mtu, 1400);
    assert.equal(cniValues(oneSubnet("cilium", "tunnel-vxlan", pin), inputs).MTU, 1450);
    const f = cniValues(oneSubnet("flannel", "vxlan", pin), inputs) as { flannel: { mtu: number } };
    assert.equal(f.flannel.mtu, 1450);
  });
});

describe("scenario values", () => {
  const valuesOf = (s: Scenario) => {
    const plan = planOf(s);
    const nodes = resolvedNodes(plan);
    const cp = nodes.find((n) => n.role === "control-plane")!;
    return cniValues(plan.cniRelease!, {
      endpoint: { host: cp.address, port: 6443 },
      nodeAddresses: nodes.map((n) => n.address),
    });
  };

  it("B: Calico IPIP Always, pool 172.16.0.0/16, pod MTU 1430 on the 1450 instance network", () => {
    assert.deepEqual(valuesOf("b"), {
      installation: {
        calicoNetwork: {
          bgp: "Enabled",
          ipPools: [
            {
              blockSize: 26,
              cidr: "172.16.0.0/16",
              encapsulation: "IPIP",
              natOutgoing: "Enabled",
              nodeSelector: "all()",
            },
          ],
          mtu: 1430,
          nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" },
        },
      },
      kubernetesServiceEndpoint: { host: "10.100.200.10", port: "6443" },
    });
  });

  it("C: Cilium switched to tunnel (VXLAN 8472) across the router, pool 172.20.0.0/16", () => {
    assert.deepEqual(valuesOf("c"), {
      MTU: 1500,
      autoDirectNodeRoutes: false,
      enableIPv4Masquerade: true,
      ipam: ciliumIpam,
      k8sServiceHost: "192.168.10.100",
      k8sServicePort: 6443,
      routingMode: "tunnel",
      tunnelPort: 8472,
      tunnelProtocol: "vxlan",
    });
  });

  it("D: Flannel VXLAN on 10.244.0.0/16, pinned to each node's NIC, pods at 1450 (FLANNEL_MTU)", () => {
    assert.deepEqual(valuesOf("d"), {
      flannel: {
        args: [
          "--ip-masq",
          "--kube-subnet-mgr",
          "--iface=172.20.112.101",
          "--iface=192.168.100.21",
          "--iface=192.168.100.22",
        ],
        backend: "vxlan",
        backendPort: 8472,
        mtu: 1500,
      },
      podCidr: "10.244.0.0/16",
    });
  });
});

describe("chart coordinates", () => {
  it("pins repository and version per plugin", () => {
    assert.deepEqual(sliceOf("b").chart, {
      name: "calico",
      chart: "tigera-operator",
      version: "v3.29.3",
      repo: "https://docs.tigera.io/calico/charts",
      namespace: "tigera-operator",
      local: false,
    });
    assert.deepEqual(sliceOf("c").chart, {
      name: "cilium",
      chart: "cilium",
      version: "1.17.4",
      repo: "https://helm.cilium.io/",
      namespace: "kube-system",
      local: false,
    });
    assert.deepEqual(sliceOf("d").chart, {
      name: "flannel",
      chart: "flannel",
      version: "v0.26.7",
      repo: "https://flannel-io.github.io/flannel/",
      namespace: "kube-flannel",
      local: false,
    });
  });

  it("takes kubernetes.cni.chart.repo and .version over the pins", () => {
    const slice = sliceOf("c", (r) => {
      r.kubernetes.cni.chart = { repo: "https://charts.mirror.example/cilium", version: "1.17.6" };
    });
    assert.deepEqual(slice.chart, {
      name: "cilium",
      chart: "cilium",
      version: "1.17.6",
      repo: "https://charts.mirror.example/cilium",
      namespace: "kube-system",
      local: false,
    });
  });

  it("installs a local chart path as is (offline labs): no repository, the chart's own version", () => {
    const slice = sliceOf("d", (r) => {
      r.kubernetes.cni.chart = { path: "/srv/charts/flannel" };
    });
    assert.deepEqual(slice.chart, {
      name: "flannel",
      chart: "/srv/charts/flannel",
      namespace: "kube-flannel",
      local: true,
    });
  });
});
