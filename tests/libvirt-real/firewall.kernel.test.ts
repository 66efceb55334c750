// Scenario D's firewall against Debian's real libvirtd 9.0 (iptables backend), one daemon per
// namespace host in its own mount namespace (scripts/lab/kit/libvirtd.ts): NAT networks created by
// libvirt itself, stand-in VMs on their bridges, a real (diskless) guest for the tap. Pins what
// real libvirt does to the routed openings: a daemon restart ("Reloading iptables rules") and a
// network restart must leave the path open with the VMs' own addresses, the hook must put a
// running guest's tap back on a re-created bridge, up.sh must stay idempotent, down.sh exact.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { HostFabricPlan } from "../../components/plan/fabric";
import { renderDownScript, renderUpScript } from "../../components/host-fabric/scripts";
import {
  inHost,
  mustVirsh,
  restartLibvirtd,
  startLibvirtHost,
  stopLibvirtHost,
  type LibvirtHost,
} from "../../scripts/lab/kit";
import { hostPlan, planLabOrThrow } from "../host-fabric/fixtures";
import { hostKeyLine } from "../lab/helpers";
import {
  addHost,
  addSwitch,
  addVm,
  attach,
  countFrom,
  diffSnapshots,
  NetnsLab,
  libvirtSkipReason,
  normalized,
  ping,
  reaches,
  snapshot,
  type Snapshot,
} from "../../scripts/lab/kit";

const skip = libvirtSkipReason();
const LAB = "d-real";
const M1 = "10.252.41.101";
const W1 = "10.252.42.10";
type H = "kh" | "oh";
const NETS: Record<H, { name: string; bridge: string; gw: string; cidr: string }> = {
  kh: { name: "k8snat", bridge: "virbr41", gw: "10.252.41.1", cidr: "10.252.41.0/24" },
  oh: { name: "osnat", bridge: "virbr42", gw: "10.252.42.1", cidr: "10.252.42.0/24" },
};

function networkXml(n: (typeof NETS)[H]): string {
  return `<network><name>${n.name}</name><forward mode='nat'/><bridge name='${n.bridge}'/><ip address='${n.gw}' netmask='255.255.255.0'><dhcp><range start='${n.gw.replace(/\.1$/, ".100")}' end='${n.gw.replace(/\.1$/, ".200")}'/></dhcp></ip></network>`;
}

/** A guest that only needs to run (no disk, no boot ROM): its tap is what the test watches. */
const GUEST = `<domain type='qemu'><name>tapguest</name><memory unit='MiB'>48</memory><vcpu>1</vcpu>
<os><type arch='x86_64' machine='pc'>hvm</type></os><devices>
<interface type='network'><source network='osnat'/><mac address='52:54:00:aa:42:10'/><model type='e1000'/><rom bar='off'/></interface>
</devices></domain>`;

