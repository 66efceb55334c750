// Scenario D on the real kernel: two hosts, each with a libvirt-style NAT network, joined by
// static routes over an internal subnet. libvirt's firewall is reproduced for both backends
// (iptables chains as libvirt 9 makes them, the nftables table of libvirt >= 10.4); before
// up.sh the peer VM is unreachable, after it reachable with its own address; a libvirt
// network restart closes the path again and the installed hook reopens it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import type { HostFabricPlan } from "../../components/plan/fabric";
import {
  addFakeLibvirtNetwork,
  addHost,
  addSwitch,
  addVm,
  attach,
  countFrom,
  diffSnapshots,
  type FakeLibvirtNetwork,
  NetnsLab,
  netnsSkipReason,
  ping,
  reaches,
  restartFakeLibvirtNetwork,
  snapshot,
  type Snapshot,
} from "../../scripts/lab/kit";
import { changedLines, hostPlan, ok, planLabOrThrow, runDown, runUp, tempRoot } from "./fixtures";
import { hostKeyLine } from "../lab/helpers";

const skip = netnsSkipReason();
const LAB = "d-test";
const M1 = "10.252.112.101"; // the VM behind kh (post D's "master")
const W1 = "10.252.100.10"; // the VM behind oh (an OpenStack-side machine)

