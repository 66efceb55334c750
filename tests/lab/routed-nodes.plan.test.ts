// Existing machines (kubernetes.nodes) on the hosts' libvirt NAT networks in a routed lab:
// scenario D's shape with issue 18's nodes (Pulumi.lab-k.yaml). The planner routes, opens and
// keeps unmasqueraded their subnets like any subnet behind a host, so Flannel's VXLAN peers see
// each other's node addresses; the addresses must stay out of dnsmasq's range and the NIC MTU
// within the network's; a node's jump host key is pinned like every other.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { LabSpecInput } from "../../components/spec/schema";
import { assertFails, E, hostKeyLine, load, loadStack, REPO, routedLab } from "./helpers";

const LAB_K = join(REPO, "Pulumi.lab-k.yaml");

type NodeInput = NonNullable<NonNullable<LabSpecInput["kubernetes"]>["nodes"]>[number];

/** routedLab with its VMs replaced by two existing machines on the hosts' NAT networks. */
function nodesLab(edit: (s: LabSpecInput, nodes: NodeInput[]) => void = () => {}): LabSpecInput {
  return routedLab((s) => {
    s.vms = [];
    delete s.libvirt;
    s.networks = [
      {
        name: "nat1",
        host: "h1",
        bridge: "virbr10",
        cidr: "172.20.112.0/24",
        dhcp: { start: "172.20.112.100", end: "172.20.112.200" },
      },
      {
        name: "nat2",
        host: "h2",
        bridge: "virbr11",
        cidr: "172.20.113.0/24",
        dhcp: { start: "172.20.113.100", end: "172.20.113.200" },
      },
    ];
    const node = (name: string, n: number, role: NodeInput["role"]): NodeInput => ({
      name,
      role,
      ssh: {
        address: `172.20.11${n + 1}.11`,
        hostKey: hostKeyLine(40 + n),
        jump: { address: `192.168.0.1${n}`, hostKey: hostKeyLine(n) },
      },
      address: `172.20.11${n + 1}.11/24`,
      mtu: 1500,
    });
    const nodes = [node("cp", 1, "control-plane"), node("w", 2, "worker")];
    s.kubernetes!.nodes = nodes;
    edit(s, nodes);
  });
}

