// Failing cases for validate-addresses.ts: overlapping ranges, public ranges, addresses outside
// their subnet or DHCP range, duplicate addresses and MACs.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assertFails,
  E,
  load,
  routedLab,
  vm,
  vxlanLab,
  W,
  warningsOf,
  withOpenstack,
  hostKeyLine,
  TOFU_OS,
} from "./helpers";

const overlap = (key: string, value: string, other: string, otherValue: string, kinds: string) =>
  E(
    key,
    `"${value}"`,
    `overlaps ${other} (${otherValue}); ${kinds} ranges must not overlap`,
    `give ${key} a range that overlaps no other lab range`,
  );
const taken = (key: string, ip: string, by: string) =>
  E(
    key,
    `"${ip}"`,
    `is already used by ${by}`,
    "give each host, gateway, VM and node its own address",
  );
const outside = (key: string, ip: string, what: string, subnet: string) =>
  E(
    key,
    `"${ip}"`,
    `is not a usable host address in ${what} ${subnet}`,
    `pick an address inside ${subnet} (not its network or broadcast address)`,
  );
const PUBLIC = "is not a private range: inside the lab it shadows real hosts on the internet";
const PRIVATE_FIX = "use a block from 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10";

describe("overlapping ranges", () => {
  it("fails when the VM subnet overlaps the underlay", () => {
    assertFails(
      vxlanLab((s) => (s.fabric!.vmSubnet = "192.168.0.0/16")),
      [
        // Said once, naming every range it overlaps.
        E(
          "fabric.vmSubnet",
          '"192.168.0.0/16"',
          "overlaps hosts[0].underlay.address (192.168.0.0/24), hosts[1].underlay.address (192.168.0.0/24); underlay and vm ranges must not overlap",
          "give fabric.vmSubnet a range that overlaps no other lab range",
        ),
        taken("vms[1].nics[0].address", "192.168.0.11", "hosts[0].underlay.address"),
      ],
    );
  });

  it("fails when a NAT network overlaps the VM subnet", () => {
    const net = { name: "nat1", host: "h1", bridge: "virbr10", cidr: "10.39.0.128/25" };
    assertFails(
      vxlanLab((s) => (s.networks = [net])),
      [
        overlap(
          "networks[0].cidr",
          "10.39.0.128/25",
          "fabric.vmSubnet",
          "10.39.0.0/24",
          "vm and libvirt",
        ),
      ],
    );
  });

  it("fails when two hosts' NAT networks are the same range", () => {
    assertFails(
      routedLab((s) => (s.networks![1].cidr = "172.20.112.0/24")),
      [
        overlap(
          "networks[1].cidr",
          "172.20.112.0/24",
          "networks[0].cidr",
          "172.20.112.0/24",
          "libvirt",
        ),
        taken("networks[1].gateway", "172.20.112.1", "networks[0].gateway"),
        taken("vms[1].nics[0].address", "172.20.112.10", "vms[0].nics[0].address"),
      ],
    );
  });

  it("fails when the pod subnet covers the NAT networks", () => {
    assertFails(
      routedLab((s) => (s.kubernetes!.podSubnet = "172.20.0.0/16")),
      [
        E(
          "kubernetes.podSubnet",
          '"172.20.0.0/16"',
          "overlaps networks[0].cidr (172.20.112.0/24), networks[1].cidr (172.20.113.0/24); libvirt and pod ranges must not overlap",
          "give kubernetes.podSubnet a range that overlaps no other lab range",
        ),
      ],
    );
  });

  it("fails when the service subnet overlaps the pod subnet", () => {
    assertFails(
      vxlanLab((s) => (s.kubernetes!.serviceSubnet = "172.16.128.0/20")),
      [
        overlap(
          "kubernetes.serviceSubnet",
          "172.16.128.0/20",
          "kubernetes.podSubnet",
          "172.16.0.0/16",
          "pod and service",
        ),
      ],
    );
  });

  it("fails when kubeadm's default service range covers an OpenStack network (scenario B)", () => {
    assertFails(
      vxlanLab((s) => (withOpenstack(s), delete s.kubernetes!.serviceSubnet)),
      [
        overlap(
          "kubernetes.serviceSubnet",
          "10.96.0.0/12",
          "openstack.networks[0].cidr",
          "10.100.200.0/24",
          "openstack and service",
        ),
        TOFU_OS,
      ],
    );
  });
});