function routedSuite(backend: FakeLibvirtNetwork["backend"]) {
  describe(`host fabric, routed + libvirt NAT (${backend} backend, scenario D)`, { skip }, () => {
    const lab = new NetnsLab(backend === "iptables" ? "lfi" : "lfn");
    const roots = { kh: tempRoot("kh"), oh: tempRoot("oh"), kx: tempRoot("kx") };
    const nets: Record<"kh" | "oh", FakeLibvirtNetwork> = {
      kh: {
        host: "kh",
        bridge: "virbr10",
        cidr: "10.252.112.0/24",
        gateway: "10.252.112.1/24",
        backend,
      },
      oh: {
        host: "oh",
        bridge: "virbr1",
        cidr: "10.252.100.0/24",
        gateway: "10.252.100.1/24",
        backend,
      },
    };
    let plans: Record<"kh" | "oh", HostFabricPlan>;
    const beforeUp = {} as Record<"kh" | "oh", Snapshot>;
    const afterUp = {} as Record<"kh" | "oh", Snapshot>;
    const snap = (h: "kh" | "oh") =>
      snapshot(lab, h, { root: roots[h].path, sysctls: plans[h].sysctls.map((s) => s.key) });

    before(() => {
      const plan = planLabOrThrow(
        {
          hosts: (["kh", "oh"] as const).map((h, i) => ({
            name: h,
            ssh: { address: `10.250.4.${11 + i}`, hostKey: hostKeyLine(i + 1) },
            underlay: { interface: "eth0", address: `10.250.4.${11 + i}/24` },
            internalAddress: `10.250.10.${1 + i}/24`,
            root: roots[h].path,
          })),
          fabric: { mode: "routed", rpFilter: 0 },
          networks: [
            {
              name: "k8snat",
              host: "kh",
              mode: "nat",
              bridge: "virbr10",
              cidr: "10.252.112.0/24",
              gateway: "10.252.112.1",
            },
            {
              name: "osnat",
              host: "oh",
              mode: "nat",
              bridge: "virbr1",
              cidr: "10.252.100.0/24",
              adopt: true,
            },
          ],
        },
        LAB,
      );
      plans = { kh: hostPlan(plan, "kh"), oh: hostPlan(plan, "oh") };
      addSwitch(lab, "sw");
      addHost(lab, { name: "kh", switch: "sw", iface: "eth0", address: "10.250.4.11/24" });
      addHost(lab, { name: "oh", switch: "sw", iface: "eth0", address: "10.250.4.12/24" });
      for (const h of ["kh", "oh"] as const) addFakeLibvirtNetwork(lab, nets[h]);
      addVm(lab, {
        name: "m1",
        host: "kh",
        port: "vnet0",
        address: `${M1}/24`,
        gateway: "10.252.112.1",
        mtu: 1500,
      });
      addVm(lab, {
        name: "w1",
        host: "oh",
        port: "vnet0",
        address: `${W1}/24`,
        gateway: "10.252.100.1",
        mtu: 1500,
      });
      attach(lab, "kh", "vnet0", "virbr10");
      attach(lab, "oh", "vnet0", "virbr1");
      // Pre-existing on kh, to survive up.sh + down.sh: an address, a route, an INPUT rule.
      lab.ip("kh", "addr", "add", "10.250.88.1/24", "dev", "eth0");
      lab.ip("kh", "route", "add", "10.250.89.0/24", "via", "10.250.4.254");
      lab.mustExec("kh", ["iptables", "-w", "-A", "INPUT", "-s", "10.250.88.0/24", "-j", "ACCEPT"]);
      beforeUp.kh = snap("kh");
      beforeUp.oh = snap("oh");
    });

    after(() => {
      lab.cleanup();
      for (const r of Object.values(roots)) r.remove();
    });

    test("before up.sh the peer VM is unreachable; routes alone do not help (libvirt rejects)", () => {
      assert.equal(ping(lab, "m1", W1), false);
      lab.ip("kh", "addr", "add", "10.250.10.1/24", "dev", "eth0");
      lab.ip("oh", "addr", "add", "10.250.10.2/24", "dev", "eth0");
      lab.ip("kh", "route", "add", "10.252.100.0/24", "via", "10.250.10.2");
      lab.ip("oh", "route", "add", "10.252.112.0/24", "via", "10.250.10.1");
      try {
        assert.equal(ping(lab, "m1", W1), false, "m1 -> w1 with routes but libvirt's REJECT");
      } finally {
        lab.ip("kh", "route", "del", "10.252.100.0/24");
        lab.ip("oh", "route", "del", "10.252.112.0/24");
        lab.ip("kh", "addr", "del", "10.250.10.1/24", "dev", "eth0");
        lab.ip("oh", "addr", "del", "10.250.10.2/24", "dev", "eth0");
      }
      assert.deepEqual(diffSnapshots(beforeUp.kh, snap("kh")), []);
    });

    test("after up.sh on both hosts the VMs reach each other with their own addresses", () => {
      for (const h of ["kh", "oh"] as const) {
        const r = ok(runUp(lab, h, plans[h]), `up.sh on ${h}`);
        assert.match(r.stdout, new RegExp(`libvirt firewall: ${backend} backend`));
      }
      const fromM1 = countFrom(lab, "w1", M1);
      const fromW1 = countFrom(lab, "m1", W1);
      assert.ok(reaches(lab, "m1", W1), "m1 -> w1");
      assert.ok(reaches(lab, "w1", M1), "w1 -> m1");
      assert.ok(fromM1() > 0, "w1 saw m1's own address (no masquerade between the hosts)");
      assert.ok(fromW1() > 0, "m1 saw w1's own address");
      assert.ok(reaches(lab, "m1", "10.250.10.2"), "m1 -> the peer host's internal address");
      // The internal address was added next to the existing ones.
      const addrs = lab.mustExec("kh", ["ip", "-4", "-o", "addr", "show", "dev", "eth0"]);
      for (const a of ["10.250.4.11/24", "10.250.88.1/24", "10.250.10.1/24"])
        assert.ok(addrs.includes(` ${a} `), a);
      afterUp.kh = snap("kh");
      afterUp.oh = snap("oh");
    });

    test("up.sh again changes nothing", () => {
      for (const h of ["kh", "oh"] as const) {
        const r = ok(runUp(lab, h, plans[h]), `up.sh again on ${h}`);
        assert.deepEqual(changedLines(r), [], r.stdout);
        assert.deepEqual(diffSnapshots(afterUp[h], snap(h)), []);
      }
    });

    if (backend === "iptables") {
      test("a libvirt network restart leaves the path open: the lab's own chain is jumped to first", () => {
        restartFakeLibvirtNetwork(lab, nets.oh);
        assert.ok(reaches(lab, "m1", W1), "m1 -> w1 right after libvirt re-inserted its rules");
        assert.ok(countFrom(lab, "w1", M1)() >= 0);
        const hook = join(roots.oh.path, `etc/libvirt/hooks/network.d/labfabric-${LAB}`);
        const started = lab.mustExec("oh", [hook, "osnat", "started", "begin", "-"], {
          input: "<network><name>osnat</name><bridge name='virbr1'/></network>",
        });
        assert.doesNotMatch(started, /changed/, "nothing to re-apply");
        assert.deepEqual(diffSnapshots(afterUp.oh, snap("oh")), []);
      });
    } else {
      test("a libvirt network restart closes the path; the installed hook reopens it on 'started'", () => {
        restartFakeLibvirtNetwork(lab, nets.oh);
        assert.equal(
          ping(lab, "m1", W1),
          false,
          "libvirt's reject is above labfabric's accept again",
        );
        const hook = join(roots.oh.path, `etc/libvirt/hooks/network.d/labfabric-${LAB}`);
        const stopped = lab.mustExec("oh", [hook, "osnat", "stopped", "end", "-"]);
        assert.equal(stopped, "", "the hook ignores other events");
        const started = lab.mustExec("oh", [hook, "osnat", "started", "begin", "-"], {
          input: "<network><name>osnat</name><bridge name='virbr1'/></network>",
        });
        assert.match(started, /moved above libvirt's reject/);
        assert.ok(reaches(lab, "m1", W1), "m1 -> w1 after the hook");
        assert.deepEqual(diffSnapshots(afterUp.oh, snap("oh")), []);
      });
    }

    test("down.sh leaves both hosts exactly as before up.sh (libvirt's rules and pre-existing state kept)", () => {
      for (const h of ["kh", "oh"] as const) ok(runDown(lab, h, plans[h]), `down.sh on ${h}`);
      assert.deepEqual(diffSnapshots(beforeUp.kh, snap("kh")), []);
      assert.deepEqual(diffSnapshots(beforeUp.oh, snap("oh")), []);
      assert.equal(ping(lab, "m1", W1), false);
    });

    test("fails on a different route for a peer subnet instead of replacing it; down.sh undoes the halfway run", () => {
      lab.ip("kh", "route", "add", "10.252.100.0/24", "via", "10.250.4.254");
      const withRoute = snap("kh");
      const r = runUp(lab, "kh", plans.kh);
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        /ERROR on kh: a different route for 10\.252\.100\.0\/24 already exists \(10\.252\.100\.0\/24 via 10\.250\.4\.254 dev eth0 +\); labfabric plans '10\.252\.100\.0\/24 via 10\.250\.10\.2 dev eth0'/,
      );
      ok(runDown(lab, "kh", plans.kh), "down.sh after the refused up.sh");
      assert.deepEqual(diffSnapshots(withRoute, snap("kh")), []);
      lab.ip("kh", "route", "del", "10.252.100.0/24");
    });

    test("without any libvirt firewall, up.sh says so, opens nothing and still routes", () => {
      addHost(lab, { name: "kx", switch: "sw", iface: "eth0", address: "10.250.4.11/24" });
      const p = { ...plans.kh, root: roots.kx.path };
      const r = ok(runUp(lab, "kx", p), "up.sh without libvirt");
      assert.match(
        r.stdout,
        /neither the iptables chain LIBVIRT_FWI nor the nftables table 'ip libvirt_network' exists yet/,
      );
      assert.match(
        lab.mustExec("kx", ["ip", "route", "show", "10.252.100.0/24"]),
        /via 10\.250\.10\.2 dev eth0/,
      );
      ok(runDown(lab, "kx", p), "down.sh without libvirt");
    });
  });
}

routedSuite("iptables");
routedSuite("nftables");
