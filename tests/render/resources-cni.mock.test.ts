// resources.json for scenario D: a reviewer sees the CNI's Helm values (pool, MTU, mode, ports);
// only Flannel's --iface list waits for the OpenStack workers' addresses, assigned at creation.
// One render per process: the mock runtime is global.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { renderLab } from "../../scripts/render";
import type { RegisteredResource } from "../../scripts/resources";
import { STACKS } from "../lab/helpers";

describe("resources.json for scenario D: the CNI values", async () => {
  const out = mkdtempSync(join(tmpdir(), "lf-resources-d-"));
  const result = await renderLab(STACKS.d, out);
  const resources = JSON.parse(
    readFileSync(join(out, "resources.json"), "utf8"),
  ) as RegisteredResource[];

  it("shows every value the plan knows; only the node-address leaf is unknown", () => {
    assert.equal(result.ok, true);
    const release = resources.find((r) => r.type === "kubernetes:helm.sh/v3:Release");
    assert.ok(release, "no Helm release registered");
    assert.deepEqual(release.inputs.values, {
      flannel: { args: { __pulumiUnknown: true }, backend: "vxlan", backendPort: 8472, mtu: 1500 },
      podCidr: "10.244.0.0/16",
    });
  });
});
