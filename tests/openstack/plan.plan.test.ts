// The pure OpenStack planner: security rules from plan.ports + plan.cni, ports, address pairs,
// routes and cloud-init, on scenarios B and D loaded from their stack files.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { planOpenstack, type OpenstackPlan } from "../../components/plan/openstack/plan";
import { validateOpenstack } from "../../components/validate/openstack";
import { EXPECTED_WORKER_1 } from "./expected-userdata";
import { B, D, TEST_PUBLIC_KEY, plan, withCni } from "./fixtures";

const rule = (p: OpenstackPlan, protocol: string, port?: number) =>
  p.rules.filter((r) => r.protocol === protocol && r.portRangeMin === port);

describe("security rules, scenario B (Calico IPIP Always)", () => {
  const os = planOpenstack(plan(B));

  it("pins the planned rule list", () => {
    assert.deepEqual(
      os.rules.map((r) => r.key),
      [
        "cluster-tcp-22-from-192.168.0.0_24",
        "cluster-tcp-10250-from-cluster",
        "cluster-tcp-10256-from-cluster",
        "cluster-icmp-all-from-cluster",
        "cluster-tcp-5473-from-cluster",
        "cluster-4-all-from-cluster",
        "cluster-tcp-179-from-cluster",
        "control-plane-tcp-6443-from-192.168.0.0_24",
        "control-plane-tcp-6443-from-cluster",
        "control-plane-tcp-2379-2380-from-cluster",
        "control-plane-tcp-10257-from-cluster",
        "control-plane-tcp-10259-from-cluster",
        "worker-tcp-30000-32767-from-192.168.0.0_24",
      ],
    );
  });

  it("plans one cluster group and one group per role present", () => {
    assert.deepEqual(
      os.groups.map((g) => g.name),
      [
        "b-openstack-calico-cluster",
        "b-openstack-calico-control-plane",
        "b-openstack-calico-worker",
      ],
    );
  });

  it("allows IP protocol 4 (not 'ipip') from the cluster group only", () => {
    const ipip = rule(os, "4");
    assert.equal(ipip.length, 1);
    assert.deepEqual(
      { group: ipip[0].group, remoteGroup: ipip[0].remoteGroup, prefix: ipip[0].remoteIpPrefix },
      { group: "cluster", remoteGroup: "cluster", prefix: undefined },
    );
    assert.equal(
      os.rules.some((r) => (r.protocol as string) === "ipip"),
      false,
    );
  });

  it("opens SSH and the API server to the admin CIDR only", () => {
    for (const port of [22, 6443]) {
      const fromCidr = rule(os, "tcp", port).filter((r) => r.remoteIpPrefix);
      assert.deepEqual(
        fromCidr.map((r) => r.remoteIpPrefix),
        ["192.168.0.0/24"],
      );
    }
  });

  it("puts control-plane and worker ports on their role group", () => {
    assert.deepEqual(
      rule(os, "tcp", 2379).map((r) => r.group),
      ["control-plane"],
    );
    assert.deepEqual(
      rule(os, "tcp", 30000).map((r) => r.group),
      ["worker"],
    );
    const cp = os.instances.find((i) => i.name === "k8s-cp")!;
    const w1 = os.instances.find((i) => i.name === "k8s-w1")!;
    assert.deepEqual(cp.ports[0].groups, ["cluster", "control-plane"]);
    assert.deepEqual(w1.ports[0].groups, ["cluster", "worker"]);
  });

  it("gives every rule exactly one remote, and the remote group is always the cluster group", () => {
    for (const r of os.rules) {
      assert.equal((r.remoteGroup === undefined) !== (r.remoteIpPrefix === undefined), true, r.key);
      if (r.remoteGroup) assert.equal(r.remoteGroup, "cluster");
    }
  });
});

