// Pulumi.lab-b.yaml through the mock runtime: kubernetes.deploy false plans the cluster (the
// security groups carry Calico IPIP's protocol-4 rule, the pod MTU is planned) but registers
// only the OpenStack layer, no kubeadm or CNI resource. One render per process.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { describe, it } from "node:test";
import { renderLab } from "../../scripts/render";
import type { RegisteredResource } from "../../scripts/resources";

describe("lab-b: Kubernetes planned, not deployed", async () => {
  const out = mkdtempSync(join(tmpdir(), "lf-lab-b-"));
  const result = await renderLab(resolve(__dirname, "../../Pulumi.lab-b.yaml"), out);
  const resources = JSON.parse(
    readFileSync(join(out, "resources.json"), "utf8"),
  ) as RegisteredResource[];

  it("renders", () => assert.equal(result.ok, true, result.report));

  it("registers the OpenStack layer and nothing of kubeadm or the CNI", () => {
    const types = new Set(resources.map((r) => r.type));
    assert.ok(types.has("openstack:compute/instance:Instance"));
    assert.ok(types.has("openstack:networking/floatingIpAssociate:FloatingIpAssociate"));
    for (const t of types)
      assert.doesNotMatch(t, /^(kubernetes:|command:|labfabric:(kubernetes|cni):)/, t);
  });

  it("still plans the cluster's rules: IP protocol 4 from the cluster group", () => {
    const rules = resources.filter(
      (r) => r.type === "openstack:networking/secGroupRule:SecGroupRule",
    );
    assert.ok(
      rules.some((r) => r.inputs.protocol === "4"),
      JSON.stringify(rules.map((r) => r.name)),
    );
  });
});
