// Failing cases for validate.ts: names, references, fabric and placement (the Kubernetes/CNI
// rules are in fails-kubernetes.test.ts). Each test bends a valid lab in one place and asserts
// the exact report.
import { describe, it } from "node:test";
import {
  assertFails,
  E,
  host,
  hostKeyLine,
  routedLab,
  TOFU_OS,
  vm,
  vxlanLab,
  withOpenstack,
} from "./helpers";

const dup = (list: string, i: number, first: number, field: string, value: string) =>
  E(
    `${list}[${i}].${field}`,
    value,
    `duplicates ${list}[${first}].${field}; each must be unique`,
    `give ${list}[${i}] a different ${field}`,
  );
const notHost = (key: string, value: string) =>
  E(key, `"${value}"`, "is not a host of this lab (hosts: h1, h2)", "name one of the hosts");

describe("names are unique", () => {
  it("fails when two hosts share a name (and so their bridge address)", () => {
    assertFails(
      vxlanLab((s) => s.hosts!.push(host(3, 1500, { name: "h1" }))),
      [
        dup("hosts", 2, 0, "name", '"h1"'),
        E(
          "hosts[2].bridgeAddress",
          '"10.39.0.3"',
          "is already used by hosts[0].bridgeAddress",
          "give each host, gateway, VM and node its own address",
        ),
      ],
    );
  });

  it("fails when a host has two networks of one name", () => {
    const extra = { name: "nat1", host: "h1", bridge: "virbr12", cidr: "172.20.114.0/24" };
    assertFails(
      routedLab((s) => s.networks!.push(extra)),
      [dup("networks", 2, 0, "name", '"h1/nat1"')],
    );
  });

  it("fails when two VMs share a name", () => {
    assertFails(
      vxlanLab((s) => s.vms!.push(vm("w-0", "h1", "fabric"))),
      [dup("vms", 2, 1, "name", '"w-0"')],
    );
  });

  it("fails when two OpenStack instances share a name", () => {
    const lab = vxlanLab((s) => {
      withOpenstack(s);
      s.openstack!.instances!.push({
        ...s.openstack!.instances![0],
        nics: [{ network: "k8s-net" }],
      });
    });
    assertFails(lab, [dup("openstack.instances", 1, 0, "name", '"os-w1"'), TOFU_OS]);
  });

  it("fails when two OpenStack flavors share a name", () => {
    const lab = vxlanLab((s) => {
      withOpenstack(s);
      s.openstack!.flavors!.push({ name: "m1.large", vcpus: 2, ramMiB: 4096, diskGiB: 20 });
    });
    assertFails(lab, [dup("openstack.flavors", 1, 0, "name", '"m1.large"'), TOFU_OS]);
  });

  it("fails when two extra nodes share a name", () => {
    const node = (i: number) => ({
      name: "n1",
      role: "worker" as const,
      ssh: { address: `10.39.0.${100 + i}`, hostKey: hostKeyLine(100 + i) },
      address: `10.39.0.${100 + i}/24`,
    });
    assertFails(
      vxlanLab((s) => (s.kubernetes!.nodes = [node(1), node(2)])),
      [dup("kubernetes.nodes", 1, 0, "name", '"n1"')],
    );
  });

  it("fails when an extra node takes a VM's name", () => {
    const node = {
      name: "w-0",
      role: "worker" as const,
      ssh: { address: "10.39.0.100", hostKey: hostKeyLine(100) },
      address: "10.39.0.100/24",
    };
    assertFails(
      vxlanLab((s) => (s.kubernetes!.nodes = [node])),
      [
        E(
          "kubernetes.nodes[0].name",
          '"w-0"',
          "is already a VM or instance name; node names must be unique",
          "rename it",
        ),
      ],
    );
  });
});

