// KubeadmCluster beyond scenario D: B's control plane behind a floating IP (the provider must
// use it), an HA control plane (certificate key, control planes joining one at a time), and the
// refusals raised before anything is registered.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import { KubeadmCluster } from "../../components/kubernetes/cluster";
import { renderJoinTokenScript } from "../../components/kubernetes/node-scripts";
import { asRoot } from "../../components/shared/shell";
import { formatFinding } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { LABS, nodeOutputs, planOf, raw } from "./fixtures";
import { FAKE_CERT_KEY, fakeKubeconfig, Recorder, reveal, scriptOf, valueOf } from "./mocks";

const KEY = "fake-private-key";
const rec = new Recorder();

before(async () => {
  rec.servers.set("b", "https://10.100.200.10:6443");
  rec.servers.set("ha", "https://api.lab.example:6443");
  await rec.install();
});

describe("scenario B: control plane behind a floating IP", () => {
  const plan = planOf("b");
  let cluster: KubeadmCluster;
  before(async () => {
    cluster = new KubeadmCluster(
      "b",
      { plan: plan.kubeadm!, nodes: nodeOutputs(plan), privateKey: KEY },
      { transformations: [rec.transformation] },
    );
    await valueOf(cluster.kubeconfig);
    await rec.settle();
  });

  it("points the provider's kubeconfig at the floating IP (in the certificate's SANs)", async () => {
    assert.equal(await valueOf(cluster.kubeconfig), fakeKubeconfig("https://203.0.113.10:6443"));
    assert.match(scriptOf(rec.one("b-init").inputs.create), /'    - 203\.0\.113\.10' \\/);
  });

  it("keeps the nodes on the instance network: endpoint and node-ips are fixed IPs", async () => {
    assert.equal(await valueOf(cluster.endpoint), "10.100.200.10:6443");
    assert.deepEqual(await valueOf(cluster.nodeAddresses), [
      "10.100.200.10",
      "10.100.200.11",
      "10.100.200.12",
      "10.100.200.13",
    ]);
    assert.equal(
      (reveal(rec.one("b-k8s-w1-prerequisites").inputs.connection) as { host: string }).host,
      "10.100.200.11",
    );
    assert.equal(
      (reveal(rec.one("b-init").inputs.connection) as { host: string }).host,
      "203.0.113.10",
    );
  });

  it("joins three workers in parallel after the token", async () => {
    for (const w of ["k8s-w1", "k8s-w2", "k8s-w3"]) {
      assert.deepEqual(await rec.dependsOn(`b-${w}-join`), [
        "b-join-token",
        `b-${w}-prerequisites`,
      ]);
    }
  });
});

describe("HA: three control planes behind an endpoint", () => {
  const plan = planOf("c", (r) => {
    const nodes = r.kubernetes.nodes as { role: string }[];
    nodes[1].role = "control-plane";
    nodes[2].role = "control-plane";
    r.kubernetes.controlPlaneEndpoint = "api.lab.example:6443";
  });
  let cluster: KubeadmCluster;
  before(async () => {
    cluster = new KubeadmCluster(
      "ha",
      { plan: plan.kubeadm!, nodes: nodeOutputs(plan), privateKey: KEY },
      { transformations: [rec.transformation] },
    );
    await valueOf(cluster.kubeconfig);
    await rec.settle();
  });

  it("fetches the certificate key with the token, and control planes join with it", async () => {
    assert.equal(
      rec.one("ha-join-token").inputs.create,
      asRoot("root", renderJoinTokenScript(true)),
    );
    assert.equal((await valueOf(cluster.joinSecrets!)).certificateKey, FAKE_CERT_KEY);
    const join = reveal(rec.one("ha-k8s-w0-join").inputs.stdin) as string;
    assert.match(join, new RegExp(`^  certificateKey: ${FAKE_CERT_KEY}$`, "m"));
    assert.match(join, /^    advertiseAddress: 192\.168\.20\.100$/m);
  });

  it("joins control planes one at a time (etcd grows by one member at a time)", async () => {
    assert.deepEqual(await rec.dependsOn("ha-k8s-w1-join"), [
      "ha-join-token",
      "ha-k8s-w1-prerequisites",
    ]);
    assert.deepEqual(await rec.dependsOn("ha-k8s-w0-join"), [
      "ha-join-token",
      "ha-k8s-w0-prerequisites",
      "ha-k8s-w1-join",
    ]);
  });

  it("registers control planes without the worker label", () => {
    const script = scriptOf(rec.one("ha-register").inputs.create);
    assert.match(script, /^set -- 'k8s-w1' 'k8s-w0'$/m);
    assert.doesNotMatch(script, /node-role.kubernetes.io\/worker/);
  });

  it("uses the endpoint everywhere, and the provider reaches it as kubeadm wrote it", async () => {
    assert.equal(await valueOf(cluster.endpoint), "api.lab.example:6443");
    assert.equal(await valueOf(cluster.kubeconfig), fakeKubeconfig("https://api.lab.example:6443"));
  });
});

describe("refusals before anything is registered", () => {
  it("fails when a node of the plan was not handed over", () => {
    const plan = planOf("d");
    assert.throws(
      () =>
        new KubeadmCluster("r1", {
          plan: plan.kubeadm!,
          nodes: nodeOutputs(plan).slice(0, 2),
          privateKey: KEY,
        }),
      (e: Error) =>
        e.message ===
        "the nodes handed to the cluster do not match the plan; missing: k8s-worker-2",
    );
  });

  it("fails when a node arrives with another role than planned", () => {
    const plan = planOf("d");
    const nodes = nodeOutputs(plan).map((n) =>
      n.name === "k8s-worker-1" ? { ...n, role: "control-plane" as const } : n,
    );
    assert.throws(
      () => new KubeadmCluster("r2", { plan: plan.kubeadm!, nodes, privateKey: KEY }),
      (e: Error) =>
        e.message ===
        "the nodes handed to the cluster do not match the plan; role differs from the plan: k8s-worker-1",
    );
  });

  it("fails with the cluster checks' report (a pod subnet kubeadm would refuse)", () => {
    // Refused by loadLab, which validates the plan before any layer exists; the component
    // itself only checks the nodes it is handed against its plan.
    const r = raw("c");
    r.kubernetes.podSubnet = "172.20.0.0/25";
    const result = loadLab(r, LABS.c);
    assert.equal(result.ok, false);
    assert.deepEqual(
      result.ok
        ? []
        : result.findings.filter((f) => f.severity === "error").map((f) => formatFinding(f)),
      [
        'ERROR labfabric:kubernetes.podSubnet = "172.20.0.0/25": is a /25: kubeadm gives every node a /24 of the pod subnet, so it must be /24 or wider (kubeadm init refuses it). Fix: use a /16 (256 nodes), e.g. 172.16.0.0/16',
      ],
    );
  });

  it("fails when Kubernetes is not enabled", () => {
    const plan = planOf("d", (r) => {
      r.kubernetes.enabled = false;
    });
    assert.equal(plan.kubeadm, undefined, "the plan has no kubeadm slice");
    assert.throws(
      // What a caller without the slice hands over.
      () => new KubeadmCluster("r4", { plan: plan.kubeadm!, nodes: [], privateKey: KEY }),
      (e: Error) =>
        e.message === "labfabric:kubernetes.enabled is false: there is no cluster to build",
    );
  });
});
