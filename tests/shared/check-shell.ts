// The check every rendered script gets in the plan tier: `sh -n` parses it, and shellcheck
// (installed by scripts/setup.sh) finds no warning in it as POSIX sh.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

export const HAS_SHELLCHECK = spawnSync("shellcheck", ["--version"]).status === 0;

export function checkShell(name: string, text: string): void {
  const path = join(mkdtempSync(join(tmpdir(), "labfabric-sh-")), name);
  writeFileSync(path, text);
  const syntax = spawnSync("sh", ["-n", path], { encoding: "utf8" });
  assert.equal(syntax.status, 0, `${name}: sh -n failed:\n${syntax.stderr}`);
  if (HAS_SHELLCHECK) {
    const sc = spawnSync("shellcheck", ["-s", "sh", "-S", "warning", path], { encoding: "utf8" });
    assert.equal(sc.status, 0, `${name}: shellcheck:\n${sc.stdout}`);
  }
}
