// End-to-end: the real Pulumi engine, the command provider over real SSH, against the dry lab
// (namespace hosts with sshd). Run by `npm run test:e2e` (CI), not by `npm test`: it needs the
// toolchain (upstream's engine parts, downloaded or built once by toolchain) and root.
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import {
  hostFootprint,
  startSshd,
  stopDryLab,
  stopSshd,
  waitForSsh,
} from "../../scripts/lab/drylab";
import {
  allPass,
  dryHosts,
  labPulumiUp,
  prepareLab,
  proveLab,
  removeStandIns,
  report,
  setLabConfig,
  type LabContext,
} from "../../scripts/lab/main";
import { clearStaleLocks, pulumi, REPO, STACK } from "../../scripts/lab/pulumi";
import { must, tryInNs, tryRun } from "../../scripts/lab/kit";

const nsPids = (ns: string) => must(["ip", "netns", "pids", ns]).split("\n").filter(Boolean);

const isRoot = process.getuid?.() === 0;
/** How long an up whose SSH peer was killed may take to fail before it is killed itself. */
const INTERRUPTED_UP_LIMIT_MS = 150_000;
const E2E_TIMEOUT_MS = 25 * 60_000;

describe(
  "dry lab with the real engine",
  { skip: isRoot ? false : "needs root for network namespaces", timeout: E2E_TIMEOUT_MS },
  () => {
    let ctx: LabContext;
    const before_: Record<string, string> = {};

    before(() => {
      ctx = prepareLab();
      for (const h of ctx.plan.hosts) before_[h.host] = hostFootprint(h.host);
    });

    after(() => {
      if (!ctx) return;
      removeStandIns(ctx.plan);
      pulumi(ctx.env, [
        "destroy",
        "--yes",
        "--skip-preview",
        "--stack",
        STACK,
        "--config-file",
        ctx.configFile,
      ]);
      stopDryLab(dryHosts(ctx.plan), ctx.dir);
    });

    test("pulumi up applies the fabric and every VM pair passes ping and a DF probe at the planned MTU", () => {
      labPulumiUp(ctx, false);
      const probes = proveLab(ctx.plan);
      console.log(report(ctx.plan, probes));
      assert.equal(probes.length, ctx.plan.hosts.length * (ctx.plan.hosts.length - 1));
      assert.ok(allPass(probes), report(ctx.plan, probes));
    });

    test("a second up has nothing to do", () => {
      const r = pulumi(ctx.env, [
        "preview",
        "--expect-no-changes",
        "--stack",
        STACK,
        "--config-file",
        ctx.configFile,
      ]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
    });

    test("changing the VNI re-applies the fabric and the lab still passes", () => {
      setLabConfig(ctx, "labfabric:fabric.vni", "43");
      labPulumiUp(ctx, false);
      for (const h of ctx.plan.hosts) {
        const link = tryInNs(h.host, "ip", [
          "-d",
          "link",
          "show",
          ctx.plan.spec.fabric.vxlanDevice,
        ]).out;
        assert.match(link, /vxlan id 43 /, `${h.host}: ${link}`);
      }
      assert.ok(allPass(proveLab(ctx.plan)));
    });

    test("killing SSH on a host mid-up, then re-running, converges", async () => {
      setLabConfig(ctx, "labfabric:fabric.vni", "42");
      const victim = dryHosts(ctx.plan)[1];
      const args = [
        "up",
        "--yes",
        "--skip-preview",
        "--non-interactive",
        "--stack",
        STACK,
        "--config-file",
        ctx.configFile,
      ];
      // Its own process group, so a hung engine can be killed with its plugins.
      const child = spawn("pulumi", args, {
        cwd: REPO,
        env: ctx.env,
        stdio: "ignore",
        detached: true,
      });
      const exited = new Promise<number | null>((resolve) => child.on("exit", resolve));
      // Cut the host off while the engine is working on it: as soon as an SSH session runs there
      // (a process besides the sshd listener), kill sshd and every process of that host.
      const deadline = Date.now() + 120_000;
      while (Date.now() < deadline && nsPids(victim.name).length < 2) {
        await new Promise((r) => setTimeout(r, 20));
      }
      assert.ok(nsPids(victim.name).length >= 2, "the engine never opened a session on the victim");
      stopSshd(victim, ctx.dir);
      let timer: NodeJS.Timeout | undefined;
      const code = await Promise.race([
        exited,
        new Promise<null>((r) => (timer = setTimeout(() => r(null), INTERRUPTED_UP_LIMIT_MS))),
      ]);
      clearTimeout(timer);
      if (code === null) {
        // The interrupted step must fail by itself (upstream's provider gives up on a dead SSH
        // session). If it hangs, kill the engine with its plugins and leave the lab usable for
        // the tests after this one, then fail.
        process.kill(-child.pid!, "SIGKILL");
        await exited;
        clearStaleLocks(ctx.dir);
        startSshd(victim, ctx.dir);
        waitForSsh([victim], ctx.dir);
        pulumi(ctx.env, [
          "refresh",
          "--yes",
          "--skip-preview",
          "--clear-pending-creates",
          "--stack",
          STACK,
          "--config-file",
          ctx.configFile,
        ]);
        labPulumiUp(ctx, false);
        assert.fail(`an up whose SSH peer died did not fail within ${INTERRUPTED_UP_LIMIT_MS} ms`);
      }
      assert.notEqual(code, 0, "the interrupted up should have failed");
      startSshd(victim, ctx.dir);
      waitForSsh([victim], ctx.dir);
      labPulumiUp(ctx, false);
      assert.ok(allPass(proveLab(ctx.plan)));
      const again = pulumi(ctx.env, [
        "preview",
        "--expect-no-changes",
        "--stack",
        STACK,
        "--config-file",
        ctx.configFile,
      ]);
      assert.equal(again.code, 0, `${again.stdout}\n${again.stderr}`);
    });

    test("no secret of the lab appears in the repo, the state or the output", () => {
      const key = readFileSync(join(ctx.dir, "id_ed25519"), "utf8");
      // The first base64 line is the same for every OpenSSH ed25519 key; the third is this key's own.
      const keyBody = key.split("\n")[2];
      assert.ok(keyBody.length > 40);
      const passphrase = readFileSync(join(ctx.dir, "passphrase"), "utf8");
      const state = pulumi(ctx.env, ["stack", "export", "--stack", STACK]);
      assert.equal(state.code, 0);
      assert.ok(!state.stdout.includes(keyBody), "private key in the state file in plaintext");
      assert.ok(!state.stdout.includes(passphrase), "passphrase in the state file");
      const outputs = pulumi(ctx.env, ["stack", "output", "--json", "--stack", STACK]);
      assert.ok(!outputs.stdout.includes(keyBody));
      const tracked = tryRun("git", ["-C", REPO, "grep", "-l", "-F", keyBody]);
      assert.equal(tracked.out.trim(), "", "private key in a tracked file");
      // Creating the stack must not leave its passphrase salt (or anything) in the repo's file.
      const status = tryRun("git", ["-C", REPO, "status", "--porcelain", "Pulumi.dev.yaml"]);
      assert.equal(status.out.trim(), "", "Pulumi.dev.yaml was modified by the lab");
    });

    test("destroy leaves no device, route, FDB entry or rule behind", () => {
      removeStandIns(ctx.plan);
      const r = pulumi(ctx.env, [
        "destroy",
        "--yes",
        "--skip-preview",
        "--stack",
        STACK,
        "--config-file",
        ctx.configFile,
      ]);
      assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      for (const h of ctx.plan.hosts)
        assert.equal(hostFootprint(h.host), before_[h.host], `${h.host} differs after destroy`);
    });
  },
);
