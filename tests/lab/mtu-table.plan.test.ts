// Tables: the MTU budget over underlay MTU x fabric mode x CNI, every number written out.
// networking.md: VXLAN/Geneve 50, IP-in-IP 20; every CNI subtracts from the VM NIC, not the
// physical underlay.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { LabSpecInput } from "../../components/spec/schema";
import { host, load, routedLab, vm, vxlanLab, IMAGE } from "./helpers";

const CNIS = [
  ["calico", "IPIP"],
  ["calico", "IPIPCrossSubnet"],
  ["calico", "VXLAN"],
  ["calico", "None"],
  ["cilium", "tunnel-vxlan"],
  ["cilium", "tunnel-geneve"],
  ["cilium", "native"],
  ["flannel", "vxlan"],
  ["flannel", "host-gw"],
] as const;

type Fabric = "vxlan" | "routed" | "none";

/** [underlay MTUs of h1 and h2, fabric mode, VM NIC MTU, pod MTU per CNI in CNIS order] */
const TABLE: [[number, number], Fabric, number, number[]][] = [
  [[1500, 1500], "vxlan", 1450, [1430, 1430, 1400, 1450, 1400, 1400, 1450, 1400, 1450]],
  [[1500, 1500], "routed", 1500, [1480, 1480, 1450, 1500, 1450, 1450, 1500, 1450, 1500]],
  [[1500, 1500], "none", 1500, [1480, 1480, 1450, 1500, 1450, 1450, 1500, 1450, 1500]],
  [[9000, 9000], "vxlan", 8950, [8930, 8930, 8900, 8950, 8900, 8900, 8950, 8900, 8950]],
  [[9000, 9000], "routed", 9000, [8980, 8980, 8950, 9000, 8950, 8950, 9000, 8950, 9000]],
  [[9000, 9000], "none", 9000, [8980, 8980, 8950, 9000, 8950, 8950, 9000, 8950, 9000]],
  // Mixed hosts: one lab-wide VM MTU from the smallest underlay.
  [[1500, 9000], "vxlan", 1450, [1430, 1430, 1400, 1450, 1400, 1400, 1450, 1400, 1450]],
  [[9000, 1500], "routed", 1500, [1480, 1480, 1450, 1500, 1450, 1450, 1500, 1450, 1500]],
  [[1500, 9000], "none", 1500, [1480, 1480, 1450, 1500, 1450, 1450, 1500, 1450, 1500]],
];

/** A lab of the given fabric and CNI; all Kubernetes nodes share one subnet (no native-routing error). */
function labFor(
  fabric: Fabric,
  mtus: [number, number],
  plugin: (typeof CNIS)[number][0],
  mode: string,
): LabSpecInput {
  const cni = { plugin, mode };
  if (fabric === "vxlan") {
    return vxlanLab((s) => {
      s.hosts = [host(1, mtus[0]), host(2, mtus[1])];
      s.kubernetes!.cni = cni;
    });
  }
  if (fabric === "routed") {
    return routedLab((s) => {
      s.hosts![0].underlay.mtu = mtus[0];
      s.hosts![1].underlay.mtu = mtus[1];
      s.vms![1].role = "none";
      s.kubernetes!.cni = cni;
    });
  }
  return {
    hosts: [host(1, mtus[0]), host(2, mtus[1])],
    fabric: { mode: "none" },
    networks: [
      { name: "nat1", host: "h1", bridge: "virbr10", cidr: "172.20.112.0/24" },
      { name: "nat2", host: "h2", bridge: "virbr11", cidr: "172.20.113.0/24" },
    ],
    libvirt: { images: { rocky9: IMAGE } },
    vms: [
      vm("cp-0", "h1", "nat1", { role: "control-plane" }),
      vm("w-0", "h2", "nat2", { role: "none" }),
    ],
    kubernetes: { enabled: true, podSubnet: "10.244.0.0/16", cni },
  };
}

