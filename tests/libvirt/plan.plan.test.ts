// The pure libvirt plan: networks per host (created, adopted, fabric), reservations, the
// network stylesheet, MTU everywhere, peer routes, and what each host needs.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { planLibvirt, providerDhcpRange } from "../../components/plan/libvirt/plan";
import type { LibvirtNetworkPlan } from "../../components/plan/libvirt/types";
import { renderNetworkXslt } from "../../components/plan/libvirt/network-xslt";
import { loadScenario, STACK_A, STACK_D } from "./helpers";

const summary = (n: LibvirtNetworkPlan) => ({
  host: n.host,
  name: n.name,
  libvirtName: n.libvirtName,
  mode: n.mode,
  adopt: n.adopt,
  fabric: n.fabric,
  mtu: n.mtu,
  xslt: n.xslt !== undefined,
});

describe("libvirt plan: scenario A", () => {
  const lab = loadScenario(STACK_A);
  const plan = planLibvirt(lab);

  it("has one fabric bridge network per host and nothing else", () => {
    assert.deepEqual(
      plan.hosts.flatMap((h) => h.networks.map(summary)),
      ["host1", "host2"].map((host) => ({
        host,
        name: "fabric",
        libvirtName: "a-vxlan-stretch-fabric",
        mode: "bridge",
        adopt: false,
        fabric: true,
        mtu: 1450,
        xslt: false,
      })),
    );
  });

  it("places three VMs and one base image per host; no NIC uses libvirt DHCP", () => {
    assert.deepEqual(
      plan.hosts.map((h) => [h.host, h.managed, h.images.length, h.vms.map((v) => v.name)]),
      [
        ["host1", true, 1, ["master-0", "master-1", "worker-0"]],
        ["host2", true, 1, ["master-2", "worker-1", "worker-2"]],
      ],
    );
    assert.ok(plan.hosts.every((h) => h.vms.every((v) => v.nics.every((n) => !n.dhcp))));
  });

  it("follows a lowered VM MTU everywhere (fabric.vmMtu 1400)", () => {
    const lowered = planLibvirt(
      loadScenario(STACK_A, (raw) => ((raw.fabric as Record<string, unknown>).vmMtu = 1400)),
    );
    assert.equal(lowered.mtu, 1400);
    for (const h of lowered.hosts) {
      assert.ok(h.networks.every((n) => n.mtu === 1400));
      assert.ok(h.vms.every((v) => v.nics.every((n) => n.cloudInit.mtu === 1400)));
    }
  });
});

describe("libvirt plan: scenario D", () => {
  const plan = planLibvirt(loadScenario(STACK_D));
  const [k8s, os] = plan.hosts;

  it("creates k8snat with the post's range via a stylesheet and adopts the OpenStack NAT", () => {
    assert.deepEqual(
      plan.hosts.flatMap((h) => h.networks.map(summary)),
      [
        {
          host: "kubernetes-host",
          name: "k8snat",
          libvirtName: "k8snat",
          mode: "nat",
          adopt: false,
          fabric: false,
          mtu: 1500,
          xslt: true,
        },
        {
          host: "openstack-host",
          name: "openstack-nat",
          libvirtName: "openstack-nat",
          mode: "nat",
          adopt: true,
          fabric: false,
          mtu: 1500,
          xslt: false,
        },
      ],
    );
    assert.deepEqual(k8s.networks[0].dhcp, { start: "172.20.112.100", end: "172.20.112.200" });
    assert.equal(k8s.networks[0].gateway, "172.20.112.1");
  });

  it("carries master's reservation on its domain, not in the stylesheet", () => {
    assert.deepEqual(k8s.networks[0].reservations, [
      { vm: "master", mac: "52:54:00:6b:3c:58", address: "172.20.112.101", via: "domain" },
    ]);
    const [nic] = k8s.vms[0].nics;
    assert.deepEqual(
      [nic.mac, nic.address, nic.dhcp],
      ["52:54:00:6b:3c:58", "172.20.112.101/24", true],
    );
  });

  it("needs no provider on openstack-host (only an adopted network there)", () => {
    assert.deepEqual([k8s.managed, os.managed], [true, false]);
  });

  it("routes every subnet behind the peer via the local gateway, on the first DHCP NIC only", () => {
    const plan2 = planLibvirt(
      loadScenario(STACK_D, (raw) => {
        const hosts = raw.hosts as Record<string, unknown>[];
        hosts[1].localSubnets = ["192.168.200.0/24"];
        const vms = raw.vms as { nics: unknown[] }[];
        vms[0].nics.push({ network: "k8snat", address: "172.20.112.150" });
      }),
    );
    const nics = plan2.hosts[0].vms[0].nics;
    assert.deepEqual(nics[0].cloudInit.routes, [
      { to: "192.168.100.0/24", via: "172.20.112.1" },
      { to: "192.168.200.0/24", via: "172.20.112.1" },
    ]);
    assert.deepEqual(nics[1].cloudInit.routes, []);
  });
});

