// Snapshot files for rendered scripts and configs: compared byte for byte; regenerate with
// UPDATE_SNAPSHOTS=1 and review the diff like code.
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const DIR = join(__dirname, "__snapshots__");

export function assertSnapshot(name: string, actual: string): void {
  const path = join(DIR, name);
  if (process.env.UPDATE_SNAPSHOTS === "1") {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, actual);
    return;
  }
  assert.ok(
    existsSync(path),
    `snapshot ${name} is missing: run with UPDATE_SNAPSHOTS=1 and review it`,
  );
  assert.equal(actual, readFileSync(path, "utf8"), `snapshot ${name} differs`);
}