describe(
  "host fabric, routed, against Debian's libvirtd (iptables backend)",
  { skip, timeout: 900_000 },
  () => {
    const lab = new NetnsLab("lvr");
    const work = mkdtempSync(join(tmpdir(), "lf-lvr-"));
    const lh = {} as Record<H, LibvirtHost>;
    let plans: Record<H, HostFabricPlan>;
    const beforeUp = {} as Record<H, Snapshot>;
    const afterUp = {} as Record<H, Snapshot>;
    const files = (h: H) =>
      inHost(lh[h], [
        "sh",
        "-c",
        "find /etc/libvirt /etc/sysctl.d /etc/systemd/system /etc/labfabric -printf '%p %s\\n' 2>/dev/null | sort",
      ]).out;
    const snap = (h: H): Snapshot => ({
      ...snapshot(lab, h, { sysctls: plans[h].sysctls.map((s) => s.key) }),
      files: files(h),
    });
    const sh = (h: H, script: string) => inHost(lh[h], ["sh", "-c", script], 180_000);
    /** libvirt's bridges run STP: a new port is "listening" for a few seconds, then "forwarding". */
    const forwarding = (h: H, port: string) => {
      for (let i = 0; i < 100; i++) {
        if (/state forwarding/.test(lab.exec(h, ["bridge", "link", "show", "dev", port]).stdout))
          return;
        Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 100);
      }
      assert.fail(`${port} on ${h} never reached STP state forwarding`);
    };
    const tapOf = () => mustVirsh(lh.oh, ["domiflist", "tapguest"]).trim().split(/\s+/)[0];

    before(() => {
      const plan = planLabOrThrow(
        {
          hosts: (["kh", "oh"] as const).map((h, i) => ({
            name: h,
            ssh: { address: `10.250.41.${11 + i}`, hostKey: hostKeyLine(i + 1) },
            underlay: { interface: "eth0", address: `10.250.41.${11 + i}/24` },
            internalAddress: `10.250.42.${1 + i}/24`,
          })),
          fabric: { mode: "routed", rpFilter: 0 },
          networks: (["kh", "oh"] as const).map((h) => ({
            name: NETS[h].name,
            host: h,
            mode: "nat",
            bridge: NETS[h].bridge,
            cidr: NETS[h].cidr,
            adopt: true,
          })),
        },
        LAB,
      );
      plans = { kh: hostPlan(plan, "kh"), oh: hostPlan(plan, "oh") };
      addSwitch(lab, "sw");
      for (const [i, h] of (["kh", "oh"] as const).entries()) {
        addHost(lab, { name: h, switch: "sw", iface: "eth0", address: `10.250.41.${11 + i}/24` });
        lh[h] = { ns: lab.ns(h), dir: join(work, h) };
        startLibvirtHost(lh[h]);
        const xml = join(lh[h].dir, "net.xml");
        writeFileSync(xml, networkXml(NETS[h]));
        mustVirsh(lh[h], ["net-create", xml]);
      }
      writeFileSync(join(lh.oh.dir, "guest.xml"), GUEST);
      mustVirsh(lh.oh, ["create", join(lh.oh.dir, "guest.xml")]);
      addVm(lab, {
        name: "m1",
        host: "kh",
        port: "sv0",
        address: `${M1}/24`,
        gateway: NETS.kh.gw,
        mtu: 1500,
      });
      addVm(lab, {
        name: "w1",
        host: "oh",
        port: "sv0",
        address: `${W1}/24`,
        gateway: NETS.oh.gw,
        mtu: 1500,
      });
      attach(lab, "kh", "sv0", NETS.kh.bridge);
      attach(lab, "oh", "sv0", NETS.oh.bridge);
      forwarding("kh", "sv0");
      forwarding("oh", "sv0");
      forwarding("oh", "vnet0");
      beforeUp.kh = snap("kh");
      beforeUp.oh = snap("oh");
    });

    after(() => {
      for (const h of Object.values(lh)) stopLibvirtHost(h);
      lab.cleanup();
      rmSync(work, { recursive: true, force: true });
    });

    test("before up.sh libvirt rejects the peer", () => {
      assert.equal(ping(lab, "m1", W1), false);
    });

    test("up.sh on both: the VMs reach each other with their own addresses", () => {
      for (const h of ["kh", "oh"] as const) {
        const r = sh(h, renderUpScript(plans[h]));
        assert.ok(r.ok, r.out);
        assert.match(r.out, /libvirt firewall: iptables backend/);
      }
      const fromM1 = countFrom(lab, "w1", M1);
      assert.ok(reaches(lab, "m1", W1), "m1 -> w1");
      assert.ok(reaches(lab, "w1", M1), "w1 -> m1");
      assert.ok(fromM1() > 0, "w1 saw m1's own address");
      afterUp.kh = snap("kh");
      afterUp.oh = snap("oh");
    });

    test("a libvirtd restart reloads libvirt's rules but cannot bury the lab's chain", () => {
      for (const h of ["kh", "oh"] as const) restartLibvirtd(lh[h]);
      const first = lab.mustExec("oh", ["iptables", "-w", "-S", "FORWARD"]).split("\n")[1];
      assert.match(first, /-j LF-d-real/, "the lab's jump is still FORWARD's first rule");
      const fromM1 = countFrom(lab, "w1", M1);
      const fromW1 = countFrom(lab, "m1", W1);
      assert.ok(reaches(lab, "m1", W1), "m1 -> w1 after the restart");
      assert.ok(reaches(lab, "w1", M1), "w1 -> m1 after the restart (not rejected)");
      assert.ok(
        fromM1() > 0 && fromW1() > 0,
        "both still see the other's own address (not masqueraded)",
      );
    });

    test("up.sh again changes nothing", () => {
      for (const h of ["kh", "oh"] as const) {
        const r = sh(h, renderUpScript(plans[h]));
        assert.ok(r.ok, r.out);
        assert.deepEqual(
          r.out.split("\n").filter((l) => l.startsWith("  changed ")),
          [],
          r.out,
        );
        assert.deepEqual(diffSnapshots(afterUp[h], snap(h)), []);
      }
    });

    test("net-destroy + net-start: the hook puts the running guest's tap back on the new bridge", () => {
      const tap = tapOf();
      mustVirsh(lh.oh, ["net-destroy", NETS.oh.name]);
      const xml = join(lh.oh.dir, "net.xml");
      mustVirsh(lh.oh, ["net-create", xml]);
      const link = lab.mustExec("oh", ["ip", "-o", "link", "show", "dev", tap]);
      assert.match(
        link,
        new RegExp(` master ${NETS.oh.bridge} `),
        `${tap} not re-attached: ${link}`,
      );
      attach(lab, "oh", "sv0", NETS.oh.bridge); // the stand-in is no guest of libvirt's
      forwarding("oh", "sv0");
      forwarding("oh", tap);
      assert.ok(reaches(lab, "m1", W1), "m1 -> w1 after the network restart");
      assert.ok(reaches(lab, "w1", M1), "w1 -> m1 after the network restart");
    });

    test("down.sh leaves both hosts exactly as before up.sh (libvirt's own rules kept)", () => {
      for (const h of ["kh", "oh"] as const) {
        const r = sh(h, renderDownScript(plans[h]));
        assert.ok(r.ok, r.out);
        // oh's bridge was re-created by libvirt (new ifindex and MAC): compare without those.
        assert.deepEqual(diffSnapshots(normalized(beforeUp[h]), normalized(snap(h))), []);
      }
      assert.equal(ping(lab, "m1", W1), false);
    });
  },
);
