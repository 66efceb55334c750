// resources.json: every resource the real program registers for scenario A, through the mock
// runtime, with secrets redacted. One render per process: the mock runtime is global.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderLab } from "../../scripts/render";
import { REDACTED, type RegisteredResource } from "../../scripts/resources";
import { STACKS } from "../lab/helpers";

describe("resources.json for scenario A", async () => {
  const out = mkdtempSync(join(tmpdir(), "lf-resources-"));
  const result = await renderLab(STACKS.a, out);
  const text = readFileSync(join(out, "resources.json"), "utf8");
  const resources = JSON.parse(text) as RegisteredResource[];
  const ofType = (t: string) => resources.filter((r) => r.type === t);

  it("is written beside plan.md and the host scripts", () => {
    assert.equal(result.ok, true);
    assert.ok(result.files.includes(join(out, "resources.json")));
  });

  it("registers one fabric command per host with the redacted connection and the rendered up.sh", () => {
    const fabric = ofType("command:remote:Command").filter((r) => r.name.endsWith("-fabric"));
    assert.deepEqual(fabric.map((r) => r.name).sort(), [
      "fabric-host1-fabric",
      "fabric-host2-fabric",
    ]);
    for (const r of fabric) {
      assert.equal(r.inputs.connection, REDACTED);
      const host = r.name.replace(/^fabric-|-fabric$/g, "");
      assert.equal(r.inputs.create, readFileSync(join(out, "hosts", host, "up.sh"), "utf8"));
    }
  });

  it("gives each host its own libvirt provider and a bridge network onto the fabric bridge", () => {
    assert.equal(ofType("pulumi:providers:libvirt").length, 2);
    const nets = ofType("libvirt:index/network:Network");
    assert.deepEqual(
      nets.map((n) => [n.inputs.mode, n.inputs.bridge, n.inputs.mtu]),
      [
        // No <mtu> in bridge mode (libvirt 9.0 refuses it): taps take the fabric bridge's 1450.
        ["bridge", "br-vm", undefined],
        ["bridge", "br-vm", undefined],
      ],
    );
    for (const r of ofType("libvirt:index/domain:Domain"))
      assert.ok(r.provider, `${r.name} has no provider`);
  });

  it("installs Calico with the planned pod MTU and pool", () => {
    const [release] = ofType("kubernetes:helm.sh/v3:Release");
    const values = release.inputs.values as {
      installation: { calicoNetwork: { mtu: number; ipPools: { cidr: string }[] } };
    };
    assert.equal(values.installation.calicoNetwork.mtu, 1430);
    assert.equal(values.installation.calicoNetwork.ipPools[0].cidr, "172.16.0.0/16");
  });

  it("holds no secret in plain text", () => {
    assert.doesNotMatch(text, /placeholder: pulumi config set|PRIVATE KEY/);
  });
});
