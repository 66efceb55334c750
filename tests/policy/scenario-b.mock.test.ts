// Scenario B (OpenStack + Calico): the policy pack over the resources the program registers.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { policies } from "../../policy/policies";
import { runPack } from "./harness";
import { replaceOne, scenarioSuite } from "./scenario";

describe("policy pack on scenario B (Pulumi.b-openstack-calico.yaml)", () => {
  const s = scenarioSuite("Pulumi.b-openstack-calico.yaml", [
    "openstack:networking/secGroupRule:SecGroupRule",
    "openstack:compute/keypair:Keypair",
    "openstack:compute/instance:Instance",
    "pulumi:providers:kubernetes",
    "kubernetes:helm.sh/v3:Release",
  ]);

  it("catches an admin CIDR of 0.0.0.0/0 on the real SSH rule", async () => {
    const all = replaceOne(
      s.captured(),
      (c) =>
        c.type === "openstack:networking/secGroupRule:SecGroupRule" && /tcp-22-from-/.test(c.name),
      (p) => (p.remoteIpPrefix = "0.0.0.0/0"),
    );
    const found = await runPack(policies, all);
    assert.equal(found["no-world-open-ingress"].length, 1);
    assert.match(found["no-world-open-ingress"][0], /ingress tcp port 22 from 0\.0\.0\.0\/0/);
  });

  it("catches a kubeconfig handed to the provider in plain text", async () => {
    const all = replaceOne(
      s.captured(),
      (c) => c.type === "pulumi:providers:kubernetes",
      (p) => (p.kubeconfig = "apiVersion: v1\nkind: Config\n"),
    );
    const found = await runPack(policies, all);
    assert.deepEqual(found["secrets-stay-secret"], [
      "pulumi:providers:kubernetes cluster-provider: kubeconfig is stored in plain text.",
    ]);
  });

  it("catches Calico's pod MTU raised to the NIC MTU (IPIP needs 20 bytes more)", async () => {
    const all = replaceOne(
      s.captured(),
      (c) => c.type === "kubernetes:helm.sh/v3:Release",
      (p) => {
        const values = p.values as { installation: { calicoNetwork: { mtu: number } } };
        assert.equal(values.installation.calicoNetwork.mtu, 1430);
        values.installation.calicoNetwork.mtu = 1450;
      },
    );
    const found = await runPack(policies, all);
    assert.equal(found["mtu-consistent"].length, 1);
    assert.match(
      found["mtu-consistent"][0],
      /needs a node NIC of 1470 bytes, the smallest node NIC has 1450/,
    );
  });
});