describe("MTU budget table: underlay x fabric x CNI", () => {
  for (const [mtus, fabric, vmMtu, pods] of TABLE) {
    CNIS.forEach(([plugin, mode], i) => {
      it(`underlay ${mtus.join("/")} + fabric ${fabric} -> VM ${vmMtu}; ${plugin} ${mode} -> pod ${pods[i]}`, () => {
        const plan = load(labFor(fabric, mtus, plugin, mode));
        assert.equal(plan.mtu.vmMtu, vmMtu);
        assert.equal(plan.mtu.podMtu, pods[i]);
        assert.equal(plan.cni?.mode, mode);
        assert.ok(plan.nodes.length > 0);
        for (const node of plan.nodes) assert.equal(node.mtu, vmMtu);
        if (fabric === "vxlan") for (const h of plan.hosts) assert.equal(h.vxlan?.mtu, vmMtu);
      });
    });
  }
});

describe("MTU paths layer by layer", () => {
  it("mixed 1500/9000 VXLAN hosts: each path keeps its underlay; the fabric devices and VM NIC are lab-wide, as the scripts set them", () => {
    const plan = load(labFor("vxlan", [1500, 9000], "cilium", "tunnel-geneve"));
    const byKey = Object.fromEntries(
      plan.mtu.paths.map((p) => [p.key, p.layers.map((l) => [l.layer, l.overhead, l.mtu])]),
    );
    assert.deepEqual(byKey, {
      "hosts[0].underlay.mtu": [
        ["underlay eth0", 0, 1500],
        ["host VXLAN (VNI 42)", 50, 1450],
        ["VM NIC", 0, 1450],
        ["CNI cilium tunnel-geneve -> pod", 50, 1400],
      ],
      "hosts[1].underlay.mtu": [
        ["underlay eth0", 0, 9000],
        ["host VXLAN (VNI 42)", 50, 1450],
        ["VM NIC", 0, 1450],
        ["CNI cilium tunnel-geneve -> pod", 50, 1400],
      ],
    });
  });

  it("identical host paths are merged into one row naming both hosts", () => {
    const plan = load(vxlanLab());
    assert.deepEqual(
      plan.mtu.paths.map((p) => [p.name, p.key, p.layers.map((l) => l.mtu), p.efficiency]),
      [["host h1, host h2", "hosts[0].underlay.mtu", [1500, 1450, 1450, 1430], 0.952]],
    );
  });

  it("routed fabric adds no host layer: underlay 1500 -> VM NIC 1500 -> flannel vxlan 1450", () => {
    const plan = load(routedLab());
    assert.deepEqual(
      plan.mtu.paths.map((p) => p.layers.map((l) => `${l.layer}=${l.mtu}`)),
      [["underlay eth0=1500", "VM NIC=1500", "CNI flannel vxlan -> pod=1450"]],
    );
    assert.equal(plan.mtu.fabricOverhead, 0);
    assert.equal(plan.mtu.cniOverhead, 50);
  });
});

describe("pinned MTUs only ever lower the plan", () => {
  const cases: [string, (s: LabSpecInput) => void, number, number][] = [
    [
      "fabric.vmMtu 1400 lowers the VM NIC and the pod",
      (s) => (s.fabric!.vmMtu = 1400),
      1400,
      1380,
    ],
    ["fabric.vmMtu equal to the plan changes nothing", (s) => (s.fabric!.vmMtu = 1450), 1450, 1430],
    [
      "kubernetes.cni.mtu 1300 lowers the pod only",
      (s) => (s.kubernetes!.cni!.mtu = 1300),
      1450,
      1300,
    ],
    [
      "kubernetes.cni.mtu equal to the plan changes nothing",
      (s) => (s.kubernetes!.cni!.mtu = 1430),
      1450,
      1430,
    ],
  ];
  for (const [name, edit, vmMtu, podMtu] of cases) {
    it(name, () => {
      const plan = load(vxlanLab(edit));
      assert.equal(plan.mtu.vmMtu, vmMtu);
      assert.equal(plan.mtu.podMtu, podMtu);
      const layers = plan.mtu.paths[0].layers.map((l) => l.mtu);
      // The bridge and VXLAN device carry the VM MTU too (what up.sh sets).
      assert.deepEqual(layers, [1500, vmMtu, vmMtu, podMtu]);
    });
  }
});
