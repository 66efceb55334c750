// Checks the local @pulumi/libvirt SDK against what the engine would receive: type tokens,
// input property names, provider references and plugin version. Run from the repo root:
//   node --import tsx --test sdks/libvirt/test/sdk.test.ts
// It imports the package by name, i.e. the compiled sdks/libvirt/bin (build it first with
// `tsc -p sdks/libvirt`, which the root postinstall does).

import assert from "node:assert/strict";
import * as fs from "node:fs";
import * as path from "node:path";
import { test } from "node:test";

import * as pulumi from "@pulumi/pulumi";
import * as libvirt from "@pulumi/libvirt";

const registered: pulumi.runtime.MockResourceArgs[] = [];

pulumi.runtime.setMocks(
  {
    newResource(args: pulumi.runtime.MockResourceArgs): {
      id: string;
      state: Record<string, unknown>;
    } {
      registered.push(args);
      const state: Record<string, unknown> = { ...args.inputs };
      // Play the provider's part for a computed output: fill in the MAC of each interface.
      if (
        args.type === "libvirt:index/domain:Domain" &&
        Array.isArray(args.inputs.networkInterfaces)
      ) {
        state.networkInterfaces = (args.inputs.networkInterfaces as Record<string, unknown>[]).map(
          (nic, i) => ({
            mac: `52:54:00:00:00:0${i}`,
            ...nic,
          }),
        );
      }
      return { id: args.id || `${args.name}-id`, state };
    },
    call(args: pulumi.runtime.MockCallArgs): Record<string, unknown> {
      return args.inputs as Record<string, unknown>;
    },
  },
  "labfabric",
  "test",
  false,
);

/** The value of an Output, as the program would see it after the engine returned. */
function valueOf<T>(output: pulumi.Output<T>): Promise<T> {
  return new Promise((resolve) => output.apply(resolve));
}

/** The registration the mock monitor saw for the resource named `name`. */
function registration(name: string): pulumi.runtime.MockResourceArgs {
  const found = registered.filter((r) => r.name === name);
  assert.equal(found.length, 1, `exactly one registration named ${name}`);
  return found[0]!;
}

async function settle(resource: pulumi.CustomResource): Promise<void> {
  await valueOf(resource.id);
}

test("package.json declares the published package identity and plugin", () => {
  const pkgPath = path.join(path.dirname(require.resolve("@pulumi/libvirt")), "..", "package.json");
  const pkg = JSON.parse(fs.readFileSync(pkgPath, "utf8")) as Record<string, unknown>;
  assert.equal(pkg.name, "@pulumi/libvirt");
  assert.equal(pkg.version, "0.5.4");
  assert.deepEqual(pkg.pulumi, { resource: true, name: "libvirt", version: "0.5.4" });
  assert.equal(
    pkg.dependencies,
    undefined,
    "no runtime dependencies (a nested @pulumi/pulumi breaks registration)",
  );
  assert.ok((pkg.peerDependencies as Record<string, string>)["@pulumi/pulumi"]);
});

// Top-level attributes of terraform-provider-libvirt 0.8.1 (libvirt/resource_libvirt_*.go and
// libvirt/provider.go), spelled as in Terraform. The bridge camel-cases them and pluralizes
// repeated blocks (TF list blocks without MaxItems 1) whose TF name is singular.
const tf081 = {
  network: [
    "name",
    "domain",
    "mode",
    "bridge",
    "mtu",
    "addresses",
    "autostart",
    "dns",
    "dhcp",
    "routes",
    "dnsmasq_options",
    "xml",
  ],
  volume: [
    "name",
    "pool",
    "source",
    "size",
    "format",
    "base_volume_id",
    "base_volume_pool",
    "base_volume_name",
    "xml",
  ],
  cloudinit_disk: ["name", "pool", "user_data", "meta_data", "network_config"],
  pool: ["name", "type", "capacity", "allocation", "available", "source", "target", "xml", "path"],
  domain: [
    "name",
    "description",
    "metadata",
    "vcpu",
    "memory",
    "firmware",
    "type",
    "nvram",
    "running",
    "cloudinit",
    "coreos_ignition",
    "fw_cfg_name",
    "filesystem",
    "disk",
    "network_interface",
    "graphics",
    "video",
    "console",
    "cpu",
    "autostart",
    "machine",
    "arch",
    "boot_device",
    "emulator",
    "kernel",
    "initrd",
    "cmdline",
    "qemu_agent",
    "tpm",
    "xml",
  ],
  provider: ["uri"],
};
const pluralizedBlocks = new Set([
  "filesystem",
  "disk",
  "network_interface",
  "console",
  "boot_device",
  "cmdline",
]);