describe("references name things that exist", () => {
  it("fails when a network names an unknown host (and its VM loses the network)", () => {
    assertFails(
      routedLab((s) => (s.networks![1].host = "h9")),
      [
        notHost("networks[1].host", "h9"),
        E(
          "vms[1].nics[0].network",
          '"nat2"',
          "is not a network on host h2 (there: none)",
          "add it to networks with host: h2, or attach the VM to one that exists",
        ),
      ],
    );
  });

  it("fails when a VM names an unknown host", () => {
    assertFails(
      vxlanLab((s) => (s.vms![1].host = "h9")),
      [notHost("vms[1].host", "h9")],
    );
  });

  it("fails when a VM names an unknown image", () => {
    assertFails(
      vxlanLab((s) => (s.vms![1].image = "debian12")),
      [
        E(
          "vms[1].image",
          '"debian12"',
          "is not in libvirt.images (known: rocky9)",
          "add libvirt.images.debian12: <URL or path>",
        ),
      ],
    );
  });

  it("fails when a VM names another host's network", () => {
    assertFails(
      routedLab((s) => (s.vms![1].nics = [{ network: "nat1" }])),
      [
        E(
          "vms[1].nics[0].network",
          '"nat1"',
          "is not a network on host h2 (there: nat2)",
          "add it to networks with host: h2, or attach the VM to one that exists",
        ),
      ],
    );
  });

  it("fails when a VM asks for the fabric network outside vxlan mode", () => {
    assertFails(
      routedLab((s) => (s.vms![1].nics = [{ network: "fabric" }])),
      [
        E(
          "vms[1].nics[0].network",
          '"fabric"',
          "is not a network on host h2 (there: nat2)",
          "the fabric network exists only with fabric.mode vxlan and fabric.vmSubnet set",
        ),
      ],
    );
  });

  it("fails when openstack.host is not a host", () => {
    assertFails(
      vxlanLab((s) => (withOpenstack(s), (s.openstack!.host = "h9"))),
      [notHost("openstack.host", "h9"), TOFU_OS],
    );
  });

  it("fails when an instance names an unknown flavor", () => {
    assertFails(
      vxlanLab((s) => (withOpenstack(s), (s.openstack!.instances![0].flavor = "m1.huge"))),
      [
        E(
          "openstack.instances[0].flavor",
          '"m1.huge"',
          "is not in openstack.flavors",
          "declare it there (adopt: true for an existing flavor)",
        ),
        TOFU_OS,
      ],
    );
  });

  it("fails when an instance names an unknown network", () => {
    assertFails(
      vxlanLab(
        (s) => (withOpenstack(s), s.openstack!.instances![0].nics.push({ network: "ext-net" })),
      ),
      [
        E(
          "openstack.instances[0].nics[1].network",
          '"ext-net"',
          "is not in openstack.networks",
          "declare the network (name, cidr, mtu)",
        ),
        TOFU_OS,
      ],
    );
  });
});

describe("fabric", () => {
  it("fails when a fabric joins a single host", () => {
    assertFails(
      vxlanLab((s) => ((s.hosts = [host(1)]), (s.vms![1].host = "h1"))),
      [
        E(
          "fabric.mode",
          '"vxlan"',
          "joins two or more hosts; this lab has 1",
          'add hosts or set fabric.mode to "none"',
        ),
      ],
    );
  });

  it("fails when rp_filter is strict (1)", () => {
    assertFails(
      vxlanLab((s) => (s.fabric!.rpFilter = 1)),
      [
        E(
          "fabric.rpFilter",
          "1",
          "strict reverse-path filtering drops the asymmetric paths between hosts (overlay and routed replies)",
          "use 2 (loose, the default) or 0 (off)",
        ),
      ],
    );
  });

  it("fails when vxlan mode has no vmSubnet", () => {
    const lab = vxlanLab((s) => {
      delete s.fabric!.vmSubnet;
      s.vms = [];
      s.kubernetes!.enabled = false;
    });
    assertFails(lab, [
      E(
        "fabric.vmSubnet",
        "(unset)",
        "is required in vxlan mode: it is the L2 subnet stretched across hosts",
        "set e.g. 10.39.0.0/24",
      ),
    ]);
  });

  it("fails when a routed host has no internal address", () => {
    assertFails(
      routedLab((s) => delete s.hosts![1].internalAddress),
      [
        E(
          "hosts[1].internalAddress",
          "(unset)",
          "is required in routed mode: it is the host's address on the network the hosts route each other's subnets over",
          "set e.g. 10.10.10.1/24",
        ),
      ],
    );
  });

  it("fails when the internal addresses are not on one subnet", () => {
    assertFails(
      routedLab((s) => (s.hosts![1].internalAddress = "10.10.11.2/24")),
      [
        E(
          "hosts[1].internalAddress",
          '"10.10.11.2/24"',
          "is not in the same subnet as the other hosts' internal addresses (10.10.10.0/24): routes go via an on-link peer",
          "use an address in 10.10.10.0/24",
        ),
      ],
    );
  });

  it("fails when a bridge network on the fabric bridge has another CIDR", () => {
    const net = {
      name: "lan",
      host: "h1",
      mode: "bridge" as const,
      bridge: "br-vm",
      cidr: "10.40.0.0/24",
    };
    assertFails(
      vxlanLab((s) => (s.networks = [net])),
      [
        E(
          "networks[0].cidr",
          '"10.40.0.0/24"',
          "bridges onto the fabric bridge br-vm but differs from fabric.vmSubnet",
          "set it to 10.39.0.0/24",
        ),
      ],
    );
  });
});

describe("placement", () => {
  it("fails when the VMs on a host need more vCPUs than it has", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![0].capacity = { vcpus: 1, memoryMiB: 65536 })),
      [
        E(
          "hosts[0].capacity.vcpus",
          "1",
          "is less than the 2 vCPUs of the VMs placed on h1",
          "move VMs or raise the capacity",
        ),
      ],
    );
  });

  it("fails when the VMs on a host need more memory than it has", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![0].capacity = { vcpus: 8, memoryMiB: 1024 })),
      [
        E(
          "hosts[0].capacity.memoryMiB",
          "1024",
          "is less than the 2048 MiB of the VMs placed on h1",
          "move VMs or raise the capacity",
        ),
      ],
    );
  });
});
