// Pinned known results for the four seed scenarios and the dev lab, loaded from their stack
// files exactly as `render` and the program read them.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { loadLab } from "../../components/load";
import { load, loadStack, stackRaw, STACKS, W, warningsOf } from "./helpers";

const PUBLIC_A = W(
  "fabric.vmSubnet",
  '"12.12.139.0/24"',
  "is not a private range: inside the lab it shadows real hosts on the internet",
  "use a block from 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10",
);
const rp0 = (ifaces: string[]) => [
  { key: "net/ipv4/ip_forward", value: "1" },
  ...["all", "default", ...ifaces].map((i) => ({
    key: `net/ipv4/conf/${i}/rp_filter`,
    value: "0",
  })),
];
const cniRules = (plan: ReturnType<typeof load>) =>
  plan.ports.slice(10).map((r) => `${r.protocol}${r.from === undefined ? "" : `/${r.from}`}`);

describe("scenario A: two hosts, VXLAN stretch, Calico IPIP (seed 001)", () => {
  const plan = loadStack(STACKS.a);

  it("plans 1500 underlay -> VXLAN -> VM 1450 -> Calico IPIP pod 1430", () => {
    assert.deepEqual(
      plan.mtu.paths.map((p) => [p.name, p.layers.map((l) => l.mtu)]),
      [["host host1, host host2", [1500, 1450, 1450, 1430]]],
    );
    assert.deepEqual([plan.mtu.vmMtu, plan.mtu.podMtu, plan.cni?.mode], [1450, 1430, "IPIP"]);
  });

  it("plans the post's VXLAN: VNI 39, dstport 4789 on ens34f0, unicast remote to the peer", () => {
    assert.deepEqual(
      plan.hosts.map((h) => [
        h.host,
        h.vxlan?.vni,
        h.vxlan?.port,
        h.vxlan?.dev,
        h.vxlan?.local,
        h.vxlan?.remote,
        h.vxlan?.fdbPeers,
        h.vxlan?.bridge,
        h.vxlan?.bridgeAddress,
      ]),
      [
        [
          "host1",
          39,
          4789,
          "ens34f0",
          "192.168.0.23",
          "192.168.0.24",
          [],
          "br-vm",
          "12.12.139.1/24",
        ],
        [
          "host2",
          39,
          4789,
          "ens34f0",
          "192.168.0.24",
          "192.168.0.23",
          [],
          "br-vm",
          "12.12.139.2/24",
        ],
      ],
    );
    for (const h of plan.hosts) {
      assert.deepEqual(h.sysctls, rp0(["ens34f0", "br-vm", "vxlan-lf"]));
      assert.deepEqual(h.masquerade, {
        subnet: "12.12.139.0/24",
        outInterface: "ens34f0",
        bridge: "br-vm",
      });
    }
  });

  it("keeps the six VMs' addresses, each behind its own host's bridge", () => {
    assert.deepEqual(
      plan.vmNics.map((n) => `${n.vm}@${n.host} ${n.address} gw ${n.gateway}`),
      [
        "master-0@host1 12.12.139.11/24 gw 12.12.139.1",
        "master-1@host1 12.12.139.12/24 gw 12.12.139.1",
        "master-2@host2 12.12.139.13/24 gw 12.12.139.2",
        "worker-0@host1 12.12.139.21/24 gw 12.12.139.1",
        "worker-1@host2 12.12.139.22/24 gw 12.12.139.2",
        "worker-2@host2 12.12.139.23/24 gw 12.12.139.2",
      ],
    );
  });

  it("warns about exactly the public VM subnet", () => {
    assert.deepEqual(warningsOf(plan), [PUBLIC_A]);
  });

  const variants: [string, string, number, string[]][] = [
    ["cilium", "tunnel-vxlan", 1400, ["tcp/4240", "udp/8472"]],
    ["cilium", "tunnel-geneve", 1400, ["tcp/4240", "udp/6081"]],
    ["flannel", "vxlan", 1400, ["udp/8472"]],
    ["calico", "VXLAN", 1400, ["tcp/5473", "udp/4789"]],
  ];
  for (const [plugin, mode, pod, ports] of variants) {
    it(`the same spec with ${plugin} ${mode}: VM 1450, pod ${pod}`, () => {
      const raw = stackRaw(STACKS.a);
      const k = raw.kubernetes as { cni: unknown };
      k.cni = { plugin, mode };
      const r = load(raw, "a-vxlan-stretch");
      assert.deepEqual([r.mtu.vmMtu, r.mtu.podMtu], [1450, pod]);
      assert.deepEqual(cniRules(r), ports);
    });
  }
});

