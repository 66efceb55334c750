// cloud-init documents: pinned renderings for scenarios A and D, the rules each part follows,
// and a round trip through PyYAML (what cloud-init itself parses with) when it is installed.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { parse } from "yaml";
import {
  renderCloudInit,
  renderNetworkConfig,
  renderUserData,
  type CloudInitInput,
} from "../../components/plan/libvirt/cloud-init";
import { planLibvirt } from "../../components/plan/libvirt/plan";
import { loadScenario, PUBLIC_KEY, STACK_A, STACK_D } from "./helpers";

const USER_DATA_A = `#cloud-config
growpart:
  devices: [ / ]
  mode: auto
hostname: worker-2
preserve_hostname: false
resize_rootfs: true
runcmd:
  - [ swapoff, -a ]
  - [ sed, -i, -E, "/^[^#].*[[:space:]]swap[[:space:]]/s/^/#/", /etc/fstab ]
  - [ systemctl, mask, swap.target ]
ssh_pwauth: false
users:
  - lock_passwd: true
    name: lab
    shell: /bin/bash
    ssh_authorized_keys: [ ${PUBLIC_KEY} ]
    sudo: ALL=(ALL) NOPASSWD:ALL
`;

// Post A: a static address on the stretched 12.12.139.0/24, its host's bridge address as the
// gateway (worker-2 runs on host2 = .2), MTU 1500 - 50 (VXLAN).
const NETWORK_CONFIG_A = `ethernets:
  nic0:
    addresses: [ 12.12.139.23/24 ]
    dhcp4: false
    match:
      macaddress: 52:54:00:99:52:72
    mtu: 1450
    nameservers:
      addresses: [ 1.1.1.1, 9.9.9.9 ]
    routes:
      - to: 0.0.0.0/0
        via: 12.12.139.2
version: 2
`;

// Post D: DHCP from k8snat (the reservation gives .101), the peer NAT subnet via the local
// libvirt gateway, MTU 1500 (static routes add no encapsulation).
const NETWORK_CONFIG_D = `ethernets:
  nic0:
    dhcp4: true
    match:
      macaddress: 52:54:00:6b:3c:58
    mtu: 1500
    routes:
      - to: 192.168.100.0/24
        via: 172.20.112.1
version: 2
`;

const USER_DATA_D = USER_DATA_A.replace("worker-2", "master");

describe("cloud-init for scenario A (VXLAN stretch)", () => {
  const plan = planLibvirt(loadScenario(STACK_A, (raw) => (raw.sshPublicKey = PUBLIC_KEY)));
  const vms = plan.hosts.flatMap((h) => h.vms);

  it("renders worker-2's user-data and network-config as pinned", () => {
    const ci = vms.find((v) => v.name === "worker-2")!.cloudInit;
    assert.equal(ci.userData, USER_DATA_A);
    assert.equal(ci.networkConfig, NETWORK_CONFIG_A);
    assert.equal(ci.metaData, `instance-id: ${ci.instanceId}\nlocal-hostname: worker-2\n`);
    assert.match(ci.instanceId, /^a-vxlan-stretch-worker-2-[0-9a-f]{12}$/);
  });

  it("gives every VM its static 12.12.139.x, its host's gateway and MTU 1450", () => {
    const seen = vms.map((v) => {
      const nic0 = (parse(v.cloudInit.networkConfig) as { ethernets: { nic0: NicDoc } }).ethernets
        .nic0;
      return [v.name, nic0.addresses?.[0], nic0.routes?.[0].via, nic0.mtu];
    });
    assert.deepEqual(seen, [
      ["master-0", "12.12.139.11/24", "12.12.139.1", 1450],
      ["master-1", "12.12.139.12/24", "12.12.139.1", 1450],
      ["worker-0", "12.12.139.21/24", "12.12.139.1", 1450],
      ["master-2", "12.12.139.13/24", "12.12.139.2", 1450],
      ["worker-1", "12.12.139.22/24", "12.12.139.2", 1450],
      ["worker-2", "12.12.139.23/24", "12.12.139.2", 1450],
    ]);
  });
});

describe("cloud-init for scenario D (routed libvirt NAT)", () => {
  const plan = planLibvirt(loadScenario(STACK_D, (raw) => (raw.sshPublicKey = PUBLIC_KEY)));
  const ci = plan.hosts[0].vms[0].cloudInit;

  it("renders master's documents as pinned", () => {
    assert.equal(ci.networkConfig, NETWORK_CONFIG_D);
    assert.equal(ci.userData, USER_DATA_D);
  });
});

