// The dry lab: "bare-metal" hosts that are network namespaces on this machine, each running
// its own sshd with a key generated for the lab, joined by an underlay switch namespace and
// reachable from the machine running Pulumi. VMs are stand-in namespaces on each host bridge.
// Built from the namespace-lab kit (./kit) the kernel tests and the benchmark use; its
// namespaces carry the machines' own names and outlive the process (`npm run lab -- down`).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import {
  addHost,
  addSwitch,
  addVm,
  attach,
  must,
  NetnsLab,
  nsExists,
  payloadFor,
  ping,
  plug,
  reaches,
  startLibvirtHost,
  tryInNs,
  tryRun,
  type LibvirtHost,
} from "./kit";

export interface DryHost {
  name: string;
  /** "10.250.0.11/24" */
  address: string;
  interface: string;
  mtu: number;
}

export const SWITCH_NS = "lf-sw";
const ROOT_VETH = "lf-root";

/** The dry lab's machines: namespaces named as the hosts are. */
const lab = NetnsLab.named();

/** How a dry lab joins the machine: its switch namespace and the root namespace's veth. */
export interface DryNet {
  switchNs: string;
  rootVeth: string;
}

export const DEV_NET: DryNet = { switchNs: SWITCH_NS, rootVeth: ROOT_VETH };

export interface DryLabOptions {
  net?: DryNet;
  /** Each host runs its own libvirtd next to its sshd, in one private mount namespace. */
  libvirt?: boolean;
  /** With libvirt: a host's site network hook (a file), installed before its libvirtd starts. */
  siteNetworkHook?: (host: DryHost, dir: string) => string | undefined;
  /** Starts each host's sshd (and what runs beside it) instead of startSshd (k8slab.ts). */
  startHost?: (host: DryHost, dir: string) => void;
}

/** The lab's directory (keys, passphrase, state); other labs than dev get "<dir>-<stack>". */
export function labDir(stack?: string): string {
  const base =
    process.env.LABFABRIC_LAB_DIR ??
    join(process.env.LABFABRIC_CACHE ?? join(homedir(), ".cache/labfabric"), "drylab");
  return stack && stack !== "dev" ? `${base}-${stack}` : base;
}

/** The libvirt host of a dry-lab host (its private /etc, libvirt state and logs). */
export function libvirtHost(host: DryHost, dir = labDir()): LibvirtHost {
  return {
    ns: host.name,
    dir: join(dir, host.name, "host"),
    sshdConfig: join(dir, host.name, "sshd_config"),
  };
}

/** The root namespace's address on the underlay: .1 of the hosts' subnet. */
export function rootAddress(hosts: DryHost[]): string {
  const [ip, prefix] = hosts[0].address.split("/");
  return `${ip.split(".").slice(0, 3).join(".")}.1/${prefix}`;
}

export function ensureKeys(dir = labDir()): { privateKey: string; publicKey: string } {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  const key = join(dir, "id_ed25519");
  if (!existsSync(key))
    must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", "labfabric-drylab", "-f", key]);
  writeFileSync(join(dir, "authorized_keys"), readFileSync(`${key}.pub`), { mode: 0o600 });
  return {
    privateKey: readFileSync(key, "utf8"),
    publicKey: readFileSync(`${key}.pub`, "utf8").trim(),
  };
}

