// Scenario D (two hosts, libvirt NAT networks joined by static routes) through the libvirt
// layer with Pulumi mocks in update mode, with a key file instead of the agent.
import assert from "node:assert/strict";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { LabPlan } from "../../components/plan/plan";
import { LibvirtLayer } from "../../components/libvirt/component";
import { renderDhcpHostStep } from "../../components/libvirt/dhcp-host";
import { parseSeedStdin } from "../../components/libvirt/seed";
import { asRoot } from "../../components/shared";
import {
  allStrings,
  assertProvidersPerHost,
  byName,
  connectionStandIn,
  countByType,
  doneIndex,
  fabricDoneIndex,
  fabricStandIn,
  indexOf,
  loadScenario,
  ofType,
  PRIVATE_KEY_MARKER,
  recordRegistrations,
  seedPathFor,
  settle,
  STACK_D,
  T,
  valueOf,
  type Registration,
} from "./helpers";

const FAKE_PRIVATE_KEY = [
  "-----BEGIN OPENSSH PRIVATE KEY-----",
  "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
  "-----END OPENSSH PRIVATE KEY-----",
  "",
].join("\n");

describe("scenario D: libvirt layer (mocks, update mode, key file)", () => {
  let registered: Registration[];
  let plan: LabPlan;
  let layer: LibvirtLayer;
  let keyFile: string;

  before(async () => {
    registered = await recordRegistrations(false);
    plan = loadScenario(STACK_D);
    const dir = mkdtempSync(join(tmpdir(), "lf-libvirt-"));
    keyFile = join(dir, "lab_ed25519");
    writeFileSync(keyFile, FAKE_PRIVATE_KEY, { mode: 0o600 });
    layer = new LibvirtLayer("libvirt", {
      plan: plan.libvirt,
      sshKeyFile: keyFile,
      fabric: { "kubernetes-host": [fabricStandIn("kubernetes-host")] },
      knownHostsFile: join(dir, "known_hosts"),
      hostConnection: connectionStandIn,
    });
    await settle(layer);
  });

  it("registers 1 provider, 1 NAT network, 1 base image, 1 root volume, 1 seed step, 1 domain", () => {
    const counts = countByType(registered);
    assert.deepEqual(
      {
        layer: counts[T.layer],
        provider: counts[T.provider],
        network: counts[T.network],
        volume: counts[T.volume],
        command: counts[T.command],
        domain: counts[T.domain],
      },
      { layer: 1, provider: 1, network: 1, volume: 2, command: 1, domain: 1 },
    );
  });

  it("uses kubernetes-host's own provider for every resource, never the default provider", async () => {
    await assertProvidersPerHost(layer, "libvirt", registered);
    assert.deepEqual(Object.keys(layer.providers), ["kubernetes-host"]);
  });

  it("authenticates with the key file's path; the key itself is in no input", () => {
    assert.equal(
      byName(registered, "libvirt-kubernetes-host").inputs.uri,
      `qemu+ssh://root@192.168.0.10:22/system?sshauth=privkey&keyfile=${keyFile}&knownhosts=${join(dirname(keyFile), "known_hosts")}`,
    );
    const strings = registered.flatMap((r) => allStrings(r.inputs));
    assert.equal(strings.filter((s) => s.includes(PRIVATE_KEY_MARKER)).length, 0);
    assert.equal(strings.filter((s) => s.includes("b3BlbnNzaC1rZXktdjE")).length, 0);
  });

  it("creates k8snat as in the post: virbr10, 172.20.112.0/24, DHCP .100-.200, MTU 1500", () => {
    assert.equal(plan.mtu.vmMtu, 1500);
    const net = byName(registered, "libvirt-kubernetes-host-k8snat").inputs;
    const xslt = (net.xml as { xslt: string }).xslt;
    assert.deepEqual(
      { ...net, xml: undefined },
      {
        name: "k8snat",
        mode: "nat",
        bridge: "virbr10",
        mtu: plan.mtu.vmMtu,
        autostart: true,
        addresses: ["172.20.112.0/24"],
        dhcp: { enabled: true },
        xml: undefined,
      },
    );
    assert.match(xslt, /dhcp\/range\/@start">\s*<xsl:attribute name="start">172\.20\.112\.100</);
    assert.match(xslt, /dhcp\/range\/@end">\s*<xsl:attribute name="end">172\.20\.112\.200</);
    assert.doesNotMatch(xslt, /<host /, "master's reservation travels with its domain");
  });

  it("creates nothing for the adopted OpenStack NAT network, and no provider for its host", () => {
    const names = registered.map((r) => r.name);
    assert.ok(!names.some((n) => n.includes("openstack")), names.join(", "));
    assert.ok(!registered.some((r) => r.inputs.name === "openstack-nat"));
    const { id, ...adopted } = layer.networks["openstack-host"][0];
    assert.equal(id, undefined);
    assert.deepEqual(adopted, {
      name: "openstack-nat",
      libvirtName: "openstack-nat",
      mode: "nat",
      bridge: "virbr1",
      cidr: "192.168.100.0/24",
      mtu: 1500,
      adopted: true,
    });
  });

  it("reserves master's address through its domain NIC: 52:54:00:6b:3c:58 -> 172.20.112.101", () => {
    const domain = byName(registered, "libvirt-master").inputs;
    assert.deepEqual(domain.networkInterfaces, [
      {
        networkId: "libvirt-kubernetes-host-k8snat-id",
        mac: "52:54:00:6b:3c:58",
        addresses: ["172.20.112.101"],
        hostname: "master",
        waitForLease: true,
      },
    ]);
    assert.deepEqual(
      [domain.vcpu, domain.memory, domain.disks],
      [
        3,
        6144,
        [
          { volumeId: "libvirt-master-root-id" },
          { file: seedPathFor(plan.libvirt.hosts[0].vms[0].seedVolumeName) },
        ],
      ],
    );
    assert.equal(byName(registered, "libvirt-master-root").inputs.size, 100 * 1024 ** 3);
    const nic = plan.vmNics.find((n) => n.vm === "master")!;
    assert.deepEqual([nic.mac, nic.address], ["52:54:00:6b:3c:58", "172.20.112.101/24"]);
  });

  it("routes the peer NAT subnet via the local libvirt gateway in cloud-init, at MTU 1500", () => {
    const seed = byName(registered, "libvirt-master-seed").inputs;
    const config = parse(parseSeedStdin(String(seed.stdin))!.networkConfig) as {
      ethernets: { nic0: { mtu: number; dhcp4: boolean; routes: unknown[] } };
    };
    assert.deepEqual(config.ethernets.nic0, {
      match: { macaddress: "52:54:00:6b:3c:58" },
      mtu: plan.mtu.vmMtu,
      dhcp4: true,
      routes: [{ to: "192.168.100.0/24", via: "172.20.112.1" }],
    });
  });

  it("does not hold the NAT network back for the host fabric, but the domain waits for it", () => {
    const done = fabricDoneIndex(registered, "kubernetes-host");
    assert.ok(indexOf(registered, "libvirt-kubernetes-host-k8snat") < done);
    assert.ok(indexOf(registered, "libvirt-master") > done);
  });

  it("hands master on as the control-plane node at 172.20.112.101", async () => {
    assert.equal(layer.nodes.length, 1);
    const [master] = layer.nodes;
    assert.equal(await valueOf(master.address), "172.20.112.101");
    assert.deepEqual(await valueOf(master.addresses), { k8snat: "172.20.112.101" });
    assert.deepEqual(
      {
        ...master.ssh,
        jump: {
          ...master.ssh.jump,
          hostKey: await valueOf(pulumi.output(master.ssh.jump!.hostKey!)),
        },
      },
      {
        port: 22,
        user: "lab",
        // Checked against kubernetes-host's pinned key (the stack file's).
        jump: {
          address: "192.168.0.10",
          port: 22,
          user: "root",
          hostKey:
            "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIIwGOmXEjz98xlhaLS2POSnDY7Q3wYnE7hvDA5S4WZ5q",
        },
      },
    );
    assert.equal(master.mtu, 1500);
  });
});

describe("scenario D with a VM on the adopted network and a pool to create (mocks)", () => {
  let registered: Registration[];
  before(async () => {
    registered = await recordRegistrations(false);
    const plan = loadScenario(STACK_D, (raw) => {
      (raw.vms as unknown[]).push({
        name: "jump",
        host: "openstack-host",
        vcpus: 1,
        memoryMiB: 1024,
        diskGiB: 10,
        image: "rocky9",
        nics: [{ network: "openstack-nat", address: "192.168.100.50" }],
      });
      raw.libvirt = { ...(raw.libvirt as object), pool: "lab", poolPath: "/home/libvirt/images" };
    });
    const layer = new LibvirtLayer("adopt", {
      plan: plan.libvirt,
      knownHostsFile: join(tmpdir(), "lf-kh"),
      hostConnection: connectionStandIn,
    });
    await settle(layer);
  });

  it("attaches by network name (no resource); the domain carries no reservation there", () => {
    assert.deepEqual(byName(registered, "adopt-jump").inputs.networkInterfaces, [
      {
        networkName: "openstack-nat",
        mac: (byName(registered, "adopt-jump").inputs.networkInterfaces as { mac: string }[])[0]
          .mac,
      },
    ]);
    assert.equal(ofType(registered, T.network).length, 1, "still only k8snat");
    assert.equal(ofType(registered, T.provider).length, 2, "openstack-host now has a VM");
  });

  it("reserves the address with its own step on openstack-host, before the domain boots", () => {
    const step = byName(registered, "adopt-jump-dhcp-host");
    const mac = (byName(registered, "adopt-jump").inputs.networkInterfaces as { mac: string }[])[0]
      .mac;
    const expected = renderDhcpHostStep([
      { network: "openstack-nat", mac, name: "jump", address: "192.168.100.50" },
    ]);
    assert.deepEqual(
      {
        connection: (step.inputs.connection as { value: unknown }).value,
        create: step.inputs.create,
        delete: step.inputs.delete,
        triggers: step.inputs.triggers,
      },
      {
        // a secret; the command SDK's own dial defaults filled in
        connection: {
          ...connectionStandIn("openstack-host"),
          dialErrorLimit: 10,
          perDialTimeout: 15,
        },
        create: asRoot("root", expected.create),
        delete: asRoot("root", expected.delete),
        triggers: [expected.hash],
      },
    );
    assert.ok(doneIndex(registered, "adopt-jump-dhcp-host") < indexOf(registered, "adopt-jump"));
    assert.deepEqual(
      ofType(registered, T.command)
        .map((c) => c.name)
        .sort(),
      ["adopt-jump-dhcp-host", "adopt-jump-seed", "adopt-master-seed"],
      "k8snat's VM needs no DHCP host step",
    );
  });

  it("creates the dir pool on each host with VMs and puts every volume in it", () => {
    assert.deepEqual(
      ofType(registered, T.pool).map((p) => [p.name, p.inputs]),
      ["kubernetes-host", "openstack-host"].map((h) => [
        `adopt-${h}-pool`,
        { name: "lab", type: "dir", target: { path: "/home/libvirt/images" } },
      ]),
    );
    const pools = ofType(registered, T.volume).map((v) => v.inputs.pool);
    assert.equal(pools.length, 4);
    assert.ok(pools.every((p) => p === "lab"));
    // The seeds too, each after its host's pool exists.
    const seeds = ofType(registered, T.command).filter((c) => c.name.endsWith("-seed"));
    assert.deepEqual(
      seeds.map((c) => (c.inputs.triggers as string[])[0]),
      ["lab", "lab"],
    );
    assert.match(String(seeds[0].inputs.create), /pool='\\''lab'\\''/);
  });
});
