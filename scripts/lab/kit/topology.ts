// Building blocks for namespace labs: an L2 switch (a bridge in its own namespace), hosts
// plugged into it with a veth, a router joining two switches (two subnets), and VMs: a
// namespace with a veth whose other end sits in a host, ready to join a bridge there.
import { must } from "./exec";
import type { NetnsLab } from "./netns";

export interface Port {
  /** Interface name inside the machine (<= 15 characters). */
  iface: string;
  /** Address with prefix, e.g. "10.250.0.11/24". */
  address?: string;
  mtu?: number;
}

const switchPorts = new Map<string, number>();

/** The bridge of every switch namespace. */
export const SWITCH_BRIDGE = "sw";

/** `ip` in a lab machine, or in this machine's own namespace when `machine` is undefined. */
function ipIn(lab: NetnsLab, machine: string | undefined, ...args: string[]): string {
  return machine === undefined ? must(["ip", ...args]) : lab.ip(machine, ...args);
}

/** An L2 switch: namespace `name` holding bridge "sw". */
export function addSwitch(lab: NetnsLab, name: string, mtu = 1500): string {
  lab.add(name);
  lab.ip(name, "link", "add", SWITCH_BRIDGE, "type", "bridge");
  lab.ip(name, "link", "set", SWITCH_BRIDGE, "mtu", String(mtu), "up");
  return name;
}

/**
 * A veth from `machine` (interface port.iface; undefined = this machine's own namespace) into
 * switch `sw`, whose end there is `peer` (default p<n>).
 */
export function plug(
  lab: NetnsLab,
  machine: string | undefined,
  sw: string,
  port: Port & { peer?: string },
): void {
  const n = (switchPorts.get(lab.ns(sw)) ?? 0) + 1;
  switchPorts.set(lab.ns(sw), n);
  const peer = port.peer ?? `p${n}`;
  const mtu = String(port.mtu ?? 1500);
  ipIn(
    lab,
    machine,
    "link",
    "add",
    port.iface,
    "type",
    "veth",
    "peer",
    "name",
    peer,
    "netns",
    lab.ns(sw),
  );
  lab.ip(sw, "link", "set", peer, "mtu", mtu, "master", SWITCH_BRIDGE, "up");
  ipIn(lab, machine, "link", "set", port.iface, "mtu", mtu, "up");
  if (port.address) ipIn(lab, machine, "addr", "add", port.address, "dev", port.iface);
}

export interface HostOptions extends Port {
  name: string;
  switch: string;
  /** The host's port's name in the switch (default p<n>). */
  switchPort?: string;
  /** Default route (e.g. a router on the switch). */
  gateway?: string;
}

/** A "bare-metal host": a namespace with one underlay NIC on a switch. */
export function addHost(lab: NetnsLab, o: HostOptions): string {
  lab.add(o.name);
  plug(lab, o.name, o.switch, { ...o, peer: o.switchPort });
  if (o.gateway) lab.ip(o.name, "route", "add", "default", "via", o.gateway);
  return o.name;
}

/** A router with one leg per switch; forwards between them. */
export function addRouter(
  lab: NetnsLab,
  name: string,
  legs: (Port & { switch: string })[],
): string {
  lab.add(name);
  lab.mustExec(name, ["sh", "-c", "echo 1 > /proc/sys/net/ipv4/ip_forward"]);
  for (const leg of legs) plug(lab, name, leg.switch, leg);
  return name;
}

export interface VmOptions {
  name: string;
  host: string;
  /** Host-side interface name (the "vnet" libvirt would create), <= 15 characters. */
  port: string;
  address: string;
  gateway?: string;
  mtu: number;
}

/** A "VM": namespace with eth0; the other end (`port`) is up in the host, not yet bridged. */
export function addVm(lab: NetnsLab, o: VmOptions): string {
  lab.add(o.name);
  lab.ip(
    o.host,
    "link",
    "add",
    o.port,
    "type",
    "veth",
    "peer",
    "name",
    "eth0",
    "netns",
    lab.ns(o.name),
  );
  lab.ip(o.host, "link", "set", o.port, "mtu", String(o.mtu), "up");
  lab.ip(o.name, "link", "set", "eth0", "mtu", String(o.mtu), "up");
  lab.ip(o.name, "addr", "add", o.address, "dev", "eth0");
  if (o.gateway) lab.ip(o.name, "route", "add", "default", "via", o.gateway);
  return o.name;
}

/**
 * Plug a VM's host-side port into a bridge on the host (what libvirt does at VM start), and
 * wait (bounded) until an administratively-up bridge reports operstate UP: the kernel
 * updates it asynchronously, and a snapshot taken in between would differ from a later one.
 */
export function attach(lab: NetnsLab, host: string, port: string, bridge: string): void {
  lab.ip(host, "link", "set", port, "master", bridge);
  waitOperUp(lab, host, bridge);
}

/** Wait up to `timeoutMs` for an admin-up link to report "state UP"; false if it did not. */
export function waitOperUp(
  lab: NetnsLab,
  machine: string,
  iface: string,
  timeoutMs = 5000,
): boolean {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const line = lab.ip(machine, "-o", "link", "show", "dev", iface);
    if (!/[<,]UP[,>]/.test(line) || / state UP /.test(line)) return true;
    if (Date.now() > until) return false;
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 50);
  }
}

/** Write a sysctl inside a namespace (slash form, e.g. "net/ipv4/ip_forward"). */
export function setSysctl(lab: NetnsLab, machine: string, key: string, value: string): void {
  lab.mustExec(machine, ["sh", "-c", `echo "$1" > "/proc/sys/$2"`, "sh", value, key]);
}
