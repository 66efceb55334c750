// End-to-end, scenario B on a real OpenStack: the dry lab's all-in-one Zed (openstack-host),
// lab-b by the real engine and the real openstack provider, post B's proofs from inside the
// instances, bad input failing the preview with one line, destroy leaving the project empty
// and the adopted network in place. Needs root; the first run installs and starts the cloud
// (scripts/openstack-aio, ~15 min cold on 2 cores), later runs reuse it while healthy.
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { labCredentials, openstackCli, stopAio } from "../../scripts/lab/openstack/aio";
import {
  labBDestroy,
  labBInstances,
  labBPulumi,
  labBUp,
  prepareLabB,
  stackArgs,
  type LabBContext,
} from "../../scripts/lab/openstack/labb";
import { labBPlan, proofsPass, proveB, reportB } from "../../scripts/lab/openstack/main-b";
import { mustPulumi } from "../../scripts/lab/pulumi";

const isRoot = process.getuid?.() === 0;
const E2E_TIMEOUT_MS = 75 * 60_000;

/** Runs a preview with one config key changed, then puts the key back. */
function previewWith(
  ctx: LabBContext,
  key: string,
  value: string,
  opts: { secret?: boolean; path?: boolean } = {},
): { code: number; out: string } {
  const file = readFileSync(ctx.configFile);
  const set = [
    "config",
    "set",
    ...(opts.path ? ["--path"] : []),
    ...(opts.secret ? ["--secret"] : []),
  ];
  try {
    mustPulumi(ctx.env, [...set, key, ...(opts.secret ? [] : [value]), ...stackArgs(ctx)], {
      input: opts.secret ? value : undefined,
    });
    const r = labBPulumi(ctx, ["preview"]);
    return { code: r.code, out: `${r.stdout}\n${r.stderr}` };
  } finally {
    // The config copy is restored byte for byte (the secret's ciphertext included).
    writeFileSync(ctx.configFile, file);
  }
}

/** Each distinct "ERROR ..." message (the engine echoes a diagnostic while running and again in its summary). */
function errorLines(out: string): string[] {
  const lines = out
    .split("\n")
    .filter((l) => l.includes("ERROR "))
    .map((l) => l.slice(l.indexOf("ERROR ")).trim());
  return [...new Set(lines)];
}

describe(
  "lab-b on the all-in-one OpenStack with the real engine",
  { skip: isRoot ? false : "needs root for network namespaces", timeout: E2E_TIMEOUT_MS },
  () => {
    let ctx: LabBContext;

    before(() => {
      ctx = prepareLabB();
    });

    after(() => {
      if (!ctx) return;
      labBDestroy(ctx, false);
      if (!process.env.LABFABRIC_KEEP_OPENSTACK) stopAio(true);
    });

    test("a wrong password fails the preview with one line naming openstack:password", () => {
      const r = previewWith(ctx, "openstack:password", "not-the-password", { secret: true });
      assert.notEqual(r.code, 0);
      const lines = errorLines(r.out);
      assert.equal(lines.length, 1, r.out);
      assert.match(lines[0], /ERROR openstack:password: Keystone at .* refused user labfabric/);
      assert.doesNotMatch(r.out, /\n\s+at .*\.(ts|js):\d+/, "a stack trace was printed");
      assert.ok(!r.out.includes("not-the-password"), "the wrong password was printed");
    });

    test("an unreachable endpoint fails the preview with one line naming openstack:authUrl", () => {
      const r = previewWith(ctx, "openstack:authUrl", "http://127.0.0.1:9/v3");
      assert.notEqual(r.code, 0);
      const lines = errorLines(r.out);
      assert.equal(lines.length, 1, r.out);
      assert.match(
        lines[0],
        /ERROR openstack:authUrl = "http:\/\/127\.0\.0\.1:9\/v3": Keystone is unreachable/,
      );
    });

    test("an image that does not exist is named", () => {
      const r = previewWith(ctx, "labfabric:openstack.instances[1].image", "no-such-image", {
        path: true,
      });
      assert.notEqual(r.code, 0);
      assert.match(
        r.out,
        /ERROR labfabric:openstack\.instances\[1\]\.image = "no-such-image": no such image/,
      );
    });

    test("up creates the layer; outputs feed the next layer; a second preview has no changes", () => {
      labBUp(ctx, false);
      const inst = labBInstances(ctx);
      assert.deepEqual(inst.map((i) => i.name).sort(), ["k8s-cp", "k8s-w1"]);
      assert.match(
        inst.find((i) => i.name === "k8s-cp")!.floatingAddress ?? "",
        /^10\.253\.0\.\d+$/,
      );
      for (const i of inst) assert.match(i.nodeAddress, /^10\.100\.200\.1[01]$/);
      const again = labBPulumi(ctx, ["preview", "--expect-no-changes"]);
      assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    });

    test("the password stays a secret: not in the state, the outputs or the config copy", () => {
      const password = labCredentials().OS_PASSWORD;
      assert.ok(password.length >= 16);
      const state = mustPulumi(ctx.env, ["stack", "export", "--stack", "lab-b"]).stdout;
      assert.ok(!state.includes(password), "password in the state in plain text");
      assert.ok(!readFileSync(ctx.configFile, "utf8").includes(password));
      const outputs = mustPulumi(ctx.env, ["stack", "output", "--json", "--stack", "lab-b"]);
      assert.ok(!outputs.stdout.includes(password));
    });

    test("post B on real Neutron: IPIP needs protocol 4, native pod traffic needs address pairs, DF at the pod MTU", () => {
      const plan = labBPlan();
      const r = proveB(ctx, plan.mtu.podMtu!, 1450);
      const text = reportB(plan, r);
      console.log(text);
      assert.ok(proofsPass(r), text);
    });

    test("destroy leaves the project empty and the adopted network in place", () => {
      const r = labBDestroy(ctx, false);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      const list = (args: string[]) => openstackCli([...args, "-f", "value", "-c", "Name"]).trim();
      assert.equal(list(["server", "list"]), "");
      assert.equal(list(["keypair", "list"]), "");
      assert.equal(openstackCli(["floating", "ip", "list", "-f", "value", "-c", "ID"]).trim(), "");
      assert.equal(list(["security", "group", "list", "--project", "labfabric"]), "default");
      assert.ok(!list(["flavor", "list", "--all"]).split("\n").includes("lf.tiny"));
      const ports = openstackCli(["port", "list", "-f", "value", "-c", "device_owner", "--long"]);
      assert.ok(!/compute:/.test(ports), `instance ports left: ${ports}`);
      assert.equal(list(["network", "list", "--name", "k8s-net"]), "k8s-net");
    });
  },
);
