// Scenario D (routed libvirt + OpenStack + Flannel): the policy pack over the resources the
// program registers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Secret } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { runPack } from "./harness";
import { replaceOne, scenarioSuite } from "./scenario";

describe("policy pack on scenario D (Pulumi.d-libvirt-routed.yaml)", () => {
  const s = scenarioSuite("Pulumi.d-libvirt-routed.yaml", [
    "labfabric:host-fabric:HostFabric",
    "libvirt:index/network:Network",
    "libvirt:index/domain:Domain",
    "openstack:compute/instance:Instance",
    "kubernetes:helm.sh/v3:Release",
  ]);

  it("catches a fabric command whose connection key is in plain text", async () => {
    const all = replaceOne(
      s.captured(),
      (c) => c.name === "fabric-kubernetes-host-fabric",
      (p) => {
        assert.ok(p.connection instanceof Secret);
        p.connection = p.connection.value;
      },
    );
    const found = await runPack(policies, all);
    assert.deepEqual(found["secrets-stay-secret"], [
      "command:remote:Command fabric-kubernetes-host-fabric: connection.privateKey is stored in plain text.",
      "command:remote:Command fabric-kubernetes-host-fabric: connection.privateKey holds a PEM private key in plain text.",
    ]);
  });

  it("catches a join command that lost its delete (kubeadm reset)", async () => {
    const all = replaceOne(
      s.captured(),
      (c) => c.name === "cluster-k8s-worker-1-join",
      (p) => delete p.delete,
    );
    const found = await runPack(policies, all);
    assert.equal(found["remote-commands-have-delete"].length, 1);
    assert.match(
      found["remote-commands-have-delete"][0],
      /cluster-k8s-worker-1-join has no delete/,
    );
  });

  it("catches the NAT network, the VM NIC and Flannel each out of line with the rest", async () => {
    const net = replaceOne(
      s.captured(),
      (c) => c.type === "libvirt:index/network:Network",
      (p) => (p.mtu = 9000),
    );
    const netFound = (await runPack(policies, net))["mtu-consistent"];
    assert.equal(netFound.length, 2, netFound.join("\n"));
    assert.match(
      netFound[0],
      /libvirt network k8snat has MTU 9000, above the fabric's VM MTU 1500/,
    );
    assert.match(
      netFound[1],
      /VM master: NIC 0 has MTU 1500 in its cloud-init network-config, its libvirt network has 9000/,
    );

    const flannel = replaceOne(
      s.captured(),
      (c) => c.type === "kubernetes:helm.sh/v3:Release",
      (p) => {
        const values = p.values as { flannel: { mtu: number } };
        assert.equal(values.flannel.mtu, 1500); // device MTU: pod 1450 + 50
        values.flannel.mtu = 1550;
      },
    );
    const found = (await runPack(policies, flannel))["mtu-consistent"];
    assert.equal(found.length, 1);
    assert.match(
      found[0],
      /flannel flannel\.mtu \(device MTU\) = 1550 needs a node NIC of 1550 bytes/,
    );
  });
});
