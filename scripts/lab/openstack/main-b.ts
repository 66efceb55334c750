// npm run lab -- b        — the all-in-one OpenStack (started or reused), lab-b by the real
//                           engine and provider, then post B's proofs from inside the instances.
// npm run lab -- b down   — destroy lab-b, stop the cloud and remove everything it made.
import { rmSync } from "node:fs";
import { join } from "node:path";
import { loadLab } from "../../../components/load";
import { type LabPlan } from "../../../components/plan/plan";
import { readStackFile } from "../../../components/spec/stack-file";
import { REPO, toolchainEnv } from "../pulumi";
import { stopAio } from "./aio";
import {
  LAB_B,
  labBDestroy,
  labBDir,
  labBInstances,
  labBPulumi,
  labBSet,
  labBUp,
  prepareLabB,
  type LabBContext,
} from "./labb";
import * as p from "./proofs";

export function labBPlan(): LabPlan {
  const stack = readStackFile(join(REPO, `Pulumi.${LAB_B}.yaml`));
  const r = loadLab(stack.raw, stack.lab);
  if (!r.ok) throw new Error(`Pulumi.${LAB_B}.yaml is not a valid lab`);
  return r.plan;
}

/** The two instances as proof nodes: k8s-cp by its floating IP, k8s-w1 through it. */
export function proofNodes(ctx: LabBContext): [p.Node, p.Node] {
  const inst = labBInstances(ctx);
  const cp = inst.find((i) => i.floatingAddress);
  const w = inst.find((i) => !i.floatingAddress);
  if (!cp?.floatingAddress || !w)
    throw new Error("lab b: expected one instance with a floating IP and one without");
  return [
    {
      name: cp.name,
      address: cp.nodeAddress,
      via: { host: cp.floatingAddress },
      pod: "172.16.10.1",
      podBlock: "172.16.10.0/24",
    },
    {
      name: w.name,
      address: w.nodeAddress,
      via: { host: w.nodeAddress, jump: cp.floatingAddress },
      pod: "172.16.11.1",
      podBlock: "172.16.11.0/24",
    },
  ];
}

export interface ProofsB {
  sshReadyMs: number;
  ipipPasses: boolean;
  ipipDf: p.MtuProbe;
  tenantDf: p.MtuProbe;
  nativeDroppedWithoutPairs: boolean;
  nativePassesWithPairs: boolean;
  ipipDroppedWithoutRule: boolean;
  ipipPassesAgain: boolean;
}

const step = (t0: number, s: string) =>
  console.error(`lab b: [${Math.round((Date.now() - t0) / 1000)}s] ${s}`);

/**
 * Post B's proofs. Leaves the stack as it found it (the IPIP plan). Between plans the stack's
 * config is switched: Calico mode None + openstack.allowedAddressPairs (native routing).
 */
export function proveB(ctx: LabBContext, podMtu: number, tenantMtu: number): ProofsB {
  const t0 = Date.now();
  const [a, b] = proofNodes(ctx);
  step(t0, `waiting for SSH on ${a.name} (${a.via.host}) and ${b.name} (through it)`);
  const sshReadyMs = p.waitForNode(ctx.dir, a) + p.waitForNode(ctx.dir, b);
  step(t0, "IPIP plan: tunnel between pod addresses, DF probes");
  p.ipipUp(ctx.dir, a, b, podMtu);
  p.ipipUp(ctx.dir, b, a, podMtu);
  const ipipPasses = p.podPing(ctx.dir, a, b) && p.podPing(ctx.dir, b, a);
  const ipipDf = p.dfProbe((s) => p.podPing(ctx.dir, a, b, s), podMtu);
  const tenantDf = p.dfProbe((s) => p.hostPing(ctx.dir, a, b, s), tenantMtu);
  step(t0, "IPIP plan: pod-sourced traffic routed natively (no address pairs)");
  p.nativeUp(ctx.dir, a, b);
  p.nativeUp(ctx.dir, b, a);
  const nativeDroppedWithoutPairs = !p.podPing(ctx.dir, a, b);
  step(t0, "native plan (calico None + allowed address pairs): pulumi up");
  labBSet(ctx, "labfabric:kubernetes.cni.mode", "None");
  labBSet(ctx, "labfabric:openstack.allowedAddressPairs", "true");
  let nativePassesWithPairs = false;
  let ipipDroppedWithoutRule = false;
  try {
    labBUp(ctx, false);
    nativePassesWithPairs =
      p.settle(() => p.podPing(ctx.dir, a, b), true) && p.podPing(ctx.dir, b, a);
    step(t0, "native plan: IPIP without the protocol-4 rule");
    p.ipipUp(ctx.dir, a, b, podMtu);
    p.ipipUp(ctx.dir, b, a, podMtu);
    ipipDroppedWithoutRule = !p.settle(() => p.podPing(ctx.dir, a, b), false);
  } finally {
    step(t0, "back to the IPIP plan: pulumi up");
    labBSet(ctx, "labfabric:kubernetes.cni.mode", "IPIP");
    labBSet(ctx, "labfabric:openstack.allowedAddressPairs", "false");
    labBUp(ctx, false);
  }
  const ipipPassesAgain = p.settle(() => p.podPing(ctx.dir, a, b), true);
  p.cleanup(ctx.dir, a, b);
  p.cleanup(ctx.dir, b, a);
  return {
    sshReadyMs,
    ipipPasses,
    ipipDf,
    tenantDf,
    nativeDroppedWithoutPairs,
    nativePassesWithPairs,
    ipipDroppedWithoutRule,
    ipipPassesAgain,
  };
}

