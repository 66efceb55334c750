// KubeadmCluster under Pulumi mocks: every resource with its exact inputs, the secrets kept
// secret, and the order the steps run in (dependsOn), for scenarios D and B.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { KubeadmCluster } from "../../components/kubernetes/cluster";
import {
  clusterLayout,
  JOIN_PLACEHOLDERS,
  renderInitConfig,
  renderJoinConfig,
} from "../../components/kubernetes/kubeadm-config";
import {
  renderInitScript,
  renderJoinScript,
  renderJoinTokenDelete,
  renderJoinTokenScript,
  renderKubeconfigScript,
  renderPrerequisites,
  renderPrerequisitesDelete,
  renderRegisterNodesDelete,
  renderRegisterNodesScript,
  renderResetScript,
} from "../../components/kubernetes/node-scripts";
import { asRoot, contentHash } from "../../components/shared/shell";
import { nodeOutputs, planOf, resolvedNodes } from "./fixtures";
import { hostKeyLine } from "../lab/helpers";
import {
  FAKE_CA_HASH,
  FAKE_CERT_KEY,
  FAKE_TOKEN,
  fakeKubeconfig,
  isSecretValue,
  Recorder,
  reveal,
  valueOf,
} from "./mocks";

const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nfake\n-----END OPENSSH PRIVATE KEY-----\n";
const rec = new Recorder();

