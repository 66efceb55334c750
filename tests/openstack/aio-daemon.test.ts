// The all-in-one cloud's daemon launcher (scripts/openstack-aio/lib.sh: daemon) must leave the
// caller's stdout and stderr alone. The e2e reads start.sh's output through a pipe; once a
// launcher kept it open as the daemon's parent, and the e2e (and CI after it) waited for EOF
// until its timeout. Here the real lib.sh launches a real process the same way, with only
// "enter the host" replaced by running in place.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

const LIB = join(__dirname, "../../scripts/openstack-aio/lib.sh");

test("a daemon started by lib.sh does not hold the caller's pipes", () => {
  const state = mkdtempSync(join(tmpdir(), "lf-aio-"));
  mkdirSync(join(state, "log/labfabric"), { recursive: true });
  // A sleep no other process has: it is found and stopped by this exact argument.
  const marker = `${300 + (process.pid % 1000) / 1000}`;
  try {
    const started = Date.now();
    const r = spawnSync(
      "bash",
      [
        "-c",
        `. "$1"; inhost() { "$@"; }; DAEMON_LOGS="$2"; daemon probe sh -c 'echo up; exec sleep "$1"' sh "$3"; echo launched`,
        "sh",
        LIB,
        join(state, "log/labfabric"),
        marker,
      ],
      {
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
        timeout: 20_000,
        env: { ...process.env, LABFABRIC_OPENSTACK_STATE: state },
      },
    );
    assert.equal(r.error, undefined, `the caller waited for the daemon: ${r.error}`);
    assert.equal(r.status, 0, r.stderr);
    assert.equal(r.stdout, "launched\n");
    assert.ok(Date.now() - started < 15_000);
    // The daemon really runs, detached, its output in its own log.
    let alive = "";
    for (let i = 0; i < 50 && !alive; i++) {
      alive = spawnSync("pgrep", ["-f", `^sleep ${marker}$`], { encoding: "utf8" }).stdout.trim();
      if (!alive) spawnSync("sleep", ["0.1"]);
    }
    assert.notEqual(alive, "", "the daemon is not running");
    assert.equal(readFileSync(join(state, "log/labfabric/probe.out"), "utf8"), "up\n");
  } finally {
    spawnSync("pkill", ["-f", `^sleep ${marker}$`]);
    rmSync(state, { recursive: true, force: true });
  }
});