describe("existing nodes on the hosts' NAT networks (routed fabric)", () => {
  it("lab-k: the nodes sit on different subnets behind different hosts", () => {
    const plan = loadStack(LAB_K);
    assert.deepEqual(
      plan.nodes.map((n) => [n.name, n.subnet, n.address, n.host]),
      [
        ["lk-cp1", "10.252.31.0/24", "10.252.31.11", "lk-h1"],
        ["lk-w1", "10.252.32.0/24", "10.252.32.12", "lk-h2"],
      ],
    );
    assert.deepEqual(
      plan.spec.kubernetes.nodes.map((n) => n.ssh.jump?.address),
      ["10.250.30.11", "10.250.30.12"],
    );
  });

  it("lab-k: each host routes the peer node's subnet via the peer's internal address, opens it and keeps its source", () => {
    const plan = loadStack(LAB_K);
    const routed = Object.fromEntries(plan.hosts.map((h) => [h.host, h.routed!]));
    assert.deepEqual(routed["lk-h1"].routes, [
      { to: "10.252.32.0/24", via: "10.250.31.2", peer: "lk-h2" },
    ]);
    assert.deepEqual(routed["lk-h2"].routes, [
      { to: "10.252.31.0/24", via: "10.250.31.1", peer: "lk-h1" },
    ]);
    for (const [h, own, peer] of [
      ["lk-h1", "10.252.31.0/24", "10.252.32.0/24"],
      ["lk-h2", "10.252.32.0/24", "10.252.31.0/24"],
    ]) {
      assert.deepEqual(routed[h].localSubnets, [own], `${h} local subnets`);
      // libvirt's NAT firewall lets the peer node's subnet (and the internal subnet) in ...
      assert.deepEqual(routed[h].peerSources, ["10.250.31.0/24", peer], `${h} openings`);
      // ... and does not masquerade this node's traffic to it: VXLAN peers see node addresses.
      assert.deepEqual(routed[h].noMasqueradeTo, [peer], `${h} no-masquerade`);
    }
  });

  it("covers every node subnet from every other host, whatever the node count", () => {
    const plan = load(
      nodesLab((s, nodes) => {
        s.hosts!.push({
          name: "h3",
          ssh: { address: "192.168.0.13", hostKey: hostKeyLine(3) },
          underlay: { interface: "eth0", address: "192.168.0.13/24", mtu: 1500 },
          internalAddress: "10.10.10.3/24",
        });
        s.networks!.push({ name: "nat3", host: "h3", bridge: "virbr12", cidr: "172.20.114.0/24" });
        nodes.push({
          name: "w2",
          role: "worker",
          ssh: { address: "172.20.114.2", hostKey: hostKeyLine(43) },
          address: "172.20.114.2/24",
          mtu: 1500,
        });
        // dnsmasq's default range is the whole subnet: w2's network leaves its address out.
        s.networks![2].dhcp = { start: "172.20.114.10", end: "172.20.114.20" };
      }),
    );
    for (const node of plan.nodes) {
      for (const h of plan.hosts.filter((x) => x.host !== node.host)) {
        const route = h.routed!.routes.find((r) => r.to === node.subnet);
        assert.ok(route, `${h.host} has no route to ${node.name}'s ${node.subnet}`);
        const behind = plan.hosts.find((x) => x.host === node.host)!;
        assert.equal(route.via, behind.routed!.internalAddress.split("/")[0]);
        assert.ok(h.routed!.peerSources.includes(node.subnet));
        assert.ok(h.routed!.noMasqueradeTo.includes(node.subnet));
      }
    }
  });

  it("refuses a node address inside the network's default DHCP range", () => {
    assertFails(
      nodesLab((s) => delete s.networks![0].dhcp),
      [
        E(
          "kubernetes.nodes[0].address",
          '"172.20.112.11/24"',
          "is inside the DHCP range 172.20.112.2-172.20.112.254 of networks[0] (nat1 on h1): libvirt's dnsmasq can lease it to another machine while this node holds it statically",
          "set networks[0].dhcp to a range that leaves it out (libvirt's default hands out the whole subnet), e.g. { start: 172.20.112.100, end: 172.20.112.200 }",
        ),
      ],
    );
  });

  it("refuses a node address inside an explicit DHCP range", () => {
    assertFails(
      nodesLab((_s, nodes) => (nodes[1].address = "172.20.113.150/24")),
      [
        E(
          "kubernetes.nodes[1].address",
          '"172.20.113.150/24"',
          "is inside the DHCP range 172.20.113.100-172.20.113.200 of networks[1] (nat2 on h2): libvirt's dnsmasq can lease it to another machine while this node holds it statically",
          "pick an address of 172.20.113.0/24 outside 172.20.113.100-172.20.113.200, or narrow networks[1].dhcp",
        ),
      ],
    );
  });

  it("refuses a node MTU above what its network carries", () => {
    assertFails(
      nodesLab((s, nodes) => {
        s.fabric!.vmMtu = 1400;
        nodes[0].mtu = 1450;
        nodes[1].mtu = 1400;
      }),
      [
        E(
          "kubernetes.nodes[0].mtu",
          "1450",
          "is above the 1400 bytes networks[0] (nat1 on h1) carries: the node's full-size packets would be dropped on the bridge while small ones pass",
          "set it to 1400 or lower",
        ),
      ],
    );
  });

  it("refuses a node's jump host without a pinned key", () => {
    assertFails(
      nodesLab((_s, nodes) => delete nodes[0].ssh.jump!.hostKey),
      [
        E(
          "kubernetes.nodes[0].ssh.jump.hostKey",
          "(unset)",
          'is required: labfabric checks every SSH server\'s key, and jump host 192.168.0.11 of node cp has none pinned (sshHostKeys is "pinned")',
          "set it to the output of `ssh-keyscan -t ed25519 192.168.0.11` (check it on the machine's console), or set labfabric:sshHostKeys: trust-on-first-use",
        ),
      ],
    );
  });
});