interface NicDoc {
  mtu: number;
  dhcp4: boolean;
  addresses?: string[];
  routes?: { to: string; via: string }[];
  nameservers?: { addresses: string[] };
  match: { macaddress: string };
}

const base: CloudInitInput = {
  lab: "t",
  hostname: "vm1",
  user: "lab",
  nics: [
    {
      mac: "52:54:00:12:34:56",
      mtu: 1450,
      addressing: {
        kind: "static",
        address: "10.39.0.10/24",
        gateway: "10.39.0.1",
        nameservers: ["10.0.0.53"],
      },
      routes: [],
    },
    {
      mac: "52:54:00:ab:cd:ef",
      mtu: 1450,
      addressing: { kind: "static", address: "10.40.0.10/24", nameservers: [] },
      routes: [],
    },
    { mac: "52:54:00:00:00:01", mtu: 1450, addressing: { kind: "dhcp" }, routes: [] },
  ],
};

describe("cloud-init rules", () => {
  it("puts the default route and resolvers only on the NIC given a gateway", () => {
    const doc = parse(renderNetworkConfig(base.nics)) as { ethernets: Record<string, NicDoc> };
    assert.deepEqual(doc.ethernets.nic0.routes, [{ to: "0.0.0.0/0", via: "10.39.0.1" }]);
    assert.deepEqual(doc.ethernets.nic0.nameservers, { addresses: ["10.0.0.53"] });
    assert.deepEqual(doc.ethernets.nic1, {
      match: { macaddress: "52:54:00:ab:cd:ef" },
      mtu: 1450,
      dhcp4: false,
      addresses: ["10.40.0.10/24"],
    });
    assert.deepEqual(doc.ethernets.nic2, {
      match: { macaddress: "52:54:00:00:00:01" },
      mtu: 1450,
      dhcp4: true,
    });
  });

  it("gives the user no key line when the lab has no public key, and never a password", () => {
    const doc = parse(renderUserData(base)) as { users: Record<string, unknown>[] };
    assert.deepEqual(doc.users, [
      { name: "lab", shell: "/bin/bash", sudo: "ALL=(ALL) NOPASSWD:ALL", lock_passwd: true },
    ]);
  });

  it("turns swap off for good and grows the root filesystem", () => {
    const doc = parse(renderUserData(base)) as Record<string, unknown>;
    assert.deepEqual(doc.runcmd, [
      ["swapoff", "-a"],
      ["sed", "-i", "-E", "/^[^#].*[[:space:]]swap[[:space:]]/s/^/#/", "/etc/fstab"],
      ["systemctl", "mask", "swap.target"],
    ]);
    assert.deepEqual(doc.growpart, { mode: "auto", devices: ["/"] });
    assert.equal(doc.resize_rootfs, true);
  });

  it("changes the instance-id with the documents, so cloud-init applies a changed network", () => {
    const a = renderCloudInit(base);
    assert.equal(renderCloudInit(base).instanceId, a.instanceId, "same input, same id");
    const moved = renderCloudInit({
      ...base,
      nics: [{ ...base.nics[0], mtu: 1400 }, ...base.nics.slice(1)],
    });
    assert.notEqual(moved.instanceId, a.instanceId);
  });

  it("quotes an all-digit MAC, which YAML 1.1 (cloud-init's PyYAML) reads as a base-60 number", () => {
    assert.match(renderNetworkConfig(base.nics), /macaddress: "52:54:00:12:34:56"/);
  });

  const python = spawnSync("python3", ["-c", "import yaml"], { encoding: "utf8" });
  it(
    "parses back identically with PyYAML",
    { skip: python.status !== 0 ? "python3 with PyYAML not available" : false },
    () => {
      const ci = renderCloudInit({ ...base, sshPublicKey: PUBLIC_KEY });
      for (const text of [ci.userData, ci.networkConfig, ci.metaData]) {
        const r = spawnSync(
          "python3",
          ["-c", "import json,sys,yaml; print(json.dumps(yaml.safe_load(sys.stdin.read())))"],
          { input: text, encoding: "utf8" },
        );
        assert.equal(r.status, 0, r.stderr);
        assert.deepEqual(JSON.parse(r.stdout), parse(text));
      }
    },
  );
});
