// VXLAN needs only IP reachability between the hosts: here the two hosts sit in two
// subnets behind a router namespace, and the stretched segment still carries the full VM MTU.
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { HostFabricPlan } from "../../components/plan/fabric";
import {
  addHost,
  addRouter,
  addSwitch,
  addVm,
  attach,
  NetnsLab,
  netnsSkipReason,
  payloadFor,
  ping,
  reaches,
} from "../../scripts/lab/kit";
import { changedLines, hostPlan, ok, planLabOrThrow, runDown, runUp, tempRoot } from "./fixtures";
import { hostKeyLine } from "../lab/helpers";

const skip = netnsSkipReason();

describe("host fabric, vxlan between hosts in two subnets behind a router", { skip }, () => {
  const lab = new NetnsLab("lfr");
  const roots = { r1: tempRoot("r1"), r2: tempRoot("r2") };
  let plans: Record<"r1" | "r2", HostFabricPlan>;

  before(() => {
    const plan = planLabOrThrow(
      {
        hosts: [
          {
            name: "r1",
            ssh: { address: "10.250.5.11", hostKey: hostKeyLine(1) },
            underlay: { interface: "eth0", address: "10.250.5.11/24" },
            root: roots.r1.path,
          },
          {
            name: "r2",
            ssh: { address: "10.250.6.12", hostKey: hostKeyLine(2) },
            underlay: { interface: "eth0", address: "10.250.6.12/24" },
            root: roots.r2.path,
          },
        ],
        fabric: { mode: "vxlan", vni: 500, vmSubnet: "10.251.50.0/24" },
      },
      "routed-underlay",
    );
    plans = { r1: hostPlan(plan, "r1"), r2: hostPlan(plan, "r2") };
    addSwitch(lab, "swa");
    addSwitch(lab, "swb");
    addRouter(lab, "rt", [
      { switch: "swa", iface: "eth0", address: "10.250.5.1/24" },
      { switch: "swb", iface: "eth1", address: "10.250.6.1/24" },
    ]);
    addHost(lab, {
      name: "r1",
      switch: "swa",
      iface: "eth0",
      address: "10.250.5.11/24",
      gateway: "10.250.5.1",
    });
    addHost(lab, {
      name: "r2",
      switch: "swb",
      iface: "eth0",
      address: "10.250.6.12/24",
      gateway: "10.250.6.1",
    });
    addVm(lab, { name: "vm1", host: "r1", port: "v1", address: "10.251.50.11/24", mtu: 1450 });
    addVm(lab, { name: "vm2", host: "r2", port: "v2", address: "10.251.50.12/24", mtu: 1450 });
  });

  after(() => {
    lab.cleanup();
    roots.r1.remove();
    roots.r2.remove();
  });

  test("the VMs share one L2 segment across the router, at the full planned MTU", () => {
    assert.equal(plans.r1.vxlan?.remote, "10.250.6.12");
    for (const h of ["r1", "r2"] as const) ok(runUp(lab, h, plans[h]), `up.sh on ${h}`);
    attach(lab, "r1", "v1", "br-vm");
    attach(lab, "r2", "v2", "br-vm");
    assert.ok(reaches(lab, "vm1", "10.251.50.12"));
    assert.ok(reaches(lab, "vm2", "10.251.50.11", { df: true, size: payloadFor(1450) }));
    assert.equal(ping(lab, "vm2", "10.251.50.11", { df: true, size: payloadFor(1450) + 1 }), false);
  });

  test("down.sh twice: the second run changes nothing", () => {
    for (const h of ["r1", "r2"] as const) ok(runDown(lab, h, plans[h]), `down.sh on ${h}`);
    for (const h of ["r1", "r2"] as const)
      assert.deepEqual(changedLines(ok(runDown(lab, h, plans[h]), h)), []);
    assert.equal(ping(lab, "vm1", "10.251.50.12"), false);
  });
});
