// A 9000-byte underlay: the plan gives VMs 8950 and the fabric carries exactly that.
// Also: a NIC smaller than the plan says is refused with a clear message, not black-holed.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { HostFabricPlan } from "../../components/plan/fabric";
import {
  addHost,
  addSwitch,
  addVm,
  attach,
  NetnsLab,
  netnsSkipReason,
  payloadFor,
  ping,
  reaches,
} from "../../scripts/lab/kit";
import { hostPlan, ok, planLabOrThrow, runDown, runUp, tempRoot } from "./fixtures";
import { hostKeyLine } from "../lab/helpers";

const skip = netnsSkipReason();

describe("host fabric, vxlan over a 9000-byte underlay", { skip }, () => {
  const lab = new NetnsLab("lfj");
  const roots = { j1: tempRoot("j1"), j2: tempRoot("j2") };
  let plans: Record<"j1" | "j2", HostFabricPlan>;

  before(() => {
    const plan = planLabOrThrow(
      {
        hosts: (["j1", "j2"] as const).map((h, i) => ({
          name: h,
          ssh: { address: `10.250.3.${11 + i}`, hostKey: hostKeyLine(i + 1) },
          underlay: { interface: "eth0", address: `10.250.3.${11 + i}/24`, mtu: 9000 },
          root: roots[h].path,
        })),
        fabric: { mode: "vxlan", vni: 900, vmSubnet: "10.251.90.0/24" },
      },
      "jumbo-test",
    );
    plans = { j1: hostPlan(plan, "j1"), j2: hostPlan(plan, "j2") };
    addSwitch(lab, "sw", 9000);
    addHost(lab, { name: "j1", switch: "sw", iface: "eth0", address: "10.250.3.11/24", mtu: 9000 });
    // j2's NIC is still at 1500 (the switch port is ready for 9000): the first up.sh must refuse.
    addHost(lab, { name: "j2", switch: "sw", iface: "eth0", address: "10.250.3.12/24", mtu: 9000 });
    lab.ip("j2", "link", "set", "eth0", "mtu", "1500");
    addVm(lab, { name: "vm1", host: "j1", port: "v1", address: "10.251.90.11/24", mtu: 8950 });
    addVm(lab, { name: "vm2", host: "j2", port: "v2", address: "10.251.90.12/24", mtu: 8950 });
  });

  after(() => {
    lab.cleanup();
    roots.j1.remove();
    roots.j2.remove();
  });

  test("the plan gives the fabric and the VMs 8950", () => {
    assert.equal(plans.j1.vxlan?.mtu, 8950);
  });

  test("fails on a host whose NIC MTU is below the planned underlay MTU, naming the key", () => {
    const r = runUp(lab, "j2", plans.j2);
    assert.notEqual(r.code, 0);
    assert.match(
      r.stderr,
      /ERROR on j2: underlay eth0 has MTU 1500 but the plan assumes 9000 \(hosts\[\]\.underlay\.mtu\)/,
    );
    ok(runDown(lab, "j2", plans.j2), "down.sh after the refused up.sh");
  });

  test("DF pings of exactly 8950 pass between the hosts' VMs; 8951 does not", () => {
    lab.ip("j2", "link", "set", "eth0", "mtu", "9000");
    for (const h of ["j1", "j2"] as const) ok(runUp(lab, h, plans[h]), `up.sh on ${h}`);
    attach(lab, "j1", "v1", "br-vm");
    attach(lab, "j2", "v2", "br-vm");
    assert.match(lab.mustExec("j1", ["ip", "link", "show", "vxlan-lf"]), / mtu 8950 /);
    assert.ok(reaches(lab, "vm1", "10.251.90.12", { df: true, size: payloadFor(8950) }));
    assert.ok(reaches(lab, "vm2", "10.251.90.11", { df: true, size: payloadFor(8950) }));
    assert.equal(ping(lab, "vm1", "10.251.90.12", { df: true, size: payloadFor(8950) + 1 }), false);
  });
});
