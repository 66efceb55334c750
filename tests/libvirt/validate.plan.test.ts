// validateLibvirt: the libvirt checks validate.ts does not make. Each failing case asserts the
// exact finding (key path, value, what is allowed, the fix).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatFinding } from "../../components/spec/findings";
import { libvirtFindings } from "../../components/validate/libvirt";
import { loadScenario, parseScenario, PUBLIC_KEY, STACK_A, STACK_D } from "./helpers";

type Raw = Record<string, unknown>;
const nets = (raw: Raw) => raw.networks as Raw[];
const hosts = (raw: Raw) => raw.hosts as { ssh: Raw; [k: string]: unknown }[];

/** Findings of scenario D bent by `edit` (parsed, not validated: validateLab runs these too). */
function findingsD(edit: (raw: Raw) => void): string[] {
  const spec = parseScenario(STACK_D, (raw) => {
    raw.sshPublicKey = PUBLIC_KEY;
    edit(raw);
  });
  return libvirtFindings(spec).map(formatFinding);
}

describe("validateLibvirt", () => {
  it("finds nothing wrong with scenarios A and D once the lab has a public key", () => {
    assert.deepEqual(
      findingsD(() => {}),
      [],
    );
    const a = loadScenario(STACK_A, (raw) => (raw.sshPublicKey = PUBLIC_KEY));
    assert.deepEqual(libvirtFindings(a.spec), []);
  });

  it("warns that VMs without the lab's public key cannot be logged in to", () => {
    const d = parseScenario(STACK_D, (raw) => delete raw.sshPublicKey);
    assert.deepEqual(libvirtFindings(d).map(formatFinding), [
      "WARNING labfabric:sshPublicKey = (unset): is unset, so the VMs' user lab gets no key: nobody (labfabric included) can log in to the VMs. Fix: set labfabric:sshPublicKey to the lab's public key",
    ]);
  });

  it("fails a second nat network on the same bridge of a host", () => {
    assert.deepEqual(
      findingsD((raw) =>
        nets(raw).push({
          name: "k8snat2",
          host: "kubernetes-host",
          bridge: "virbr10",
          cidr: "172.20.113.0/24",
        }),
      ),
      [
        'ERROR labfabric:networks[2].bridge = "virbr10": is already the bridge of networks[0] (k8snat) on host kubernetes-host; libvirt creates one bridge per network. Fix: give each nat/route/open network on a host its own bridge name',
      ],
    );
  });

  it("fails a gateway that is not the first address when libvirt's default range would contain it", () => {
    assert.deepEqual(
      findingsD((raw) => {
        nets(raw)[0].gateway = "172.20.112.254";
        delete nets(raw)[0].dhcp;
        nets(raw)[0].reservations = [];
      }),
      [
        'ERROR labfabric:networks[0].gateway = "172.20.112.254": is not the subnet\'s first address 172.20.112.1, and without dhcp libvirt leases every other address of 172.20.112.0/24, this one included. Fix: set networks[0].dhcp to a range that leaves 172.20.112.254 out',
      ],
    );
  });

  it("fails a subnet too small for terraform-provider-libvirt 0.8.1", () => {
    assert.deepEqual(
      findingsD((raw) => {
        nets(raw)[0].cidr = "172.20.112.0/30";
        nets(raw)[0].gateway = "172.20.112.1";
        delete nets(raw)[0].dhcp;
        nets(raw)[0].reservations = [];
        (raw.vms as Raw[])[0].nics = [{ network: "k8snat", address: "172.20.112.2" }];
      }),
      [
        'ERROR labfabric:networks[0].cidr = "172.20.112.0/30": is too small for a libvirt nat network (terraform-provider-libvirt 0.8.1 needs /29 or larger). Fix: use a /29 or larger subnet, e.g. a /24',
      ],
    );
  });

  it("fails DHCP settings on a bridge-mode network", () => {
    const found = findingsD((raw) =>
      nets(raw).push({
        name: "lan",
        host: "kubernetes-host",
        mode: "bridge",
        bridge: "br0",
        cidr: "10.77.0.0/24",
        dhcp: { start: "10.77.0.100", end: "10.77.0.200" },
        reservations: [{ name: "nas", mac: "52:54:00:00:00:77", address: "10.77.0.7" }],
      }),
    );
    assert.deepEqual(found, [
      'ERROR labfabric:networks[2].dhcp = {"start":"10.77.0.100","end":"10.77.0.200"}: is set on a bridge-mode network: libvirt runs no DHCP there. Fix: remove it; VMs on the network get static addresses through cloud-init',
      'ERROR labfabric:networks[2].reservations = ["nas"]: are set on a bridge-mode network: libvirt runs no DHCP there, so nothing serves them. Fix: set vms[].nics[].address instead (applied statically through cloud-init)',
    ]);
  });

  it("warns that a reservation on an adopted network without a VM cannot be applied", () => {
    assert.deepEqual(
      findingsD((raw) => {
        nets(raw)[1].reservations = [
          { name: "controller", mac: "52:54:00:00:00:42", address: "192.168.100.10" },
        ];
      }),
      [
        'WARNING labfabric:networks[1].reservations[0] = "controller": is on an adopted network and no VM of the lab named controller attaches to it, so labfabric cannot add it (an adopted network is never changed). Fix: add it on the host (virsh net-update openstack-nat add ip-dhcp-host ...) and remove it here',
      ],
    );
  });

  it("fails a second NIC on a network whose reservation already addresses the first", () => {
    assert.deepEqual(
      findingsD((raw) => {
        (raw.vms as Raw[])[0].nics = [{ network: "k8snat" }, { network: "k8snat" }];
      }).filter((f) => f.includes("nics[1]")),
      [
        'ERROR labfabric:vms[0].nics[1] = "k8snat": is a second NIC of master on k8snat, whose reservation for master already gives nics[0] its address. Fix: set nics[].address on this NIC, or attach it to another network',
      ],
    );
  });

  it("fails a nat network on the fabric bridge, and a network named fabric, in a vxlan lab", () => {
    // Parsed only: the shadowed name also confuses the address checks of loadLab.
    const spec = parseScenario(STACK_A, (raw) => {
      raw.sshPublicKey = PUBLIC_KEY;
      raw.networks = [{ name: "fabric", host: "host1", bridge: "br-vm", cidr: "10.66.0.0/24" }];
    });
    assert.deepEqual(libvirtFindings(spec).map(formatFinding), [
      'ERROR labfabric:networks[0].name = "fabric": is reserved in vxlan labs: VM NICs naming "fabric" attach to the fabric bridge br-vm. Fix: give the network another name',
      'ERROR labfabric:networks[0].bridge = "br-vm": is the fabric bridge, but a nat network makes libvirt create its own bridge. Fix: use mode: bridge to attach to br-vm, or another bridge name (e.g. virbr10)',
    ]);
  });

  it("warns about a jump host and a pinned non-ed25519 key on a libvirt host", () => {
    assert.deepEqual(
      findingsD((raw) => {
        hosts(raw)[0].ssh.jump = { address: "192.168.0.1" };
        hosts(raw)[0].ssh.hostKey = "ssh-rsa AAAAB3NzaC1yc2EAAAADAQABAAABAQ";
        hosts(raw)[1].ssh.jump = { address: "192.168.0.1" }; // only an adopted network there
      }),
      [
        'WARNING labfabric:hosts[0].ssh.jump = "192.168.0.1": cannot be given to the libvirt provider (terraform-provider-libvirt 0.8.1 only follows ProxyJump from ~/.ssh/config, and connects to the jump host with the host\'s user, port and auth). Fix: add to ~/.ssh/config where pulumi runs: "Host 192.168.0.10" with "ProxyJump 192.168.0.1"',
        'WARNING labfabric:hosts[0].ssh.hostKey = "ssh-rsa": is not an ed25519 key: the libvirt provider asks for the host\'s ed25519 key first, so a host that has one fails the check against this pin. Fix: pin the ed25519 key (ssh-keyscan -t ed25519 192.168.0.10)',
      ],
    );
  });
});
