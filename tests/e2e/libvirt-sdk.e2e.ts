// The committed libvirt SDK (sdks/libvirt) is exactly what `npm run gen:libvirt-sdk` makes from
// the schema of the libvirt plugin the toolchain installed: the schema the plugin reports is the
// committed sdks/libvirt/schema.json, and gen-sdk of it gives the committed sources, file for
// file. So the SDK's types cannot drift from the provider the engine runs. Needs the toolchain
// (toolchain/env.sh), hence the engine tier (`npm run test:e2e`).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { after, describe, test } from "node:test";

const REPO = join(__dirname, "..", "..");
const SDK = join(REPO, "sdks", "libvirt");
/** Build output and installed packages are not part of the generated SDK. */
const NOT_GENERATED = new Set(["bin", "node_modules"]);

function files(dir: string, top = dir): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    if (dir === top && NOT_GENERATED.has(e.name)) return [];
    const p = join(dir, e.name);
    return e.isDirectory() ? files(p, top) : [relative(top, p)];
  });
}

describe("the libvirt SDK is generated from the plugin's schema", { timeout: 900_000 }, () => {
  const out = mkdtempSync(join(tmpdir(), "lf-libvirt-sdk-"));
  after(() => rmSync(out, { recursive: true, force: true }));

  test("gen-libvirt-sdk.sh reproduces sdks/libvirt file for file", () => {
    const gen = spawnSync("bash", [join(REPO, "toolchain/gen-libvirt-sdk.sh"), out], {
      cwd: REPO,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    assert.equal(gen.status, 0, `gen-libvirt-sdk.sh failed:\n${gen.stderr}`);

    const fix = "regenerate it: npm run gen:libvirt-sdk";
    const committed = files(SDK).sort();
    const generated = files(out).sort();
    assert.deepEqual(
      committed,
      generated,
      `sdks/libvirt has other files than gen-sdk makes; ${fix}`,
    );
    assert.equal(
      readFileSync(join(SDK, "schema.json"), "utf8"),
      readFileSync(join(out, "schema.json"), "utf8"),
      `sdks/libvirt/schema.json is not the schema of the installed libvirt plugin; ${fix}`,
    );
    const differing = generated.filter(
      (f) => !readFileSync(join(SDK, f)).equals(readFileSync(join(out, f))),
    );
    assert.deepEqual(differing, [], `these files differ from what gen-sdk makes; ${fix}`);
  });
});
