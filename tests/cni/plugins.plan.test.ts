// The CNI plugin modules and the release's slice of the plan: every plugin the schema allows
// has a module whose defaults are its own modes, and the slice carries what the release needs
// (planned once by planLab), so the component never reads the spec.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { CNI_PLUGINS, modeRule } from "../../components/cni-plugins";
import { labSpecSchema } from "../../components/spec/schema";
import { planOf } from "../kubernetes/fixtures";

describe("CNI plugin modules", () => {
  it("cover exactly the plugins the schema allows", () => {
    const k8s = labSpecSchema.shape.kubernetes;
    const allowed = ["calico", "cilium", "flannel", "weave", "kube-router"].filter(
      (plugin) => k8s.safeParse({ cni: { plugin } }).success,
    );
    assert.deepEqual(Object.keys(CNI_PLUGINS).sort(), allowed);
    for (const [name, p] of Object.entries(CNI_PLUGINS)) assert.equal(p.name, name);
  });

  it("default to one of their own modes, one that encapsulates (works on any node network)", () => {
    for (const p of Object.values(CNI_PLUGINS)) {
      const rule = modeRule(p.name, p.defaultMode);
      assert.ok(rule, `${p.name} ${p.defaultMode}`);
      assert.equal(rule.native, false);
      assert.notEqual(rule.encapsulation, "none");
    }
  });

  it("mark as native exactly the modes without encapsulation or with CrossSubnet", () => {
    for (const p of Object.values(CNI_PLUGINS))
      for (const m of p.modes)
        assert.equal(
          m.native,
          m.encapsulation === "none" || m.name.endsWith("CrossSubnet"),
          m.name,
        );
  });
});

describe("the CNI release's slice (LabPlan.cniRelease)", () => {
  it("B: endpoint and every node address known from the plan, proof on", () => {
    const slice = planOf("b").cniRelease!;
    assert.deepEqual(slice.endpoint, { host: "10.100.200.10", port: 6443 });
    assert.equal(
      slice.nodes.every((n) => n.address),
      true,
    );
    assert.equal(slice.podMtu, 1430);
    assert.equal(slice.natOutgoing, true);
    assert.equal(slice.proof, true);
  });

  it("D: the OpenStack workers' addresses are left to creation", () => {
    const slice = planOf("d").cniRelease!;
    assert.deepEqual(
      slice.nodes.filter((n) => !n.address).map((n) => n.name),
      ["k8s-worker-1", "k8s-worker-2"],
    );
  });

  it("takes kubernetes.controlPlaneEndpoint over the first control plane's address", () => {
    const slice = planOf("c", (r) => {
      r.kubernetes.controlPlaneEndpoint = "api.lab.example:8443";
    }).cniRelease!;
    assert.deepEqual(slice.endpoint, { host: "api.lab.example", port: 8443 });
  });

  it("is absent when Kubernetes is off", () => {
    const plan = planOf("c", (r) => {
      r.kubernetes.enabled = false;
    });
    assert.equal("cniRelease" in plan, false);
  });
});
