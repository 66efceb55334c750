// Preview: the same resources register when the control plane's outputs are still unknown
// (no kubeconfig, no join token yet), and the Helm values are already complete, so a PR
// preview shows the CNI configuration the lab will get.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { CniRelease } from "../../components/cni/component";
import { KubeadmCluster } from "../../components/kubernetes/cluster";
import { nodeOutputs, planOf } from "../kubernetes/fixtures";
import { Recorder, reveal, valueOf } from "../kubernetes/mocks";

const rec = new Recorder();

describe("preview of scenario D", () => {
  let cni: CniRelease;
  let cluster: KubeadmCluster;
  before(async () => {
    await rec.install(true);
    const plan = planOf("d");
    const opts = { transformations: [rec.transformation] };
    cluster = new KubeadmCluster(
      "d",
      { plan: plan.kubeadm!, nodes: nodeOutputs(plan), privateKey: "k" },
      opts,
    );
    cni = new CniRelease(
      "cni",
      {
        plan: plan.cniRelease!,
        provider: cluster.provider,
        endpoint: cluster.endpoint,
        nodeAddresses: cluster.nodeAddresses,
        proof: cluster.controlPlane,
      },
      { ...opts, dependsOn: [cluster.kubeconfigCommand] },
    );
    await valueOf(cni.values);
    await rec.settle();
  });

  it("registers the same resources as an update", () => {
    assert.deepEqual(rec.resources.map((r) => r.name).sort(), [
      "cni",
      "cni-flannel",
      "cni-proof",
      "cni-proof-run",
      "d",
      "d-init",
      "d-join-token",
      "d-k8s-worker-1-join",
      "d-k8s-worker-1-prerequisites",
      "d-k8s-worker-2-join",
      "d-k8s-worker-2-prerequisites",
      "d-kubeconfig",
      "d-master-prerequisites",
      "d-provider",
      "d-register",
    ]);
  });

  it("leaves what only the control plane knows unknown: join configs, kubeconfig", () => {
    const unknown = (v: unknown) =>
      (reveal(v) as { __pulumiUnknown?: boolean } | undefined)?.__pulumiUnknown === true;
    assert.ok(unknown(rec.one("d-k8s-worker-1-join").inputs.stdin));
    assert.ok(unknown(rec.one("d-provider").inputs.kubeconfig));
  });

  it("already knows the Helm values and every node script", () => {
    const values = reveal(rec.one("cni-flannel").inputs.values) as { podCidr: string };
    assert.equal(values.podCidr, "10.244.0.0/16");
    assert.match(String(rec.one("d-init").inputs.create), /kubeadm init --config/);
    assert.match(String(rec.one("d-master-prerequisites").inputs.create), /swapoff -a/);
    assert.match(String(rec.one("d-k8s-worker-1-join").inputs.create), /kubeadm join --config/);
  });
});
