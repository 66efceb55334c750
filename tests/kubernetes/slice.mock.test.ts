// KubeadmCluster checks its own argument, the kubeadm slice: one whose parts do not fit together
// is refused with a ResourceError naming `args.plan`, before any child is registered.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { KubeadmCluster } from "../../components/kubernetes/cluster";
import { CRI_SOCKETS } from "../../components/plan/kubeadm/defaults";
import type { KubeadmPlan } from "../../components/plan/kubeadm/plan";
import { nodeOutputs, planOf } from "./fixtures";
import { Recorder } from "./mocks";

const KEY = "fake-private-key";
const rec = new Recorder();

before(() => rec.install());

/** Build the cluster from scenario D's nodes with a changed slice; the error it throws. */
function refusal(name: string, change: (slice: KubeadmPlan) => KubeadmPlan, adjust = false) {
  const plan = adjust
    ? planOf("d", (r) => {
        r.kubernetes.runtime = "containerd";
        r.kubernetes.packageSource = "bundle";
        r.kubernetes.cni = { ...r.kubernetes.cni, chart: { path: "/srv/flannel.tgz" } };
      })
    : planOf("d");
  try {
    new KubeadmCluster(
      name,
      { plan: change(plan.kubeadm!), nodes: nodeOutputs(plan), privateKey: KEY },
      { transformations: [rec.transformation] },
    );
  } catch (e) {
    return e as Error;
  }
  return assert.fail(`${name}: the inconsistent slice was accepted`);
}

describe("KubeadmCluster checks its own argument", () => {
  it("fails for a slice whose parts do not fit together, naming its own argument", async () => {
    const e = refusal("q1", (s) => ({
      ...s,
      initNode: "k8s-worker-1",
      criSocket: CRI_SOCKETS.containerd,
      cni: { ...s.cni, modules: [] },
    }));
    assert.ok(e instanceof pulumi.ResourceError, "a ResourceError");
    assert.equal(
      e.message,
      "KubeadmCluster args.plan is inconsistent: init node k8s-worker-1 is not the first control plane master; CRI socket unix:///var/run/containerd/containerd.sock is not the crio socket; kernel modules [] are not what vxlan needs [vxlan]",
    );
    await rec.settle();
    assert.deepEqual(
      rec.resources.filter((r) => r.name.startsWith("q1-")).map((r) => r.name),
      [],
      "no child registered",
    );
  });

  it("fails for nodes planned twice, no control plane, an endpoint off the init node", () => {
    const e = refusal("q2", (s) => ({
      ...s,
      nodes: [...s.nodes, s.nodes[1]].map((n) => ({ ...n, role: "worker" as const })),
      endpoint: { from: "first-control-plane", host: "172.20.112.9", port: 70000 },
    }));
    assert.ok(e instanceof pulumi.ResourceError);
    assert.equal(
      e.message,
      "KubeadmCluster args.plan is inconsistent: node k8s-worker-1 is planned twice; no control-plane node is planned; endpoint 172.20.112.9 is not the init node's address 172.20.112.101; API port 70000 is not a TCP port",
    );
    const off = refusal("q3", (s) => ({
      ...s,
      endpoint: { from: "first-control-plane", host: "172.20.112.9", port: 6443 },
    }));
    assert.equal(
      off.message,
      "KubeadmCluster args.plan is inconsistent: endpoint 172.20.112.9 is not the init node's address 172.20.112.101",
    );
  });

  it("fails for a CNI mode the plugin does not have, or another plugin's encapsulation", () => {
    const e = refusal("q4", (s) => ({
      ...s,
      cni: { ...s.cni, mode: "IPIP", encapsulation: "ipip", modules: ["ipip"] },
    }));
    assert.equal(
      e.message,
      "KubeadmCluster args.plan is inconsistent: mode IPIP is not a flannel mode",
    );
    const encap = refusal("q5", (s) => ({
      ...s,
      cni: { ...s.cni, encapsulation: "geneve", modules: ["geneve"] },
    }));
    assert.equal(
      encap.message,
      "KubeadmCluster args.plan is inconsistent: flannel vxlan encapsulates with vxlan, not geneve",
    );
  });

  it("fails for an offline-bundle slice whose release the bundle does not hold", () => {
    const e = refusal(
      "q6",
      (s) => ({ ...s, runtime: "crio", criSocket: CRI_SOCKETS.crio, version: "1.31" }),
      true,
    );
    assert.ok(e instanceof pulumi.ResourceError);
    assert.equal(
      e.message,
      "KubeadmCluster args.plan is inconsistent: the offline bundle holds Kubernetes 1.32 with containerd, not 1.31 with crio",
    );
  });
});
