// Every file a project shell script sources exists: the `# shellcheck source=` directive (relative
// to the script) and a `source "$REPO/..."` line (REPO = the repository root in every script that
// sets it). A move (scripts/toolchain -> toolchain/) once left a script sourcing a path that was
// gone, found only when the lab-k e2e (then opt-in) ran it.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { it } from "node:test";

const REPO = join(__dirname, "..", "..");

function shellScripts(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (name === "node_modules" || name.startsWith(".")) return [];
    if (statSync(path).isDirectory()) return shellScripts(path);
    return name.endsWith(".sh") ? [path] : [];
  });
}

it("every sourced file of the project's shell scripts exists", () => {
  const scripts = [
    ...shellScripts(join(REPO, "scripts")),
    ...shellScripts(join(REPO, "toolchain")),
  ];
  assert.ok(scripts.length > 10, "found the project's scripts");
  const missing: string[] = [];
  let checked = 0;
  for (const script of scripts) {
    const text = readFileSync(script, "utf8");
    const name = relative(REPO, script);
    for (const m of text.matchAll(/#\s*shellcheck source=(\S+)/g)) {
      checked++;
      if (!existsSync(join(dirname(script), m[1])))
        missing.push(`${name}: shellcheck source=${m[1]}`);
    }
    for (const m of text.matchAll(/(?:^|\s)(?:source|\.)\s+"\$REPO\/([^"$]+)"/gm)) {
      checked++;
      if (!existsSync(join(REPO, m[1]))) missing.push(`${name}: source "$REPO/${m[1]}"`);
    }
  }
  assert.ok(checked > 5, "found source lines to check");
  assert.deepEqual(missing, []);
});
