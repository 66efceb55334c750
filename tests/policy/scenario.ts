// Shared by scenario-b.test.ts and scenario-d.test.ts: the pack over everything the real
// program registers for a committed scenario, in preview and in update (values known).
import assert from "node:assert/strict";
import { join } from "node:path";
import { it } from "node:test";
import { Secret } from "@pulumi/policy";
import { loadLab } from "../../components/load";
import { type LabPlan } from "../../components/plan/plan";
import { readStackFile } from "../../components/spec/stack-file";
import { policies } from "../../policy/policies";
import { snapshot, type Obj } from "../../policy/props";
import { captureLab, hasRawSecretMarker, runPack, type Captured } from "./harness";

export function scenarioPlan(file: string): LabPlan {
  const stack = readStackFile(join(__dirname, "..", "..", file));
  const result = loadLab(stack.raw, stack.lab);
  if (!result.ok) throw new Error(`${file} does not validate`);
  return result.plan;
}

export const noViolations = (found: Record<string, string[]>) =>
  Object.fromEntries(Object.keys(found).map((k) => [k, []]));

/** A copy of a captured resource with some plain props replaced (secrets kept where untouched). */
export function tamper(c: Captured, change: (props: Obj) => void): Captured {
  const props = snapshot(c.props) as Obj;
  change(props);
  return { ...c, props };
}

export function replaceOne(
  all: readonly Captured[],
  pick: (c: Captured) => boolean,
  change: (props: Obj) => void,
): Captured[] {
  const i = all.findIndex(pick);
  assert.ok(i >= 0, "no resource to tamper with");
  return all.map((c, j) => (j === i ? tamper(c, change) : c));
}

export function scenarioSuite(file: string, expectTypes: string[]) {
  const plan = scenarioPlan(file);
  let preview: Captured[] = [];
  let update: Captured[] = [];

  it("captures what the program registers, secrets as the policy server sees them", async () => {
    preview = await captureLab(plan, true);
    update = await captureLab(plan, false);
    for (const t of expectTypes) {
      assert.ok(
        update.some((c) => c.type === t),
        `no ${t} registered`,
      );
    }
    assert.ok(update.every((c) => !hasRawSecretMarker(snapshot(c.props))));
    const commands = update.filter((c) => c.type === "command:remote:Command");
    assert.ok(commands.length > 0);
    for (const c of commands) {
      assert.ok(
        Object.getOwnPropertyDescriptor(c.props, "connection")?.value instanceof Secret,
        c.name,
      );
    }
  });

  it("has no violation in preview (values of remote steps unknown)", async () => {
    const found = await runPack(policies, preview);
    assert.deepEqual(found, noViolations(found));
  });

  it("has no violation in update (kubeconfig, join command and CNI values known)", async () => {
    const found = await runPack(policies, update);
    assert.deepEqual(found, noViolations(found));
  });

  return { captured: () => update };
}