describe("public ranges inside the lab are warned about", () => {
  it("warns when a NAT network is a public range", () => {
    const plan = load(routedLab((s) => (s.networks![1].cidr = "12.12.139.0/24")));
    assert.deepEqual(warningsOf(plan), [
      W("networks[1].cidr", '"12.12.139.0/24"', PUBLIC, PRIVATE_FIX),
    ]);
  });

  it("warns when the pod subnet is a public range", () => {
    const plan = load(vxlanLab((s) => (s.kubernetes!.podSubnet = "8.8.0.0/16")));
    assert.deepEqual(warningsOf(plan), [
      W("kubernetes.podSubnet", '"8.8.0.0/16"', PUBLIC, PRIVATE_FIX),
    ]);
  });
});

describe("addresses inside their subnet and DHCP range", () => {
  it("fails when a bridge address is outside the VM subnet", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![0].bridgeAddress = "10.40.0.1/24")),
      [outside("hosts[0].bridgeAddress", "10.40.0.1", "fabric.vmSubnet", "10.39.0.0/24")],
    );
  });

  it("fails when a bridge address is the network address", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![0].bridgeAddress = "10.39.0.0/24")),
      [outside("hosts[0].bridgeAddress", "10.39.0.0", "fabric.vmSubnet", "10.39.0.0/24")],
    );
  });

  it("fails when the VM subnet cannot hold the host bridges and a VM", () => {
    const lab = vxlanLab(
      (s) => ((s.fabric!.vmSubnet = "10.39.0.0/30"), (s.vms = []), (s.kubernetes!.enabled = false)),
    );
    assertFails(lab, [
      E(
        "fabric.vmSubnet",
        '"10.39.0.0/30"',
        "is too small for 2 host bridge addresses",
        "use a larger subnet",
      ),
    ]);
  });

  it("fails when a gateway is outside its network", () => {
    assertFails(
      routedLab((s) => (s.networks![0].gateway = "172.20.113.1")),
      [
        outside("networks[0].gateway", "172.20.113.1", "the network", "172.20.112.0/24"),
        taken("networks[1].gateway", "172.20.113.1", "networks[0].gateway"),
      ],
    );
  });

  it("fails when the DHCP range starts outside the network", () => {
    assertFails(
      routedLab((s) => (s.networks![0].dhcp = { start: "172.20.111.100", end: "172.20.112.200" })),
      [outside("networks[0].dhcp.start", "172.20.111.100", "the network", "172.20.112.0/24")],
    );
  });

  it("fails when the DHCP range ends on the broadcast address", () => {
    assertFails(
      routedLab((s) => (s.networks![0].dhcp = { start: "172.20.112.100", end: "172.20.112.255" })),
      [outside("networks[0].dhcp.end", "172.20.112.255", "the network", "172.20.112.0/24")],
    );
  });

  it("fails when the DHCP range ends before it starts", () => {
    assertFails(
      routedLab((s) => (s.networks![0].dhcp = { start: "172.20.112.200", end: "172.20.112.100" })),
      [
        E(
          "networks[0].dhcp.end",
          '"172.20.112.100"',
          "is before dhcp.start 172.20.112.200",
          "swap them",
        ),
        // Said once: the VM's missing address follows from the bad range, no second error.
      ],
    );
  });

  it("fails when the DHCP range lies wholly outside its network, saying so once per bound", () => {
    assertFails(
      routedLab((s) => (s.networks![0].dhcp = { start: "10.9.9.10", end: "10.9.9.20" })),
      [
        outside("networks[0].dhcp.start", "10.9.9.10", "the network", "172.20.112.0/24"),
        outside("networks[0].dhcp.end", "10.9.9.20", "the network", "172.20.112.0/24"),
      ],
    );
  });

  it("fails when the DHCP range contains the gateway", () => {
    assertFails(
      routedLab((s) => (s.networks![0].dhcp = { start: "172.20.112.1", end: "172.20.112.200" })),
      [
        E(
          "networks[0].dhcp",
          '{"start":"172.20.112.1","end":"172.20.112.200"}',
          "contains the gateway 172.20.112.1",
          "start the range after the gateway",
        ),
      ],
    );
  });

  it("fails when a reservation is outside its network", () => {
    const r = { name: "cp-0", mac: "52:54:00:00:00:01", address: "172.20.113.5" };
    assertFails(
      routedLab((s) => (s.networks![0].reservations = [r])),
      [
        outside(
          "networks[0].reservations[0].address",
          "172.20.113.5",
          "the network",
          "172.20.112.0/24",
        ),
      ],
    );
  });

  it("fails when the DHCP range has no address left for a VM", () => {
    const lab = routedLab((s) => {
      s.networks![0].dhcp = { start: "172.20.112.100", end: "172.20.112.100" };
      s.vms!.push(vm("w-1", "h1", "nat1"));
    });
    assertFails(lab, [
      E(
        "vms[2].nics[0].network",
        '"nat1"',
        "has no free address left for this NIC",
        "use a larger subnet or DHCP range, or set nics[].address",
      ),
    ]);
  });

  it("fails when a VM address is outside the fabric subnet", () => {
    assertFails(
      vxlanLab((s) => (s.vms![0].nics[0].address = "10.40.0.10")),
      [outside("vms[0].nics[0].address", "10.40.0.10", "network fabric", "10.39.0.0/24")],
    );
  });

  it("fails when an instance's fixed IP is outside its network", () => {
    assertFails(
      vxlanLab(
        (s) => (withOpenstack(s), (s.openstack!.instances![0].nics[0].fixedIp = "10.100.201.11")),
      ),
      [
        outside(
          "openstack.instances[0].nics[0].fixedIp",
          "10.100.201.11",
          "network k8s-net",
          "10.100.200.0/24",
        ),
        TOFU_OS,
      ],
    );
  });

  it("fails when OpenStack is enabled without an admin CIDR", () => {
    assertFails(
      vxlanLab((s) => (withOpenstack(s), delete s.openstack!.adminCidr)),
      [
        E(
          "openstack.adminCidr",
          "(unset)",
          "is required: SSH and the API server are opened to it and nothing else",
          "set the CIDR admins connect from, e.g. 192.168.0.0/24",
        ),
        TOFU_OS,
      ],
    );
  });
});

