// Three hosts, one VXLAN segment without multicast: head-end replication through one
// all-zeros FDB entry per peer. Also: down.sh before any up.sh, convergence from a run that
// stopped halfway, stale and missing flood entries, and a VNI change both ways (old down.sh
// then new up.sh, as Pulumi replaces the command; and new up.sh straight over the old state).
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { HostFabricPlan } from "../../components/plan/fabric";
import {
  addHost,
  addSwitch,
  addVm,
  attach,
  diffSnapshots,
  NetnsLab,
  netnsSkipReason,
  normalized,
  payloadFor,
  ping,
  reaches,
  snapshot,
  type Snapshot,
} from "../../scripts/lab/kit";
import { changedLines, hostPlan, ok, planLabOrThrow, runDown, runUp, tempRoot } from "./fixtures";
import { hostKeyLine } from "../lab/helpers";

const skip = netnsSkipReason();
const HOSTS = ["h1", "h2", "h3"] as const;
type Host = (typeof HOSTS)[number];
const VMS = HOSTS.map((h, i) => ({
  name: `vm${i + 1}`,
  host: h,
  port: `v${i + 1}`,
  address: `10.251.42.${11 + i}`,
}));

describe("host fabric, vxlan, three-host mesh", { skip }, () => {
  const lab = new NetnsLab("lfm");
  const roots = Object.fromEntries(HOSTS.map((h) => [h, tempRoot(h)])) as Record<
    Host,
    ReturnType<typeof tempRoot>
  >;
  const plansFor = (vni: number): Record<Host, HostFabricPlan> => {
    const plan = planLabOrThrow(
      {
        hosts: HOSTS.map((h, i) => ({
          name: h,
          ssh: { address: `10.250.2.${11 + i}`, hostKey: hostKeyLine(i + 1) },
          underlay: { interface: "eth0", address: `10.250.2.${11 + i}/24` },
          root: roots[h].path,
        })),
        fabric: { mode: "vxlan", vni, vmSubnet: "10.251.42.0/24" },
      },
      "mesh-test",
    );
    return Object.fromEntries(HOSTS.map((h) => [h, hostPlan(plan, h)])) as Record<
      Host,
      HostFabricPlan
    >;
  };
  let plans: Record<Host, HostFabricPlan>;
  const beforeUp = {} as Record<Host, Snapshot>;
  const afterUp = {} as Record<Host, Snapshot>;
  const snap = (h: Host) =>
    snapshot(lab, h, { root: roots[h].path, sysctls: plans[h].sysctls.map((s) => s.key) });
  const upAll = (p: Record<Host, HostFabricPlan>) =>
    HOSTS.forEach((h) => ok(runUp(lab, h, p[h]), `up.sh on ${h}`));
  const downAll = (p: Record<Host, HostFabricPlan>) =>
    HOSTS.forEach((h) => ok(runDown(lab, h, p[h]), `down.sh on ${h}`));
  const attachAll = () => VMS.forEach((vm) => attach(lab, vm.host, vm.port, "br-vm"));
  const meshPings = () => {
    for (const a of VMS)
      for (const b of VMS)
        if (a !== b) assert.ok(reaches(lab, a.name, b.address), `${a.name} -> ${b.name}`);
  };

  before(() => {
    plans = plansFor(42);
    addSwitch(lab, "sw");
    HOSTS.forEach((h, i) =>
      addHost(lab, { name: h, switch: "sw", iface: "eth0", address: `10.250.2.${11 + i}/24` }),
    );
    for (const vm of VMS) addVm(lab, { ...vm, address: `${vm.address}/24`, mtu: 1450 });
    for (const h of HOSTS) beforeUp[h] = snap(h);
  });

  after(() => {
    lab.cleanup();
    for (const h of HOSTS) roots[h].remove();
  });

  test("down.sh before any up.sh succeeds and changes nothing", () => {
    const r = ok(runDown(lab, "h1", plans.h1), "down.sh on a fresh host");
    assert.deepEqual(changedLines(r), []);
    assert.deepEqual(diffSnapshots(beforeUp.h1, snap("h1")), []);
  });

  test("up.sh on three hosts: one flood entry per peer, no single remote; every VM reaches every VM", () => {
    upAll(plans);
    attachAll();
    const fdb = lab.mustExec("h1", ["bridge", "fdb", "show", "dev", "vxlan-lf"]);
    assert.match(fdb, /^00:00:00:00:00:00 dst 10\.250\.2\.12 (via eth0 )?self permanent$/m);
    assert.match(fdb, /^00:00:00:00:00:00 dst 10\.250\.2\.13 (via eth0 )?self permanent$/m);
    assert.doesNotMatch(lab.mustExec("h1", ["ip", "-d", "link", "show", "vxlan-lf"]), / remote /);
    meshPings();
    for (const h of HOSTS) afterUp[h] = snap(h);
  });

  test("DF pings of exactly 1450 pass between every pair of hosts' VMs; 1451 does not", () => {
    for (const a of VMS) {
      for (const b of VMS) {
        if (a === b) continue;
        assert.ok(
          reaches(lab, a.name, b.address, { df: true, size: payloadFor(1450) }),
          `${a.name} -> ${b.name} 1450`,
        );
        assert.equal(ping(lab, a.name, b.address, { df: true, size: payloadFor(1450) + 1 }), false);
      }
    }
  });

  test("up.sh again changes nothing on any host", () => {
    for (const h of HOSTS) {
      const r = ok(runUp(lab, h, plans[h]), `up.sh again on ${h}`);
      assert.deepEqual(changedLines(r), [], r.stdout);
      assert.deepEqual(diffSnapshots(afterUp[h], snap(h)), []);
    }
  });

  test("a missing flood entry is restored and a stale one (peer no longer planned) removed", () => {
    lab.mustExec("h1", [
      "bridge",
      "fdb",
      "del",
      "00:00:00:00:00:00",
      "dev",
      "vxlan-lf",
      "dst",
      "10.250.2.13",
    ]);
    lab.mustExec("h1", [
      "bridge",
      "fdb",
      "append",
      "00:00:00:00:00:00",
      "dev",
      "vxlan-lf",
      "dst",
      "10.250.2.99",
    ]);
    assert.equal(
      ping(lab, "vm1", "10.251.42.13"),
      false,
      "vm1 -> vm3 without h1's flood entry for h3",
    );
    const r = ok(runUp(lab, "h1", plans.h1), "up.sh with a missing and a stale flood entry");
    assert.match(r.stdout, /changed {2}flood entry vxlan-lf -> 10\.250\.2\.13/);
    assert.match(r.stdout, /changed {2}removed stale flood entry vxlan-lf -> 10\.250\.2\.99/);
    assert.deepEqual(diffSnapshots(normalized(afterUp.h1), normalized(snap("h1"))), []);
    assert.ok(reaches(lab, "vm1", "10.251.42.13"));
  });

  test("a run that stopped halfway (only the bridge exists) is undone by down.sh and completed by up.sh", () => {
    ok(runDown(lab, "h3", plans.h3), "down.sh on h3");
    // Something else holds the VXLAN device's name: up.sh creates the bridge, then stops.
    lab.ip("h3", "link", "add", "vxlan-lf", "type", "veth", "peer", "name", "blk");
    const half = runUp(lab, "h3", plans.h3);
    assert.notEqual(half.code, 0);
    assert.match(
      half.stderr,
      /ERROR on h3: vxlan-lf exists but is not a VXLAN device; remove it or set fabric\.vxlanDevice/,
    );
    assert.match(lab.mustExec("h3", ["ip", "-d", "link", "show", "br-vm"]), /bridge forward_delay/);
    // down.sh removes the half-made bridge (it is labfabric's) but not the foreign device.
    ok(runDown(lab, "h3", plans.h3), "down.sh after the halfway run");
    lab.ip("h3", "link", "del", "vxlan-lf");
    assert.deepEqual(diffSnapshots(beforeUp.h3, snap("h3")), []);
    // The same halfway state, then up.sh once the name is free: converges.
    lab.ip("h3", "link", "add", "vxlan-lf", "type", "veth", "peer", "name", "blk");
    assert.notEqual(runUp(lab, "h3", plans.h3).code, 0);
    lab.ip("h3", "link", "del", "vxlan-lf");
    ok(runUp(lab, "h3", plans.h3), "up.sh completing the halfway run");
    attach(lab, "h3", "v3", "br-vm");
    assert.deepEqual(diffSnapshots(normalized(afterUp.h3), normalized(snap("h3"))), []);
    meshPings();
  });

  test("VNI 42 -> 43 the Pulumi way (old down.sh, then new up.sh) converges", () => {
    const next = plansFor(43);
    downAll(plans);
    upAll(next);
    attachAll();
    assert.match(lab.mustExec("h2", ["ip", "-d", "link", "show", "vxlan-lf"]), /vxlan id 43 /);
    meshPings();
    plans = next;
  });

  test("VNI 43 -> 44 with only the new up.sh: the device is recreated, and down.sh still cleans up", () => {
    const next = plansFor(44);
    for (const h of HOSTS) {
      const r = ok(runUp(lab, h, next[h]), `new up.sh on ${h}`);
      assert.match(r.stdout, /removed vxlan-lf: differs from the plan \(missing: vxlan id 44\)/);
    }
    meshPings();
    downAll(next);
    for (const h of HOSTS) assert.deepEqual(diffSnapshots(beforeUp[h], snap(h)), [], h);
  });
});