describe("CNI rules per plugin and mode", () => {
  const cases: {
    plugin: string;
    mode: string;
    extra?: Record<string, unknown>;
    udp?: number;
    ipip: boolean;
    bgp: boolean;
  }[] = [
    { plugin: "calico", mode: "IPIP", ipip: true, bgp: true },
    {
      plugin: "calico",
      mode: "IPIPCrossSubnet",
      extra: { allowedAddressPairs: true },
      ipip: true,
      bgp: true,
    },
    { plugin: "calico", mode: "VXLAN", udp: 4789, ipip: false, bgp: false },
    {
      plugin: "calico",
      mode: "VXLANCrossSubnet",
      extra: { allowedAddressPairs: true },
      udp: 4789,
      ipip: false,
      bgp: false,
    },
    {
      plugin: "calico",
      mode: "None",
      extra: { allowedAddressPairs: true },
      ipip: false,
      bgp: true,
    },
    { plugin: "cilium", mode: "tunnel-vxlan", udp: 8472, ipip: false, bgp: false },
    { plugin: "cilium", mode: "tunnel-geneve", udp: 6081, ipip: false, bgp: false },
    {
      plugin: "cilium",
      mode: "native",
      extra: { allowedAddressPairs: true },
      ipip: false,
      bgp: false,
    },
    { plugin: "flannel", mode: "vxlan", udp: 8472, ipip: false, bgp: false },
    {
      plugin: "flannel",
      mode: "host-gw",
      extra: { allowedAddressPairs: true },
      ipip: false,
      bgp: false,
    },
  ];
  for (const c of cases) {
    it(`${c.plugin} ${c.mode}: IPIP ${c.ipip ? "allowed" : "absent"}, UDP ${c.udp ?? "none"}, BGP ${c.bgp ? "allowed" : "absent"}`, () => {
      const os = planOpenstack(plan(B, withCni(c.plugin, c.mode, c.extra)));
      const ipip = rule(os, "4");
      assert.equal(ipip.length, c.ipip ? 1 : 0);
      if (c.ipip) assert.equal(ipip[0].remoteGroup, "cluster");
      const udp = os.rules.filter((r) => r.protocol === "udp");
      assert.deepEqual(
        udp.map((r) => [r.portRangeMin, r.portRangeMax, r.remoteGroup]),
        c.udp ? [[c.udp, c.udp, "cluster"]] : [],
      );
      assert.equal(rule(os, "tcp", 179).length, c.bgp ? 1 : 0);
    });
  }
});

describe("allowed-address-pairs", () => {
  const pairsOf = (os: OpenstackPlan) =>
    os.instances.map((i) => i.ports.map((p) => p.allowedAddressPairs));

  it("are planned on each node's first port in native mode with allowedAddressPairs", () => {
    const os = planOpenstack(
      plan(B, withCni("calico", "IPIPCrossSubnet", { allowedAddressPairs: true })),
    );
    assert.deepEqual(pairsOf(os), Array(4).fill([["172.16.0.0/16", "10.32.0.0/16"]]));
    assert.match(
      os.reasons.join("\n"),
      /allowed-address-pairs.*alternative to encapsulating pod traffic/,
    );
  });

  for (const [plugin, mode] of [
    ["calico", "IPIP"],
    ["calico", "VXLAN"],
    ["cilium", "tunnel-vxlan"],
    ["flannel", "vxlan"],
  ]) {
    it(`are not planned for ${plugin} ${mode} (encapsulated), even when asked for`, () => {
      const p = plan(B, withCni(plugin, mode, { allowedAddressPairs: true }));
      assert.deepEqual(pairsOf(planOpenstack(p)), Array(4).fill([[]]));
      assert.deepEqual(
        validateOpenstack(p)
          .filter((f) => f.path === "openstack.allowedAddressPairs")
          .map((f) => f.message),
        [
          `has no effect: ${plugin} ${mode} encapsulates pod traffic, so pod IPs never reach Neutron ports`,
        ],
      );
    });
  }

  it("are not planned with port security off (nothing to pass)", () => {
    const os = planOpenstack(
      plan(B, withCni("calico", "None", { allowedAddressPairs: true, portSecurity: false })),
    );
    assert.deepEqual(pairsOf(os), Array(4).fill([[]]));
    assert.deepEqual(os.groups, []);
    assert.deepEqual(os.rules, []);
    assert.equal(os.instances[0].ports[0].portSecurity, false);
  });
});

describe("no rule opens 0.0.0.0/0 unless extraIngress asks for it", () => {
  const modes = [
    ["calico", "IPIP", false],
    ["calico", "VXLAN", false],
    ["calico", "None", true],
    ["cilium", "tunnel-geneve", false],
    ["cilium", "native", true],
    ["flannel", "vxlan", false],
  ] as const;
  const ingress = fc.record({
    protocol: fc.constantFrom("tcp", "udp"),
    port: fc.integer({ min: 1, max: 65535 }),
    cidr: fc.constantFrom("0.0.0.0/0", "198.51.100.0/24", "203.0.113.7/32"),
  });
  it("holds for any CNI mode, admin CIDR and extraIngress list (property)", () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...modes),
        fc.constantFrom("192.168.0.0/24", "10.0.0.0/8", "198.51.100.10/32"),
        fc.array(ingress, { maxLength: 4 }),
        ([plugin, mode, pairs], adminCidr, extraIngress) => {
          const p = plan(
            B,
            withCni(plugin, mode, { allowedAddressPairs: pairs, adminCidr, extraIngress }),
          );
          const open = planOpenstack(p).rules.filter((r) => r.remoteIpPrefix === "0.0.0.0/0");
          const asked = new Set(
            extraIngress
              .filter((x) => x.cidr === "0.0.0.0/0")
              .map((x) => `${x.protocol}/${x.port}`),
          );
          assert.deepEqual(new Set(open.map((r) => `${r.protocol}/${r.portRangeMin}`)), asked);
          for (const r of open) {
            assert.equal(r.group, "cluster");
            assert.equal(r.portRangeMin, r.portRangeMax);
            assert.match(r.description, /^openstack\.extraIngress\[\d+\]/);
          }
        },
      ),
      { numRuns: 60 },
    );
  });

  it("plans an explicit extraIngress entry as asked", () => {
    const os = planOpenstack(
      plan(B, (raw) => {
        raw.openstack.extraIngress = [{ protocol: "tcp", port: 443, cidr: "0.0.0.0/0" }];
      }),
    );
    assert.deepEqual(
      os.rules.find((r) => r.remoteIpPrefix === "0.0.0.0/0"),
      {
        key: "cluster-tcp-443-from-0.0.0.0_0",
        group: "cluster",
        protocol: "tcp",
        portRangeMin: 443,
        portRangeMax: 443,
        remoteIpPrefix: "0.0.0.0/0",
        description: "openstack.extraIngress[0]: asked for explicitly",
      },
    );
  });
});

