// labfabric's DHCP host step (components/libvirt/dhcp-host.ts) against Debian's real libvirtd
// 9.0 in a namespace host: on an "adopted" network (defined and started outside the program, as
// lab-d's ldos), create twice leaves exactly one entry, live and persistent; a foreign entry
// for the same MAC is refused and left alone; delete removes exactly labfabric's entry, so the
// network's XML is byte-for-byte what it was, and a delete after the network is gone succeeds.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { renderDhcpHostStep } from "../../components/libvirt/dhcp-host";
import type { LibvirtHostReservation } from "../../components/plan";
import {
  addHost,
  addSwitch,
  inHost,
  mustVirsh,
  NetnsLab,
  libvirtSkipReason,
  startLibvirtHost,
  stopLibvirtHost,
  type LibvirtHost,
} from "../../scripts/lab/kit";

const skip = libvirtSkipReason();

const NET = "ldosreal";
const NETWORK_XML = `<network><name>${NET}</name><forward mode='nat'/><bridge name='virbr53'/><ip address='10.252.53.1' netmask='255.255.255.0'><dhcp><range start='10.252.53.2' end='10.252.53.254'/></dhcp></ip></network>`;
const VM: LibvirtHostReservation = {
  network: NET,
  mac: "52:54:00:dc:53:10",
  name: "ld-vm3",
  address: "10.252.53.10",
};
const ENTRY = "<host mac='52:54:00:dc:53:10' name='ld-vm3' ip='10.252.53.10'/>";

describe(
  "DHCP host step on an adopted network, against Debian's libvirtd",
  { skip, timeout: 600_000 },
  () => {
    const lab = new NetnsLab("ldh");
    const work = mkdtempSync(join(tmpdir(), "lf-ldh-"));
    let h: LibvirtHost;
    const step = renderDhcpHostStep([VM]);
    const run = (script: string) => inHost(h, ["sh", "-c", script], 120_000);
    const xml = (scope: "config" | "live") =>
      mustVirsh(h, scope === "config" ? ["net-dumpxml", "--inactive", NET] : ["net-dumpxml", NET]);
    const hosts = (scope: "config" | "live") =>
      xml(scope)
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.startsWith("<host "));
    let pristine: { config: string; live: string };

    before(() => {
      addSwitch(lab, "sw");
      addHost(lab, { name: "h", switch: "sw", iface: "eth0", address: "10.250.53.11/24" });
      h = { ns: lab.ns("h"), dir: join(work, "h") };
      startLibvirtHost(h);
      const file = join(h.dir, "net.xml");
      writeFileSync(file, NETWORK_XML);
      mustVirsh(h, ["net-define", file]);
      mustVirsh(h, ["net-start", NET]);
      pristine = { config: xml("config"), live: xml("live") };
    });

    after(() => {
      if (h) stopLibvirtHost(h);
      lab.cleanup();
    });

    test("create adds the entry to the running and the persistent network", () => {
      const r = run(step.create);
      assert.ok(r.ok, r.out);
      assert.deepEqual(hosts("config"), [ENTRY]);
      assert.deepEqual(hosts("live"), [ENTRY]);
      assert.match(r.out, /added +ldosreal \(config\)/);
      assert.match(r.out, /added +ldosreal \(live\)/);
    });

    test("create again: still exactly one entry (an identical one is accepted)", () => {
      const r = run(step.create);
      assert.ok(r.ok, r.out);
      assert.deepEqual(hosts("config"), [ENTRY]);
      assert.deepEqual(hosts("live"), [ENTRY]);
      assert.doesNotMatch(r.out, /added/);
    });

    test("delete removes exactly that entry: the network is as it was, byte for byte", () => {
      const r = run(step.delete);
      assert.ok(r.ok, r.out);
      assert.equal(xml("config"), pristine.config);
      assert.equal(xml("live"), pristine.live);
      const again = run(step.delete);
      assert.ok(again.ok, again.out);
      assert.doesNotMatch(again.out, /removed/);
    });

    test("fails on a foreign entry for the same MAC, and leaves it alone", () => {
      const foreign = "<host mac='52:54:00:dc:53:10' name='other' ip='10.252.53.99'/>";
      mustVirsh(h, ["net-update", NET, "add-last", "ip-dhcp-host", foreign, "--live", "--config"]);
      const r = run(step.create);
      assert.ok(!r.ok);
      assert.match(
        r.out,
        /labfabric: ldosreal already has a DHCP host entry for mac 52:54:00:dc:53:10/,
      );
      assert.deepEqual(hosts("config"), [foreign]);
      const d = run(step.delete);
      assert.ok(d.ok, d.out);
      assert.deepEqual(hosts("config"), [foreign], "delete leaves what labfabric did not add");
      mustVirsh(h, ["net-update", NET, "delete", "ip-dhcp-host", foreign, "--live", "--config"]);
    });

    test("on a stopped network: config only; delete after the network is gone succeeds", () => {
      mustVirsh(h, ["net-destroy", NET]);
      const r = run(step.create);
      assert.ok(r.ok, r.out);
      assert.deepEqual(hosts("config"), [ENTRY]);
      assert.doesNotMatch(r.out, /\(live\)/);
      mustVirsh(h, ["net-start", NET]);
      assert.deepEqual(hosts("live"), [ENTRY], "the persistent entry is live once it starts");
      mustVirsh(h, ["net-destroy", NET]);
      mustVirsh(h, ["net-undefine", NET]);
      const d = run(step.delete);
      assert.ok(d.ok, d.out);
      assert.match(d.out, /network ldosreal is gone: nothing to remove/);
    });
  },
);
