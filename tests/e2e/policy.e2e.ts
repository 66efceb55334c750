// End-to-end: `pulumi preview --policy-pack policy` with the real engine. The engine starts the
// pack through upstream's Node.js language host (RunPlugin), connects to it as an analyzer,
// and blocks the preview on a violation.
//
// The lab is a copy of the repository with a new stack: two hosts joined by VXLAN, so it
// registers two command:remote:Command resources (the host fabric) that a preview never runs;
// the plugins (the command provider among them) are installed by scripts/toolchain/env.sh into
// this test's own PULUMI_HOME. State lives in a temporary file:// backend; everything is removed
// afterwards. Run by `npm run test:e2e`; skipped when not root or when the toolchain cannot be
// set up.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { copyRepo } from "../stacks/repo-copy";

const REPO = join(__dirname, "..", "..");
const PACK = join(REPO, "policy");
const LAB = "policylab";
/** The preview's line for the pack: ✅ passed, ❌ a mandatory violation. */
const packLine = (mark: "✅" | "❌") =>
  new RegExp(
    `${mark} labfabric@v0\\.1\\.0 \\(local: ${PACK.replace(/[.*+?^$()|[\]\\{}]/g, "\\$&")}\\)`,
  );
const KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZWQyNTUxOQ",
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");
const STACK_FILE = `config:
  labfabric:hosts:
    - name: lab1
      ssh: { address: 192.0.2.11 }
      underlay: { interface: eth0, address: 192.0.2.11/24, mtu: 1500 }
    - name: lab2
      ssh: { address: 192.0.2.12 }
      underlay: { interface: eth0, address: 192.0.2.12/24, mtu: 1500 }
  labfabric:fabric:
    mode: vxlan
    vmSubnet: 10.39.0.0/24
`;

/** The environment env.sh sets up, with this test's PULUMI_HOME and backend; or why not. */
function toolchainEnv(root: string): NodeJS.ProcessEnv | string {
  const r = spawnSync(
    "bash",
    ["-c", 'source "$1" >&2 && env -0', "env", join(REPO, "scripts/toolchain/env.sh")],
    {
      encoding: "utf8",
      env: {
        ...process.env,
        PULUMI_HOME: join(root, "pulumi-home"),
        PULUMI_BACKEND_URL: `file://${join(root, "state")}`,
      },
      maxBuffer: 16 * 1024 * 1024,
    },
  );
  if (r.status !== 0) {
    const why = (r.stderr ?? "").trim().split("\n").slice(-3).join(" | ");
    return `the toolchain could not be set up (source scripts/toolchain/env.sh: ${why || r.error?.message})`;
  }
  const env: NodeJS.ProcessEnv = {};
  for (const kv of r.stdout.split("\0").filter(Boolean)) {
    const i = kv.indexOf("=");
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  env.PULUMI_CONFIG_PASSPHRASE_FILE = join(root, "passphrase");
  delete env.PULUMI_CONFIG_PASSPHRASE;
  return env;
}

let root = "";
let env: NodeJS.ProcessEnv = {};
let skip: string | false = "needs root (the e2e suite runs as root)";
if (process.getuid?.() === 0) {
  root = mkdtempSync(join(tmpdir(), "lf-policy-e2e-"));
  mkdirSync(join(root, "state"));
  const e = toolchainEnv(root);
  if (typeof e === "string") {
    rmSync(root, { recursive: true, force: true });
    skip = e;
  } else {
    env = e;
    skip = false;
  }
}

describe("the policy pack under the real engine", { skip, timeout: 180_000 }, () => {
  const work = join(root, "repo");

  function pulumi(args: string[], input?: string) {
    const r = spawnSync("pulumi", [...args, "--non-interactive", "--color", "never"], {
      cwd: work,
      env,
      input,
      encoding: "utf8",
      timeout: 120_000,
    });
    return { code: r.status, out: `${r.stdout}\n${r.stderr}` };
  }
  function ok(args: string[], input?: string): string {
    const r = pulumi(args, input);
    assert.equal(r.code, 0, `pulumi ${args.join(" ")}:\n${r.out}`);
    return r.out;
  }
  const preview = (...more: string[]) => pulumi(["preview", "--policy-pack", PACK, ...more]);

  before(() => {
    copyRepo(root, work);
    writeFileSync(join(root, "passphrase"), "correct horse battery staple\n", { mode: 0o600 });
    writeFileSync(join(work, `Pulumi.${LAB}.yaml`), STACK_FILE);
    ok(["stack", "init", LAB]);
    ok(["config", "set", "--secret", "labfabric:sshPrivateKey"], KEY);
  });

  after(() => {
    if (root) rmSync(root, { recursive: true, force: true });
  });

  it("a compliant lab passes, with the pack reported as run", () => {
    const r = preview();
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, /command:remote:Command\s+fabric-lab1-fabric\s+create/);
    assert.match(r.out, /\+ 5 to create/);
    assert.match(r.out, /Policies:\s*\n\s*✅ labfabric@/);
    assert.match(r.out, packLine("✅"));
    assert.doesNotMatch(r.out, /\[mandatory\]|\[advisory\]/);
  });

  it("a credential in plain text in a remote command is a violation and fails the preview", () => {
    // A kubeadm token pasted into a host's root path ends up in that host's fabric scripts (the
    // command's create and delete) as plain text. The SSH key beside it, in the command's
    // connection, is a secret and passes: the pack sees secretness (secrets-stay-secret runs as a
    // remediation), over the engine's real wire format.
    ok(["config", "set", "--path", "labfabric:hosts[0].root", "/srv/abcdef.0123456789abcdef"]);
    const r = preview();
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, packLine("❌"));
    assert.match(
      r.out,
      /\[mandatory\]\s+secrets-stay-secret\s+\(command:remote:Command: fabric-lab1-fabric\)/,
    );
    assert.match(r.out, /fabric-lab1-fabric: create holds a kubeadm bootstrap token in plain text/);
    assert.doesNotMatch(r.out, /fabric-lab2-fabric\)|connection\.privateKey/);
  });

  it("--policy-pack-config reaches the pack: that policy disabled, the same lab passes", () => {
    const config = join(root, "policy-config.json");
    writeFileSync(config, JSON.stringify({ "secrets-stay-secret": "disabled" }));
    const r = preview("--policy-pack-config", config);
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, packLine("✅"));
  });

  it("the engine checks the policy config against the pack's schema", () => {
    const config = join(root, "bad-policy-config.json");
    writeFileSync(
      config,
      JSON.stringify({
        "no-world-open-ingress": { allowedWorldOpen: [{ protocol: "icmp", port: 1 }] },
      }),
    );
    const r = preview("--policy-pack-config", config);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /allowedWorldOpen\.0\.protocol must be one of the following: "tcp", "udp"/);
  });
});
