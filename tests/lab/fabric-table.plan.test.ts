// Tables: the host fabric plan (VXLAN remote vs FDB mesh, routed routes, rp_filter sysctls)
// and the ports each CNI mode needs between nodes.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { cniPorts, nodePorts } from "../../components/plan/cni";
import { host, load, routedLab, vxlanLab } from "./helpers";

const ADDR = (n: number) => `192.168.0.${10 + n}`;

describe("VXLAN fabric: unicast remote for two hosts, FDB full mesh for more", () => {
  it("2 hosts: each has the other as remote and no FDB entries", () => {
    const plan = load(vxlanLab());
    assert.deepEqual(
      plan.hosts.map((h) => [h.host, h.vxlan?.local, h.vxlan?.remote, h.vxlan?.fdbPeers]),
      [
        ["h1", ADDR(1), ADDR(2), []],
        ["h2", ADDR(2), ADDR(1), []],
      ],
    );
  });

  const meshes: [number, string[][]][] = [
    [
      3,
      [
        [ADDR(2), ADDR(3)],
        [ADDR(1), ADDR(3)],
        [ADDR(1), ADDR(2)],
      ],
    ],
    [
      4,
      [
        [ADDR(2), ADDR(3), ADDR(4)],
        [ADDR(1), ADDR(3), ADDR(4)],
        [ADDR(1), ADDR(2), ADDR(4)],
        [ADDR(1), ADDR(2), ADDR(3)],
      ],
    ],
  ];
  for (const [n, fdb] of meshes) {
    it(`${n} hosts: FDB entries to every peer, no remote`, () => {
      const plan = load(
        vxlanLab((s) => (s.hosts = Array.from({ length: n }, (_, i) => host(i + 1)))),
      );
      assert.deepEqual(
        plan.hosts.map((h) => h.vxlan?.remote),
        Array(n).fill(undefined),
      );
      assert.deepEqual(
        plan.hosts.map((h) => h.vxlan?.fdbPeers),
        fdb,
      );
      assert.deepEqual(
        plan.hosts.map((h) => h.vxlan?.bridgeAddress),
        Array.from({ length: n }, (_, i) => `10.39.0.${i + 1}/24`),
      );
    });
  }

  it("device, VNI, port, bridge and masquerade come from the fabric config", () => {
    const plan = load(
      vxlanLab((s) =>
        Object.assign(s.fabric!, { vni: 39, port: 8472, bridge: "br-lab", vxlanDevice: "vx39" }),
      ),
    );
    const h = plan.hosts[0];
    assert.deepEqual(
      { ...h.vxlan, remote: undefined },
      {
        device: "vx39",
        vni: 39,
        port: 8472,
        local: ADDR(1),
        dev: "eth0",
        remote: undefined,
        fdbPeers: [],
        bridge: "br-lab",
        mtu: 1450,
        bridgeAddress: "10.39.0.1/24",
      },
    );
    assert.deepEqual(h.masquerade, {
      subnet: "10.39.0.0/24",
      outInterface: "eth0",
      bridge: "br-lab",
    });
    assert.equal(
      load(vxlanLab((s) => (s.fabric!.masquerade = false))).hosts[0].masquerade,
      undefined,
    );
  });
});

describe("rp_filter and forwarding sysctls", () => {
  const table: [string, 0 | 2, string[]][] = [
    ["vxlan, loose (default)", 2, ["all", "default", "eth0", "br-vm", "vxlan-lf"]],
    ["vxlan, off", 0, ["all", "default", "eth0", "br-vm", "vxlan-lf"]],
    ["routed, off", 0, ["all", "default", "eth0", "virbr10"]],
    ["routed, loose", 2, ["all", "default", "eth0", "virbr10"]],
  ];
  for (const [name, rp, ifaces] of table) {
    it(`${name}: ip_forward=1 and rp_filter=${rp} on ${ifaces.join("/")}`, () => {
      const base = name.startsWith("vxlan") ? vxlanLab : routedLab;
      const plan = load(base((s) => (s.fabric!.rpFilter = rp)));
      assert.equal(plan.hosts[0].rpFilter, rp);
      assert.deepEqual(plan.hosts[0].sysctls, [
        { key: "net/ipv4/ip_forward", value: "1" },
        ...ifaces.map((i) => ({ key: `net/ipv4/conf/${i}/rp_filter`, value: String(rp) })),
      ]);
    });
  }

  it("fabric none plans no sysctls, devices or routes", () => {
    const plan = load(routedLab((s) => (s.fabric = { mode: "none" })));
    for (const h of plan.hosts) {
      assert.deepEqual(
        [h.mode, h.sysctls, h.vxlan, h.routed, h.masquerade],
        ["none", [], undefined, undefined, undefined],
      );
    }
  });
});

