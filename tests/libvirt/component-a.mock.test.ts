// Scenario A (two hosts, one L2 segment stretched over VXLAN) through the libvirt layer with
// Pulumi mocks in update mode: every registration is recorded and checked.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import type { LabPlan } from "../../components/plan/plan";
import { LibvirtLayer } from "../../components/libvirt/component";
import { renderDomainXslt } from "../../components/libvirt/domain-xslt";
import { parseSeedStdin, renderSeedStep } from "../../components/libvirt/seed";
import { asRoot } from "../../components/shared";
import {
  allStrings,
  assertProvidersPerHost,
  byName,
  connectionStandIn,
  countByType,
  fabricDoneIndex,
  fabricStandIn,
  FABRIC_TYPE,
  indexOf,
  loadScenario,
  ofType,
  PRIVATE_KEY_MARKER,
  PUBLIC_KEY,
  recordDependencies,
  recordRegistrations,
  seedPathFor,
  settle,
  STACK_A,
  T,
  valueOf,
  type Registration,
} from "./helpers";

const HOST1_KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhvc3QxaG9zdDFob3N0MWhvc3Qx root@host1";
/** host2's key as the scenario's stack file pins it. */
const HOST2_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAILi/W1BJMCTVb583Cs8EXJz8x+8UImqZBrFDGMCyhT1H";
const GIB = 1024 ** 3;