describe("duplicate addresses and MACs", () => {
  it("fails when a VM takes a host's bridge address", () => {
    assertFails(
      vxlanLab((s) => (s.vms![1].nics[0].address = "10.39.0.2")),
      [taken("vms[1].nics[0].address", "10.39.0.2", "hosts[1].bridgeAddress")],
    );
  });

  it("fails when two VMs take one address", () => {
    assertFails(
      vxlanLab(
        (s) => (
          (s.vms![0].nics[0].address = "10.39.0.50"),
          (s.vms![1].nics[0].address = "10.39.0.50")
        ),
      ),
      [taken("vms[1].nics[0].address", "10.39.0.50", "vms[0].nics[0].address")],
    );
  });

  it("fails when an extra node uses a host's underlay address", () => {
    const node = {
      name: "n1",
      role: "worker" as const,
      ssh: { address: "192.168.0.11", hostKey: hostKeyLine(11) },
      address: "192.168.0.11/24",
    };
    assertFails(
      vxlanLab((s) => (s.kubernetes!.nodes = [node])),
      [taken("kubernetes.nodes[0].address", "192.168.0.11", "hosts[0].underlay.address")],
    );
  });

  it("fails when two NICs share a MAC", () => {
    const mac = "52:54:00:aa:bb:cc";
    assertFails(
      vxlanLab((s) => ((s.vms![0].nics[0].mac = mac), (s.vms![1].nics[0].mac = mac))),
      [
        E(
          "vms[1].nics[0].mac",
          `"${mac}"`,
          "is already used by VM cp-0",
          "give each NIC its own MAC (or omit it to have one generated)",
        ),
      ],
    );
  });

  it("fails when a NIC takes another VM's reserved MAC", () => {
    const mac = "52:54:00:aa:bb:cc";
    const lab = routedLab((s) => {
      s.networks![0].reservations = [{ name: "cp-0", mac, address: "172.20.112.101" }];
      s.vms![1].nics[0].mac = mac;
    });
    assertFails(lab, [
      E(
        "vms[1].nics[0].mac",
        `"${mac}"`,
        "is already used by VM cp-0",
        "give each NIC its own MAC (or omit it to have one generated)",
      ),
    ]);
  });
});
