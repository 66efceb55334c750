// npm run lab          — the main job: toolchain, dry lab, `pulumi up` of the dev stack over
//                        real SSH, then proof (ping + DF probes between VM stand-ins) and a report.
// npm run lab -- down  — `pulumi destroy`, then remove the lab, leaving the hosts as they were.
// npm run lab -- a|d   — scenario A or D in miniature: hosts with libvirtd, VMs booted under TCG,
//                        probes from inside the VMs (scripts/lab/vmlab.ts); `-- a down` removes it.
// npm run lab -- k     — a kubeadm + Flannel cluster on namespace nodes from the offline bundle,
//                        the program's proof (scripts/lab/k8slab.ts); `-- k down` removes it.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { loadLab } from "../../components/load";
import { type LabPlan } from "../../components/plan/plan";
import { readStackFile } from "../../components/spec/stack-file";
import {
  attachStandIn,
  ensureKeys,
  hostKey,
  labDir,
  probeMatrix,
  startDryLab,
  stopDryLab,
  vmNamespace,
  type DryHost,
  type Probe,
  type StandIn,
} from "./drylab";
import {
  destroyLabStack,
  mustPulumi,
  prepareStackConfig,
  REPO,
  STACK,
  toolchainEnv,
} from "./pulumi";
import { labBDownMain, labBMain } from "./openstack/main-b";
import { k8sLabMain } from "./k8smain";
import { must, tryRun } from "./kit";
import { existingVmLab, prepareVmLab, VM_LABS, vmLabDown, vmLabUp, waitForVms } from "./vmlab";
import { vmLabReport, vmProbeMatrix, vmProbesPass } from "./vmprobe";

export function devPlan(): LabPlan {
  const stack = readStackFile(join(REPO, "Pulumi.dev.yaml"));
  const result = loadLab(stack.raw, stack.lab);
  if (!result.ok) throw new Error("Pulumi.dev.yaml is not a valid lab");
  return result.plan;
}

export function dryHosts(plan: LabPlan): DryHost[] {
  return plan.hosts.map((h) => ({
    name: h.host,
    address: h.underlay.address,
    interface: h.underlay.interface,
    mtu: h.underlay.mtu,
  }));
}

/** One stand-in VM per host on its fabric bridge, addressed from the top of the VM subnet. */
export function attachStandIns(plan: LabPlan): StandIn[] {
  const subnet = plan.spec.fabric.vmSubnet!;
  const [base, prefix] = subnet.split("/");
  const octets = base.split(".").map(Number);
  return plan.hosts.map((h, i) => {
    const address = `${octets[0]}.${octets[1]}.${octets[2]}.${200 + i}/${prefix}`;
    return attachStandIn(h.host, h.vxlan!.bridge, address, plan.mtu.vmMtu);
  });
}

export function removeStandIns(plan: LabPlan): void {
  for (const h of plan.hosts) tryRun("ip", ["netns", "del", vmNamespace(h.host)]);
}

export function report(plan: LabPlan, probes: Probe[]): string {
  const lines = [
    `labfabric dry lab "${plan.lab}": ${plan.hosts.length} hosts, fabric ${plan.spec.fabric.mode}`,
  ];
  for (const h of plan.hosts) {
    const v = h.vxlan;
    const peers = v ? (v.remote ? `remote ${v.remote}` : `FDB -> ${v.fdbPeers.join(", ")}`) : "";
    lines.push(
      `  ${h.host.padEnd(8)} ${h.underlay.address.padEnd(16)} ${v ? `${v.bridge} ${v.bridgeAddress}, ${v.device} VNI ${v.vni} udp/${v.port}, ${peers}` : h.mode}`,
    );
  }
  lines.push(
    `  MTU: ${plan.mtu.paths.map((p) => p.layers.map((l) => `${l.layer} ${l.mtu}`).join(" -> ")).join(" | ")}`,
  );
  lines.push("  probe matrix (ping / DF at planned MTU / DF +1 refused):");
  for (const p of probes) {
    const mark = (b: boolean) => (b ? "ok " : "FAIL");
    lines.push(
      `    ${p.from} -> ${p.to}: ${mark(p.ping)} / ${mark(p.fullSize)} / ${mark(p.oversizeRefused)}`,
    );
  }
  return lines.join("\n");
}

