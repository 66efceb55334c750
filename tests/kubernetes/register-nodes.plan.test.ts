// The batch registration step run for real (POSIX sh) against a stand-in kubectl: it labels
// the listed nodes, labels workers, deletes nodes it registered earlier that are no longer
// listed, leaves nodes it never registered alone, changes nothing when re-run, and its delete
// removes exactly the nodes it registered.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  ADMIN_CONF,
  renderRegisterNodesDelete,
  renderRegisterNodesScript,
} from "../../components/kubernetes";

const dir = mkdtempSync(join(tmpdir(), "lf-register-"));
const bin = join(dir, "bin");
const nodes = join(dir, "nodes");
mkdirSync(bin);
mkdirSync(nodes);
copyFileSync(join(__dirname, "fake-kubectl-nodes.sh"), join(bin, "kubectl"));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Runs a rendered script with the stand-in kubectl; admin.conf is only tested for existence. */
function run(script: string): void {
  // The delete guards on admin.conf; point it at a file that exists.
  const body = script.replaceAll(`'${ADMIN_CONF}'`, `'${join(dir, "admin.conf")}'`);
  writeFileSync(join(dir, "admin.conf"), "");
  execFileSync("sh", ["-c", body], {
    env: { PATH: `${bin}:${process.env.PATH}`, FAKE_DIR: dir },
    stdio: ["ignore", "pipe", "pipe"],
  });
}
const state = () =>
  Object.fromEntries(
    readdirSync(nodes)
      .sort()
      .map((n) => [n, readFileSync(join(nodes, n), "utf8").trim().split("\n").filter(Boolean)]),
  );
const kubelet = (...names: string[]) => names.forEach((n) => writeFileSync(join(nodes, n), ""));

describe("the registration step on a (stand-in) cluster", () => {
  it("labels every listed node and the workers, and a re-run changes nothing", () => {
    kubelet("cp-0", "cp-1", "w-0", "w-1", "other");
    const s = renderRegisterNodesScript("cluster", [
      { name: "cp-1", role: "control-plane" },
      { name: "w-0", role: "worker" },
      { name: "w-1", role: "worker" },
    ]);
    run(s);
    const first = state();
    assert.deepEqual(first, {
      "cp-0": [],
      "cp-1": ["labfabric/registered=cluster"],
      other: [],
      "w-0": ["labfabric/registered=cluster", "node-role.kubernetes.io/worker="],
      "w-1": ["labfabric/registered=cluster", "node-role.kubernetes.io/worker="],
    });
    run(s);
    assert.deepEqual(state(), first);
  });

  it("deletes the nodes it registered that are no longer listed, and no other", () => {
    run(
      renderRegisterNodesScript("cluster", [
        { name: "cp-1", role: "control-plane" },
        { name: "w-0", role: "worker" },
      ]),
    );
    assert.equal(existsSync(join(nodes, "w-1")), false);
    assert.deepEqual(Object.keys(state()), ["cp-0", "cp-1", "other", "w-0"]);
  });

  it("its delete removes exactly the nodes it registered", () => {
    run(renderRegisterNodesDelete("cluster"));
    assert.deepEqual(Object.keys(state()), ["cp-0", "other"]);
  });
});