describe("libvirt plan: a bridge-mode network other than the fabric", () => {
  it("gives its first NIC a static address and the network's own gateway", () => {
    const plan = planLibvirt(
      loadScenario(STACK_D, (raw) => {
        (raw.networks as unknown[]).push({
          name: "lan",
          host: "kubernetes-host",
          mode: "bridge",
          bridge: "br0",
          cidr: "10.77.0.0/24",
        });
        (raw.vms as { nics: unknown[] }[])[0].nics.unshift({ network: "lan" });
      }),
    );
    const lan = plan.hosts[0].networks.find((n) => n.name === "lan")!;
    assert.deepEqual(
      [lan.mode, lan.dhcp, lan.xslt, lan.fabric],
      ["bridge", undefined, undefined, false],
    );
    const [nic0, nic1] = plan.hosts[0].vms[0].nics;
    assert.deepEqual(nic0.cloudInit.addressing, {
      kind: "static",
      address: "10.77.0.10/24",
      gateway: "10.77.0.1",
      nameservers: ["1.1.1.1", "9.9.9.9"],
    });
    assert.equal(nic1.dhcp, true);
    assert.deepEqual(nic1.cloudInit.routes, [{ to: "192.168.100.0/24", via: "172.20.112.1" }]);
  });
});

describe("network stylesheet", () => {
  it("is not needed for 0.8.1's own gateway and range", () => {
    assert.equal(renderNetworkXslt({ hosts: [] }), undefined);
    assert.deepEqual(providerDhcpRange("172.20.112.0/24"), {
      start: "172.20.112.2",
      end: "172.20.112.254",
    });
    assert.deepEqual(providerDhcpRange("10.0.0.0/23"), { start: "10.0.0.2", end: "10.0.1.254" });
  });

  it("moves the gateway and adds a reservation no VM of the lab carries", () => {
    const plan = planLibvirt(
      loadScenario(STACK_D, (raw) => {
        const net = (raw.networks as Record<string, unknown>[])[0];
        net.gateway = "172.20.112.254";
        net.reservations = [
          { name: "master", mac: "52:54:00:6b:3c:58", address: "172.20.112.101" },
          { name: "printer", mac: "52:54:00:00:00:99", address: "172.20.112.99" },
        ];
      }),
    );
    const net = plan.hosts[0].networks[0];
    assert.deepEqual(
      net.reservations.map((r) => [r.vm, r.via]),
      [
        ["master", "domain"],
        ["printer", "xslt"],
      ],
    );
    assert.match(
      net.xslt!,
      /ip\[@family='ipv4'\]\/@address">\s*<xsl:attribute name="address">172\.20\.112\.254</,
    );
    assert.match(
      net.xslt!,
      /<host mac="52:54:00:00:00:99" name="printer" ip="172\.20\.112\.99"\/>/,
    );
    assert.doesNotMatch(net.xslt!, /name="master"/);
  });

  // The XML terraform-provider-libvirt 0.8.1 generates for k8snat (libvirtxml, indented).
  const GENERATED = `<network>
  <name>k8snat</name>
  <forward mode="nat">
    <nat>
      <port start="1024" end="65535"></port>
    </nat>
  </forward>
  <bridge name="virbr10"></bridge>
  <mtu size="1500"></mtu>
  <ip address="172.20.112.1" family="ipv4" prefix="24">
    <dhcp>
      <range start="172.20.112.2" end="172.20.112.254"></range>
    </dhcp>
  </ip>
</network>
`;
  const xsltproc = spawnSync("xsltproc", ["--version"]);
  it(
    "rewrites 0.8.1's XML into post D's network (xsltproc)",
    { skip: xsltproc.status !== 0 ? "xsltproc not installed" : false },
    () => {
      const xslt = renderNetworkXslt({
        gateway: "172.20.112.254",
        range: { start: "172.20.112.100", end: "172.20.112.200" },
        hosts: [{ mac: "52:54:00:00:00:99", name: "printer", ip: "172.20.112.99" }],
      })!;
      const dir = mkdtempSync(join(tmpdir(), "lf-xslt-"));
      writeFileSync(join(dir, "net.xsl"), xslt);
      writeFileSync(join(dir, "net.xml"), GENERATED);
      const r = spawnSync("xsltproc", [join(dir, "net.xsl"), join(dir, "net.xml")], {
        encoding: "utf8",
      });
      assert.equal(r.status, 0, r.stderr);
      const out = r.stdout.replace(/\s+/g, " ");
      assert.match(out, /<ip address="172\.20\.112\.254" family="ipv4" prefix="24">/);
      assert.match(out, /<range start="172\.20\.112\.100" end="172\.20\.112\.200"/);
      assert.match(
        out,
        /<host mac="52:54:00:00:00:99" name="printer" ip="172\.20\.112\.99"\/>\s*<\/dhcp>/,
      );
      assert.match(out, /<bridge name="virbr10"/);
      assert.match(out, /<mtu size="1500"/);
    },
  );
});
