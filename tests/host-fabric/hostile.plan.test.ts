// Hostile values never reach a script: `loadLab` refuses them first, naming the key. And
// even if one did, `shq` keeps it one inert word — proven by running sh on a nasty string.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import fc from "fast-check";
import { heredoc, shq } from "../../components/shared/shell";
import { loadLab } from "../../components/load";

const IFNAME =
  "must be a Linux interface name: 1-15 of letters, digits, '.', '_', '-' (see `ip link`)";
const DNS_LABEL =
  "must be a DNS label: lowercase letters, digits and '-', 1-63 characters, e.g. \"node-1\"";

interface RawLab {
  hosts: {
    name: string;
    ssh: { address: string };
    underlay: { interface: string; address: string };
    root?: string;
  }[];
  fabric: { mode: string; vmSubnet: string; bridge?: string; vxlanDevice?: string };
}

function baseLab(): RawLab {
  return {
    hosts: [1, 2].map((i) => ({
      name: `h${i}`,
      ssh: { address: `10.250.9.${i}` },
      underlay: { interface: "eth0", address: `10.250.9.${i}/24` },
    })),
    fabric: { mode: "vxlan", vmSubnet: "10.251.9.0/24" },
  };
}

/** The error findings of a lab with one hostile edit, as [path, message] pairs. */
function refused(edit: (raw: RawLab) => void): [string, string][] {
  const raw = baseLab();
  edit(raw);
  const r = loadLab(raw, "hostile");
  assert.equal(r.ok, false, "a hostile value must not produce a plan (so no script is rendered)");
  return r.ok
    ? []
    : r.findings.filter((f) => f.severity === "error").map((f) => [f.path, f.message]);
}

describe("hostile config values are refused by loadLab before anything is rendered", () => {
  it("fails on an underlay interface with a shell command in it", () => {
    assert.deepEqual(
      refused((raw) => (raw.hosts[0].underlay.interface = "eth0;touch /tmp/pwned")),
      [["hosts[0].underlay.interface", IFNAME]],
    );
  });

  it("fails on a bridge name with a command substitution", () => {
    assert.deepEqual(
      refused((raw) => (raw.fabric.bridge = "br$(reboot)")),
      [["fabric.bridge", IFNAME]],
    );
  });

  it("fails on a VXLAN device name with backticks", () => {
    assert.deepEqual(
      refused((raw) => (raw.fabric.vxlanDevice = "vx`id`")),
      [["fabric.vxlanDevice", IFNAME]],
    );
  });

  it("fails on a host name with a quote", () => {
    assert.deepEqual(
      refused((raw) => (raw.hosts[1].name = "h2'; rm -rf / #")),
      [["hosts[1].name", DNS_LABEL]],
    );
  });

  it("fails on an SSH address with a quote", () => {
    assert.deepEqual(
      refused((raw) => (raw.hosts[0].ssh.address = "host'1.example")),
      [["hosts[0].ssh.address", "must be an IPv4 address or a DNS hostname"]],
    );
  });

  it("fails on a root path that would break out of its quoting", () => {
    assert.deepEqual(
      refused((raw) => (raw.hosts[0].root = "/tmp/x' ; touch /tmp/pwned ; '")),
      [["hosts[0].root", "must be an absolute path of letters, digits, '.', '_', '-' and '/'"]],
    );
  });

  it("fails on a stack (lab) name that is not a DNS label", () => {
    const r = loadLab(baseLab(), "lab$(id)");
    assert.equal(r.ok, false);
    assert.deepEqual(r.ok ? [] : r.findings.map((f) => [f.path, f.message]), [
      ["(stack name)", "must be a DNS label of up to 32 characters"],
    ]);
  });
});

describe("shq", () => {
  const scratch = mkdtempSync(join(tmpdir(), "lf-shq-"));
  after(() => rmSync(scratch, { recursive: true, force: true }));
  const echo = (s: string) =>
    spawnSync("sh", ["-c", `printf '%s' ${shq(s)}`], { cwd: scratch, encoding: "utf8" }).stdout;

  it("keeps a nasty string one inert word: nothing runs, nothing expands", () => {
    const pwned = join(scratch, "pwned");
    const nasty = `it's "$(touch ${pwned})" \`touch ${pwned}\` ; touch ${pwned} $HOME \${IFS} * ? [a] \\ \n & | > ${pwned}`;
    assert.equal(echo(nasty), nasty);
    assert.equal(existsSync(pwned), false);
    assert.equal(shq("it's"), `'it'\\''s'`);
  });

  it("round-trips any string through sh (property)", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme-ascii", maxLength: 40 }), (s) => echo(s) === s),
      { numRuns: 150 },
    );
    fc.assert(
      fc.property(
        fc.string({ unit: "binary", maxLength: 20 }).filter((s) => !s.includes("\0")),
        (s) => echo(s) === s,
      ),
      { numRuns: 100 },
    );
  });

  it("heredoc refuses content that contains its delimiter line", () => {
    assert.throws(() => heredoc("cat", "EOF", "a\nEOF\nb"), /contains its delimiter line EOF/);
    assert.equal(heredoc("cat", "EOF", "a"), "cat <<'EOF'\na\nEOF");
  });
});
