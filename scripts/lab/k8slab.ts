// Issue 18's cluster in miniature (`npm run lab -- k`, Pulumi.lab-k.yaml): Kubernetes nodes that
// are namespace hosts, each with its own mount namespace, sshd, containerd and kubelet
// (k8s-node-host.sh), bootstrapped by the program over SSH with the real engine, the real command
// and kubernetes plugins, from the offline bundle; then the program's own proof, `kubectl get
// nodes` against the planned addresses, and on `down` a destroy that must leave the nodes clean.
import { spawn } from "node:child_process";
import {
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  readdirSync,
} from "node:fs";
import { join, resolve } from "node:path";
import { loadLab } from "../../components/load";
import type { LabPlan } from "../../components/plan";
import { readStackFile } from "../../components/spec";
import {
  ensureKeys,
  hostKey,
  labDir,
  sshdConfig,
  startDryLab,
  stopDryLab,
  type DryHost,
  type DryNet,
} from "./drylab";
import {
  destroyLabStack,
  mustPulumi,
  prepareStackConfig,
  pulumi,
  REPO,
  toolchainEnv,
} from "./pulumi";
import { must, tryRun } from "./kit";

export const K8S_LAB = {
  stack: "lab-k",
  net: { switchNs: "lk-sw", rootVeth: "lk-root" } satisfies DryNet,
};
const NODE_SCRIPT = resolve(__dirname, "k8s-node-host.sh");
const NODE_READY_TIMEOUT_MS = 60_000;
const PULUMI_TIMEOUT_MS = 40 * 60_000;