function bridgedName(tfName: string): string {
  const camel = tfName.replace(/_([a-z])/g, (_, c: string) => c.toUpperCase());
  return pluralizedBlocks.has(tfName) ? `${camel}s` : camel;
}

/** The Pulumi property names a resource object exposes as Outputs. */
function propertyNames(resource: pulumi.Resource): string[] {
  return Object.keys(resource)
    .filter((k) => !k.startsWith("__") && !["urn", "id", "pkg"].includes(k))
    .sort();
}

test("every 0.8.1 attribute is exposed under its bridged name, and nothing else", async () => {
  const cases: [keyof typeof tf081, pulumi.Resource][] = [
    ["network", new libvirt.Network("schema-net")],
    ["volume", new libvirt.Volume("schema-vol")],
    ["cloudinit_disk", new libvirt.CloudInitDisk("schema-ci")],
    ["pool", new libvirt.Pool("schema-pool", { type: "dir" })],
    ["domain", new libvirt.Domain("schema-dom")],
    ["provider", new libvirt.Provider("schema-prov", { uri: "qemu:///system" })],
  ];
  for (const [tfResource, resource] of cases) {
    assert.deepEqual(
      propertyNames(resource),
      tf081[tfResource].map(bridgedName).sort(),
      tfResource,
    );
    await valueOf(resource.urn);
  }
});

test("the compiled bin/ is not older than the sources (else run: npm run build:sdks)", () => {
  const root = path.join(__dirname, "..");
  const sources = [
    "index",
    "utilities",
    "provider",
    "network",
    "domain",
    "volume",
    "cloudInitDisk",
    "pool",
  ]
    .concat(["config/index", "config/vars", "types/index", "types/input", "types/output"])
    .map((f) => `${f}.ts`);
  for (const src of sources) {
    const built = path.join(root, "bin", src.replace(/\.ts$/, ".js"));
    assert.ok(fs.existsSync(built), `${built} missing`);
    assert.ok(
      fs.statSync(built).mtimeMs >= fs.statSync(path.join(root, src)).mtimeMs,
      `bin is older than ${src}: rebuild with tsc -p sdks/libvirt`,
    );
  }
});

test("Network: token, inputs pass through, outputs come back", async () => {
  const args: libvirt.NetworkArgs = {
    name: "labnet",
    mode: "nat",
    bridge: "virbr-lab",
    domain: "lab.internal",
    addresses: ["10.17.3.0/24"],
    mtu: 1450,
    autostart: true,
    dhcp: { enabled: true },
    dns: {
      enabled: true,
      localOnly: true,
      hosts: [{ hostname: "api", ip: "10.17.3.10" }],
      forwarders: [{ address: "1.1.1.1" }],
    },
    routes: [{ cidr: "10.18.0.0/16", gateway: "10.17.3.254" }],
    dnsmasqOptions: {
      options: [{ optionName: "dhcp-option", optionValue: "option:ntp-server,10.17.3.1" }],
    },
    xml: { xslt: "<xsl:stylesheet/>" },
  };
  const net = new libvirt.Network("labnet", args);
  await settle(net);

  const reg = registration("labnet");
  assert.equal(reg.type, "libvirt:index/network:Network");
  assert.equal(reg.custom, true);
  assert.deepEqual(reg.inputs, args);
  assert.equal(await valueOf(net.name), "labnet");
  assert.deepEqual(await valueOf(net.dns), args.dns);
  assert.deepEqual(await valueOf(net.routes), args.routes);
  assert.equal(await valueOf(net.id), "labnet-id");
  assert.ok(libvirt.Network.isInstance(net));
  assert.ok(!libvirt.Volume.isInstance(net));
  // resourceOptsDefaults: the engine is asked for plugin libvirt 0.5.4.
  assert.equal((net as unknown as { __version?: string }).__version, "0.5.4");
});

