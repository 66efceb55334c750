// Thin wrappers over the ip-address library: the planner and validators speak in plain
// strings ("10.39.0.0/24", "10.39.0.1") and never do bit math by hand.
import { Address4 } from "ip-address";

const PRIVATE_RANGES = ["10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "100.64.0.0/10"];
/** RFC 5737 documentation blocks: never routed, safe for examples and test labs. */
const DOCUMENTATION_RANGES = ["192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24"];

export function network(cidr: string): string {
  const a = new Address4(cidr);
  return `${a.startAddress().correctForm()}/${a.subnetMask}`;
}

export function prefixLength(cidr: string): number {
  return new Address4(cidr).subnetMask;
}

/** The address part of "10.0.0.1/24". */
export function addressOf(iface: string): string {
  return iface.split("/")[0];
}

export function contains(cidr: string, address: string): boolean {
  return new Address4(address).isInSubnet(new Address4(network(cidr)));
}

export function overlaps(a: string, b: string): boolean {
  const x = new Address4(a);
  const y = new Address4(b);
  return (
    x.startAddress().bigInt() <= y.endAddress().bigInt() &&
    y.startAddress().bigInt() <= x.endAddress().bigInt()
  );
}

/** The n-th address of a subnet (0 = network address). */
export function nthAddress(cidr: string, n: number): string {
  return new Address4(network(cidr)).startAddress().offset(n).correctForm();
}

/** Usable host addresses: excludes network and broadcast for prefixes shorter than /31. */
export function isUsableHost(cidr: string, address: string): boolean {
  if (!contains(cidr, address)) return false;
  if (prefixLength(cidr) >= 31) return true;
  const n = new Address4(network(cidr));
  const v = new Address4(address).bigInt();
  return v !== n.startAddress().bigInt() && v !== n.endAddress().bigInt();
}

export function compareAddresses(a: string, b: string): number {
  const x = new Address4(a).bigInt();
  const y = new Address4(b).bigInt();
  return x < y ? -1 : x > y ? 1 : 0;
}

export function size(cidr: string): number {
  return 2 ** (32 - prefixLength(cidr));
}

export function isPrivate(cidr: string): boolean {
  return [...PRIVATE_RANGES, ...DOCUMENTATION_RANGES].some(
    (r) => contains(r, addressOf(cidr)) && prefixLength(cidr) >= prefixLength(r),
  );
}

/** Position of an address inside a subnet (0 = network address). */
export function offsetOf(cidr: string, address: string): number {
  return Number(
    new Address4(address).bigInt() - new Address4(network(cidr)).startAddress().bigInt(),
  );
}

export function compareNetworks(a: string, b: string): number {
  return compareAddresses(addressOf(a), addressOf(b)) || prefixLength(a) - prefixLength(b);
}
