// labfabric's NoCloud seed step (components/libvirt/seed.ts) against Debian's real libvirtd 9.0
// in a namespace host, exactly as the layer runs it (the create and delete scripts, the
// documents on stdin): create makes one raw volume that is a readable ISO labelled cidata with
// the three documents byte for byte, and prints its path alone on stdout; create again adds
// nothing; a volume of that name with other content is rewritten; wrong input is refused; delete
// removes exactly that volume (another volume of the pool stays), and again is a no-op; a host
// without an ISO tool gets one line naming the package.
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { renderSeedStep, seedPathOf, seedStdin } from "../../components/libvirt/seed";
import { seedVolumeName } from "../../components/plan/libvirt/cloud-init";
import {
  addHost,
  addSwitch,
  inHost,
  mustVirsh,
  NetnsLab,
  libvirtSkipReason,
  startLibvirtHost,
  stopLibvirtHost,
  virsh,
  type LibvirtHost,
} from "../../scripts/lab/kit";

const skip = libvirtSkipReason();

const POOL = "lfseed";
const DOCS = {
  userData:
    "#cloud-config\nhostname: ls-vm1\nssh_authorized_keys:\n  - ssh-ed25519 AAAAC3Nza lab\n",
  metaData: "instance-id: ls-ls-vm1-0123456789ab\nlocal-hostname: ls-vm1\n",
  networkConfig:
    "version: 2\nethernets:\n  nic0:\n    match:\n      macaddress: '52:54:00:aa:00:01'\n    mtu: 1450\n",
};
const VOLUME = seedVolumeName("ls", "ls-vm1", DOCS);
const FILES: Record<string, string> = {
  "user-data": DOCS.userData,
  "meta-data": DOCS.metaData,
  "network-config": DOCS.networkConfig,
};