describe("KubeadmCluster, scenario D (libvirt master + two OpenStack workers, CRI-O, Flannel)", () => {
  const plan = planOf("d");
  const layout = clusterLayout(plan.kubeadm!, resolvedNodes(plan));
  let cluster: KubeadmCluster;

  before(async () => {
    rec.servers.set("k8s", "https://172.20.112.101:6443");
    await rec.install();
    cluster = new KubeadmCluster(
      "k8s",
      { plan: plan.kubeadm!, nodes: nodeOutputs(plan), privateKey: pulumi.secret(KEY) },
      { transformations: [rec.transformation] },
    );
    await valueOf(cluster.kubeconfig);
    await rec.settle();
  });

  it("registers exactly the component, nine remote commands and the provider", () => {
    assert.deepEqual(rec.resources.map((r) => `${r.type} ${r.name}`).sort(), [
      "command:remote:Command k8s-init",
      "command:remote:Command k8s-join-token",
      "command:remote:Command k8s-k8s-worker-1-join",
      "command:remote:Command k8s-k8s-worker-1-prerequisites",
      "command:remote:Command k8s-k8s-worker-2-join",
      "command:remote:Command k8s-k8s-worker-2-prerequisites",
      "command:remote:Command k8s-kubeconfig",
      "command:remote:Command k8s-master-prerequisites",
      "command:remote:Command k8s-register",
      "labfabric:kubernetes:KubeadmCluster k8s",
      "pulumi:providers:kubernetes k8s-provider",
    ]);
  });

  it("runs the prerequisites of each role as root, re-run only when the script changes", () => {
    const master = rec.one("k8s-master-prerequisites").inputs;
    const cpScript = renderPrerequisites(plan.kubeadm!, "control-plane");
    assert.equal(master.create, asRoot("lab", cpScript));
    assert.equal(master.delete, asRoot("lab", renderPrerequisitesDelete()));
    assert.deepEqual(master.triggers, [contentHash(cpScript)]);
    const worker = rec.one("k8s-k8s-worker-1-prerequisites").inputs;
    assert.equal(worker.create, asRoot("rocky", renderPrerequisites(plan.kubeadm!, "worker")));
  });

  it("inits the master with its config, and resets it on delete", () => {
    const init = rec.one("k8s-init").inputs;
    const script = renderInitScript("1.32", "master", renderInitConfig(layout));
    assert.equal(init.create, asRoot("lab", script));
    assert.equal(init.delete, asRoot("lab", renderResetScript("master")));
    assert.deepEqual(init.triggers, [contentHash(script)]);
  });

  it("joins each worker with the fetched token and CA hash on stdin, resets it on delete", () => {
    const join = rec.one("k8s-k8s-worker-1-join").inputs;
    const real = { token: FAKE_TOKEN, caCertHash: FAKE_CA_HASH, certificateKey: FAKE_CERT_KEY };
    const script = renderJoinScript("k8s-worker-1");
    assert.equal(join.create, asRoot("rocky", script));
    assert.equal(reveal(join.stdin), renderJoinConfig(layout, "k8s-worker-1", real));
    assert.equal(join.delete, asRoot("rocky", renderResetScript("k8s-worker-1")));
    // The trigger hashes the config with stand-ins: a rotated token never replaces (resets) a node.
    const standIn = renderJoinConfig(layout, "k8s-worker-1", JOIN_PLACEHOLDERS);
    assert.deepEqual(reveal(join.triggers), [contentHash(script, standIn), FAKE_CA_HASH]);
  });

  it("keeps the join token, CA hash and the join scripts secret", async () => {
    // The config is a secret input; the script, which the provider prints when it fails, holds
    // no secret at all.
    for (const worker of ["k8s-worker-1", "k8s-worker-2"]) {
      const join = rec.one(`k8s-${worker}-join`).inputs;
      assert.ok(isSecretValue(join.stdin), `${worker}'s join config is a secret input`);
      assert.equal(typeof join.create, "string");
      assert.doesNotMatch(join.create as string, new RegExp(`${FAKE_TOKEN}|${FAKE_CA_HASH}`));
    }
    assert.equal(await pulumi.isSecret(cluster.joinSecrets!), true);
    assert.deepEqual(await valueOf(cluster.joinSecrets!), {
      token: FAKE_TOKEN,
      caCertHash: FAKE_CA_HASH,
      certificateKey: FAKE_CERT_KEY,
    });
    const token = rec.one("k8s-join-token").inputs;
    assert.equal(token.create, asRoot("lab", renderJoinTokenScript(false)));
    assert.equal(token.delete, asRoot("lab", renderJoinTokenDelete()));
    assert.equal(token.logging, "none");
    // (the Command SDK adds "connection" to the list itself)
    for (const name of ["k8s-join-token", "k8s-kubeconfig"]) {
      const secretOutputs = rec.options.get(name)?.additionalSecretOutputs ?? [];
      assert.ok(secretOutputs.includes("stdout") && secretOutputs.includes("stderr"), name);
    }
    assert.equal(rec.one("k8s-kubeconfig").inputs.logging, "none");
  });

  it("reads admin.conf into a secret kubeconfig and builds the provider from it", async () => {
    const read = rec.one("k8s-kubeconfig").inputs;
    assert.equal(read.create, asRoot("lab", renderKubeconfigScript()));
    assert.equal(read.delete, undefined, "reading changes nothing on the node");
    assert.equal(await pulumi.isSecret(cluster.kubeconfig), true);
    assert.equal(await valueOf(cluster.kubeconfig), fakeKubeconfig("https://172.20.112.101:6443"));
    const provider = rec.one("k8s-provider").inputs;
    assert.ok(isSecretValue(provider.kubeconfig), "the provider's kubeconfig input is secret");
    assert.equal(reveal(provider.kubeconfig), fakeKubeconfig("https://172.20.112.101:6443"));
  });

  it("connects to each machine once, with the private key kept secret and its host key checked", async () => {
    const conn = rec.one("k8s-k8s-worker-1-prerequisites").inputs.connection;
    assert.ok(isSecretValue(conn));
    assert.deepEqual(reveal(conn), {
      host: "203.0.113.21",
      port: 22,
      user: "rocky",
      privateKey: KEY,
      dialErrorLimit: 8,
      perDialTimeout: 10,
      hostKey: hostKeyLine(2),
    });
    assert.deepEqual(Object.keys(cluster.connections), ["master", "k8s-worker-1", "k8s-worker-2"]);
    // Every step on a machine shares its one connection object.
    assert.deepEqual(
      reveal(rec.one("k8s-init").inputs.connection),
      await valueOf(cluster.connections.master),
    );
    assert.equal(cluster.controlPlane.connection, cluster.connections.master);
  });

  it("orders the steps: prerequisites -> init -> token -> joins -> registration; kubeconfig after init", async () => {
    assert.deepEqual(await rec.dependsOn("k8s-init"), ["k8s-master-prerequisites"]);
    assert.deepEqual(await rec.dependsOn("k8s-kubeconfig"), ["k8s-init"]);
    assert.deepEqual(await rec.dependsOn("k8s-join-token"), ["k8s-init"]);
    assert.deepEqual(await rec.dependsOn("k8s-k8s-worker-1-join"), [
      "k8s-join-token",
      "k8s-k8s-worker-1-prerequisites",
    ]);
    assert.deepEqual(await rec.dependsOn("k8s-k8s-worker-2-join"), [
      "k8s-join-token",
      "k8s-k8s-worker-2-prerequisites",
    ]);
    assert.deepEqual(await rec.dependsOn("k8s-register"), [
      "k8s-k8s-worker-1-join",
      "k8s-k8s-worker-2-join",
    ]);
    assert.deepEqual(await rec.dependsOn("k8s-master-prerequisites"), []);
  });

  it("replaces delete-first, so a replaced init or join is reset before it runs again", () => {
    for (const name of ["k8s-init", "k8s-k8s-worker-1-join", "k8s-master-prerequisites"]) {
      assert.equal(rec.options.get(name)?.deleteBeforeReplace, true, name);
    }
  });

  it("registers every joined node in one step on the control plane, updated in place, never replaced", () => {
    const reg = rec.one("k8s-register").inputs;
    const script = renderRegisterNodesScript("k8s", [
      { name: "k8s-worker-1", role: "worker" },
      { name: "k8s-worker-2", role: "worker" },
    ]);
    assert.equal(reg.create, asRoot("lab", script));
    // A changed list or a re-joined node updates it: a replacement's delete would remove every node.
    assert.equal(reg.update, asRoot("lab", script));
    assert.equal(reg.delete, asRoot("lab", renderRegisterNodesDelete("k8s")));
    assert.notEqual(rec.options.get("k8s-register")?.deleteBeforeReplace, true);
  });

  it("exposes the endpoint and every node's node-ip for the CNI layer", async () => {
    assert.equal(await valueOf(cluster.endpoint), "172.20.112.101:6443");
    assert.deepEqual(await valueOf(cluster.nodeAddresses), [
      "172.20.112.101",
      "192.168.100.21",
      "192.168.100.22",
    ]);
    assert.deepEqual(
      (await Promise.all(cluster.controlPlane.nodesJoined.map((r) => valueOf(r.urn))))
        .map((u) => u.split("::").pop())
        .sort(),
      ["k8s-init", "k8s-register"],
    );
  });
});