test("Volume: token and inputs", async () => {
  const base = new libvirt.Volume("base", {
    name: "noble.qcow2",
    pool: "lab",
    source: "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img",
    format: "qcow2",
    xml: { xslt: "<xsl:stylesheet/>" },
  });
  const disk = new libvirt.Volume("disk", {
    name: "node1.qcow2",
    pool: "lab",
    size: 40 * 1024 ** 3,
    baseVolumeId: base.id,
    baseVolumeName: "noble.qcow2",
    baseVolumePool: "lab",
  });
  await settle(disk);

  assert.equal(registration("base").type, "libvirt:index/volume:Volume");
  assert.equal(
    registration("base").inputs.source,
    "https://cloud-images.ubuntu.com/noble/current/noble-server-cloudimg-amd64.img",
  );
  assert.deepEqual(registration("disk").inputs, {
    name: "node1.qcow2",
    pool: "lab",
    size: 40 * 1024 ** 3,
    baseVolumeId: "base-id",
    baseVolumeName: "noble.qcow2",
    baseVolumePool: "lab",
  });
  assert.equal(await valueOf(disk.size), 40 * 1024 ** 3);
});

test("CloudInitDisk: token and inputs", async () => {
  const args: libvirt.CloudInitDiskArgs = {
    name: "node1-cloudinit.iso",
    pool: "lab",
    userData: "#cloud-config\nhostname: node1\n",
    metaData: "instance-id: node1\n",
    networkConfig: "version: 2\n",
  };
  const ci = new libvirt.CloudInitDisk("node1-ci", args);
  await settle(ci);
  const reg = registration("node1-ci");
  assert.equal(reg.type, "libvirt:index/cloudInitDisk:CloudInitDisk");
  assert.deepEqual(reg.inputs, args);
  assert.equal(await valueOf(ci.userData), args.userData);
});

test("Pool: token, inputs, and `type` is required", async () => {
  const pool = new libvirt.Pool("lab-pool", {
    name: "lab",
    type: "dir",
    target: { path: "/var/lib/libvirt/images/lab" },
  });
  await settle(pool);
  const reg = registration("lab-pool");
  assert.equal(reg.type, "libvirt:index/pool:Pool");
  assert.deepEqual(reg.inputs, {
    name: "lab",
    type: "dir",
    target: { path: "/var/lib/libvirt/images/lab" },
  });

  const legacy = new libvirt.Pool("legacy-pool", { type: "dir", path: "/srv/pool" });
  await settle(legacy);
  assert.equal(registration("legacy-pool").inputs.path, "/srv/pool");

  assert.throws(
    () => new libvirt.Pool("untyped", {} as unknown as libvirt.PoolArgs),
    /Missing required property 'type'/,
  );
});

test("Domain: token, nested blocks pass through, computed networkInterfaces come back", async () => {
  const args: libvirt.DomainArgs = {
    name: "node1",
    description: "k8s control plane",
    vcpu: 2,
    memory: 4096,
    autostart: true,
    running: true,
    cloudinit: "ci-volume-key;uuid",
    cpu: { mode: "host-passthrough" },
    disks: [
      { volumeId: "/var/lib/libvirt/images/lab/node1.qcow2", scsi: true, wwn: "05abcd1234567890" },
      { url: "https://example.invalid/boot.iso" },
      { file: "/srv/iso/tools.iso" },
      { blockDevice: "/dev/sdb" },
    ],
    networkInterfaces: [
      {
        networkId: "net-uuid",
        mac: "52:54:00:aa:bb:01",
        addresses: ["10.17.3.11"],
        hostname: "node1",
      },
      { networkName: "default", waitForLease: true },
      { bridge: "br0" },
      { macvtap: "eno1" },
    ],
    consoles: [
      { type: "pty", targetPort: "0", targetType: "serial" },
      { type: "pty", targetPort: "1", targetType: "virtio", sourcePath: "/dev/pts/4" },
    ],
    graphics: { type: "vnc", listenType: "address", listenAddress: "127.0.0.1", autoport: true },
    qemuAgent: true,
    firmware: "/usr/share/OVMF/OVMF_CODE.fd",
    machine: "q35",
    arch: "x86_64",
    type: "kvm",
    xml: { xslt: "<xsl:stylesheet/>" },
  };
  const domain = new libvirt.Domain("node1", args);
  await settle(domain);

  const reg = registration("node1");
  assert.equal(reg.type, "libvirt:index/domain:Domain");
  assert.deepEqual(reg.inputs, args);

  const nics = await valueOf(domain.networkInterfaces);
  assert.ok(nics);
  assert.deepEqual(nics[0]!.addresses, ["10.17.3.11"]);
  assert.equal(nics[0]!.mac, "52:54:00:aa:bb:01");
  assert.equal(
    nics[1]!.mac,
    "52:54:00:00:00:01",
    "computed MAC (from the mock provider) comes back",
  );
  assert.equal(await valueOf(domain.memory), 4096);
});