describe("scenario A: libvirt layer (mocks, update mode)", () => {
  let registered: Registration[];
  let plan: LabPlan;
  let layer: LibvirtLayer;
  let knownHosts: string;

  let deps: Map<string, string[]>;
  before(async () => {
    registered = await recordRegistrations(false);
    deps = recordDependencies();
    // As shipped, plus the lab's public key and host1's pinned host key.
    plan = loadScenario(STACK_A, (raw) => {
      raw.sshPublicKey = PUBLIC_KEY;
      (raw.hosts as { ssh: Record<string, unknown> }[])[0].ssh.hostKey = HOST1_KEY;
    });
    knownHosts = join(mkdtempSync(join(tmpdir(), "lf-libvirt-")), "known_hosts");
    const fabric = { host1: [fabricStandIn("host1")], host2: [fabricStandIn("host2")] };
    layer = new LibvirtLayer("libvirt", {
      plan: plan.libvirt,
      fabric,
      knownHostsFile: knownHosts,
      hostConnection: connectionStandIn,
    });
    await settle(layer);
  });

  const vmPlan = (vm: string) =>
    plan.libvirt.hosts.flatMap((h) => h.vms).find((v) => v.name === vm)!;
  /** Each VM's seed step (a remote command on its host) by VM name. */
  const seeds = () =>
    new Map(
      ofType(registered, T.command)
        .filter((c) => c.name.endsWith("-seed"))
        .map((c) => [c.name.replace(/^libvirt-|-seed$/g, ""), c.inputs]),
    );

  it("registers 2 providers, 2 fabric networks, 2 base images, 6 root volumes, 6 seed steps, 6 domains", () => {
    const counts = countByType(registered);
    assert.deepEqual(
      {
        layer: counts[T.layer],
        provider: counts[T.provider],
        network: counts[T.network],
        volume: counts[T.volume],
        command: counts[T.command],
        domain: counts[T.domain],
        pool: counts[T.pool],
        cloudInitDisk: counts["libvirt:index/cloudInitDisk:CloudInitDisk"],
      },
      {
        layer: 1,
        provider: 2,
        network: 2,
        volume: 8,
        command: 6,
        domain: 6,
        pool: undefined,
        cloudInitDisk: undefined,
      },
    );
  });

  it("uses each host's own provider for every resource on it, never the default provider", async () => {
    await assertProvidersPerHost(layer, "libvirt", registered);
  });

  it("connects over qemu+ssh with the agent, checking every host against the lab's known_hosts", () => {
    assert.equal(
      byName(registered, "libvirt-host1").inputs.uri,
      `qemu+ssh://root@192.168.0.23:22/system?sshauth=agent&knownhosts=${knownHosts}`,
    );
    assert.equal(
      byName(registered, "libvirt-host2").inputs.uri,
      `qemu+ssh://root@192.168.0.24:22/system?sshauth=agent&knownhosts=${knownHosts}`,
    );
    assert.equal(
      readFileSync(knownHosts, "utf8"),
      `192.168.0.23 ${HOST1_KEY}\n192.168.0.24 ${HOST2_KEY}\n`,
    );
  });

  it("bridges one libvirt network per host onto the fabric bridge br-vm (no <mtu>: libvirt 9.0 refuses it in bridge mode; the fabric sets 1450 on br-vm)", () => {
    assert.equal(plan.mtu.vmMtu, 1450);
    for (const host of ["host1", "host2"]) {
      assert.deepEqual(byName(registered, `libvirt-${host}-fabric`).inputs, {
        name: "a-vxlan-stretch-fabric",
        mode: "bridge",
        bridge: "br-vm",
        autostart: true,
      });
    }
  });

  it("makes one base image volume per host and a copy-on-write root volume of diskGiB per VM", () => {
    for (const host of ["host1", "host2"]) {
      assert.deepEqual(byName(registered, `libvirt-${host}-rocky9-image`).inputs, {
        name: "a-vxlan-stretch-rocky9-base",
        pool: "default",
        source: "/var/lib/libvirt/images/Rocky-9-GenericCloud-Base.latest.x86_64.qcow2",
      });
    }
    assert.deepEqual(byName(registered, "libvirt-worker-2-root").inputs, {
      name: "a-vxlan-stretch-worker-2-root.qcow2",
      pool: "default",
      format: "qcow2",
      baseVolumeId: "libvirt-host2-rocky9-image-id",
      size: 120 * GIB,
    });
  });

  it("gives every VM a domain with its NIC on the fabric network: fixed MAC, no DHCP reservation", () => {
    const nic = plan.vmNics.find((n) => n.vm === "master-0")!;
    assert.deepEqual(byName(registered, "libvirt-master-0").inputs, {
      name: "master-0",
      vcpu: 4,
      memory: 16384,
      autostart: true,
      cpu: { mode: "host-passthrough" },
      // The seed step's path on stdout: a .iso file, which 0.8 attaches as a CD-ROM.
      disks: [
        { volumeId: "libvirt-master-0-root-id" },
        { file: seedPathFor(vmPlan("master-0").seedVolumeName) },
      ],
      // By bridge: what libvirt (and so the provider's read) makes of a bridge-mode network.
      networkInterfaces: [{ bridge: "br-vm", mac: nic.mac }],
      consoles: [{ type: "pty", targetPort: "0", targetType: "serial" }],
      graphics: { type: "vnc", autoport: true, listenType: "address", listenAddress: "127.0.0.1" },
      qemuAgent: false,
      type: "kvm",
      xml: { xslt: renderDomainXslt("master-0") },
      description: "labfabric lab a-vxlan-stretch",
    });
    const hosts = Object.fromEntries(
      ofType(registered, T.domain).map((d) => [d.inputs.name, d.inputs.networkInterfaces]),
    );
    assert.deepEqual(Object.keys(hosts).sort(), [
      "master-0",
      "master-1",
      "master-2",
      "worker-0",
      "worker-1",
      "worker-2",
    ]);
  });

  it("puts the planner's VM MTU and the static fabric address into every VM's seed", () => {
    assert.equal(seeds().size, 6);
    for (const [vm, inputs] of seeds()) {
      const nic = plan.vmNics.find((n) => n.vm === vm)!;
      const docs = parseSeedStdin(String(inputs.stdin))!;
      assert.deepEqual(docs, {
        userData: vmPlan(vm).cloudInit.userData,
        metaData: vmPlan(vm).cloudInit.metaData,
        networkConfig: vmPlan(vm).cloudInit.networkConfig,
      });
      const config = parse(docs.networkConfig) as {
        ethernets: Record<string, { mtu: number; addresses: string[]; dhcp4: boolean }>;
      };
      assert.equal(config.ethernets.nic0.mtu, plan.mtu.vmMtu, `${vm} NIC MTU`);
      assert.deepEqual(config.ethernets.nic0.addresses, [nic.address], `${vm} address`);
      assert.match(nic.address!, /^12\.12\.139\.\d+\/24$/);
      assert.equal(config.ethernets.nic0.dhcp4, false);
      assert.match(
        vmPlan(vm).seedVolumeName,
        new RegExp(`^a-vxlan-stretch-${vm}-seed-[0-9a-f]{12}\\.iso$`),
      );
    }
  });

  it("runs each seed step as root on the VM's host over its SSH connection, replaced with its volume", () => {
    const host = (vm: string) => vmPlan(vm).host;
    for (const [vm, inputs] of seeds()) {
      const step = renderSeedStep(
        { pool: "default", volume: vmPlan(vm).seedVolumeName },
        vmPlan(vm).cloudInit,
      );
      // a secret; the command SDK's own dial defaults filled in
      assert.deepEqual(
        (inputs.connection as { value: unknown }).value,
        { ...connectionStandIn(host(vm)), dialErrorLimit: 10, perDialTimeout: 15 },
        vm,
      );
      assert.equal(inputs.create, asRoot("root", step.create), vm);
      assert.equal(inputs.delete, asRoot("root", step.delete), vm);
      assert.equal(inputs.stdin, step.stdin, vm);
      assert.deepEqual(inputs.triggers, ["default", vmPlan(vm).seedVolumeName]);
    }
  });

  it("creates the fabric networks and the domains only after the host fabric exists", () => {
    for (const [host, vms] of [
      ["host1", ["master-0", "master-1", "worker-0"]],
      ["host2", ["master-2", "worker-1", "worker-2"]],
    ] as const) {
      const done = fabricDoneIndex(registered, host);
      assert.ok(indexOf(registered, `libvirt-${host}-fabric`) > done, `${host} network waits`);
      const network = indexOf(registered, `libvirt-${host}-fabric`);
      for (const vm of vms) {
        assert.ok(indexOf(registered, `libvirt-${vm}`) > done, `${vm} waits`);
        // Attached by bridge name, so the order after the network is an explicit dependency.
        assert.ok(indexOf(registered, `libvirt-${vm}`) > network, `${vm} waits for its network`);
      }
    }
    assert.equal(ofType(registered, FABRIC_TYPE).length, 2);
  });

  it("starts each domain after its root volume and its seed; root volumes after the base image only", () => {
    // No chain between VMs: the read-back that needed one went with CloudInitDisk (component.ts).
    for (const [host, vms] of [
      ["host1", ["master-0", "master-1", "worker-0"]],
      ["host2", ["master-2", "worker-1", "worker-2"]],
    ] as const) {
      const on = (r: string) => deps.get(r) ?? [];
      for (const vm of vms) {
        assert.deepEqual(on(`libvirt-${vm}-root`), [`libvirt-${host}-rocky9-image`], vm);
        assert.ok(on(`libvirt-${vm}`).includes(`libvirt-${vm}-seed`), `${vm} domain`);
        assert.ok(on(`libvirt-${vm}`).includes(`libvirt-${vm}-root`), `${vm} domain`);
        assert.ok(!on(`libvirt-${vm}`).some((d) => /-seed$/.test(d) && d !== `libvirt-${vm}-seed`));
      }
    }
  });

  it("hands every VM on as a Kubernetes node: planned address, ssh via its host, VM MTU", async () => {
    assert.equal(layer.nodes.length, 6);
    const m0 = layer.nodes.find((n) => n.name === "master-0")!;
    assert.deepEqual(
      {
        name: m0.name,
        role: m0.role,
        source: m0.source,
        host: m0.host,
        address: await valueOf(m0.address),
        addresses: await valueOf(m0.addresses),
        ssh: {
          ...m0.ssh,
          jump: { ...m0.ssh.jump!, hostKey: await valueOf(pulumi.output(m0.ssh.jump!.hostKey!)) },
        },
        mtu: m0.mtu,
      },
      {
        name: "master-0",
        role: "control-plane",
        source: "vm",
        host: "host1",
        address: "12.12.139.11",
        addresses: { fabric: "12.12.139.11" },
        ssh: {
          port: 22,
          user: "lab",
          jump: { address: "192.168.0.23", port: 22, user: "root", hostKey: HOST1_KEY },
        },
        mtu: 1450,
      },
    );
    const w2 = layer.nodes.find((n) => n.name === "worker-2")!;
    assert.equal(await valueOf(w2.address), "12.12.139.23");
    assert.deepEqual(
      { ...w2.ssh.jump, hostKey: await valueOf(pulumi.output(w2.ssh.jump!.hostKey!)) },
      { address: "192.168.0.24", port: 22, user: "root", hostKey: HOST2_KEY },
    );
    assert.deepEqual(
      layer.vms.map((v) => [v.host, v.name, v.role]),
      [
        ["host1", "master-0", "control-plane"],
        ["host1", "master-1", "control-plane"],
        ["host1", "worker-0", "worker"],
        ["host2", "master-2", "control-plane"],
        ["host2", "worker-1", "worker"],
        ["host2", "worker-2", "worker"],
      ],
    );
  });

  it("reports the networks of each host", () => {
    const host1 = layer.networks.host1[0];
    assert.ok(host1.id, "a created network has an id");
    assert.deepEqual(
      { ...host1, id: undefined },
      {
        name: "fabric",
        libvirtName: "a-vxlan-stretch-fabric",
        mode: "bridge",
        bridge: "br-vm",
        cidr: "12.12.139.0/24",
        mtu: 1450,
        adopted: false,
        id: undefined,
      },
    );
    assert.deepEqual(Object.keys(layer.networks), ["host1", "host2"]);
  });

  it("puts no private key into any input (only the public key, in the seeds' user-data)", () => {
    const strings = registered.flatMap((r) => allStrings(r.inputs));
    assert.equal(strings.filter((s) => s.includes(PRIVATE_KEY_MARKER)).length, 0);
    const withKey = registered.filter((r) =>
      allStrings(r.inputs).some((s) => s.includes(PUBLIC_KEY)),
    );
    // On the seed steps' stdin (base64 of user-data), so no input holds it in plain text.
    assert.deepEqual(withKey, []);
    const seedKeys = [...seeds().values()].filter((i) =>
      parseSeedStdin(String(i.stdin))?.userData.includes(PUBLIC_KEY),
    );
    assert.equal(seedKeys.length, 6);
  });
});
