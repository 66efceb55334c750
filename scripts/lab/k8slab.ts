// Issue 18's cluster in scenario D's shape (`npm run lab -- k`, Pulumi.lab-k.yaml): two
// "bare-metal" hosts with their own libvirtd and sshd (lab-d's kind), a routed fabric and a NAT
// network per host that the program creates, and on each network a Kubernetes node that is a
// namespace machine with its own containerd and kubelet (k8s-nodes.ts), cabled to the host's
// bridge. The program bootstraps the nodes over SSH through their hosts with the real engine, the
// real command, libvirt and kubernetes plugins, from the offline bundle; then its own proof,
// `kubectl get nodes` against the planned addresses, and on `down` a destroy that must leave the
// nodes and hosts clean.
import { readFileSync, writeFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { loadLab } from "../../components/load";
import type { LabPlan } from "../../components/plan";
import { readStackFile } from "../../components/spec";
import {
  ensureKeys,
  hostKey,
  labDir,
  startDryLab,
  stopDryLab,
  type DryHost,
  type DryNet,
} from "./drylab";
import { k8sLabNodes, siteHookFile, startNode, stopK8sNodes, type K8sNode } from "./k8s-nodes";
import {
  destroyLabStack,
  mustPulumi,
  prepareStackConfig,
  pulumi,
  REPO,
  toolchainEnv,
} from "./pulumi";
import { must, tryRun } from "./kit";

export { inNode, inNodeArgv, nodeDir, cgroupRoot, type K8sNode } from "./k8s-nodes";

export const K8S_LAB = {
  stack: "lab-k",
  net: { switchNs: "lk-sw", rootVeth: "lk-root" } satisfies DryNet,
};
const PULUMI_TIMEOUT_MS = 40 * 60_000;

export interface K8sLabContext {
  plan: LabPlan;
  env: NodeJS.ProcessEnv;
  configFile: string;
  dir: string;
  /** The bare-metal hosts (libvirtd + sshd) and the Kubernetes nodes cabled to them. */
  hosts: DryHost[];
  nodes: K8sNode[];
  bundle: string;
}

export function k8sLabPlan(): LabPlan {
  const stack = readStackFile(join(REPO, `Pulumi.${K8S_LAB.stack}.yaml`));
  const result = loadLab(stack.raw, stack.lab);
  if (!result.ok) throw new Error(`Pulumi.${K8S_LAB.stack}.yaml is not a valid lab`);
  return result.plan;
}

/** The bare-metal hosts: libvirt hosts on the underlay, as lab-d's. */
export function k8sLabHosts(plan: LabPlan): DryHost[] {
  return plan.hosts.map((h) => ({
    name: h.host,
    address: h.underlay.address,
    interface: h.underlay.interface,
    mtu: h.underlay.mtu,
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

/**
 * Where `pulumi` runs (this machine's namespace) is an admin workstation on the lab's switch: an
 * address on the hosts' internal subnet, and a route to each host's NAT subnets via the host's
 * internal address, as post D's hosts route to each other. The program opens libvirt's firewall
 * to the internal subnet, so the kubernetes provider reaches the API server at its node address.
 * Routes and address go with the veth (stopDryLab).
 */
export function routeFromHere(plan: LabPlan): void {
  const internal = plan.hosts.map((h) => h.routed?.internalAddress).filter(Boolean) as string[];
  if (internal.length === 0) return;
  const [ip, prefix] = internal[0].split("/");
  const admin = `${ip.split(".").slice(0, 3).join(".")}.254/${prefix}`;
  must(["ip", "addr", "replace", admin, "dev", K8S_LAB.net.rootVeth]);
  for (const h of plan.hosts) {
    for (const to of h.routed?.localSubnets ?? [])
      must(["ip", "route", "replace", to, "via", h.routed!.internalAddress.split("/")[0]]);
  }
}

/** Stops the nodes, then the hosts (libvirtd, sshd), the switch and this machine's veth. */
export function stopK8sLab(ctx: Pick<K8sLabContext, "hosts" | "nodes" | "dir">): void {
  stopK8sNodes(ctx.nodes, ctx.dir);
  stopDryLab(ctx.hosts, ctx.dir, K8S_LAB.net);
}

export function prepareK8sLab(): K8sLabContext {
  const plan = k8sLabPlan();
  const hosts = k8sLabHosts(plan);
  const nodes = k8sLabNodes(plan);
  const dir = labDir(K8S_LAB.stack);
  console.error(`lab ${K8S_LAB.stack}: offline Kubernetes bundle`);
  const bundle = ensureBundle();
  console.error(`lab ${K8S_LAB.stack}: toolchain`);
  const env = toolchainEnv(dir);
  const keys = ensureKeys(dir);
  stopK8sLab({ hosts, nodes, dir });
  console.error(`lab ${K8S_LAB.stack}: ${hosts.length} namespace hosts, each with libvirtd + sshd`);
  startDryLab(hosts, dir, {
    net: K8S_LAB.net,
    libvirt: true,
    siteNetworkHook: siteHookFile(nodes),
  });
  routeFromHere(plan);
  console.error(
    `lab ${K8S_LAB.stack}: ${nodes.length} namespace nodes, cabled to ${nodes.map((n) => `${n.host}'s ${n.bridge}`).join(" and ")}`,
  );
  for (const n of nodes) startNode(n, dir, bundle);
  const hostKeys = Object.fromEntries(hosts.map((h) => [h.name, hostKey(h, dir)]));
  const nodeKeys = Object.fromEntries(nodes.map((n) => [n.name, hostKey(n, dir)]));
  const hostOf = Object.fromEntries(nodes.map((n) => [n.name, n.host]));
  const chart = readdirSync(join(bundle, "chart")).find((f) => f.endsWith(".tgz"));
  if (!chart) throw new Error(`no chart in ${bundle}/chart`);
  const configFile = prepareStackConfig(env, dir, hostKeys, keys.privateKey, K8S_LAB.stack, (c) => {
    const k = c["labfabric:kubernetes"] as {
      nodes: { name: string; ssh: { hostKey?: string; jump?: { hostKey?: string } } }[];
      cni: { chart: { path: string } };
    };
    for (const n of k.nodes) {
      n.ssh.hostKey = nodeKeys[n.name];
      if (n.ssh.jump) n.ssh.jump.hostKey = hostKeys[hostOf[n.name]];
    }
    k.cni.chart.path = join(bundle, "chart", chart);
    // The libvirt provider's qemu+ssh reads the lab's key from a file (lab-d does the same).
    c["labfabric:libvirt"] = { sshKeyFile: join(dir, "id_ed25519") };
  });
  return { plan, env, configFile, dir, hosts, nodes, bundle };
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
    nodes: k8sLabNodes(plan),
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
    `labfabric lab "${ctx.plan.lab}": ${ctx.hosts.length} hosts (fabric ${ctx.plan.spec.fabric.mode}), ${nodes.length} namespace nodes on their NAT networks, Kubernetes from the offline bundle, ${ctx.plan.cni?.plugin} ${ctx.plan.cni?.mode}, pod MTU ${ctx.plan.mtu.podMtu} (up ${Math.round(upSeconds)} s)`,
    ...ctx.plan.hosts.map(
      (h) =>
        `  ${h.host.padEnd(8)} ${h.underlay.address.padEnd(16)} internal ${h.routed?.internalAddress ?? "-"}  ${(h.routed?.routes ?? []).map((r) => `${r.to} via ${r.via}`).join(", ")}`,
    ),
    ...nodes.map((n) => {
      const on = ctx.nodes.find((x) => x.name === n.name);
      const where = on ? `  on ${on.host}'s ${on.bridge}, via ${on.gateway}` : "";
      return `  ${n.name.padEnd(8)} ${n.ready ? "Ready   " : "NotReady"} ${n.address.padEnd(14)} planned ${n.planned}${n.address === n.planned ? "" : "  MISMATCH"}${where}`;
    }),
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
  const dir = labDir(K8S_LAB.stack);
  destroyLabStack(dir, K8S_LAB.stack, PULUMI_TIMEOUT_MS);
  stopK8sLab({ hosts: k8sLabHosts(plan), nodes: k8sLabNodes(plan), dir });
}
