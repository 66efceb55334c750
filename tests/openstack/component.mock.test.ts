// The OpenStack layer under Pulumi mocks: every registered resource is recorded and checked
// like a policy (which rules exist, what they let in, what each port and instance carries).
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { formatReport } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { planLab, type LabPlan } from "../../components/plan/plan";
import { labSpecSchema } from "../../components/spec/schema";
import { B, D, TEST_PUBLIC_KEY, plan, rawScenario, withCni, type Raw } from "./fixtures";
import { T, calls, childrenOf, installMocks, registered, settle, value } from "./mocks";

type ComponentModule = typeof import("../../components/openstack/component");
let mod: ComponentModule;

before(async () => {
  await installMocks();
  mod = await import("../../components/openstack/component");
});

async function build(name: string, p: LabPlan, provider?: import("@pulumi/openstack").Provider) {
  const layer = new mod.OpenstackLayer(name, { plan: p.openstack, provider });
  await Promise.all(layer.instances.map((i) => value(i.instanceId)));
  await settle();
  return layer;
}

const inputs = (name: string, type: string) => childrenOf(name, type).map((r) => r.inputs);
const byName = (name: string, resource: string) => {
  const r = registered.find((x) => x.name === resource);
  assert.ok(r, `${resource} registered (layer ${name})`);
  return r;
};