export interface K8sLabContext {
  plan: LabPlan;
  env: NodeJS.ProcessEnv;
  configFile: string;
  dir: string;
  hosts: DryHost[];
  bundle: string;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

export function k8sLabPlan(): LabPlan {
  const stack = readStackFile(join(REPO, `Pulumi.${K8S_LAB.stack}.yaml`));
  const result = loadLab(stack.raw, stack.lab);
  if (!result.ok) throw new Error(`Pulumi.${K8S_LAB.stack}.yaml is not a valid lab`);
  return result.plan;
}

/** The namespace hosts: one per kubernetes.nodes entry, on its node address. */
export function k8sLabHosts(plan: LabPlan): DryHost[] {
  return plan.spec.kubernetes.nodes.map((n) => ({
    name: n.name,
    address: n.address,
    interface: "eth0",
    mtu: n.mtu,
  }));
}

/** The offline bundle (scripts/kubernetes-bundle/build.sh: seconds when built, ~50 min cold). */
export function ensureBundle(): string {
  const out = must(["nice", "-n", "10", "bash", join(REPO, "scripts/kubernetes-bundle/build.sh")], {
    timeoutMs: 0,
    inherit: true,
  });
  return out.trim().split("\n").pop()!;
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

/** The default route of a node: .254 of its segment, which no node or lab address holds. */
export function nodeGateway(h: DryHost): string {
  const [ip] = h.address.split("/");
  return `${ip.split(".").slice(0, 3).join(".")}.254`;
}

/** DryLabOptions.startHost: the node's mount namespace, file system, sshd (k8s-node-host.sh). */
export function nodeStarter(bundle: string): (h: DryHost, dir: string) => void {
  return (h, dir) => {
    const hostDir = join(dir, h.name);
    mkdirSync(hostDir, { recursive: true, mode: 0o700 });
    const keyFile = join(hostDir, "ssh_host_ed25519_key");
    if (!existsSync(keyFile)) must(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-f", keyFile]);
    const config = join(hostDir, "sshd_config");
    writeFileSync(config, sshdConfig(dir, h));
    const nd = nodeDir(dir, h.name);
    rmSync(nd, { recursive: true, force: true });
    mkdirSync(nd, { recursive: true, mode: 0o700 });
    const log = openSync(join(hostDir, "node.log"), "a");
    spawn(
      "nsenter",
      [
        `--net=/run/netns/${h.name}`,
        "unshare",
        "--mount",
        "--propagation",
        "private",
        "bash",
        NODE_SCRIPT,
        nd,
        config,
        bundle,
        cgroupRoot(h.name),
        nodeGateway(h),
      ],
      { detached: true, stdio: ["ignore", log, log] },
    ).unref();
    const deadline = Date.now() + NODE_READY_TIMEOUT_MS;
    while (!anchorPid(dir, h.name)) {
      if (Date.now() > deadline) {
        const tail = tryRun("tail", ["-20", join(hostDir, "node.log")]).out;
        throw new Error(`node ${h.name} did not start:\n${tail}`);
      }
      sleep(200);
    }
  };
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

/** Stops every node (pods, kubelet, containerd, sshd), removes their cgroups, namespaces, files. */
export function stopK8sNodes(hosts: DryHost[], dir: string): void {
  const t0 = Date.now();
  const step = (what: string) =>
    console.error(`lab lab-k: [${((Date.now() - t0) / 1000).toFixed(1)}s] ${what}`);
  for (const h of hosts) {
    const pids = tryRun("ip", ["netns", "pids", h.name]).out.split("\n").filter(Boolean);
    if (pids.length > 0) tryRun("kill", ["-9", ...pids]);
    removeNodeCgroups(h.name);
    step(`${h.name}: processes stopped, cgroups removed`);
  }
  stopDryLab(hosts, dir, K8S_LAB.net);
  step("namespaces removed");
  for (const h of hosts) rmSync(nodeDir(dir, h.name), { recursive: true, force: true });
  step("node files removed");
  // Mount points the nodes needed on this machine (k8s-node-host.sh lists those it created
  // in <lab dir>/<node>/created-mountpoints): removed when empty, in reverse order.
  for (const h of hosts) removeCreatedMountPoints(join(dir, h.name, "created-mountpoints"));
  step("mount points removed");
}

function removeCreatedMountPoints(created: string): void {
  if (existsSync(created)) {
    // Mount points the nodes needed on this machine: removed when empty (in reverse order).
    // The nodes' mount namespaces go a moment after their last process: retry, bounded, and
    // keep the list of what could not be removed for the next run.
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
}

export function prepareK8sLab(): K8sLabContext {
  const plan = k8sLabPlan();
  const hosts = k8sLabHosts(plan);
  const dir = labDir(K8S_LAB.stack);
  console.error(`lab ${K8S_LAB.stack}: offline Kubernetes bundle`);
  const bundle = ensureBundle();
  console.error(`lab ${K8S_LAB.stack}: toolchain`);
  const env = toolchainEnv(dir);
  const keys = ensureKeys(dir);
  stopK8sNodes(hosts, dir);
  console.error(`lab ${K8S_LAB.stack}: ${hosts.length} namespace nodes with sshd`);
  startDryLab(hosts, dir, { net: K8S_LAB.net, startHost: nodeStarter(bundle) });
  const keysByNode = Object.fromEntries(hosts.map((h) => [h.name, hostKey(h, dir)]));
  const chart = readdirSync(join(bundle, "chart")).find((f) => f.endsWith(".tgz"));
  if (!chart) throw new Error(`no chart in ${bundle}/chart`);
  const configFile = prepareStackConfig(env, dir, {}, keys.privateKey, K8S_LAB.stack, (c) => {
    const k = c["labfabric:kubernetes"] as {
      nodes: { name: string; ssh: { hostKey?: string } }[];
      cni: { chart: { path: string } };
    };
    for (const n of k.nodes) n.ssh.hostKey = keysByNode[n.name];
    k.cni.chart.path = join(bundle, "chart", chart);
  });
  return { plan, env, configFile, dir, hosts, bundle };
}

/** The context of a lab that is up: nothing is started. */
export function existingK8sLab(): K8sLabContext {
  const plan = k8sLabPlan();
  const dir = labDir(K8S_LAB.stack);
  const bundle = readFileSync(join(dir, "bundle-path"), "utf8").trim();
  return {
    plan,
    env: toolchainEnv(dir),
    configFile: join(dir, `Pulumi.${K8S_LAB.stack}.yaml`),
    dir,
    hosts: k8sLabHosts(plan),
    bundle,
  };
}

export function k8sLabPulumi(ctx: K8sLabContext, args: string[], echo = false) {
  // `stack output` and `stack export` read the state only and take no --config-file.
  const config = args[0] === "stack" ? [] : ["--config-file", ctx.configFile];
  return pulumi(ctx.env, [...args, "--stack", K8S_LAB.stack, ...config], {
    echo,
    timeoutMs: PULUMI_TIMEOUT_MS,
  });
}

/** `pulumi up` of the lab; returns the engine's output unless it was echoed. */
export function k8sLabUp(ctx: K8sLabContext, echo = true): string {
  writeFileSync(join(ctx.dir, "bundle-path"), `${ctx.bundle}\n`);
  const r = mustPulumi(
    ctx.env,
    ["up", "--yes", "--skip-preview", "--stack", K8S_LAB.stack, "--config-file", ctx.configFile],
    { echo, timeoutMs: PULUMI_TIMEOUT_MS },
  );
  return `${r.stdout}\n${r.stderr}`;
}

/** The stack's kubeconfig output (a secret) in a 0600 file of the lab's directory. */
export function kubeconfigFile(ctx: K8sLabContext): string {
  const r = k8sLabPulumi(ctx, ["stack", "output", "kubeconfig", "--show-secrets"]);
  if (r.code !== 0) throw new Error(`pulumi stack output kubeconfig failed: ${r.stderr}`);
  const file = join(ctx.dir, "kubeconfig");
  writeFileSync(file, r.stdout, { mode: 0o600 });
  return file;
}

export function kubectl(ctx: K8sLabContext, args: string[], timeoutMs = 60_000) {
  return tryRun(
    join(ctx.bundle, "bin/kubectl"),
    ["--kubeconfig", kubeconfigFile(ctx), ...args],
    timeoutMs,
  );
}

export interface NodeStatus {
  name: string;
  ready: boolean;
  address: string;
  planned: string;
}

/** Every node's Ready condition and InternalIP, beside the planned address. */
export function nodeStatus(ctx: K8sLabContext): NodeStatus[] {
  const r = kubectl(ctx, [
    "get",
    "nodes",
    "-o",
    'jsonpath={range .items[*]}{.metadata.name}{" "}{.status.conditions[?(@.type=="Ready")].status}{" "}{.status.addresses[?(@.type=="InternalIP")].address}{"\\n"}{end}',
  ]);
  const seen = new Map(
    r.out
      .split("\n")
      .filter(Boolean)
      .map((l) => l.split(" "))
      .map(([name, ready, address]) => [name, { ready: ready === "True", address }]),
  );
  return ctx.plan.nodes.map((n) => ({
    name: n.name,
    ready: seen.get(n.name)?.ready ?? false,
    address: seen.get(n.name)?.address ?? "(not registered)",
    planned: n.address ?? "",
  }));
}

/** The program's proof report (the proof command's stdout, from the stack's state). */
export function proofReport(ctx: K8sLabContext): string {
  const r = k8sLabPulumi(ctx, ["stack", "export"]);
  if (r.code !== 0) return "";
  const state = JSON.parse(r.stdout) as {
    deployment: { resources?: { urn: string; outputs?: { stdout?: string } }[] };
  };
  const proof = state.deployment.resources?.find((x) => x.urn.endsWith("::cni-proof-run"));
  return proof?.outputs?.stdout?.trim() ?? "";
}

export function k8sLabReport(ctx: K8sLabContext, upSeconds: number): string {
  const nodes = nodeStatus(ctx);
  const lines = [
    `labfabric lab "${ctx.plan.lab}": ${nodes.length} namespace nodes, Kubernetes from the offline bundle, ${ctx.plan.cni?.plugin} ${ctx.plan.cni?.mode}, pod MTU ${ctx.plan.mtu.podMtu} (up ${Math.round(upSeconds)} s)`,
    ...nodes.map(
      (n) =>
        `  ${n.name.padEnd(8)} ${n.ready ? "Ready   " : "NotReady"} ${n.address.padEnd(14)} planned ${n.planned}${n.address === n.planned ? "" : "  MISMATCH"}`,
    ),
    "  the program's proof (cni-proof-run):",
    ...proofReport(ctx)
      .split("\n")
      .map((l) => `    ${l}`),
  ];
  return lines.join("\n");
}

export function nodesPass(ctx: K8sLabContext): boolean {
  const nodes = nodeStatus(ctx);
  return nodes.length > 0 && nodes.every((n) => n.ready && n.address === n.planned);
}

export function k8sLabDown(): void {
  const plan = k8sLabPlan();
  const hosts = k8sLabHosts(plan);
  const dir = labDir(K8S_LAB.stack);
  destroyLabStack(dir, K8S_LAB.stack, PULUMI_TIMEOUT_MS);
  stopK8sNodes(hosts, dir);
}