test("Provider: token, uri input, and resources created with { provider } reference it", async () => {
  const uri =
    "qemu+ssh://root@host1/system?keyfile=/home/ci/.ssh/id_ed25519&sshauth=privkey&no_verify=1";
  const host1 = new libvirt.Provider("host1", { uri });
  const net = new libvirt.Network(
    "host1-net",
    { name: "labnet", addresses: ["10.17.4.0/24"] },
    { provider: host1 },
  );
  await settle(net);

  const provReg = registration("host1");
  assert.equal(provReg.type, "pulumi:providers:libvirt");
  assert.deepEqual(provReg.inputs, { uri });
  assert.ok(libvirt.Provider.isInstance(host1));
  assert.ok(!libvirt.Network.isInstance(host1));
  assert.equal(await valueOf(host1.uri), uri);

  const providerRef = `${await valueOf(host1.urn)}::${await valueOf(host1.id)}`;
  assert.equal(registration("host1-net").provider, providerRef);
  assert.equal(
    await valueOf(host1.urn),
    "urn:pulumi:test::labfabric::pulumi:providers:libvirt::host1",
  );
});

test("Provider: uri falls back to LIBVIRT_DEFAULT_URI", async () => {
  const saved = process.env.LIBVIRT_DEFAULT_URI;
  process.env.LIBVIRT_DEFAULT_URI = "qemu:///system";
  try {
    const p = new libvirt.Provider("from-env", {});
    await settle(p);
    assert.deepEqual(registration("from-env").inputs, { uri: "qemu:///system" });
  } finally {
    if (saved === undefined) delete process.env.LIBVIRT_DEFAULT_URI;
    else process.env.LIBVIRT_DEFAULT_URI = saved;
  }
});

test("Network.get reads an existing network by id", async () => {
  const net = libvirt.Network.get("existing", "0b8b3f8c-uuid");
  assert.equal(await valueOf(net.id), "0b8b3f8c-uuid");
  const reg = registration("existing");
  assert.equal(reg.type, "libvirt:index/network:Network");
  assert.equal(reg.id, "0b8b3f8c-uuid");
});

test("resource references deserialize into instances of these classes", async () => {
  const pool = new libvirt.Pool("ref-pool", { type: "dir", target: { path: "/srv/ref" } });
  const host = new libvirt.Provider("ref-host", { uri: "qemu:///system" });
  await settle(pool);
  await settle(host);
  const ref = (urn: string) => ({
    [pulumi.runtime.specialSigKey]: pulumi.runtime.specialResourceSig,
    urn,
    packageVersion: "0.5.4",
  });
  const poolAgain = pulumi.runtime.deserializeProperty(ref(await valueOf(pool.urn)));
  assert.ok(libvirt.Pool.isInstance(poolAgain));
  const hostAgain = pulumi.runtime.deserializeProperty(ref(await valueOf(host.urn)));
  assert.ok(libvirt.Provider.isInstance(hostAgain));
  assert.ok(libvirt.types !== undefined && libvirt.config !== undefined);
});