describe("scenario B: four instances, Calico IPIP", () => {
  const name = "b";
  let layer: InstanceType<ComponentModule["OpenstackLayer"]>;
  before(async () => {
    layer = await build(name, plan(B));
  });

  it("registers the expected resources: the keypair from the lab key, none for the adopted flavor", () => {
    const count = (t: string) => childrenOf(name, t).length;
    assert.deepEqual(Object.fromEntries(Object.entries(T).map(([k, t]) => [k, count(t)])), {
      flavor: 0,
      keypair: 1,
      instance: 4,
      group: 3,
      rule: 13,
      port: 4,
      fip: 1,
      fipAssoc: 1,
      provider: 0,
    });
    assert.ok(calls.some((c) => c.token.endsWith("getFlavor") && c.inputs.name === "m1.large"));
    // The stack carries the lab's public key, so the keypair is created from it, not looked up.
    assert.ok(!calls.some((c) => c.token.endsWith("getKeypair")));
    assert.match(String(inputs(name, T.keypair)[0].publicKey), /^ssh-ed25519 /);
    assert.ok(
      calls.some(
        (c) =>
          c.token.endsWith("getImage") &&
          c.inputs.name === "Rocky Linux 9 Generic Cloud" &&
          c.inputs.mostRecent === true,
      ),
    );
  });

  it("allows IP protocol 4 from the cluster group, on the cluster group", () => {
    const ipip = inputs(name, T.rule).filter((r) => r.protocol === "4");
    assert.deepEqual(ipip, [
      {
        securityGroupId: "b-sg-cluster-id",
        direction: "ingress",
        ethertype: "IPv4",
        protocol: "4",
        remoteGroupId: "b-sg-cluster-id",
        description: "Calico IPIP (IP protocol 4) from the cluster",
      },
    ]);
  });

  it("makes every rule IPv4 ingress with one remote, none of them 0.0.0.0/0", () => {
    for (const r of inputs(name, T.rule)) {
      assert.equal(r.direction, "ingress");
      assert.equal(r.ethertype, "IPv4");
      assert.equal((r.remoteGroupId === undefined) !== (r.remoteIpPrefix === undefined), true);
      assert.notEqual(r.remoteIpPrefix, "0.0.0.0/0");
      if (r.remoteGroupId !== undefined) assert.equal(r.remoteGroupId, "b-sg-cluster-id");
    }
  });

  it("creates each port with its fixed IP, subnet and role groups, without address pairs", () => {
    assert.deepEqual(byName(name, "b-port-k8s-cp-nic0").inputs, {
      name: "b-openstack-calico-k8s-cp-nic0",
      networkId: "net-k8s-net",
      fixedIps: [{ subnetId: "subnet-10.100.200.0/24", ipAddress: "10.100.200.10" }],
      portSecurityEnabled: true,
      securityGroupIds: ["b-sg-cluster-id", "b-sg-control-plane-id"],
    });
    assert.deepEqual(byName(name, "b-port-k8s-w3-nic0").inputs.securityGroupIds, [
      "b-sg-cluster-id",
      "b-sg-worker-id",
    ]);
  });

  it("boots each instance from its port, flavor, image and keypair", () => {
    const cp = byName(name, "b-instance-k8s-cp").inputs;
    assert.deepEqual(
      { ...cp, userData: undefined },
      {
        name: "k8s-cp",
        flavorId: "flavor-m1.large",
        imageId: "image-Rocky Linux 9 Generic Cloud",
        keyPair: "k8s-lab",
        networks: [{ port: "b-port-k8s-cp-nic0-id" }],
        metadata: { "labfabric-lab": "b-openstack-calico", "labfabric-role": "control-plane" },
        userData: undefined,
      },
    );
    assert.match(String(cp.userData), /^#cloud-config\nhostname: k8s-cp\n/);
  });

  it("associates the floating IP with the control plane's port", () => {
    assert.deepEqual(inputs(name, T.fip), [
      { pool: "public", description: "labfabric b-openstack-calico: k8s-cp-nic0" },
    ]);
    assert.deepEqual(inputs(name, T.fipAssoc), [
      { floatingIp: "203.0.113.1", portId: "b-port-k8s-cp-nic0-id" },
    ]);
  });

  it("hands on one NodeOutput per node, node-ip from the first NIC", async () => {
    assert.deepEqual(
      layer.nodes.map((n) => [n.name, n.role, n.source, n.mtu, n.ssh.user, n.ssh.port, n.host]),
      [
        ["k8s-cp", "control-plane", "instance", 1450, "lab", 22, undefined],
        ["k8s-w1", "worker", "instance", 1450, "lab", 22, undefined],
        ["k8s-w2", "worker", "instance", 1450, "lab", 22, undefined],
        ["k8s-w3", "worker", "instance", 1450, "lab", 22, undefined],
      ],
    );
    assert.equal(await value(layer.nodes[0].address), "10.100.200.10");
    assert.deepEqual(await value(layer.nodes[0].addresses), { "k8s-net": "10.100.200.10" });
    assert.equal(await value(layer.nodes[0].publicAddress!), "203.0.113.1");
    assert.equal(layer.nodes[1].publicAddress, undefined);
    assert.equal(await value(layer.instances[3].nodeAddress), "10.100.200.13");
    assert.equal(await value(layer.securityGroupIds.cluster!), "b-sg-cluster-id");
    assert.equal(layer.rules.length, 13);
  });
});

describe("CNI variants on scenario B", () => {
  it("VXLAN gets UDP 4789 from the cluster group and no IP protocol 4 rule", async () => {
    await build("bvx", plan(B, withCni("calico", "VXLAN")));
    const rules = inputs("bvx", T.rule);
    assert.deepEqual(
      rules.filter((r) => r.protocol === "4"),
      [],
    );
    assert.deepEqual(
      rules.filter((r) => r.protocol === "udp").map((r) => [r.portRangeMin, r.remoteGroupId]),
      [[4789, "bvx-sg-cluster-id"]],
    );
  });

  for (const [plugin, mode, port] of [
    ["cilium", "tunnel-vxlan", 8472],
    ["cilium", "tunnel-geneve", 6081],
    ["flannel", "vxlan", 8472],
  ] as const) {
    it(`${plugin} ${mode} gets UDP ${port} and no IP protocol 4 rule`, async () => {
      const name = `b-${plugin}-${mode}`;
      await build(name, plan(B, withCni(plugin, mode)));
      const rules = inputs(name, T.rule);
      assert.equal(
        rules.some((r) => r.protocol === "4"),
        false,
      );
      assert.deepEqual(
        rules.filter((r) => r.protocol === "udp").map((r) => [r.portRangeMin, r.portRangeMax]),
        [[port, port]],
      );
    });
  }

  it("native routing with allowedAddressPairs puts the pod and service CIDRs on node ports", async () => {
    await build(
      "bnat",
      plan(B, withCni("calico", "IPIPCrossSubnet", { allowedAddressPairs: true })),
    );
    for (const port of inputs("bnat", T.port)) {
      assert.deepEqual(port.allowedAddressPairs, [
        { ipAddress: "172.16.0.0/16" },
        { ipAddress: "10.32.0.0/16" },
      ]);
    }
  });

  it("encapsulated modes carry no address pairs", async () => {
    await build("benc", plan(B, withCni("calico", "IPIP", { allowedAddressPairs: true })));
    for (const port of inputs("benc", T.port)) assert.equal(port.allowedAddressPairs, undefined);
  });

  it("an extraIngress entry is the only rule open to 0.0.0.0/0", async () => {
    await build(
      "bx",
      plan(B, (raw) => {
        raw.openstack.extraIngress = [{ protocol: "tcp", port: 443, cidr: "0.0.0.0/0" }];
      }),
    );
    assert.deepEqual(
      inputs("bx", T.rule).filter((r) => r.remoteIpPrefix === "0.0.0.0/0"),
      [
        {
          securityGroupId: "bx-sg-cluster-id",
          direction: "ingress",
          ethertype: "IPv4",
          protocol: "tcp",
          portRangeMin: 443,
          portRangeMax: 443,
          remoteIpPrefix: "0.0.0.0/0",
          description: "openstack.extraIngress[0]: asked for explicitly",
        },
      ],
    );
  });
});

describe("scenario D: two-NIC workers on ext-net and private-net", () => {
  const name = "d";
  let layer: InstanceType<ComponentModule["OpenstackLayer"]>;
  before(async () => {
    layer = await build(
      name,
      plan(D, (raw) => {
        raw.sshPublicKey = TEST_PUBLIC_KEY;
      }),
    );
  });

  it("manages the k8s.worker flavor: 3 vCPU, 3072 MiB, 18 GiB", () => {
    assert.deepEqual(inputs(name, T.flavor), [
      { name: "k8s.worker", vcpus: 3, ram: 3072, disk: 18 },
    ]);
  });

  it("creates the keypair from the lab's public key", () => {
    assert.deepEqual(inputs(name, T.keypair), [{ name: "mykey", publicKey: TEST_PUBLIC_KEY }]);
  });

  it("gives each worker two ports and associates the floating IP with the private-net port", () => {
    for (const w of ["k8s-worker-1", "k8s-worker-2"]) {
      const inst = byName(name, `d-instance-${w}`).inputs;
      assert.deepEqual(inst.networks, [
        { port: `d-port-${w}-nic0-id` },
        { port: `d-port-${w}-nic1-id` },
      ]);
      assert.equal((inst.metadata as Record<string, string>).auto_start, "true");
      assert.equal(inst.flavorId, "d-flavor-k8s.worker-id");
      assert.equal(inst.keyPair, "mykey");
      assert.equal(byName(name, `d-port-${w}-nic0`).inputs.networkId, "net-ext-net");
      assert.equal(byName(name, `d-port-${w}-nic1`).inputs.networkId, "net-private-net");
    }
    assert.deepEqual(
      inputs(name, T.fipAssoc)
        .map((r) => r.portId)
        .sort(),
      ["d-port-k8s-worker-1-nic1-id", "d-port-k8s-worker-2-nic1-id"],
    );
    assert.deepEqual(
      inputs(name, T.fip).map((r) => r.pool),
      ["ext-net", "ext-net"],
    );
  });

  it("routes to the kubernetes-host NAT in user data", () => {
    const ud = String(byName(name, "d-instance-k8s-worker-1").inputs.userData);
    assert.match(ud, /ip route replace 172\.20\.112\.0\/24 via 192\.168\.100\.1 dev "\$dev"/);
    assert.match(ud, /ip link set dev "\$dev" mtu 1450/);
    assert.match(ud, /swapoff/);
  });

  it("lets the libvirt control plane reach the workers' kubelet and Flannel VXLAN", () => {
    const fromMaster = inputs(name, T.rule).filter((r) => r.remoteIpPrefix === "172.20.112.101/32");
    // Registration order follows Output resolution, not plan order: compare sorted.
    assert.deepEqual(fromMaster.map((r) => `${r.protocol}/${r.portRangeMin ?? "all"}`).sort(), [
      "icmp/all",
      "tcp/10250",
      "tcp/10256",
      "udp/8472",
    ]);
  });

  it("hands on workers with the ext-net address as node-ip and the floating IP as public", async () => {
    const [w1] = layer.nodes;
    assert.deepEqual(
      [w1.name, w1.role, w1.host, w1.mtu],
      ["k8s-worker-1", "worker", "openstack-host", 1500],
    );
    const addresses = await value(w1.addresses);
    assert.deepEqual(Object.keys(addresses), ["ext-net", "private-net"]);
    assert.match(addresses["ext-net"], /^192\.168\.100\.\d+$/);
    assert.match(addresses["private-net"], /^10\.0\.0\.\d+$/);
    assert.equal(await value(w1.address), addresses["ext-net"]);
    assert.match(await value(w1.publicAddress!), /^203\.0\.113\.\d+$/);
  });
});

describe("refusals happen before anything is created", () => {
  // loadLab validates the plan before any layer exists; the layer only checks its own slice.
  const refusal = (adjust: (raw: Raw) => void): string => {
    const raw = rawScenario(B);
    adjust(raw);
    const result = loadLab(raw, B);
    assert.equal(result.ok, false, "expected the lab to be refused");
    return result.ok ? "" : formatReport(result.findings.filter((f) => f.severity === "error"));
  };

  it("fails for Calico IPIPCrossSubnet with port security and no address pairs", () => {
    const report = refusal(withCni("calico", "IPIPCrossSubnet"));
    assert.ok(report.includes('ERROR labfabric:kubernetes.cni.mode = "IPIPCrossSubnet"'), report);
    assert.ok(report.includes('use mode "IPIP"'), report);
    assert.ok(report.includes("openstack.allowedAddressPairs: true"), report);
  });

  it("fails for a floating IP without a pool", () => {
    const report = refusal((raw) => {
      delete raw.openstack.floatingPool;
    });
    assert.match(report, /openstack\.instances\[0\]\.nics\[0\]\.floatingIp/);
  });

  it("fails for a slice whose floating IP has no pool, naming its own argument", async () => {
    const raw = rawScenario(B);
    delete raw.openstack.floatingPool;
    const p = planLab(labSpecSchema.parse(raw), B);
    assert.throws(
      () => new mod.OpenstackLayer("refused2", { plan: p.openstack }),
      (e: Error) =>
        e instanceof pulumi.ResourceError &&
        /^OpenstackLayer args\.plan is inconsistent: port .+ wants a floating IP/.test(e.message),
    );
    await settle();
    assert.deepEqual(childrenOf("refused2"), []);
  });
});
