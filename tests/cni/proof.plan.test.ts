// The post-install proof: its script text, and the script itself run against a stand-in
// kubectl, so the pair matrix and the failure report are checked as a user would read them.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { chmodSync, copyFileSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parseAllDocuments } from "yaml";
import { PROOF_IMAGE, proofManifest, renderProofScript } from "../../components/cni/proof-script";
import { proofPlan } from "../../components/cni/slice";
import { planOf } from "../kubernetes/fixtures";
import { assertSnapshot } from "../kubernetes/snapshot";

const D_PODS = [
  "master probe-master 10.244.0.5",
  "k8s-worker-1 probe-k8s-worker-1 10.244.1.7",
  "k8s-worker-2 probe-k8s-worker-2 10.244.2.9",
].join(";");

function run(script: string, env: Record<string, string>) {
  const dir = mkdtempSync(join(tmpdir(), "labfabric-proof-"));
  copyFileSync(join(__dirname, "fake-kubectl.sh"), join(dir, "kubectl"));
  chmodSync(join(dir, "kubectl"), 0o755);
  writeFileSync(join(dir, "proof.sh"), script);
  const r = spawnSync("sh", [join(dir, "proof.sh")], {
    env: { PATH: `${dir}:${process.env.PATH}`, FAKE_DIR: dir, FAKE_PODS: D_PODS, ...env },
    encoding: "utf8",
  });
  const log = readFileSync(join(dir, "log"), "utf8");
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, log, dir };
}

