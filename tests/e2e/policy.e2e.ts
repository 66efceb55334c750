// End-to-end: `pulumi preview --policy-pack policy` with the real engine. The engine starts the
// pack through upstream's Node.js language host (RunPlugin), connects to it as an analyzer,
// and blocks the preview on a violation.
//
// The lab is a copy of the repository with a new stack: two hosts joined by VXLAN, so it
// registers two command:remote:Command resources (the host fabric) that a preview never runs;
// the plugins (the command provider among them) are installed by toolchain/env.sh into
// this test's own PULUMI_HOME. State lives in a temporary file:// backend; everything is removed
// afterwards. Run by `npm run test:e2e`; skipped when not root or when the toolchain cannot be
// set up.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { hostKeyLine } from "../lab/helpers";
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
/** Pinned host keys (labfabric checks every SSH server's key; preview reaches no host). */
const HOST_KEYS = [hostKeyLine(1), hostKeyLine(2)].map((k) => JSON.stringify(k));
const STACK_FILE = `config:
  labfabric:hosts:
    - name: lab1
      ssh: { address: 192.0.2.11, hostKey: ${HOST_KEYS[0]} }
      underlay: { interface: eth0, address: 192.0.2.11/24, mtu: 1500 }
    - name: lab2
      ssh: { address: 192.0.2.12, hostKey: ${HOST_KEYS[1]} }
      underlay: { interface: eth0, address: 192.0.2.12/24, mtu: 1500 }
  labfabric:fabric:
    mode: vxlan
    vmSubnet: 10.39.0.0/24
`;

/** The environment env.sh sets up, with this test's PULUMI_HOME and backend; or why not. */
function toolchainEnv(root: string): NodeJS.ProcessEnv | string {
  const r = spawnSync(
    "bash",
    ["-c", 'source "$1" >&2 && env -0', "env", join(REPO, "toolchain/env.sh")],
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
    return `the toolchain could not be set up (source toolchain/env.sh: ${why || r.error?.message})`;
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

  it("a credential in plain text never reaches the pack: the program refuses it, unprinted", () => {
    // A kubeadm token pasted into a host's root path would end up in that host's fabric scripts
    // as plain text. The program refuses the stack before anything registers and does not echo
    // the value; the pack's secrets-stay-secret is the second line (the compliant lab above
    // proves that the SSH key in each command's connection reaches it as a secret).
    ok(["config", "set", "--path", "labfabric:hosts[0].root", "/srv/abcdef.0123456789abcdef"]);
    const r = preview();
    ok(["config", "rm", "--path", "labfabric:hosts[0].root"]);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, /labfabric:hosts\[0\]\.root = \(looks like a secret, not shown\)/);
    assert.doesNotMatch(r.out, /0123456789abcdef/);
  });

  it("a planted violation fails the preview: a learned host key's step without a delete, once the pack's config stops counting it read-only", () => {
    // Trust-on-first-use: lab1's key is learned by a `-host-key` step (ssh-keyscan, no delete),
    // which the pack's default readOnlyCommands exempts; a config without that suffix makes it
    // a violation of remote-commands-have-delete.
    ok(["config", "set", "labfabric:sshHostKeys", "trust-on-first-use"]);
    ok(["config", "rm", "--path", "labfabric:hosts[0].ssh.hostKey"]);
    const config = join(root, "policy-config.json");
    writeFileSync(
      config,
      JSON.stringify({ "remote-commands-have-delete": { readOnlyCommands: ["-kubeconfig"] } }),
    );
    const r = preview("--policy-pack-config", config);
    assert.notEqual(r.code, 0, r.out);
    assert.match(r.out, packLine("❌"));
    assert.match(
      r.out,
      /\[mandatory\]\s+remote-commands-have-delete\s+\(command:local:Command: host-lab1-host-key\)/,
    );
    assert.doesNotMatch(r.out, /host-lab2-host-key/);
  });

  it("--policy-pack-config reaches the pack: with the default config the same lab passes", () => {
    const r = preview();
    assert.equal(r.code, 0, r.out);
    assert.match(r.out, packLine("✅"));
    assert.match(r.out, /command:local:Command\s+host-lab1-host-key\s+create/);
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
