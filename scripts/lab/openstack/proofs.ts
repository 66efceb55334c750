// Post B on real Neutron, from inside the two lab-b instances over SSH (the lab key, user
// "lab"; k8s-w1 has no floating IP and is reached through k8s-cp): an IPIP tunnel between
// pod addresses as Calico IPIP makes it, native pod-sourced traffic against port security,
// and DF probes at the planned pod MTU through the tunnel on the 1450-byte tenant network.
import { spawnSync } from "node:child_process";
import { sshOptions } from "../drylab";

export interface Node {
  name: string;
  /** Fixed IP on the tenant network. */
  address: string;
  /** The SSH target: the floating IP, or the fixed IP behind the jump host. */
  via: { host: string; jump?: string };
  /** This node's pod address (a /32 from the pod subnet) and its pod block. */
  pod: string;
  podBlock: string;
}

const USER = "lab";
const TUNNEL = "lf-ipip";

function checkIp(ip: string): string {
  if (!/^(25[0-5]|2[0-4]\d|1?\d?\d)(\.(25[0-5]|2[0-4]\d|1?\d?\d)){3}$/.test(ip))
    throw new Error(`proofs: not an IPv4 address: ${JSON.stringify(ip)}`);
  return ip;
}

/**
 * The dry lab's SSH options with a longer connect timeout (the banner of an sshd under TCG on a
 * loaded machine can take more than 5 s). No ControlPersist: its background master keeps the
 * output pipe open and spawnSync would wait for it.
 */
function instanceSshOptions(dir: string): string[] {
  return [
    ...sshOptions(dir).map((o) => (o.startsWith("ConnectTimeout=") ? "ConnectTimeout=40" : o)),
    "-o",
    "ServerAliveInterval=15",
  ];
}

export function sshArgs(dir: string, n: Node): string[] {
  const opts = instanceSshOptions(dir);
  const jump = n.via.jump
    ? [
        "-o",
        `ProxyCommand=ssh ${opts.map((o) => `'${o}'`).join(" ")} -W %h:%p ${USER}@${checkIp(n.via.jump)}`,
      ]
    : [];
  return [...opts, ...jump, `${USER}@${checkIp(n.via.host)}`];
}

/** Runs a shell command on the node (the script is the remote command; values are checked IPs). */
export function onNode(
  dir: string,
  n: Node,
  script: string,
  timeoutMs = 60_000,
): { ok: boolean; out: string } {
  // ssh exits 255 when the connection itself failed: retried; the script's own status is not.
  for (let attempt = 1; ; attempt++) {
    const r = spawnSync("ssh", [...sshArgs(dir, n), script], {
      encoding: "utf8",
      timeout: timeoutMs,
    });
    if (r.status !== 255 || attempt >= 4)
      return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}` };
    spawnSync("sleep", ["3"]);
  }
}

/** Waits until SSH answers (cloud-init has put the key in place), bounded. */
export function waitForNode(dir: string, n: Node, limitMs = 15 * 60_000): number {
  const start = Date.now();
  for (;;) {
    // cloud-init's status may be "error" for modules the image cannot run (locale); the lab
    // only needs its user and key. The hostname goes to /etc/hosts so sudo does not wait on DNS.
    const r = onNode(
      dir,
      n,
      'cloud-init status --wait >/dev/null 2>&1; grep -q " $(hostname)$" /etc/hosts || echo "127.0.1.1 $(hostname)" | sudo tee -a /etc/hosts >/dev/null',
      120_000,
    );
    if (r.ok) return Date.now() - start;
    if (Date.now() - start > limitMs)
      throw new Error(`proofs: ${n.name} does not answer on SSH: ${r.out}`);
    spawnSync("sleep", ["5"]);
  }
}

/** IPIP tunnel to the peer with this node's pod address on it (idempotent), MTU as planned. */
export function ipipUp(dir: string, n: Node, peer: Node, mtu: number): void {
  const s = [
    "set -e",
    `sudo ip link del ${TUNNEL} 2>/dev/null || true`,
    `sudo ip tunnel add ${TUNNEL} mode ipip local ${checkIp(n.address)} remote ${checkIp(peer.address)} ttl 64`,
    `sudo ip link set ${TUNNEL} mtu ${Math.trunc(mtu)} up`,
    `sudo ip addr add ${checkIp(n.pod)}/32 dev ${TUNNEL}`,
    `sudo ip route replace ${checkIp(peer.pod)}/32 dev ${TUNNEL} src ${checkIp(n.pod)}`,
  ].join("\n");
  const r = onNode(dir, n, s);
  if (!r.ok) throw new Error(`proofs: IPIP tunnel on ${n.name}: ${r.out}`);
}

/**
 * Native routing of pod addresses (no encapsulation): this node's pod address on lo, a route
 * to the peer's pod address via the peer's fixed IP on eth0. Replaces the tunnel's route.
 */
export function nativeUp(dir: string, n: Node, peer: Node): void {
  const s = [
    "set -e",
    `sudo ip link del ${TUNNEL} 2>/dev/null || true`,
    `sudo ip addr replace ${checkIp(n.pod)}/32 dev lo`,
    `sudo ip route replace ${checkIp(peer.pod)}/32 via ${checkIp(peer.address)} src ${checkIp(n.pod)}`,
  ].join("\n");
  const r = onNode(dir, n, s);
  if (!r.ok) throw new Error(`proofs: native route on ${n.name}: ${r.out}`);
}

export function cleanup(dir: string, n: Node, peer: Node): void {
  onNode(
    dir,
    n,
    `sudo ip link del ${TUNNEL} 2>/dev/null; sudo ip addr del ${checkIp(n.pod)}/32 dev lo 2>/dev/null; sudo ip route del ${checkIp(peer.pod)}/32 2>/dev/null; true`,
  );
}

/** Ping from this node's pod address to the peer's pod address; true when replies come back. */
export function podPing(dir: string, n: Node, peer: Node, size?: number): boolean {
  const s = size === undefined ? "" : `-M do -s ${Math.trunc(size)} `;
  const r = onNode(
    dir,
    n,
    `ping -c 3 -i 0.5 -W 2 ${s}-I ${checkIp(n.pod)} ${checkIp(peer.pod)} >/dev/null 2>&1`,
  );
  return r.ok;
}

/** Ping between fixed IPs on eth0 (the tenant network itself). */
export function hostPing(dir: string, n: Node, peer: Node, size?: number): boolean {
  const s = size === undefined ? "" : `-M do -s ${Math.trunc(size)} `;
  return onNode(dir, n, `ping -c 2 -i 0.5 -W 2 ${s}${checkIp(peer.address)} >/dev/null 2>&1`).ok;
}

/**
 * Polls a probe until it gives `expected` or `limitMs` passes; returns the last result. After a
 * `pulumi up` changes rules or ports, the Neutron agent applies them a few seconds later.
 */
export function settle(probe: () => boolean, expected: boolean, limitMs = 90_000): boolean {
  const start = Date.now();
  for (;;) {
    const r = probe();
    if (r === expected || Date.now() - start > limitMs) return r;
    spawnSync("sleep", ["3"]);
  }
}

export interface MtuProbe {
  /** ICMP payload of a packet of exactly `mtu` bytes. */
  fullSize: boolean;
  oversizeRefused: boolean;
}

/** DF probe of exactly `mtu` bytes (payload mtu-28) passes; mtu+1 does not. */
export function dfProbe(ping: (size: number) => boolean, mtu: number): MtuProbe {
  return { fullSize: ping(mtu - 28), oversizeRefused: !ping(mtu - 27) };
}
