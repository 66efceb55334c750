// lab-k's Kubernetes nodes (k8slab.ts): "bare-metal" machines that are network namespaces, each
// with its own mount namespace, sshd, containerd and kubelet (k8s-node-host.sh), cabled to their
// host's libvirt NAT bridge. A node's eth0 is a veth whose other end sits in its host's namespace;
// the host's site network hook plugs that end into the bridge when libvirt starts the network the
// program creates (and again whenever libvirt re-creates it), as a machine's cable comes alive
// when its switch does. Start, enter and stop them here.
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { gatewayOf, networkOfNode, type LabPlan } from "../../components/plan";
import { sshdConfig, type DryHost } from "./drylab";
import { addVm, must, NetnsLab, tryRun } from "./kit";

const NODE_SCRIPT = resolve(__dirname, "k8s-node-host.sh");
const NODE_READY_TIMEOUT_MS = 60_000;

/** The nodes' namespaces carry the nodes' names (they outlive the process, like the hosts'). */
const lab = NetnsLab.named();

export interface K8sNode extends DryHost {
  /** The host whose libvirt network the node is cabled to, and that network's bridge. */
  host: string;
  bridge: string;
  /** The network's gateway: the node's default route, as on any machine of a NAT network. */
  gateway: string;
  /** The cable's end in the host's namespace (plugged into `bridge` by the host's hook). */
  port: string;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Every kubernetes.nodes entry, on the libvirt network that holds its address. */
export function k8sLabNodes(plan: LabPlan): K8sNode[] {
  return plan.spec.kubernetes.nodes.map((n) => {
    const net = networkOfNode(plan.spec, n.address);
    if (!net) throw new Error(`node ${n.name} (${n.address}) is on no libvirt network of the lab`);
    return {
      name: n.name,
      address: n.address,
      interface: "eth0",
      mtu: n.mtu,
      host: net.host,
      bridge: net.bridge,
      gateway: gatewayOf(net),
      port: `n-${n.name}`.slice(0, 15),
    };
  });
}

/**
 * A host's site network hook (libvirt runs it with `<network> <event> ...` and the network's XML
 * on stdin): on `started`, the cables of the nodes on that network's bridge are plugged in. It
 * never calls libvirt and never fails the network's start.
 */
export function siteHook(host: string, nodes: readonly K8sNode[]): string {
  const mine = nodes.filter((n) => n.host === host);
  const bridges = [...new Set(mine.map((n) => n.bridge))];
  return [
    "#!/bin/sh",
    `# labfabric dry lab, host ${host}: plugs the nodes cabled to this host into their bridge when`,
    "# libvirt starts the network that owns it (scripts/lab/k8s-nodes.ts).",
    '[ "$2" = started ] || exit 0',
    "br=$(sed -n \"s/.*<bridge name='\\([^']*\\)'.*/\\1/p\" | head -n 1)",
    'case "$br" in',
    ...bridges.map((b) => {
      const ports = mine.filter((n) => n.bridge === b).map((n) => n.port);
      return `  ${b}) for p in ${ports.join(" ")}; do ip link set dev "$p" master "$br" && ip link set dev "$p" up || echo "drylab: could not plug $p into $br" >&2; done ;;`;
    }),
    "esac",
    "exit 0",
    "",
  ].join("\n");
}

/** The hook file of every host (DryLabOptions.siteNetworkHook). */
export function siteHookFile(nodes: readonly K8sNode[]): (h: DryHost, dir: string) => string {
  return (h, dir) => {
    mkdirSync(join(dir, h.name), { recursive: true, mode: 0o700 });
    const file = join(dir, h.name, "site-network-hook");
    writeFileSync(file, siteHook(h.name, nodes), { mode: 0o755 });
    return file;
  };
}

export function nodeDir(dir: string, name: string): string {
  return join(dir, name, "node");
}

/** Each node's own cgroup root (cgroup v1 hierarchies are machine-wide). */
export function cgroupRoot(name: string): string {
  return `/lf-${name}`;
}

function anchorPid(dir: string, name: string): string | undefined {
  const f = join(nodeDir(dir, name), "anchor.pid");
  return existsSync(f) ? readFileSync(f, "utf8").trim() : undefined;
}

/** argv run inside a node: its network and mount namespace, as its sshd sees the machine. */
export function inNodeArgv(dir: string, name: string, argv: string[]): string[] {
  const pid = anchorPid(dir, name);
  if (!pid) throw new Error(`node ${name} is not running (no anchor.pid)`);
  return ["nsenter", "--target", pid, "--mount", "--net", ...argv];
}

export function inNode(dir: string, name: string, argv: string[], timeoutMs = 60_000) {
  const [cmd, ...args] = inNodeArgv(dir, name, argv);
  return tryRun(cmd, args, timeoutMs);
}

/**
 * A node: its namespace, its cable (eth0 at the planned address and MTU; the other end in its
 * host, up and not yet plugged), then its mount namespace, file system and sshd (k8s-node-host.sh).
 */
export function startNode(n: K8sNode, dir: string, bundle: string): void {
  lab.remove(n.name);
  addVm(lab, { name: n.name, host: n.host, port: n.port, address: n.address, mtu: n.mtu });
  const hostDir = join(dir, n.name);
  mkdirSync(hostDir, { recursive: true, mode: 0o700 });
  const keyFile = join(hostDir, "ssh_host_ed25519_key");
  if (!existsSync(keyFile)) must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
  const config = join(hostDir, "sshd_config");
  writeFileSync(config, sshdConfig(dir, n));
  const nd = nodeDir(dir, n.name);
  rmSync(nd, { recursive: true, force: true });
  mkdirSync(nd, { recursive: true, mode: 0o700 });
  const log = openSync(join(hostDir, "node.log"), "a");
  spawn(
    "nsenter",
    [
      `--net=/run/netns/${n.name}`,
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "bash",
      NODE_SCRIPT,
      nd,
      config,
      bundle,
      cgroupRoot(n.name),
      n.gateway,
    ],
    { detached: true, stdio: ["ignore", log, log] },
  ).unref();
  const deadline = Date.now() + NODE_READY_TIMEOUT_MS;
  while (!anchorPid(dir, n.name)) {
    if (Date.now() > deadline) {
      const tail = tryRun("tail", ["-20", join(hostDir, "node.log")]).out;
      throw new Error(`node ${n.name} did not start:\n${tail}`);
    }
    sleep(200);
  }
}

/** Every task in a node's cgroup root (its pods), then the root itself, depth first. */
function removeNodeCgroups(name: string): void {
  const roots = readdirSync("/sys/fs/cgroup")
    .map((c) => join("/sys/fs/cgroup", c, cgroupRoot(name)))
    .filter((p) => existsSync(p));
  for (let pass = 0; pass < 3; pass++) {
    for (const r of roots) {
      const pids = tryRun("sh", ["-c", 'find "$1" -name tasks -exec cat {} + 2>/dev/null', "sh", r])
        .out.split("\n")
        .filter((l) => /^\d+$/.test(l));
      if (pids.length > 0) tryRun("kill", ["-9", ...pids]);
    }
    sleep(300);
  }
  for (const r of roots) tryRun("find", [r, "-depth", "-type", "d", "-exec", "rmdir", "{}", "+"]);
}

/**
 * Stops every node (pods, kubelet, containerd, sshd), removes their cgroups, namespaces (the
 * cables go with them), files and the mount points they needed on this machine.
 */
export function stopK8sNodes(nodes: readonly K8sNode[], dir: string): void {
  const t0 = Date.now();
  const step = (what: string) =>
    console.error(`lab lab-k: [${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}`);
  for (const n of nodes) {
    const pids = tryRun("ip", ["netns", "pids", n.name]).out.split("\n").filter(Boolean);
    if (pids.length > 0) tryRun("kill", ["-9", ...pids]);
    removeNodeCgroups(n.name);
    lab.remove(n.name);
    step(`${n.name}: processes stopped, cgroups and namespace removed`);
  }
  for (const n of nodes) rmSync(nodeDir(dir, n.name), { recursive: true, force: true });
  // Mount points the nodes needed on this machine (k8s-node-host.sh lists those it created
  // in <lab dir>/<node>/created-mountpoints): removed when empty, in reverse order.
  for (const n of nodes) removeCreatedMountPoints(join(dir, n.name, "created-mountpoints"));
  step("node files and mount points removed");
}

function removeCreatedMountPoints(created: string): void {
  if (!existsSync(created)) return;
  // The nodes' mount namespaces go a moment after their last process: retry, bounded, and keep
  // the list of what could not be removed for the next run.
  let dirs = [...new Set(readFileSync(created, "utf8").split("\n").filter(Boolean))].reverse();
  for (let i = 0; i < 20 && dirs.length > 0; i++) {
    dirs = dirs.filter((d) => existsSync(d) && !tryRun("rmdir", [d]).ok);
    if (dirs.length > 0) sleep(500);
  }
  if (dirs.length > 0) {
    console.error(`lab lab-k: could not remove the empty mount points ${dirs.join(", ")}`);
    writeFileSync(created, `${dirs.join("\n")}\n`);
  } else rmSync(created);
}