export function sshdConfig(dir: string, host: DryHost): string {
  const hostDir = join(dir, host.name);
  return [
    `ListenAddress ${host.address.split("/")[0]}`,
    "Port 22",
    `HostKey ${join(hostDir, "ssh_host_ed25519_key")}`,
    `PidFile ${join(hostDir, "sshd.pid")}`,
    `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "StrictModes no",
    "AcceptEnv PULUMI_COMMAND_*",
    "Subsystem sftp internal-sftp",
    "LogLevel ERROR",
    "",
  ].join("\n");
}

export function hostKey(host: DryHost, dir = labDir()): string {
  const pub = readFileSync(join(dir, host.name, "ssh_host_ed25519_key.pub"), "utf8")
    .trim()
    .split(" ");
  return `${pub[0]} ${pub[1]}`;
}

export function startSshd(
  host: DryHost,
  dir = labDir(),
  withLibvirt = false,
  siteNetworkHook?: string,
): void {
  const hostDir = join(dir, host.name);
  mkdirSync(hostDir, { recursive: true, mode: 0o700 });
  const keyFile = join(hostDir, "ssh_host_ed25519_key");
  if (!existsSync(keyFile)) must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
  writeFileSync(join(hostDir, "sshd_config"), sshdConfig(dir, host));
  mkdirSync("/run/sshd", { recursive: true });
  // With libvirt, sshd starts inside the host's mount namespace, beside its libvirtd.
  if (withLibvirt) startLibvirtHost({ ...libvirtHost(host, dir), siteNetworkHook });
  else lab.mustExec(host.name, ["/usr/sbin/sshd", "-f", join(hostDir, "sshd_config")]);
}

export function stopSshd(host: DryHost, dir = labDir()): void {
  const pidFile = join(dir, host.name, "sshd.pid");
  if (existsSync(pidFile)) tryRun("kill", [readFileSync(pidFile, "utf8").trim()]);
  // Sessions in flight die with their namespace's processes.
  if (nsExists(host.name)) {
    for (const pid of must(["ip", "netns", "pids", host.name]).split("\n").filter(Boolean))
      tryRun("kill", ["-9", pid]);
  }
  rmSync(pidFile, { force: true });
}

/** Creates the switch, the hosts and their sshd; idempotent (an existing lab is torn down first). */
export function startDryLab(hosts: DryHost[], dir = labDir(), o: DryLabOptions = {}): void {
  const { switchNs, rootVeth } = o.net ?? DEV_NET;
  stopDryLab(hosts, dir, o.net);
  addSwitch(lab, switchNs, Math.max(...hosts.map((h) => h.mtu)));
  plug(lab, undefined, switchNs, { iface: rootVeth, address: rootAddress(hosts), peer: "sw-root" });
  for (const h of hosts) {
    // The lab is IPv4-only; without IPv6, link-local DAD does not change the host under test.
    addHost(lab, {
      name: h.name,
      switch: switchNs,
      switchPort: `sw-${h.name}`.slice(0, 15),
      iface: h.interface,
      address: h.address,
      mtu: h.mtu,
    });
    if (o.startHost) o.startHost(h, dir);
    else startSshd(h, dir, o.libvirt, o.siteNetworkHook?.(h, dir));
  }
  waitForSsh(hosts, dir);
}

/** How long a freshly started sshd may take to accept the lab's key. */
const SSH_READY_TIMEOUT_MS = 30_000;

export function waitForSsh(hosts: DryHost[], dir = labDir()): void {
  for (const h of hosts) {
    const ip = h.address.split("/")[0];
    // Bounded by time, not by tries: a refused connection returns at once, and on a loaded
    // machine a fresh sshd can take seconds to listen.
    const deadline = Date.now() + SSH_READY_TIMEOUT_MS;
    for (;;) {
      const r = tryRun("ssh", [...sshOptions(dir), `root@${ip}`, "true"], 10_000);
      if (r.ok) break;
      if (Date.now() > deadline)
        throw new Error(`dry lab: sshd on ${h.name} (${ip}) does not answer: ${r.out}`);
      must(["sleep", "0.25"]);
    }
  }
}

export function sshOptions(dir = labDir()): string[] {
  return [
    "-i",
    join(dir, "id_ed25519"),
    "-o",
    "BatchMode=yes",
    "-o",
    "StrictHostKeyChecking=no",
    "-o",
    "UserKnownHostsFile=/dev/null",
    "-o",
    "LogLevel=ERROR",
    "-o",
    "ConnectTimeout=5",
  ];
}

export function stopDryLab(hosts: DryHost[], dir = labDir(), net: DryNet = DEV_NET): void {
  for (const h of hosts) {
    stopSshd(h, dir);
    lab.remove(vmNamespace(h.name));
    lab.remove(h.name);
  }
  lab.remove(net.switchNs);
  tryRun("ip", ["link", "del", net.rootVeth]);
}

export function vmNamespace(host: string): string {
  return `${host}-vm`;
}

export interface StandIn {
  host: string;
  ns: string;
  address: string;
  mtu: number;
}

/** A VM stand-in: a namespace whose eth0 is a port of the host's fabric bridge. */
export function attachStandIn(host: string, bridge: string, address: string, mtu: number): StandIn {
  const ns = vmNamespace(host);
  const port = `vm-${host}`.slice(0, 15);
  lab.remove(ns);
  addVm(lab, { name: ns, host, port, address, mtu });
  attach(lab, host, port, bridge);
  return { host, ns, address, mtu };
}

export interface Probe {
  from: string;
  to: string;
  ping: boolean;
  /** DF probe of exactly the planned MTU. */
  fullSize: boolean;
  /** DF probe one byte over: must fail. */
  oversizeRefused: boolean;
}

export function probeMatrix(standIns: StandIn[]): Probe[] {
  const out: Probe[] = [];
  for (const a of standIns) {
    for (const b of standIns) {
      if (a === b) continue;
      const ip = b.address.split("/")[0];
      const size = payloadFor(a.mtu);
      out.push({
        from: a.host,
        to: b.host,
        ping: reaches(lab, a.ns, ip),
        fullSize: reaches(lab, a.ns, ip, { df: true, size }),
        oversizeRefused: !ping(lab, a.ns, ip, { df: true, size: size + 1, wait: 2 }),
      });
    }
  }
  return out;
}

/** What the fabric left on a host: devices, FDB, routes, rules — to prove destroy removes it all. */
export function hostFootprint(host: string): string {
  const parts = [
    tryInNs(host, "ip", ["-o", "link", "show"]).out.replace(/^\d+: /gm, ""),
    tryInNs(host, "ip", ["-o", "addr", "show"]).out.replace(/^\d+: /gm, ""),
    tryInNs(host, "ip", ["route", "show", "table", "all"]).out,
    tryInNs(host, "bridge", ["fdb", "show"]).out,
    tryInNs(host, "iptables-save", [])
      .out.replace(/^#.*$/gm, "")
      .replace(/\[\d+:\d+\]/g, ""),
  ];
  return parts.join("\n---\n");
}