export function proofsPass(r: ProofsB): boolean {
  return (
    r.ipipPasses &&
    r.ipipDf.fullSize &&
    r.ipipDf.oversizeRefused &&
    r.tenantDf.fullSize &&
    r.tenantDf.oversizeRefused &&
    r.nativeDroppedWithoutPairs &&
    r.nativePassesWithPairs &&
    r.ipipDroppedWithoutRule &&
    r.ipipPassesAgain
  );
}

export function reportB(plan: LabPlan, r: ProofsB): string {
  const ok = (b: boolean) => (b ? "ok" : "FAIL");
  const pod = plan.mtu.podMtu;
  return [
    `labfabric dry lab "${LAB_B}": all-in-one OpenStack in openstack-host, 2 instances on k8s-net (MTU 1450)`,
    `  SSH ready after ${Math.round(r.sshReadyMs / 1000)} s`,
    `  IPIP between pod addresses, program's security groups (protocol 4 from the cluster group): ${ok(r.ipipPasses)}`,
    `  IPIP DF probe at the planned pod MTU ${pod}: ${ok(r.ipipDf.fullSize)}; ${pod}+1 refused: ${ok(r.ipipDf.oversizeRefused)}`,
    `  tenant network DF probe at 1450: ${ok(r.tenantDf.fullSize)}; 1451 refused: ${ok(r.tenantDf.oversizeRefused)}`,
    `  pod-sourced traffic routed natively, no address pairs: dropped by port security: ${ok(r.nativeDroppedWithoutPairs)}`,
    `  same traffic with the native plan (allowed address pairs ${plan.cni?.podSubnet}): ${ok(r.nativePassesWithPairs)}`,
    `  IPIP under the native plan (no protocol-4 rule): dropped: ${ok(r.ipipDroppedWithoutRule)}`,
    `  IPIP after returning to the IPIP plan: ${ok(r.ipipPassesAgain)}`,
  ].join("\n");
}

export function labBMain(): boolean {
  const plan = labBPlan();
  const ctx = prepareLabB();
  const t0 = Date.now();
  console.error("lab b: pulumi up");
  labBUp(ctx);
  console.error(`lab b: up took ${Math.round((Date.now() - t0) / 1000)} s`);
  const again = labBPulumi(ctx, ["preview", "--expect-no-changes"]);
  if (again.code !== 0) throw new Error(`lab b: second preview has changes:\n${again.stdout}`);
  const r = proveB(ctx, plan.mtu.podMtu ?? 1430, 1450);
  console.log(reportB(plan, r));
  return proofsPass(r);
}

export function labBDownMain(): void {
  const dir = labBDir();
  const env = toolchainEnv(dir);
  const configFile = join(dir, `Pulumi.${LAB_B}.yaml`);
  const r = labBDestroy({ env, configFile, dir, keyFile: join(dir, "id_ed25519") });
  if (r.code !== 0) console.error("lab b: pulumi destroy failed; removing the cloud anyway");
  stopAio(false);
  rmSync(dir, { recursive: true, force: true });
}
