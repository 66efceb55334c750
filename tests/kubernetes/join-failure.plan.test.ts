// The join step's script run by sh against a fake kubeadm, its absolute paths moved under a
// temporary root: a failed join names the node and repeats kubeadm's own error, resets what
// the join left (unless the node held kubeadm's files before), and a success is silent about
// any of it. The config arrives on stdin; the script never holds it.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { renderJoinScript } from "../../components/kubernetes/node-scripts";

const NODE = "k8s-worker-1";
const CONFIG = "apiVersion: kubeadm.k8s.io/v1beta4\nkind: JoinConfiguration\n";

/** kubeadm 1.32's own output when the API server's port is refused during discovery. */
const DISCOVERY_FAILURE = [
  "[preflight] Running pre-flight checks",
  'error execution phase preflight: couldn\'t validate the identity of the API Server: failed to request the cluster-info ConfigMap: Get "https://10.250.30.11:6443/api/v1/namespaces/kube-public/configmaps/cluster-info?timeout=10s": dial tcp 10.250.30.11:6443: connect: connection refused',
  "To see the stack trace of this error execute with --v=5 or higher",
];

let root: string;

/** A fake kubeadm: `join` prints `lines` and exits `code`; every call is logged. */
function fakeKubeadm(lines: string[], code: number, writes: string[] = []): void {
  const bin = join(root, "bin");
  mkdirSync(bin, { recursive: true });
  const touch = writes.map((f) => `mkdir -p "$(dirname ${root}${f})"; : > ${root}${f}`);
  writeFileSync(
    join(bin, "kubeadm"),
    [
      "#!/bin/sh",
      `echo "$*" >> ${root}/kubeadm.calls`,
      'if [ "$1" = join ]; then',
      `  cp "$3" ${root}/config.seen`,
      ...touch.map((t) => `  ${t}`),
      ...lines.map((l) => `  printf '%s\\n' '${l.replace(/'/g, "'\\''")}'`),
      `  exit ${code}`,
      "fi",
    ].join("\n") + "\n",
  );
  chmodSync(join(bin, "kubeadm"), 0o755);
}