describe("proof script", () => {
  const plan = planOf("d");
  const script = renderProofScript(proofPlan(plan.cniRelease!));

  it("pins the rendered script (scenario D)", () => {
    assertSnapshot("proof-d.sh", script);
  });

  it("pings with DF set and the full pod MTU: payload = pod MTU - 28", () => {
    assert.equal(plan.mtu.podMtu, 1450);
    assert.match(script, /^size=1422 /m);
    assert.match(script, /ping -M 'do' -c 3 -W 2 -s "\$size" "\$tip"/);
    assert.match(script, /ping -M 'do' -c 1 -W 2 -s "\$\(\(size \+ 1\)\)" "\$tip"/);
    assert.match(script, /^for from in 'master' 'k8s-worker-1' 'k8s-worker-2'; do$/m);
    assert.match(script, /nslookup 'kubernetes\.default\.svc\.cluster\.local'/);
    assert.match(script, /kubectl wait --for=condition=Ready node --all --timeout=300s/);
    assert.match(script, /rollout status deployment\/coredns --timeout=300s/);
    assert.match(script, /rollout status daemonset\/labfabric-proof --timeout=600s/);
    assert.match(script, /^trap cleanup EXIT$/m);
  });

  it("applies a DaemonSet with an iputils image on every node, NET_RAW only", () => {
    const docs = parseAllDocuments(proofManifest(PROOF_IMAGE)).map((d) => d.toJS());
    assert.deepEqual(
      docs.map((d) => d.kind),
      ["Namespace", "DaemonSet"],
    );
    const pod = docs[1].spec.template.spec;
    assert.equal(pod.containers[0].image, "docker.io/nicolaka/netshoot:v0.13");
    assert.deepEqual(pod.containers[0].securityContext, { capabilities: { add: ["NET_RAW"] } });
    assert.deepEqual(pod.tolerations, [{ operator: "Exists" }]);
    assert.equal(
      renderProofScript(proofPlan(plan.cniRelease!), {
        image: "registry.lab:5000/netshoot:v0.13",
      }).includes("image: registry.lab:5000/netshoot:v0.13"),
      true,
    );
  });

  it("passes and prints the matrix when every pair carries full-size DF packets", () => {
    const r = run(script, {});
    assert.equal(r.stderr, "");
    assert.equal(r.code, 0);
    assert.equal(
      r.stdout,
      [
        "from \\ to      master         k8s-worker-1   k8s-worker-2   DNS",
        "master         -              ok             ok             ok",
        "k8s-worker-1   ok             -              ok             ok",
        "k8s-worker-2   ok             ok             -              ok",
        "labfabric proof passed: 6 ordered node pairs carry 1450-byte DF packets pod to pod and refuse 1451 (flannel vxlan), and kubernetes.default.svc.cluster.local resolves on every node",
        "",
      ].join("\n"),
    );
    assert.match(readFileSync(join(r.dir, "manifest.yaml"), "utf8"), /kind: DaemonSet/);
    assert.match(r.log, /^delete namespace labfabric-proof --ignore-not-found --wait=false$/m);
  });

  it("fails naming the pair and size of an MTU black hole (small pings pass)", () => {
    const r = run(script, { FAKE_BLACKHOLE: "k8s-worker-1>master master>k8s-worker-1" });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^k8s-worker-1   MTU            -              ok             ok$/m);
    assert.equal(
      r.stderr,
      [
        "labfabric proof FAILED (pod MTU 1450, DF ping payload 1422 bytes, flannel vxlan):",
        "  master -> k8s-worker-1 (pod 10.244.0.5 -> 10.244.1.7): 1450-byte packets with DF set are dropped while small packets pass: an MTU black hole, some layer between these nodes carries less than the planned pod MTU 1450 (flannel vxlan)",
        "  k8s-worker-1 -> master (pod 10.244.1.7 -> 10.244.0.5): 1450-byte packets with DF set are dropped while small packets pass: an MTU black hole, some layer between these nodes carries less than the planned pod MTU 1450 (flannel vxlan)",
        "",
      ].join("\n"),
    );
  });

  it("fails naming pairs with no pod traffic at all, and nodes where DNS fails", () => {
    const r = run(script, {
      FAKE_BLOCKED: "k8s-worker-2>k8s-worker-1",
      FAKE_DNS_FAIL: "k8s-worker-2",
    });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^k8s-worker-2   ok             FAIL           -              FAIL$/m);
    assert.equal(
      r.stderr,
      [
        "labfabric proof FAILED (pod MTU 1450, DF ping payload 1422 bytes, flannel vxlan):",
        "  k8s-worker-2 -> k8s-worker-1 (pod 10.244.2.9 -> 10.244.1.7): no reply even to small packets: pod traffic between these nodes is blocked (firewall or security group, the flannel vxlan encapsulation, or routes)",
        "  k8s-worker-2: DNS lookup of kubernetes.default.svc.cluster.local failed: pods on this node cannot reach CoreDNS through its service IP (kube-proxy, or pod traffic to the node running CoreDNS)",
        "",
      ].join("\n"),
    );
  });

  it("fails naming the pairs whose pods carry more than the planned pod MTU", () => {
    const r = run(script, { FAKE_POD_MTU: "1500" });
    assert.equal(r.code, 1);
    assert.match(r.stdout, /^master         -              BIG            BIG            ok$/m);
    assert.match(
      r.stderr,
      /^  master -> k8s-worker-1 \(pod 10\.244\.0\.5 -> 10\.244\.1\.7\): 1451-byte packets with DF set pass: the pods' MTU is above the planned 1450 \(flannel vxlan\), so full-size packets from these pods exceed what the plan budgeted for the path$/m,
    );
  });

  it("fails when a node has no probe pod", () => {
    const r = run(script, { FAKE_PODS: D_PODS.split(";").slice(0, 2).join(";") });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "labfabric proof FAILED: no probe pod on: k8s-worker-2 (node not registered, NoExecute-tainted, or the CNI is not running there)\n",
    );
  });

  it("fails when the image's ping cannot set DF (busybox)", () => {
    const r = run(script, { FAKE_NO_DF: "1" });
    assert.equal(r.code, 1);
    assert.equal(
      r.stderr,
      "labfabric proof FAILED: the probe image (docker.io/nicolaka/netshoot:v0.13) has no ping that sets DF (-M do); use an image with iputils ping\n",
    );
  });
});
