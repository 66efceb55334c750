// Who writes a VM's DHCP reservation (the planner's decision) and the text of labfabric's own
// step on adopted networks: the entry's XML, the create and delete scripts (valid sh, values
// quoted, refusing what is not a MAC, address or name), and lab-d's plan with the decision in it.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import {
  dhcpHostXml,
  renderDhcpHostStep,
  renderReleaseScript,
  renderReserveScript,
} from "../../components/libvirt/dhcp-host";
import { domainArgs } from "../../components/libvirt/domain-args";
import { reservationOwner, type LibvirtHostReservation } from "../../components/plan";
import { loadScenario, REPO } from "./helpers";
import { checkShell } from "../shared/check-shell";

const LAB_D = join(REPO, "Pulumi.lab-d.yaml");
const VM3: LibvirtHostReservation = {
  network: "ldos",
  mac: "52:54:00:dc:13:33",
  name: "ld-vm3",
  address: "10.252.23.10",
};

describe("reservationOwner: who writes a NIC's DHCP host entry", () => {
  const table: [string, { dhcp?: object; adopt: boolean }, string][] = [
    [
      "a DHCP network labfabric creates: the domain (0.8 adds it; it goes with the network)",
      { dhcp: {}, adopt: false },
      "domain",
    ],
    [
      "an adopted DHCP network: labfabric's own step (0.8 would leave it behind)",
      { dhcp: {}, adopt: true },
      "host-step",
    ],
    ["a network without libvirt DHCP (bridge mode): nobody", { adopt: false }, "none"],
    ["an adopted network without DHCP: nobody", { adopt: true }, "none"],
  ];
  for (const [what, net, owner] of table) {
    it(what, () => assert.equal(reservationOwner(net), owner));
  }
});

describe("lab-d's plan: ld-vm3 on the adopted network ldos", () => {
  const plan = loadScenario(LAB_D);
  const vms = plan.libvirt.hosts.flatMap((h) => h.vms);
  const vm = (name: string) => vms.find((v) => v.name === name)!;

  it("gives ld-vm3's reservation to labfabric's step, and the others' to their domains", () => {
    assert.deepEqual(
      vms.map((v) => [v.name, v.nics.map((n) => n.reservation), v.hostReservations]),
      [
        ["ld-vm1", ["domain"], []],
        ["ld-vm2", ["domain"], []],
        ["ld-vm3", ["host-step"], [VM3]],
      ],
    );
    const ldos = plan.libvirt.hosts[1].networks.find((n) => n.name === "ldos")!;
    assert.deepEqual(ldos.reservations, [
      { vm: "ld-vm3", mac: VM3.mac, address: VM3.address, via: "host-step" },
    ]);
  });

  it("ld-vm3's domain has neither addresses nor waitForLease (0.8 would add the entry itself)", () => {
    const args = domainArgs(plan.libvirt, vm("ld-vm3"), {
      rootVolumeId: "root",
      seedPath: "/var/lib/libvirt/images/seed.iso",
      networkIds: new Map(),
    });
    assert.deepEqual(args.networkInterfaces, [{ networkName: "ldos", mac: VM3.mac }]);
    const vm1 = domainArgs(plan.libvirt, vm("ld-vm1"), {
      rootVolumeId: "root",
      seedPath: "/var/lib/libvirt/images/seed.iso",
      networkIds: new Map([["ldnat1", "net-id"]]),
    });
    assert.deepEqual(vm1.networkInterfaces, [
      {
        networkId: "net-id",
        mac: vm("ld-vm1").nics[0].mac,
        addresses: ["10.252.21.10"],
        hostname: "ld-vm1",
        waitForLease: true,
      },
    ]);
  });
});

describe("the DHCP host step's text", () => {
  it("writes the entry as libvirt prints it", () => {
    assert.equal(
      dhcpHostXml(VM3),
      "<host mac='52:54:00:dc:13:33' name='ld-vm3' ip='10.252.23.10'/>",
    );
  });

  it("create adds the entry with net-update, per scope, quoted; delete removes exactly it", () => {
    const create = renderReserveScript([VM3]);
    const del = renderReleaseScript([VM3]);
    const entry = `'<host mac='\\''52:54:00:dc:13:33'\\'' name='\\''ld-vm3'\\'' ip='\\''10.252.23.10'\\''/>'`;
    assert.ok(
      create.includes(`v net-update 'ldos' add-last ip-dhcp-host ${entry} "--$s" >/dev/null`),
      create,
    );
    assert.ok(create.includes(`if has 'ldos' "$s" ${entry}; then`), create);
    assert.ok(del.includes(`v net-update 'ldos' delete ip-dhcp-host ${entry} "--$s" >/dev/null`));
    assert.ok(!del.includes("add-last") && !create.includes(" delete "));
    assert.match(create, /^#!\/bin\/sh\n# labfabric: .*\nset -eu\n/);
  });

  it("both scripts are valid sh (and pass shellcheck when installed)", () => {
    const two = [VM3, { ...VM3, network: "other", mac: "52:54:00:dc:13:34", address: "10.9.0.5" }];
    checkShell("reserve.sh", renderReserveScript(two));
    checkShell("release.sh", renderReleaseScript(two));
  });

  it("the trigger changes with any value of an entry", () => {
    const base = renderDhcpHostStep([VM3]).hash;
    for (const edit of [
      { address: "10.252.23.11" },
      { mac: "52:54:00:dc:13:34" },
      { name: "ld-vm4" },
      { network: "ldos2" },
    ]) {
      assert.notEqual(renderDhcpHostStep([{ ...VM3, ...edit }]).hash, base, JSON.stringify(edit));
    }
    assert.equal(renderDhcpHostStep([{ ...VM3 }]).hash, base);
  });

  it("fails on a value that is not a MAC, address or name, naming it", () => {
    for (const [edit, named] of [
      [{ mac: "52:54:00:dc:13:3' " }, `mac "52:54:00:dc:13:3' "`],
      [{ address: "10.252.23.10'/><x" }, `address "10.252.23.10'/><x"`],
      [{ name: "ld vm3" }, `name "ld vm3"`],
      [{ network: "$(reboot)" }, `network "$(reboot)"`],
    ] as const) {
      const r = { ...VM3, ...edit };
      assert.throws(
        () => renderReserveScript([r]),
        new Error(`labfabric: DHCP host entry with an invalid value: ${r.name}: ${named}`),
      );
    }
  });
});
