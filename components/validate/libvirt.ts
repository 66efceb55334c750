// libvirt checks that validate.ts does not already make (it checks VM hosts, images, that a
// VM's host has the networks it names, and vCPU/memory against `capacity`). These catch what
// terraform-provider-libvirt 0.8.1 or libvirt would only refuse on the host, half-way through
// an `up`, and what the libvirt layer cannot express. Run them from validateLab.
import { gatewayOf } from "../plan";
import * as cidr from "../shared";
import { Findings, type Finding } from "../spec";
import { FABRIC_NETWORK, findNetwork } from "../plan";
import type { LabSpec } from "../spec";

/** 0.8.1 refuses subnets with fewer than 3 host bits ("netmask seems to be too strict"). */
export const LIBVIRT_MAX_PREFIX = 29;

function hostsWithLibvirt(spec: LabSpec): Set<string> {
  return new Set([
    ...spec.vms.map((v) => v.host),
    ...spec.networks.filter((n) => !n.adopt).map((n) => n.host),
  ]);
}

function checkNetworks(spec: LabSpec, f: Findings) {
  const vxlan = spec.fabric.mode === "vxlan";
  spec.networks.forEach((n, i) => {
    if (vxlan && n.name === FABRIC_NETWORK) {
      f.error(
        `networks[${i}].name`,
        n.name,
        `is reserved in vxlan labs: VM NICs naming "${FABRIC_NETWORK}" attach to the fabric bridge ${spec.fabric.bridge}`,
        "give the network another name",
      );
    }
    if (n.mode === "bridge") {
      if (n.dhcp)
        f.error(
          `networks[${i}].dhcp`,
          n.dhcp,
          "is set on a bridge-mode network: libvirt runs no DHCP there",
          "remove it; VMs on the network get static addresses through cloud-init",
        );
      if (n.reservations.length > 0)
        f.error(
          `networks[${i}].reservations`,
          n.reservations.map((r) => r.name),
          "are set on a bridge-mode network: libvirt runs no DHCP there, so nothing serves them",
          "set vms[].nics[].address instead (applied statically through cloud-init)",
        );
      return;
    }
    if (vxlan && n.bridge === spec.fabric.bridge) {
      f.error(
        `networks[${i}].bridge`,
        n.bridge,
        `is the fabric bridge, but a ${n.mode} network makes libvirt create its own bridge`,
        `use mode: bridge to attach to ${spec.fabric.bridge}, or another bridge name (e.g. virbr10)`,
      );
    }
    if (!n.adopt && cidr.prefixLength(n.cidr) > LIBVIRT_MAX_PREFIX) {
      f.error(
        `networks[${i}].cidr`,
        n.cidr,
        `is too small for a libvirt ${n.mode} network (terraform-provider-libvirt 0.8.1 needs /${LIBVIRT_MAX_PREFIX} or larger)`,
        `use a /${LIBVIRT_MAX_PREFIX} or larger subnet, e.g. a /24`,
      );
      return;
    }
    const first = cidr.nthAddress(n.cidr, 1);
    // A gateway outside the subnet is already reported by validate-addresses.ts.
    if (!n.adopt && !n.dhcp && gatewayOf(n) !== first && cidr.contains(n.cidr, gatewayOf(n))) {
      f.error(
        `networks[${i}].gateway`,
        n.gateway,
        `is not the subnet's first address ${first}, and without dhcp libvirt leases every other address of ${n.cidr}, this one included`,
        `set networks[${i}].dhcp to a range that leaves ${gatewayOf(n)} out`,
      );
    }
    if (n.adopt) {
      const vmNames = new Set(
        spec.vms
          .filter((v) => v.host === n.host && v.nics.some((x) => x.network === n.name))
          .map((v) => v.name),
      );
      n.reservations.forEach((r, j) => {
        if (!vmNames.has(r.name))
          f.warn(
            `networks[${i}].reservations[${j}]`,
            r.name,
            `is on an adopted network and no VM of the lab named ${r.name} attaches to it, so labfabric cannot add it (an adopted network is never changed)`,
            `add it on the host (virsh net-update ${n.name} add ip-dhcp-host ...) and remove it here`,
          );
      });
    }
  });
  // A libvirt bridge name can exist once per host: two nat/route/open networks on one bridge,
  // or one on the bridge of an adopted network, fail at `virsh net-start`.
  const seen = new Map<string, number>();
  spec.networks.forEach((n, i) => {
    if (n.mode === "bridge") return;
    const key = `${n.host}/${n.bridge}`;
    const first = seen.get(key);
    if (first === undefined) {
      seen.set(key, i);
      return;
    }
    f.error(
      `networks[${i}].bridge`,
      n.bridge,
      `is already the bridge of networks[${first}] (${spec.networks[first].name}) on host ${n.host}; libvirt creates one bridge per network`,
      "give each nat/route/open network on a host its own bridge name",
    );
  });
}

function checkVms(spec: LabSpec, f: Findings) {
  spec.vms.forEach((vm, i) => {
    const byNetwork = new Map<string, number>();
    vm.nics.forEach((nic, j) => {
      const net = findNetwork(spec, vm.host, nic.network);
      if (!net) return; // reported by validateReferences
      const first = byNetwork.get(nic.network);
      byNetwork.set(nic.network, first ?? j);
      const reserved = net.reservations.some((r) => r.name === vm.name);
      if (first !== undefined && reserved && !nic.address) {
        f.error(
          `vms[${i}].nics[${j}]`,
          nic.network,
          `is a second NIC of ${vm.name} on ${nic.network}, whose reservation for ${vm.name} already gives nics[${first}] its address`,
          "set nics[].address on this NIC, or attach it to another network",
        );
      }
    });
  });
}

function checkHosts(spec: LabSpec, f: Findings) {
  const libvirtHosts = hostsWithLibvirt(spec);
  spec.hosts.forEach((h, i) => {
    if (!libvirtHosts.has(h.name)) return;
    if (h.ssh.jump) {
      f.warn(
        `hosts[${i}].ssh.jump`,
        h.ssh.jump.address,
        "cannot be given to the libvirt provider (terraform-provider-libvirt 0.8.1 only follows ProxyJump from ~/.ssh/config, and connects to the jump host with the host's user, port and auth)",
        `add to ~/.ssh/config where pulumi runs: "Host ${h.ssh.address}" with "ProxyJump ${h.ssh.jump.address}"`,
      );
    }
    const keyType = h.ssh.hostKey?.split(" ")[0];
    if (keyType && keyType !== "ssh-ed25519") {
      f.warn(
        `hosts[${i}].ssh.hostKey`,
        keyType,
        "is not an ed25519 key: the libvirt provider asks for the host's ed25519 key first, so a host that has one fails the check against this pin",
        `pin the ed25519 key (ssh-keyscan -t ed25519 ${h.ssh.address})`,
      );
    }
  });
  if (spec.vms.length > 0 && !spec.sshPublicKey) {
    f.warn(
      "sshPublicKey",
      undefined,
      `is unset, so the VMs' user ${spec.libvirt.vmUser} gets no key: nobody (labfabric included) can log in to the VMs`,
      "set labfabric:sshPublicKey to the lab's public key",
    );
  }
}

export function validateLibvirt(spec: LabSpec, f: Findings): void {
  checkNetworks(spec, f);
  checkVms(spec, f);
  checkHosts(spec, f);
}

/** The libvirt findings alone (for the layer's own guard and for tests). */
export function libvirtFindings(spec: LabSpec): Finding[] {
  const f = new Findings();
  validateLibvirt(spec, f);
  return f.all;
}