export function allPass(probes: Probe[]): boolean {
  return probes.length > 0 && probes.every((p) => p.ping && p.fullSize && p.oversizeRefused);
}

export interface LabContext {
  plan: LabPlan;
  env: NodeJS.ProcessEnv;
  configFile: string;
  dir: string;
}

/** Toolchain, namespace hosts with sshd, and the dev stack's config (outside the repo). */
export function prepareLab(): LabContext {
  const plan = devPlan();
  const hosts = dryHosts(plan);
  const dir = labDir();
  console.error("lab: toolchain");
  const env = toolchainEnv(dir);
  const keys = ensureKeys(dir);
  console.error(`lab: starting ${hosts.length} hosts as network namespaces with sshd`);
  startDryLab(hosts, dir);
  // Each namespace host's sshd key is pinned in the stack config (connection.hostKey).
  const hostKeys = Object.fromEntries(hosts.map((h) => [h.name, hostKey(h, dir)]));
  const configFile = prepareStackConfig(env, dir, hostKeys, keys.privateKey);
  return { plan, env, configFile, dir };
}

/** Rewrites one key of the lab's stack config (e.g. the VNI) for the next `up`. */
export function setLabConfig(ctx: LabContext, path: string, value: string): void {
  mustPulumi(ctx.env, [
    "config",
    "set",
    "--path",
    path,
    value,
    "--stack",
    STACK,
    "--config-file",
    ctx.configFile,
  ]);
}

export function labPulumiUp(ctx: LabContext, echo = true): void {
  mustPulumi(
    ctx.env,
    ["up", "--yes", "--skip-preview", "--stack", STACK, "--config-file", ctx.configFile],
    { echo },
  );
}

export function labUp(): { plan: LabPlan; probes: Probe[] } {
  const ctx = prepareLab();
  console.error("lab: pulumi up");
  labPulumiUp(ctx);
  return { plan: ctx.plan, probes: proveLab(ctx.plan) };
}

export function proveLab(plan: LabPlan): Probe[] {
  removeStandIns(plan);
  const standIns = attachStandIns(plan);
  try {
    return probeMatrix(standIns);
  } finally {
    removeStandIns(plan);
  }
}

export function labDown(): void {
  const plan = devPlan();
  const dir = labDir();
  removeStandIns(plan);
  destroyLabStack(dir, STACK);
  stopDryLab(dryHosts(plan), dir);
  for (const h of plan.hosts) rmSync(h.root, { recursive: true, force: true });
}

function main(): void {
  const { positionals } = parseArgs({ allowPositionals: true });
  if (process.getuid?.() !== 0) {
    console.error("lab: the dry lab creates network namespaces and needs root");
    process.exit(2);
  }
  must(["ip", "netns", "list"]);
  // Scenario B on the all-in-one OpenStack: scripts/lab/openstack.
  if (positionals[0] === "b") {
    if (positionals[1] === "down") labBDownMain();
    else if (!labBMain()) process.exit(1);
    return;
  }
  const which = positionals[0];
  // Issue 18's cluster on namespace nodes: scripts/lab/k8slab.ts.
  if (which === "k") {
    if (!k8sLabMain(positionals[1])) process.exit(1);
    return;
  }
  if (which === "a" || which === "d") {
    const def = VM_LABS[which];
    if (positionals[1] === "down") {
      vmLabDown(def);
      return;
    }
    const probeOnly = positionals[1] === "probe";
    const ctx = probeOnly ? existingVmLab(def) : prepareVmLab(def);
    const t0 = Date.now();
    if (!probeOnly) {
      console.error(`lab ${def.stack}: pulumi up`);
      vmLabUp(ctx);
    }
    const upSeconds = (Date.now() - t0) / 1000;
    console.error(`lab ${def.stack}: waiting for the VMs to boot (TCG) and run cloud-init`);
    const ready = waitForVms(ctx);
    const probes = ready.every((r) => r.ready) ? vmProbeMatrix(ctx) : [];
    console.log(vmLabReport(ctx, ready, probes, upSeconds));
    if (!vmProbesPass(probes)) process.exit(1);
    return;
  }
  if (which === "down") {
    labDown();
    return;
  }
  const { plan, probes } = labUp();
  console.log(report(plan, probes));
  if (!allPass(probes)) process.exit(1);
}

if (require.main === module) main();