/** The rendered script with /etc and /var/lib under the temporary root, run with `stdin`. */
function runJoin(stdin: string) {
  const script = renderJoinScript(NODE)
    .replace(/(['" ])\/etc\//g, `$1${root}/etc/`)
    .replace(/(['" ])\/var\/lib\//g, `$1${root}/var/lib/`);
  return spawnSync("sh", ["-c", script], {
    input: stdin,
    encoding: "utf8",
    env: { PATH: `${join(root, "bin")}:/usr/bin:/bin` },
  });
}

const calls = () =>
  existsSync(join(root, "kubeadm.calls")) ? readFileSync(join(root, "kubeadm.calls"), "utf8") : "";

describe("the join step, run", () => {
  beforeEach(() => {
    root = mkdtempSync(join(tmpdir(), "labfabric-join-"));
  });
  afterEach(() => rmSync(root, { recursive: true, force: true }));

  it("joins with the config from stdin, written 0600, and reports nothing else", () => {
    fakeKubeadm(["This node has joined the cluster"], 0);
    const r = runJoin(CONFIG);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "This node has joined the cluster\n");
    assert.equal(r.stderr, "");
    assert.equal(readFileSync(join(root, "config.seen"), "utf8"), CONFIG);
    const written = join(root, "etc/labfabric/kubeadm/join.yaml");
    assert.equal(readFileSync(written, "utf8"), CONFIG);
    assert.equal(statSync(written).mode & 0o777, 0o600);
    assert.equal(calls(), `join --config ${written}\n`);
  });

  it("fails a join that names the node and repeats kubeadm's own error, then resets", () => {
    fakeKubeadm(DISCOVERY_FAILURE, 1, ["/etc/kubernetes/pki/ca.crt"]);
    mkdirSync(join(root, "etc/cni/net.d"), { recursive: true });
    writeFileSync(join(root, "etc/cni/net.d/10-flannel.conflist"), "{}");
    const r = runJoin(CONFIG);
    assert.equal(r.status, 1);
    // kubeadm's output as it ran, then the report
    assert.equal(r.stdout, DISCOVERY_FAILURE.map((l) => `${l}\n`).join(""));
    assert.equal(
      r.stderr,
      [
        `labfabric: join of ${NODE} failed (kubeadm join exited 1): ${DISCOVERY_FAILURE[1]}`,
        `labfabric: what the join left on ${NODE} was reset (kubeadm reset); fix the cause and run pulumi up again`,
        "",
      ].join("\n"),
    );
    assert.match(calls(), /^reset -f$/m);
    assert.ok(!existsSync(join(root, "etc/labfabric/kubeadm/join.yaml")), "config (token) removed");
    assert.ok(!existsSync(join(root, "etc/cni/net.d/10-flannel.conflist")), "CNI config removed");
  });

  it("says how to get a new token when kubeadm finds the token expired or unknown", () => {
    // kubeadm 1.32's discovery errors for a token the cluster no longer holds
    // (cmd/kubeadm/app/discovery/token/token.go).
    for (const error of [
      'could not find a JWS signature in the cluster-info ConfigMap for token ID "abcdef"',
      'token id "abcdef" is invalid for this cluster or it has expired. Use "kubeadm token create" on the control-plane node to create a new valid token',
    ]) {
      fakeKubeadm(
        ["[preflight] Running pre-flight checks", `error execution phase preflight: ${error}`],
        1,
      );
      const r = runJoin(CONFIG);
      assert.equal(r.status, 1);
      assert.match(
        r.stderr,
        /^labfabric: the join token is no longer valid \(a token lives 2h0m0s\): replace the cluster's join-token step, pulumi up --replace <its URN/m,
        error,
      );
    }
    fakeKubeadm(DISCOVERY_FAILURE, 1);
    assert.doesNotMatch(runJoin(CONFIG).stderr, /join token is no longer valid/);
  });

  it("fails with kubeadm's preflight errors, every [ERROR] line kept", () => {
    const preflight = [
      "[preflight] Running pre-flight checks",
      "error execution phase preflight: [preflight] Some fatal errors occurred:",
      "\t[ERROR Port-10250]: Port 10250 is in use",
      "[preflight] If you know what you are doing, you can make a check non-fatal with `--ignore-preflight-errors=...`",
      "To see the stack trace of this error execute with --v=5 or higher",
    ];
    fakeKubeadm(preflight, 1);
    const r = runJoin(CONFIG);
    assert.equal(r.status, 1);
    assert.ok(
      r.stderr.startsWith(
        `labfabric: join of ${NODE} failed (kubeadm join exited 1): ${preflight.slice(1, 4).join("\n")}\n`,
      ),
      r.stderr,
    );
  });

  it("falls back to the tail of kubeadm's output when it printed no error line", () => {
    fakeKubeadm(["[kubelet-start] Waiting for the kubelet", "killed"], 137);
    const r = runJoin(CONFIG);
    assert.equal(r.status, 1);
    assert.match(
      r.stderr,
      /^labfabric: join of k8s-worker-1 failed \(kubeadm join exited 137\): \[kubelet-start\] Waiting for the kubelet\nkilled$/m,
    );
  });

  it("fails without resetting a node that held kubeadm's files before the join", () => {
    fakeKubeadm(DISCOVERY_FAILURE, 1);
    mkdirSync(join(root, "etc/kubernetes/pki"), { recursive: true });
    writeFileSync(join(root, "etc/kubernetes/pki/ca.crt"), "");
    const r = runJoin(CONFIG);
    assert.equal(r.status, 1);
    assert.doesNotMatch(calls(), /^reset/m);
    assert.ok(existsSync(join(root, "etc/kubernetes/pki/ca.crt")));
    assert.match(
      r.stderr,
      new RegExp(
        `^labfabric: ${NODE} held kubeadm's files before this join \\(left as they are\\): ${root}/etc/kubernetes/pki/ca\\.crt$`,
        "m",
      ),
    );
    assert.match(r.stderr, /run kubeadm reset -f on it, then pulumi up again$/m);
  });

  it("fails before kubeadm runs when stdin holds no JoinConfiguration", () => {
    fakeKubeadm([], 0);
    const r = runJoin("");
    assert.equal(r.status, 1);
    assert.equal(r.stderr, `labfabric: no JoinConfiguration for ${NODE} on standard input\n`);
    assert.equal(calls(), "");
    assert.ok(!existsSync(join(root, "etc/labfabric/kubeadm/join.yaml.labfabric-tmp")));
  });

  it("does nothing on a node that has joined (kubelet.conf)", () => {
    fakeKubeadm([], 1);
    mkdirSync(join(root, "etc/kubernetes"), { recursive: true });
    writeFileSync(join(root, "etc/kubernetes/kubelet.conf"), "");
    const r = runJoin(CONFIG);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(calls(), "");
  });
});
