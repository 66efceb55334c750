// A failed render in the PR workflow posts its log on the pull request (render-plans.sh pastes
// it into the sticky comment): no value of the stack file that could be a secret may be in it.
// Run as CI runs it, in a copy of the repository holding one careless stack file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { stringify } from "yaml";
import { copyRepo } from "../stacks/repo-copy";

const PEM = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "QyNTUxOQAAACBQ3zFe8sW9pJkWm2vK7q4yXh1ZtR0aN6uLcE5dG8fTjAAAAJjq1x0P6tcd",
  "-----END OPENSSH PRIVATE KEY-----",
].join("\n");
const TOKEN = "abcdef.0123456789abcdef";
const PASSWORD = "Tr0ub4dor&3horse!";
const API_KEY = "Zk3Qw9Lp2Xv7Rt5Yb1Nm8Hc4Jd6Fg0Sa";
const KEYSTONE = "gAAAAABmXyZq3kL9pQ2rT8vW1xY4zA7bC0dE5fG6hI";
const SECRETS = [PEM, ...PEM.split("\n").slice(1, -1), TOKEN, PASSWORD, API_KEY, KEYSTONE];

/** A lab a new user pasted credentials into, each under a key that is not a secret. */
const CARELESS = stringify({
  config: {
    "labfabric:sshPublicKey": PEM,
    "labfabric:hosts": [
      {
        name: TOKEN,
        ssh: { address: "192.168.0.11", password: PASSWORD },
        underlay: { interface: "eth0", address: "192.168.0.11/24" },
      },
    ],
    "labfabric:fabric": { mode: "none", bridge: PASSWORD },
    "labfabric:kubernetes": { enabled: true, cni: { mode: API_KEY } },
    "openstack:password": PASSWORD,
    "openstack:token": KEYSTONE,
    "lab-fabric:apiKey": API_KEY,
    "kubernetes:kubeconfig": `users:\n- user:\n    client-key-data: ${API_KEY}\n`,
  },
});

describe("render-plans.sh with a careless stack file", () => {
  const scratch = mkdtempSync(join(tmpdir(), "lf-leak-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));

  it("fails, and neither the PR comment nor any log holds a value that could be a secret", () => {
    const work = join(scratch, "repo");
    copyRepo(scratch, work);
    for (const f of readdirSync(work).filter((f) => /^Pulumi\..+\.yaml$/.test(f)))
      rmSync(join(work, f));
    writeFileSync(join(work, "Pulumi.careless.yaml"), CARELESS);
    const out = join(scratch, "out");
    const run = spawnSync(join(work, ".github/scripts/render-plans.sh"), [out], {
      cwd: work,
      encoding: "utf8",
      env: { ...process.env, PLAN_COMMIT: "0123456789abcdef" },
      timeout: 120_000,
    });
    assert.equal(run.status, 1, run.stderr);
    const doc = readFileSync(join(out, "plans.md"), "utf8");
    assert.match(doc, /\| `careless` \| \*\*does not validate\*\* \|/);
    // The report still names every key that holds one.
    for (const key of [
      "labfabric:sshPublicKey",
      "labfabric:hosts[0].name",
      "labfabric:hosts[0].ssh.password",
      "labfabric:fabric.bridge",
      "openstack:password",
      "openstack:token",
      "lab-fabric:apiKey",
      "kubernetes:kubeconfig",
    ])
      assert.ok(doc.includes(`${key} = `), `the report does not name ${key}`);
    const published = [
      doc,
      run.stdout,
      run.stderr,
      readFileSync(join(out, "careless.log"), "utf8"),
    ];
    for (const text of published)
      for (const secret of SECRETS)
        assert.ok(!text.includes(secret), `published: ${secret.slice(0, 12)}...`);
  });
});
