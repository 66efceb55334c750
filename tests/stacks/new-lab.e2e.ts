// README "A stack per lab", followed to the letter with the real engine in a copy of the
// repository: a new lab (stack init, config set --path, a secret from a file), its plan
// rendered, preview, up, outputs, destroy, stack rm, on a local file:// backend with a
// passphrase file. The lab has hosts but fabric mode "none" and no Kubernetes, so it needs no
// resource plugin and touches no host.
//
// The CLI is the project's toolchain (toolchain/env.sh: found, or built once), with this test's
// own PULUMI_HOME and backend.
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { loadLab } from "../../components/load";
import { readStackFile } from "../../components/spec/stack-file";
import { toolchainEnv } from "../../scripts/lab/pulumi";
import { hostKeyLine } from "../lab/helpers";
import { copyRepo } from "./repo-copy";
import { plaintextSecretsInFile } from "./scan";

const LAB = "mylab";
/** What `ssh-keyscan -t ed25519 <host>` prints after the host name (the host is never reached). */
const HOST_KEY = hostKeyLine(7);
const KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ",
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");

describe(
  "a new lab, created as the README says, with the real engine",
  { timeout: 600_000 },
  () => {
    let work = "";
    let env: NodeJS.ProcessEnv = {};

    function pulumi(args: string[], input?: string): string {
      const r = spawnSync("pulumi", [...args, "--non-interactive"], {
        cwd: work,
        env,
        input,
        encoding: "utf8",
        timeout: 300_000,
      });
      assert.equal(r.status, 0, `pulumi ${args.join(" ")}:\n${r.stdout}\n${r.stderr}`);
      return r.stdout;
    }

    before(() => {
      const root = mkdtempSync(join(tmpdir(), "lf-new-lab-"));
      work = join(root, "repo");
      copyRepo(root, work);
      writeFileSync(join(root, "passphrase"), "correct horse battery staple\n", { mode: 0o600 });
      writeFileSync(join(root, "lab_ed25519"), KEY, { mode: 0o600 });
      // Only the toolchain's PATH (the CLI and the language host): the rest is this test's own.
      const { PATH } = toolchainEnv(join(root, "toolchain"));
      env = {
        ...process.env,
        PATH,
        PULUMI_HOME: join(root, "pulumi-home"), // its own login, not the caller's
        PULUMI_CONFIG_PASSPHRASE_FILE: join(root, "passphrase"),
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      };
      delete env.PULUMI_BACKEND_URL;
      delete env.PULUMI_CONFIG_PASSPHRASE;
      mkdirSync(join(root, "state"));
      pulumi(["login", `file://${join(root, "state")}`]);
    });

    after(() => {
      if (work) spawnSync("pulumi", ["stack", "rm", "--yes", "--force", LAB], { cwd: work, env });
    });

    it("pulumi stack init <lab> and config set --path write Pulumi.<lab>.yaml", () => {
      pulumi(["stack", "init", LAB]);
      const set = (path: string, value: string) => pulumi(["config", "set", "--path", path, value]);
      set("labfabric:fabric.mode", "none");
      set("labfabric:hosts[0].name", "lab1");
      set("labfabric:hosts[0].ssh.address", "192.0.2.10");
      set("labfabric:hosts[0].underlay.interface", "eth0");
      set("labfabric:hosts[0].underlay.address", "192.0.2.10/24");
      set("labfabric:hosts[0].underlay.mtu", "1500");
      set("labfabric:hosts[0].ssh.hostKey", HOST_KEY);
      const doc = parse(readFileSync(join(work, `Pulumi.${LAB}.yaml`), "utf8")) as {
        config: Record<string, unknown>;
      };
      assert.deepEqual(doc.config["labfabric:hosts"], [
        {
          name: "lab1",
          ssh: { address: "192.0.2.10", hostKey: HOST_KEY },
          underlay: { interface: "eth0", address: "192.0.2.10/24", mtu: 1500 },
        },
      ]);
    });

    it("the private key set with --secret < file is stored encrypted, and the file passes the checks", () => {
      pulumi(["config", "set", "--secret", "labfabric:sshPrivateKey"], KEY);
      const file = join(work, `Pulumi.${LAB}.yaml`);
      const text = readFileSync(file, "utf8");
      assert.match(text, /labfabric:sshPrivateKey:\n\s+secure: v1:/);
      assert.ok(!text.includes("PRIVATE KEY"));
      assert.deepEqual(plaintextSecretsInFile(file), []);
      const stack = readStackFile(file);
      assert.deepEqual(stack.secrets, ["sshPrivateKey"]);
      assert.ok(loadLab(stack.raw, stack.lab).ok);
      assert.equal(pulumi(["config", "get", "labfabric:sshPrivateKey"]), KEY);
    });

    it("npm run render -- Pulumi.<lab>.yaml --out out/<lab> writes its plan", () => {
      execFileSync(
        "npm",
        ["run", "-s", "render", "--", `Pulumi.${LAB}.yaml`, "--out", `out/${LAB}`],
        {
          cwd: work,
          env,
          stdio: ["ignore", "pipe", "pipe"],
        },
      );
      assert.match(readFileSync(join(work, "out", LAB, "plan.md"), "utf8"), /^# Lab `mylab`/);
    });

    it("pulumi preview, pulumi up, then the outputs", () => {
      assert.match(pulumi(["preview"]), /\+ 1 to create/);
      pulumi(["up", "--yes", "--skip-preview"]);
      const outputs = JSON.parse(pulumi(["stack", "output", "--json", "--show-secrets"])) as {
        mtu: { vm: number; fabricOverhead: number };
        hosts?: unknown;
      };
      assert.equal(outputs.mtu.vm, 1500);
      assert.equal(outputs.mtu.fabricOverhead, 0);
      assert.match(pulumi(["preview", "--expect-no-changes"]), /1 unchanged/);
    });

    it("pulumi destroy, then pulumi stack rm removes the lab and its stack file", () => {
      pulumi(["destroy", "--yes", "--skip-preview"]);
      pulumi(["stack", "rm", "--yes", LAB]);
      assert.ok(!existsSync(join(work, `Pulumi.${LAB}.yaml`)));
      assert.doesNotMatch(pulumi(["stack", "ls"]), new RegExp(LAB));
    });
  },
);
