// Scenario A on the real kernel: two "bare-metal hosts" (namespaces) on one switch, a
// stretched L2 segment over VXLAN, two VMs per host. The rendered up.sh/down.sh run as-is
// inside the host namespaces, with a temp dir as `root`.
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
  ping,
  payloadFor,
  reaches,
  snapshot,
  type Snapshot,
} from "../../scripts/lab/kit";
import { changedLines, hostPlan, ok, planLabOrThrow, runDown, runUp, tempRoot } from "./fixtures";
import { hostKeyLine } from "../lab/helpers";

const skip = netnsSkipReason();
const VM_MTU = 1450;

const VMS = [
  { name: "vm1a", host: "h1", port: "v1a", address: "10.251.39.11/24", gateway: "10.251.39.1" },
  { name: "vm1b", host: "h1", port: "v1b", address: "10.251.39.12/24", gateway: "10.251.39.1" },
  { name: "vm2a", host: "h2", port: "v2a", address: "10.251.39.21/24", gateway: "10.251.39.2" },
  { name: "vm2b", host: "h2", port: "v2b", address: "10.251.39.22/24", gateway: "10.251.39.2" },
];
const ip = (cidr: string) => cidr.split("/")[0];

describe("host fabric, vxlan, two hosts (scenario A)", { skip }, () => {
  const lab = new NetnsLab("lfa");
  const roots = { h1: tempRoot("h1"), h2: tempRoot("h2") };
  let plans: Record<"h1" | "h2", HostFabricPlan>;
  const beforeUp: Record<string, Snapshot> = {};
  const afterUp: Record<string, Snapshot> = {};
  const snap = (h: "h1" | "h2") =>
    snapshot(lab, h, { root: roots[h].path, sysctls: plans[h].sysctls.map((s) => s.key) });

  before(() => {
    const plan = planLabOrThrow(
      {
        hosts: (["h1", "h2"] as const).map((h, i) => ({
          name: h,
          ssh: { address: `10.250.1.${11 + i}`, hostKey: hostKeyLine(i + 1) },
          underlay: { interface: "eth0", address: `10.250.1.${11 + i}/24`, mtu: 1500 },
          root: roots[h].path,
        })),
        fabric: {
          mode: "vxlan",
          vni: 39,
          port: 4789,
          bridge: "br-vm",
          vmSubnet: "10.251.39.0/24",
          rpFilter: 0,
          masquerade: true,
        },
      },
      "a-test",
    );
    plans = { h1: hostPlan(plan, "h1"), h2: hostPlan(plan, "h2") };
    addSwitch(lab, "sw");
    addHost(lab, { name: "h1", switch: "sw", iface: "eth0", address: "10.250.1.11/24" });
    addHost(lab, { name: "h2", switch: "sw", iface: "eth0", address: "10.250.1.12/24" });
    addHost(lab, { name: "up", switch: "sw", iface: "eth0", address: "10.250.1.254/24" });
    for (const vm of VMS) addVm(lab, { ...vm, mtu: VM_MTU });
    // Pre-existing state that must survive: on h1 an extra address, a route, an untagged
    // FORWARD rule and the same MASQUERADE rule without labfabric's tag; FORWARD policy DROP
    // (as on Docker hosts). On h2 the bridge already exists (up, a port in it) with the planned address, and a
    // MASQUERADE rule for another subnet.
    lab.ip("h1", "addr", "add", "10.250.77.1/24", "dev", "eth0");
    lab.ip("h1", "route", "add", "10.250.78.0/24", "via", "10.250.1.254");
    lab.mustExec("h1", ["iptables", "-A", "FORWARD", "-s", "10.250.77.0/24", "-j", "ACCEPT"]);
    lab.mustExec("h1", [
      "iptables",
      "-t",
      "nat",
      "-A",
      "POSTROUTING",
      "-s",
      "10.251.39.0/24",
      "-o",
      "eth0",
      "-j",
      "MASQUERADE",
    ]);
    for (const h of ["h1", "h2"]) lab.mustExec(h, ["iptables", "-P", "FORWARD", "DROP"]);
    lab.ip("h2", "link", "add", "br-vm", "type", "bridge");
    lab.ip("h2", "link", "set", "br-vm", "address", "02:00:00:00:02:01", "up");
    lab.ip("h2", "link", "add", "pre0", "type", "veth", "peer", "name", "pre1");
    lab.ip("h2", "link", "set", "pre1", "up");
    lab.ip("h2", "link", "set", "pre0", "master", "br-vm", "up");
    lab.ip("h2", "addr", "add", "10.251.39.2/24", "dev", "br-vm");
    lab.mustExec("h2", [
      "iptables",
      "-t",
      "nat",
      "-A",
      "POSTROUTING",
      "-s",
      "10.250.66.0/24",
      "-o",
      "eth0",
      "-j",
      "MASQUERADE",
    ]);
    // The upstream router knows the VM subnet is behind h1: only masquerade-less NEW
    // connections could use that route, and labfabric must not let them in.
    lab.ip("up", "route", "add", "10.251.39.0/24", "via", "10.250.1.11");
    beforeUp.h1 = snap("h1");
    beforeUp.h2 = snap("h2");
  });

  after(() => {
    lab.cleanup();
    roots.h1.remove();
    roots.h2.remove();
  });

  test("up.sh applies on both hosts and writes its state, unit, hook and sysctl.d files", () => {
    for (const h of ["h1", "h2"] as const) {
      const r = ok(runUp(lab, h, plans[h]), `up.sh on ${h}`);
      assert.match(
        r.stdout,
        /changed {2}created vxlan vxlan-lf \(vxlan id 39, remote 10\.250\.1\.1[12], local/,
      );
      assert.match(
        r.stdout,
        /skipped {2}systemctl daemon-reload\/enable labfabric-a-test\.service/,
      );
      const files = snapshot(lab, h, { root: roots[h].path }).files.split("\n");
      for (const f of [
        "etc/labfabric/a-test/apply.sh",
        "etc/labfabric/a-test/firewall.sh",
        "etc/systemd/system/labfabric-a-test.service",
        "etc/libvirt/hooks/network.d/labfabric-a-test",
        "etc/sysctl.d/90-labfabric-a-test.conf",
      ]) {
        assert.ok(files.includes(f), `${h}: ${f} missing in ${files.join(", ")}`);
      }
    }
    // h2's bridge and address were there before: adopted, not claimed.
    const h2 = ok(runUp(lab, "h2", plans.h2), "second up.sh on h2").stdout;
    assert.match(h2, /ok {7}bridge br-vm/);
    assert.match(h2, /ok {7}address 10\.251\.39\.2\/24 on br-vm/);
    for (const vm of VMS) attach(lab, vm.host, vm.port, "br-vm");
    afterUp.h1 = snap("h1");
    afterUp.h2 = snap("h2");
  });

  test("every VM reaches every other VM, on the same host and across the VXLAN", () => {
    for (const a of VMS) {
      for (const b of VMS) {
        if (a !== b) assert.ok(reaches(lab, a.name, ip(b.address)), `${a.name} -> ${b.name}`);
      }
    }
  });

  test(`DF pings of exactly the VM MTU (${VM_MTU}) pass across hosts; one byte more does not`, () => {
    for (const [a, b] of [
      ["vm1a", "vm2a"],
      ["vm2b", "vm1b"],
    ]) {
      const to = ip(VMS.find((v) => v.name === b)!.address);
      assert.ok(
        reaches(lab, a, to, { df: true, size: payloadFor(VM_MTU) }),
        `${a} -> ${b} DF ${VM_MTU}`,
      );
      assert.equal(
        ping(lab, a, to, { df: true, size: payloadFor(VM_MTU) + 1 }),
        false,
        `${a} -> ${b} DF ${VM_MTU + 1}`,
      );
    }
  });

  test("a VM NIC left at 1500 (post A's mistake) gets small pings through but loses full-size DF packets", () => {
    lab.ip("vm1a", "link", "set", "eth0", "mtu", "1500");
    lab.ip("h1", "link", "set", "v1a", "mtu", "1500");
    try {
      assert.ok(reaches(lab, "vm1a", "10.251.39.21"));
      assert.equal(ping(lab, "vm1a", "10.251.39.21", { df: true, size: payloadFor(1500) }), false);
    } finally {
      lab.ip("h1", "link", "set", "v1a", "mtu", String(VM_MTU));
      lab.ip("vm1a", "link", "set", "eth0", "mtu", String(VM_MTU));
    }
  });

  test("VM egress is masqueraded out the underlay; new connections from outside are not forwarded in", () => {
    assert.ok(reaches(lab, "vm1a", "10.250.1.254"), "vm1a -> upstream");
    assert.ok(reaches(lab, "vm2a", "10.250.1.254"), "vm2a -> upstream");
    assert.equal(ping(lab, "up", "10.251.39.11"), false, "upstream -> vm1a must be dropped");
  });

  test("up.sh a second time changes nothing", () => {
    for (const h of ["h1", "h2"] as const) {
      const r = ok(runUp(lab, h, plans[h]), `third up.sh on ${h}`);
      assert.deepEqual(changedLines(r), [], r.stdout);
      assert.match(r.stdout, /apply: no changes, everything was already in place/);
      assert.deepEqual(diffSnapshots(afterUp[h], snap(h)), []);
    }
  });

  test("up.sh converges after the VXLAN device vanished, and replaces one with other parameters", () => {
    lab.ip("h1", "link", "del", "vxlan-lf");
    ok(runUp(lab, "h1", plans.h1), "up.sh after losing vxlan-lf");
    assert.deepEqual(diffSnapshots(normalized(afterUp.h1), normalized(snap("h1"))), []);
    // A stale device with other parameters (wrong VNI and port) is replaced.
    lab.ip("h1", "link", "del", "vxlan-lf");
    lab.ip(
      "h1",
      "link",
      "add",
      "vxlan-lf",
      "type",
      "vxlan",
      "id",
      "7",
      "dstport",
      "8472",
      "dev",
      "eth0",
    );
    const r = ok(runUp(lab, "h1", plans.h1), "up.sh over a mismatched vxlan-lf");
    assert.match(
      r.stdout,
      /removed vxlan-lf: differs from the plan \(missing: vxlan id 39 remote 10\.250\.1\.12 local 10\.250\.1\.11 dstport 4789 nolearning\)/,
    );
    assert.deepEqual(diffSnapshots(normalized(afterUp.h1), normalized(snap("h1"))), []);
    assert.ok(reaches(lab, "vm1a", "10.251.39.22"));
  });

  test("down.sh leaves both hosts exactly as before up.sh, pre-existing state included", () => {
    for (const h of ["h1", "h2"] as const) ok(runDown(lab, h, plans[h]), `down.sh on ${h}`);
    assert.deepEqual(diffSnapshots(beforeUp.h1, snap("h1")), []);
    // h2: the adopted bridge stays, with its address and its own MTU again (VM ports detached).
    for (const vm of VMS.filter((v) => v.host === "h2"))
      lab.ip("h2", "link", "set", vm.port, "nomaster");
    assert.deepEqual(diffSnapshots(beforeUp.h2, snap("h2")), []);
  });

  test("down.sh again changes nothing and succeeds", () => {
    for (const h of ["h1", "h2"] as const) {
      const r = ok(runDown(lab, h, plans[h]), `second down.sh on ${h}`);
      assert.deepEqual(changedLines(r), []);
    }
  });
});
