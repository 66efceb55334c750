// The address plan: host addresses on the fabric bridge, gateways, and a MAC + address for
// every VM NIC (explicit, reserved, or allocated deterministically from the subnet).
import { createHash } from "node:crypto";
import * as cidr from "../shared";
import { FABRIC_NETWORK, findNetwork } from "./nodes";
import type { LabSpec, NetworkSpec } from "../spec";

/** First offset handed to VMs: .1-.9 stay free for hosts and gateways. */
export const FIRST_VM_OFFSET = 10;

export interface VmNicPlan {
  vm: string;
  host: string;
  index: number;
  network: string;
  /** The libvirt network or bridge the NIC attaches to. */
  bridge: string;
  mac: string;
  /** Address with prefix; undefined when the subnet is exhausted (reported by validation). */
  address?: string;
  gateway: string;
}

/** Each host's address on the fabric bridge (vxlan mode): configured or .1, .2, ... in order. */
export function bridgeAddresses(spec: LabSpec): Map<string, string> {
  const out = new Map<string, string>();
  const subnet = spec.fabric.vmSubnet;
  if (spec.fabric.mode !== "vxlan" || !subnet) return out;
  spec.hosts.forEach((h, i) => {
    out.set(
      h.name,
      h.bridgeAddress ?? `${cidr.nthAddress(subnet, i + 1)}/${cidr.prefixLength(subnet)}`,
    );
  });
  return out;
}

export function gatewayOf(net: NetworkSpec): string {
  return net.gateway ?? cidr.nthAddress(net.cidr, 1);
}

/**
 * A stable locally-administered MAC in QEMU's 52:54:00 range, derived from the lab, VM and NIC.
 * Only 24 bits vary, so two NICs can hash alike; `attempt` > 0 re-derives (see planVmNics).
 */
export function generatedMac(lab: string, vm: string, index: number, attempt = 0): string {
  const seed = attempt === 0 ? `${lab}/${vm}/${index}` : `${lab}/${vm}/${index}#${attempt}`;
  const h = createHash("sha256").update(seed).digest();
  return ["52", "54", "00", ...[h[0], h[1], h[2]].map((b) => b.toString(16).padStart(2, "0"))].join(
    ":",
  );
}

/**
 * The first free usable address at or after `start` (and not after `end`). `cursor` remembers,
 * per subnet key, where the last search ended: every offset below it is taken or unusable, so
 * allocating V addresses costs O(V), not O(V²) (see BENCHMARKS.md, program scaling).
 */
function allocate(
  subnet: string,
  used: Set<string>,
  start: number,
  cursor: { next: number },
  end?: string,
): string | undefined {
  const count = cidr.size(subnet);
  for (let i = Math.max(start, cursor.next); i < count; i++) {
    const a = cidr.nthAddress(subnet, i);
    if (end && cidr.compareAddresses(a, end) > 0) return undefined;
    if (!used.has(a) && cidr.isUsableHost(subnet, a)) {
      cursor.next = i + 1;
      return a;
    }
  }
  return undefined;
}

/** Every VM NIC's network, MAC and address; planned once by planLab, validated from the plan. */
export function planVmNics(spec: LabSpec, lab: string): VmNicPlan[] {
  const bridges = bridgeAddresses(spec);
  const cursors = new Map<string, { next: number }>();
  const cursorOf = (key: string) => cursors.get(key) ?? cursors.set(key, { next: 0 }).get(key)!;
  // Addresses already spoken for, per subnet key: gateways, host bridge IPs, explicit and reserved.
  const used = new Map<string, Set<string>>();
  const usedIn = (key: string) => used.get(key) ?? used.set(key, new Set()).get(key)!;
  for (const a of bridges.values()) usedIn(FABRIC_NETWORK).add(cidr.addressOf(a));
  for (const n of spec.networks) {
    const key = `${n.host}/${n.name}`;
    usedIn(key).add(gatewayOf(n));
    n.reservations.forEach((r) => usedIn(key).add(r.address));
  }
  for (const vm of spec.vms) {
    vm.nics.forEach((nic) => {
      if (nic.address)
        usedIn(nic.network === FABRIC_NETWORK ? FABRIC_NETWORK : `${vm.host}/${nic.network}`).add(
          nic.address,
        );
    });
  }
  // MACs already spoken for (explicit and reserved): a generated MAC never repeats one of them or
  // another generated one (e.g. lab "lab", VMs vm-5305 and vm-5619 hash to the same 24 bits).
  const macs = new Set<string>();
  spec.networks.forEach((n) => n.reservations.forEach((r) => macs.add(r.mac)));
  spec.vms.forEach((vm) => vm.nics.forEach((nic) => nic.mac && macs.add(nic.mac)));
  const freshMac = (vm: string, index: number): string => {
    let attempt = 0;
    while (macs.has(generatedMac(lab, vm, index, attempt))) attempt++;
    const mac = generatedMac(lab, vm, index, attempt);
    macs.add(mac);
    return mac;
  };
  const plans: VmNicPlan[] = [];
  for (const vm of spec.vms) {
    vm.nics.forEach((nic, index) => {
      const net = findNetwork(spec, vm.host, nic.network);
      if (!net) return; // unknown network: reported by validation
      const key = nic.network === FABRIC_NETWORK ? FABRIC_NETWORK : `${vm.host}/${nic.network}`;
      const reserved = net.reservations.find((r) => r.name === vm.name);
      let address = nic.address ?? reserved?.address;
      if (!address) {
        // On a DHCP network, allocate inside the range so the reservation is one dnsmasq serves.
        address = net.dhcp
          ? allocate(
              net.cidr,
              usedIn(key),
              cidr.offsetOf(net.cidr, net.dhcp.start),
              cursorOf(key),
              net.dhcp.end,
            )
          : allocate(net.cidr, usedIn(key), FIRST_VM_OFFSET, cursorOf(key));
        if (address) usedIn(key).add(address);
      }
      const gateway =
        net.mode === "bridge" ? cidr.addressOf(bridges.get(vm.host) ?? "") : gatewayOf(net);
      plans.push({
        vm: vm.name,
        host: vm.host,
        index,
        network: nic.network,
        bridge: net.bridge,
        mac: nic.mac ?? reserved?.mac ?? freshMac(vm.name, index),
        address: address ? `${address}/${cidr.prefixLength(net.cidr)}` : undefined,
        gateway,
      });
    });
  }
  return plans;
}