describe("scenario B: OpenStack instances, Calico IPIP (seed 002)", () => {
  const plan = loadStack(STACKS.b);

  it("plans the 1450 instance network -> Calico IPIP pod 1430", () => {
    assert.deepEqual(
      plan.mtu.paths.map((p) => [p.name, p.key, p.layers.map((l) => l.mtu)]),
      [["OpenStack k8s-net", "openstack.networks[0].mtu", [1450, 1450, 1430]]],
    );
    assert.equal(plan.mtu.podMtu, 1430);
  });

  it("plans IP protocol 4 from the cluster's own group, and says why", () => {
    const proto4 = plan.ports.filter((r) => r.protocol === "4");
    assert.deepEqual(proto4, [
      {
        protocol: "4",
        source: "cluster",
        roles: ["control-plane", "worker"],
        why: "Calico IPIP (IP protocol 4)",
      },
    ]);
    assert.deepEqual(cniRules(plan), ["tcp/5473", "4", "tcp/179"]);
    assert.ok(plan.cni!.reasons.some((r) => r.startsWith("calico IPIP Always on OpenStack")));
    assert.deepEqual([plan.cni?.mode, plan.cni?.native, plan.nodes.length], ["IPIP", false, 4]);
    // The instances' host keys are learned on first use (the stack sets it explicitly).
    assert.deepEqual(
      plan.warnings.map((w) => w.path),
      ["sshHostKeys"],
    );
  });

  it("refuses the post's first attempt, IPIPCrossSubnet with port security", () => {
    const raw = stackRaw(STACKS.b);
    (raw.kubernetes as { cni: { mode: string } }).cni.mode = "IPIPCrossSubnet";
    const r = loadLab(raw, "b-openstack-calico");
    assert.equal(r.ok, false);
    assert.deepEqual(r.ok ? [] : r.findings.map((f) => f.path), [
      "kubernetes.cni.mode",
      "sshHostKeys",
    ]);
  });
});

describe("scenario C: nodes in two L3 subnets, Cilium (seed 003)", () => {
  const plan = loadStack(STACKS.c);

  it("switches Cilium from native to tunnel-vxlan with the warning", () => {
    assert.deepEqual(
      [plan.cni?.requestedMode, plan.cni?.mode, plan.cni?.encapsulation],
      ["native", "tunnel-vxlan", "vxlan"],
    );
    assert.deepEqual(warningsOf(plan), [
      W(
        "kubernetes.cni.mode",
        '"native"',
        "native routing with nodes in 2 L3 subnets (192.168.10.0/24, 192.168.20.0/24): autoDirectNodeRoutes only reaches nodes on the same L2 segment; switched to tunnel-vxlan",
        'set mode "tunnel-vxlan" explicitly to silence this',
      ),
    ]);
  });

  it("plans pod MTU 1450 and UDP 8472 between nodes", () => {
    assert.equal(plan.mtu.podMtu, 1450);
    for (const p of plan.mtu.paths)
      assert.deepEqual(
        p.layers.map((l) => l.mtu),
        [1500, 1450],
      );
    assert.deepEqual(cniRules(plan), ["tcp/4240", "udp/8472"]);
    assert.deepEqual(plan.hosts, []);
  });
});

describe("scenario D: libvirt NAT networks joined by static routes, Flannel (seed 004)", () => {
  const plan = loadStack(STACKS.d);

  it("plans routed hosts: VM 1500, Flannel pod 1450", () => {
    assert.deepEqual([plan.mtu.fabricOverhead, plan.mtu.vmMtu, plan.mtu.podMtu], [0, 1500, 1450]);
    assert.deepEqual(
      plan.hosts.map((h) => h.mode),
      ["routed", "routed"],
    );
  });

  it("routes each NAT subnet via the peer's internal address", () => {
    assert.deepEqual(
      plan.hosts.map((h) => h.routed?.routes),
      [
        [{ to: "192.168.100.0/24", via: "10.10.10.2", peer: "openstack-host" }],
        [{ to: "172.20.112.0/24", via: "10.10.10.1", peer: "kubernetes-host" }],
      ],
    );
    assert.deepEqual(
      plan.hosts.map((h) => h.routed?.peerSources),
      [
        ["10.10.10.0/24", "192.168.100.0/24"],
        ["10.10.10.0/24", "172.20.112.0/24"],
      ],
    );
    assert.deepEqual(plan.hosts[0].sysctls, rp0(["eno1", "virbr10"]));
    assert.deepEqual(plan.hosts[1].sysctls, rp0(["eno1", "virbr1"]));
  });

  it("gives the master VM its reservation (MAC and address) and passes 10.244.0.0/16 to kubeadm and Flannel", () => {
    assert.deepEqual(
      plan.vmNics.map((n) => [n.vm, n.mac, n.address, n.gateway, n.bridge]),
      [["master", "52:54:00:6b:3c:58", "172.20.112.101/24", "172.20.112.1", "virbr10"]],
    );
    assert.deepEqual(
      [plan.cni?.podSubnet, plan.cni?.podSubnetFromDefault],
      ["10.244.0.0/16", false],
    );
    assert.deepEqual(cniRules(plan), ["udp/8472"]);
    assert.deepEqual(
      plan.warnings.map((w) => w.path),
      ["sshHostKeys"],
    );
  });
});

describe("dev: three namespace hosts on a VXLAN mesh", () => {
  const plan = loadStack(STACKS.dev);

  it("plans an FDB full mesh with no remote, VM MTU 1450, no Kubernetes", () => {
    assert.deepEqual(
      plan.hosts.map((h) => [h.host, h.vxlan?.remote, h.vxlan?.fdbPeers, h.vxlan?.mtu, h.root]),
      [
        ["lf-h1", undefined, ["10.250.0.12", "10.250.0.13"], 1450, "/run/labfabric-lab/lf-h1"],
        ["lf-h2", undefined, ["10.250.0.11", "10.250.0.13"], 1450, "/run/labfabric-lab/lf-h2"],
        ["lf-h3", undefined, ["10.250.0.11", "10.250.0.12"], 1450, "/run/labfabric-lab/lf-h3"],
      ],
    );
    assert.deepEqual(
      [plan.mtu.vmMtu, plan.mtu.podMtu, plan.cni, plan.ports],
      [1450, undefined, undefined, []],
    );
  });

  it("has no warnings", () => {
    assert.deepEqual(warningsOf(plan), []);
  });
});