describe("NoCloud seed step against Debian's libvirtd", { skip, timeout: 600_000 }, () => {
  const lab = new NetnsLab("lsd");
  const work = mkdtempSync(join(tmpdir(), "lf-lsd-"));
  let h: LibvirtHost;
  const step = renderSeedStep({ pool: POOL, volume: VOLUME }, DOCS);
  /** The script as the command provider runs it: `stdin` on standard input. */
  const run = (script: string, stdin = "", env = "") =>
    inHost(h, ["sh", "-c", `printf '%s' "$0" | ${env} sh -c "$1"`, stdin, script], 120_000);
  /** Only its stdout (stderr dropped): what the domain's disk path is read from. */
  const stdout = (script: string, stdin: string) =>
    inHost(h, ["sh", "-c", `printf '%s' "$0" | sh -c "$1" 2>/dev/null`, stdin, script], 120_000);
  const volumes = () =>
    mustVirsh(h, ["vol-list", POOL])
      .trim()
      .split("\n")
      .map((l) => l.trim().split(/\s+/)[0])
      .filter(Boolean)
      .sort();
  const iso = join(work, "seed.iso");
  const isoinfo = (...args: string[]) => inHost(h, ["isoinfo", "-i", iso, ...args]);

  before(() => {
    addSwitch(lab, "sw");
    addHost(lab, { name: "h", switch: "sw", iface: "eth0", address: "10.250.54.11/24" });
    h = { ns: lab.ns("h"), dir: join(work, "h") };
    startLibvirtHost(h);
    const dir = join(work, "pool");
    mkdirSync(dir);
    mustVirsh(h, ["pool-define-as", POOL, "dir", "--target", dir]);
    mustVirsh(h, ["pool-start", POOL]);
    // Someone else's volume in the same pool: delete must leave it.
    mustVirsh(h, ["vol-create-as", POOL, "other.qcow2", "1M", "--format", "qcow2"]);
  });

  after(() => {
    if (h) stopLibvirtHost(h);
    lab.cleanup();
  });

  test("create: one volume, an ISO labelled cidata with the three documents; its path alone on stdout", () => {
    const r = stdout(step.create, step.stdin);
    assert.ok(r.ok, r.out);
    const path = seedPathOf(r.out);
    assert.equal(r.out.trim(), path, "stdout is the path and nothing else");
    assert.equal(path, join(work, "pool", VOLUME));
    assert.deepEqual(volumes(), [VOLUME, "other.qcow2"].sort());
    // Created raw; a dir pool reports what it finds in the file: an ISO.
    assert.match(mustVirsh(h, ["vol-dumpxml", "--pool", POOL, VOLUME]), /<format type='iso'\/>/);
    mustVirsh(h, ["vol-download", "--pool", POOL, VOLUME, iso]);
    assert.match(isoinfo("-d").out, /^Volume id: cidata$/m);
    assert.deepEqual(isoinfo("-R", "-f").out.trim().split("\n").sort(), [
      "/meta-data",
      "/network-config",
      "/user-data",
    ]);
    for (const [f, content] of Object.entries(FILES)) {
      const x = isoinfo("-R", "-x", `/${f}`);
      assert.ok(x.ok, x.out);
      assert.equal(x.out, content, f);
    }
  });

  test("create again adds nothing: the same volume, kept", () => {
    const key = mustVirsh(h, ["vol-key", "--pool", POOL, VOLUME]);
    const r = run(step.create, step.stdin);
    assert.ok(r.ok, r.out);
    assert.match(r.out, /^present +\S+\.iso \(pool lfseed\)$/m);
    assert.doesNotMatch(r.out, /created|rewrite/);
    assert.deepEqual(volumes(), [VOLUME, "other.qcow2"].sort());
    assert.equal(mustVirsh(h, ["vol-key", "--pool", POOL, VOLUME]), key);
  });

  test("a volume of that name with other content is rewritten, saying so", () => {
    mustVirsh(h, ["vol-wipe", "--pool", POOL, VOLUME]);
    const r = run(step.create, step.stdin);
    assert.ok(r.ok, r.out);
    assert.match(r.out, /^rewrite /m);
    assert.match(r.out, /^created \(genisoimage\)/m);
    mustVirsh(h, ["vol-download", "--pool", POOL, VOLUME, iso]);
    assert.equal(isoinfo("-R", "-x", "/network-config").out, DOCS.networkConfig);
    assert.match(run(step.create, step.stdin).out, /^present /m);
  });

  test("refuses input that is not the seed it was rendered for, and creates nothing", () => {
    const other = seedStdin({ ...DOCS, networkConfig: "version: 2\n" });
    const r = run(step.create, other);
    assert.ok(!r.ok);
    assert.match(
      r.out,
      /labfabric: network-config on standard input is not the one this step was rendered for/,
    );
    const none = run(step.create, "");
    assert.ok(!none.ok);
    assert.match(none.out, /labfabric: standard input is not a NoCloud seed/);
  });

  test("a host without an ISO tool: one line naming the Debian package", () => {
    const bin = join(work, "bin");
    mkdirSync(bin);
    for (const t of [
      "virsh",
      "mktemp",
      "rm",
      "base64",
      "sha256sum",
      "cut",
      "cmp",
      "wc",
      "mkdir",
      "sh",
      "cat",
    ]) {
      symlinkSync(inHost(h, ["sh", "-c", `command -v ${t}`]).out.trim(), join(bin, t));
    }
    const r = run(step.create, step.stdin, `PATH=${bin}`);
    assert.ok(!r.ok);
    assert.equal(
      r.out.trim(),
      "labfabric: no ISO tool on this host (genisoimage, xorrisofs, mkisofs or, to read, isoinfo or xorriso): install the Debian package genisoimage (apt-get install genisoimage)",
    );
  });

  test("delete removes exactly that volume; again, nothing", () => {
    const r = run(step.delete);
    assert.ok(r.ok, r.out);
    assert.match(r.out, /^removed /m);
    assert.deepEqual(volumes(), ["other.qcow2"]);
    const again = run(step.delete);
    assert.ok(again.ok, again.out);
    assert.match(again.out, /^gone /m);
    assert.deepEqual(volumes(), ["other.qcow2"]);
    assert.ok(!virsh(h, ["vol-info", "--pool", POOL, VOLUME]).ok);
  });
});