describe("routed fabric: every peer subnet via the peer's internal address", () => {
  it("two hosts (post D's shape)", () => {
    const plan = load(routedLab());
    assert.deepEqual(
      plan.hosts.map((h) => h.routed),
      [
        {
          internalAddress: "10.10.10.1/24",
          routes: [{ to: "172.20.113.0/24", via: "10.10.10.2", peer: "h2" }],
          localSubnets: ["172.20.112.0/24"],
          peerSources: ["10.10.10.0/24", "172.20.113.0/24"],
          noMasqueradeTo: ["172.20.113.0/24"],
        },
        {
          internalAddress: "10.10.10.2/24",
          routes: [{ to: "172.20.112.0/24", via: "10.10.10.1", peer: "h1" }],
          localSubnets: ["172.20.113.0/24"],
          peerSources: ["10.10.10.0/24", "172.20.112.0/24"],
          noMasqueradeTo: ["172.20.112.0/24"],
        },
      ],
    );
  });

  it("three hosts with local subnets: routes to all of them, sorted per peer", () => {
    const plan = load(
      routedLab((s) => {
        s.hosts!.push(
          host(3, 1500, {
            internalAddress: "10.10.10.3/24",
            localSubnets: ["172.20.130.0/24", "172.20.120.0/24"],
          }),
        );
        s.hosts![0].localSubnets = ["172.20.100.0/24"];
      }),
    );
    const routes = Object.fromEntries(
      plan.hosts.map((h) => [h.host, h.routed!.routes.map((r) => `${r.to} via ${r.via}`)]),
    );
    assert.deepEqual(routes, {
      h1: [
        "172.20.113.0/24 via 10.10.10.2",
        "172.20.120.0/24 via 10.10.10.3",
        "172.20.130.0/24 via 10.10.10.3",
      ],
      h2: [
        "172.20.100.0/24 via 10.10.10.1",
        "172.20.112.0/24 via 10.10.10.1",
        "172.20.120.0/24 via 10.10.10.3",
        "172.20.130.0/24 via 10.10.10.3",
      ],
      h3: [
        "172.20.100.0/24 via 10.10.10.1",
        "172.20.112.0/24 via 10.10.10.1",
        "172.20.113.0/24 via 10.10.10.2",
      ],
    });
    assert.deepEqual(plan.hosts[2].routed!.peerSources, [
      "10.10.10.0/24",
      "172.20.100.0/24",
      "172.20.112.0/24",
      "172.20.113.0/24",
    ]);
    assert.deepEqual(plan.hosts[2].routed!.localSubnets, ["172.20.120.0/24", "172.20.130.0/24"]);
    // Only libvirt bridges of non-bridge networks get an rp_filter sysctl; h3 has none.
    assert.deepEqual(
      plan.hosts[2].sysctls.map((x) => x.key),
      [
        "net/ipv4/ip_forward",
        "net/ipv4/conf/all/rp_filter",
        "net/ipv4/conf/default/rp_filter",
        "net/ipv4/conf/eth0/rp_filter",
      ],
    );
  });
});

/** Kubernetes' own ports, listed before the CNI's (pinned in the last test). */
const BASE_PORTS = 10;

describe("ports per CNI mode", () => {
  const show = (rules: ReturnType<typeof cniPorts>) =>
    rules.map((r) => (r.from === undefined ? r.protocol : `${r.protocol}/${r.from}`));
  const table: [string, "calico" | "cilium" | "flannel", string, string[]][] = [
    ["Calico IPIP: protocol 4 and BGP", "calico", "IPIP", ["tcp/5473", "4", "tcp/179"]],
    [
      "Calico IPIPCrossSubnet: protocol 4 and BGP",
      "calico",
      "IPIPCrossSubnet",
      ["tcp/5473", "4", "tcp/179"],
    ],
    ["Calico VXLAN: UDP 4789, no BGP", "calico", "VXLAN", ["tcp/5473", "udp/4789"]],
    ["Calico VXLANCrossSubnet: UDP 4789", "calico", "VXLANCrossSubnet", ["tcp/5473", "udp/4789"]],
    ["Calico None: BGP only", "calico", "None", ["tcp/5473", "tcp/179"]],
    ["Cilium tunnel-vxlan: UDP 8472", "cilium", "tunnel-vxlan", ["tcp/4240", "udp/8472"]],
    ["Cilium tunnel-geneve: UDP 6081", "cilium", "tunnel-geneve", ["tcp/4240", "udp/6081"]],
    ["Cilium native: health only", "cilium", "native", ["tcp/4240"]],
    ["Flannel vxlan: UDP 8472", "flannel", "vxlan", ["udp/8472"]],
    ["Flannel host-gw: nothing extra", "flannel", "host-gw", []],
  ];
  for (const [name, plugin, mode, expected] of table) {
    it(name, () => {
      const rules = cniPorts({ plugin, mode });
      assert.deepEqual(show(rules), expected);
      for (const r of rules)
        assert.deepEqual([r.source, r.roles], ["cluster", ["control-plane", "worker"]]);
      const plan = load(vxlanLab((s) => (s.kubernetes!.cni = { plugin, mode })));
      assert.deepEqual(plan.ports, nodePorts({ plugin, mode }));
      assert.deepEqual(show(plan.ports.slice(BASE_PORTS)), expected);
      assert.equal(
        plan.ports.some((r) => r.protocol === "4"),
        plugin === "calico" && mode.startsWith("IPIP"),
      );
    });
  }

  it("the Kubernetes base ports come first, admin-scoped only for SSH, the API and NodePorts", () => {
    const base = nodePorts({ plugin: "flannel", mode: "host-gw" });
    assert.deepEqual(
      base.map((r) => `${r.protocol}/${r.from ?? "-"}-${r.to ?? "-"} ${r.source}`),
      [
        "tcp/22-22 admin",
        "tcp/6443-6443 admin",
        "tcp/6443-6443 cluster",
        "tcp/2379-2380 cluster",
        "tcp/10250-10250 cluster",
        "tcp/10256-10256 cluster",
        "tcp/10257-10257 cluster",
        "tcp/10259-10259 cluster",
        "tcp/30000-32767 admin",
        "icmp/--- cluster",
      ],
    );
  });
});
