// The Pulumi toolchain (toolchain/): its scripts parse and pass shellcheck's error level, and the
// versions it pins agree with the SDKs the program depends on (ensure.sh checks this too, but
// silently passes where an SDK's package.json is not found, e.g. after the folder moved).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";

const REPO = join(__dirname, "..", "..");
const DIR = join(REPO, "toolchain");
const scripts = readdirSync(DIR)
  .filter((f) => f.endsWith(".sh"))
  .sort();

function pins(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(join(DIR, "versions.env"), "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=(\S*)/.exec(line);
    if (m) env[m[1]] = m[2];
  }
  return env;
}

/** The plugin version an SDK registers its resources with (package.json `pulumi.version`). */
function sdkPluginVersion(dir: string): string {
  const p = JSON.parse(readFileSync(join(REPO, dir, "package.json"), "utf8")) as {
    version: string;
    pulumi?: { version?: string };
  };
  return `v${(p.pulumi?.version ?? p.version).replace(/^v/, "")}`;
}

describe("the toolchain", () => {
  it("has its scripts at the top level of the repository", () => {
    assert.deepEqual(scripts, ["ensure.sh", "env.sh", "gen-libvirt-sdk.sh", "lib.sh"]);
  });

  for (const f of scripts) {
    it(`${f} parses (bash -n) and passes shellcheck at error level`, () => {
      const syntax = spawnSync("bash", ["-n", join(DIR, f)], { encoding: "utf8" });
      assert.equal(syntax.status, 0, syntax.stderr);
      const sc = spawnSync("shellcheck", ["-S", "error", "-x", "-P", "SCRIPTDIR", join(DIR, f)], {
        cwd: DIR,
        encoding: "utf8",
      });
      assert.equal(sc.error, undefined, "shellcheck is not installed (scripts/setup.sh)");
      assert.equal(sc.status, 0, sc.stdout);
    });
  }

  it("pins the plugin versions the SDKs register resources with", () => {
    const env = pins();
    assert.equal(sdkPluginVersion("node_modules/@pulumi/command"), env.COMMAND_PROVIDER_VERSION);
    assert.equal(
      sdkPluginVersion("node_modules/@pulumi/openstack"),
      env.OPENSTACK_PROVIDER_VERSION,
    );
    assert.equal(
      sdkPluginVersion("node_modules/@pulumi/kubernetes"),
      env.KUBERNETES_PROVIDER_VERSION,
    );
    assert.equal(sdkPluginVersion("sdks/libvirt"), env.LIBVIRT_PROVIDER_VERSION);
    const sdk = JSON.parse(
      readFileSync(join(REPO, "node_modules/@pulumi/pulumi/package.json"), "utf8"),
    ) as { version: string };
    assert.equal(`v${sdk.version}`, env.PULUMI_VERSION);
  });

  it("pins every source tarball by SHA-256", () => {
    const env = pins();
    const tarballs = Object.keys(env).filter((k) => k.endsWith("_TARBALL"));
    assert.ok(tarballs.length >= 4);
    for (const k of tarballs)
      assert.match(env[k.replace(/_TARBALL$/, "_SHA256")] ?? "", /^[0-9a-f]{64}$/, k);
  });
});
