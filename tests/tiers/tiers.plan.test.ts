// Every test file belongs to exactly one tier, and each tier is an npm script selecting its files
// by glob: plan (pure planner and validation, no Pulumi runtime), mock (Pulumi's mock runtime),
// kernel (network namespaces, sshd, iptables, libvirtd on the real kernel), e2e (the real
// engine). `npm test` runs every tier but e2e.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join, relative } from "node:path";
import { describe, it } from "node:test";

const REPO = join(__dirname, "..", "..");
const scripts = (
  JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
    scripts: Record<string, string>;
  }
).scripts;
const TIERS = ["plan", "mock", "kernel", "e2e"] as const;

/** The file globs of a tier's npm script: its arguments naming `tests/...` files. */
function globs(tier: string): string[] {
  const script = scripts[`test:${tier}`];
  assert.ok(script, `package.json has no script test:${tier}`);
  return script.split(/\s+/).filter((w) => w.startsWith("tests/"));
}

/** A shell glob as the shell expands it: `*` within one path segment, nothing else special. */
function matches(glob: string, path: string): boolean {
  const re = glob
    .split("*")
    .map((s) => s.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join("[^/]*");
  return new RegExp(`^${re}$`).test(path);
}

/** Every test file under tests/: node's test runner would take any *.test.ts or *.e2e.ts. */
function testFiles(dir = join(REPO, "tests")): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return testFiles(p);
    return /\.(test|e2e)\.[cm]?[jt]s$/.test(e.name) ? [relative(REPO, p)] : [];
  });
}

describe("test tiers", () => {
  const files = testFiles();

  it("finds the test files", () => {
    assert.ok(files.length > 40, `only ${files.length} test files found`);
  });

  it("puts every test file in exactly one tier", () => {
    const wrong: string[] = [];
    for (const f of files) {
      const tiers = TIERS.filter((t) => globs(t).some((g) => matches(g, f)));
      if (tiers.length !== 1)
        wrong.push(
          `${f}: ${tiers.length === 0 ? "in no tier" : `in ${tiers.join(" and ")}`} (name it *.plan.test.ts, *.mock.test.ts, *.kernel.test.ts or *.e2e.ts, under tests/<area>/)`,
        );
    }
    assert.deepEqual(wrong, []);
  });

  it("has no tier glob that selects nothing", () => {
    for (const t of TIERS)
      for (const g of globs(t))
        assert.ok(
          files.some((f) => matches(g, f)),
          `test:${t}'s ${g} matches no file`,
        );
  });

  it("runs typecheck, lint and every tier but e2e in npm test", () => {
    const steps = scripts.test.split("&&").map((s) => s.trim());
    assert.deepEqual(steps, [
      "npm run typecheck",
      "npm run lint",
      "npm run test:plan",
      "npm run test:mock",
      "npm run test:kernel",
    ]);
  });

  it("keeps the Pulumi runtime out of the plan tier", () => {
    const self = relative(REPO, __filename);
    const plan = files.filter((f) => f !== self && matches(globs("plan")[0], f));
    const runtime =
      /setMocks|MockMonitor|from "\.\/mocks"|from "\.\.\/\w+\/mocks"|from "\.\/harness"|scripts\/render"|scripts\/resources"/;
    for (const f of plan)
      assert.doesNotMatch(
        readFileSync(join(REPO, f), "utf8"),
        runtime,
        `${f} uses the mock runtime`,
      );
  });
});
