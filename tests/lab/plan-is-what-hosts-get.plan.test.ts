// The plan a reviewer reads is exactly what the hosts get: for any mix of underlay MTUs, every
// MTU in plan.md's table for a host's fabric device and VM NIC is the MTU its up.sh sets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { renderHostScripts } from "../../components/host-fabric/scripts";
import { mtuTable } from "../../components/views/plan-markdown";
import { host, load, vxlanLab } from "./helpers";

/** plan.md's MTU table as {path name -> [layer, mtu][]}. */
function tableRows(md: string): Map<string, [string, number][]> {
  const rows = new Map<string, [string, number][]>();
  let current = "";
  for (const line of md.split("\n").slice(2)) {
    const [, path, layer, , mtu] = line.split("|").map((c) => c.trim());
    if (layer.startsWith("**")) continue;
    if (path) rows.set((current = path), []);
    rows.get(current)!.push([layer, Number(mtu)]);
  }
  return rows;
}

/** Every MTU an up.sh sets on a device (lf_ensure_mtu '<dev>' '<mtu>'). */
function scriptMtus(script: string): number[] {
  return [...script.matchAll(/^lf_ensure_mtu '[^']+' '(\d+)'$/gm)].map((m) => Number(m[1]));
}

describe("plan.md's MTU table is what the scripts set", () => {
  it("for any underlay MTUs, each host's VXLAN and VM NIC rows equal the MTU its up.sh sets", () => {
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1400, max: 9216 }), { minLength: 2, maxLength: 4 }),
        (mtus) => {
          const plan = load(vxlanLab((s) => (s.hosts = mtus.map((m, i) => host(i + 1, m)))));
          const rows = tableRows(mtuTable(plan));
          for (const h of plan.hosts) {
            const path = [...rows.keys()].find((p) => p.split(", ").includes(`host ${h.host}`));
            assert.ok(path, `no MTU row for ${h.host}`);
            const fabricRows = rows.get(path)!.filter(([l]) => /^(host VXLAN|VM NIC)/.test(l));
            const up = renderHostScripts(h).find((f) => f.path.endsWith("/up.sh"))!.content;
            const set = [...new Set(scriptMtus(up))];
            assert.equal(set.length, 1, `${h.host} sets one fabric MTU`);
            for (const [layer, mtu] of fabricRows)
              assert.equal(
                mtu,
                set[0],
                `${h.host}: plan.md says ${layer} ${mtu}, up.sh sets ${set[0]}`,
              );
          }
        },
      ),
      { numRuns: 60 },
    );
  });
});