describe("scenario D (libvirt + OpenStack, Flannel, routed)", () => {
  const p = plan(D, (raw) => {
    raw.sshPublicKey = TEST_PUBLIC_KEY;
  });
  const os = planOpenstack(p);

  it("plans the k8s.worker flavor as 3 vCPU / 3072 MiB / 18 GiB, managed", () => {
    assert.deepEqual(os.flavors, [
      { name: "k8s.worker", vcpus: 3, ramMiB: 3072, diskGiB: 18, adopt: false },
    ]);
  });

  it("gives each worker two ports, the floating IP on private-net, and keeps auto_start", () => {
    for (const inst of os.instances) {
      assert.deepEqual(
        inst.ports.map((x) => [x.network, x.cidr, x.mtu, x.floatingIp]),
        [
          ["ext-net", "192.168.100.0/24", 1500, false],
          ["private-net", "10.0.0.0/24", 1450, true],
        ],
      );
      assert.equal(inst.metadata.auto_start, "true");
    }
    assert.equal(os.floatingPool, "ext-net");
  });

  it("creates no control-plane group: the control plane is the libvirt VM", () => {
    assert.deepEqual(
      os.groups.map((g) => g.role),
      ["cluster", "worker"],
    );
  });

  it("admits the libvirt control plane (172.20.112.101) to every cluster rule", () => {
    const fromCluster = os.rules.filter((r) => r.remoteGroup === "cluster").map((r) => r.key);
    const fromMaster = os.rules
      .filter((r) => r.remoteIpPrefix === "172.20.112.101/32")
      .map((r) => r.key.replace("172.20.112.101_32", "cluster"));
    assert.deepEqual(fromMaster, fromCluster);
    assert.deepEqual(
      rule(os, "udp", 8472).map((r) => r.remoteGroup ?? r.remoteIpPrefix),
      ["cluster", "172.20.112.101/32"],
    );
  });

  it("routes the kubernetes-host NAT via the openstack-host libvirt gateway", () => {
    for (const inst of os.instances) {
      assert.deepEqual(inst.userData.routes, [
        { to: "172.20.112.0/24", via: "192.168.100.1", nicCidr: "192.168.100.0/24" },
      ]);
    }
  });

  it("uses the lab key: a managed keypair and the lab login user", () => {
    assert.deepEqual(os.keypair, { name: "mykey", publicKey: TEST_PUBLIC_KEY, adopt: false });
    assert.deepEqual(os.instances[0].userData.login, { user: "lab", publicKey: TEST_PUBLIC_KEY });
  });

  it("adopts the keypair by name when the lab has no public key, with a warning", () => {
    const bare = plan(D, (raw) => delete raw.sshPublicKey);
    assert.deepEqual(planOpenstack(bare).keypair, {
      name: "mykey",
      adopt: true,
      publicKey: undefined,
    });
    assert.deepEqual(
      validateOpenstack(bare).map((f) => [f.severity, f.path]),
      [["warning", "sshPublicKey"]],
    );
  });

  it("renders the pinned cloud-config for k8s-worker-1", () => {
    assert.equal(os.instances[0].userDataText, EXPECTED_WORKER_1);
  });
});

describe("without Kubernetes", () => {
  it("plans only SSH from the admin CIDR and ICMP inside the lab", () => {
    const os = planOpenstack(
      plan(B, (raw) => {
        raw.kubernetes = { enabled: false, cni: {} };
      }),
    );
    assert.deepEqual(
      os.rules.map((r) => r.key),
      ["cluster-tcp-22-from-192.168.0.0_24", "cluster-icmp-all-from-cluster"],
    );
    assert.deepEqual(
      os.groups.map((g) => g.role),
      ["cluster"],
    );
    assert.equal(os.instances[0].userData.swapOff, false);
  });
});
