// Scenarios A and D in miniature (`npm run lab -- a` / `-- d`): namespace hosts each running
// their own libvirtd and sshd, the real engine with the real command and libvirt plugins, VMs
// booted under TCG from the offline image, and the probe matrix measured from inside the VMs.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { loadLab } from "../../components/load";
import { type LabPlan } from "../../components/plan/plan";
import { readStackFile } from "../../components/spec/stack-file";
import type { LibvirtVmPlan } from "../../components/plan";
import { consoleLogPath } from "../../components/libvirt/domain-xslt";
import { keyscanManyScript, parseHostKeys } from "../../components/ssh/host-key";
import {
  ensureKeys,
  hostKey,
  labDir,
  libvirtHost,
  sshOptions,
  startDryLab,
  stopDryLab,
  type DryHost,
  type DryNet,
} from "./drylab";
import { destroyLabStack, prepareStackConfig, pulumi, REPO, toolchainEnv } from "./pulumi";
import { inHost, must, mustVirsh, tryRun } from "./kit";

export interface VmLabDef {
  id: "a" | "d";
  stack: string;
  net: DryNet;
  /** Networks the lab adopts: created on the host beforehand, as OpenStack's would be. */
  preexisting: { host: string; xml: string }[];
}

export const VM_LABS: Record<"a" | "d", VmLabDef> = {
  a: { id: "a", stack: "lab-a", net: { switchNs: "la-sw", rootVeth: "la-root" }, preexisting: [] },
  d: {
    id: "d",
    stack: "lab-d",
    net: { switchNs: "ld-sw", rootVeth: "ld-root" },
    preexisting: [
      {
        host: "ld-h2",
        xml: "<network><name>ldos</name><forward mode='nat'/><bridge name='virbr23'/><mtu size='1500'/><ip address='10.252.23.1' netmask='255.255.255.0'><dhcp><range start='10.252.23.2' end='10.252.23.254'/></dhcp></ip></network>",
      },
    ],
  },
};

export function vmLabPlan(def: VmLabDef): LabPlan {
  const stack = readStackFile(join(REPO, `Pulumi.${def.stack}.yaml`));
  const result = loadLab(stack.raw, stack.lab);
  if (!result.ok) throw new Error(`Pulumi.${def.stack}.yaml is not a valid lab`);
  return result.plan;
}

export function vmLabHosts(plan: LabPlan): DryHost[] {
  return plan.hosts.map((h) => ({
    name: h.host,
    address: h.underlay.address,
    interface: h.underlay.interface,
    mtu: h.underlay.mtu,
  }));
}

export interface VmLabContext {
  def: VmLabDef;
  plan: LabPlan;
  env: NodeJS.ProcessEnv;
  configFile: string;
  dir: string;
  hosts: DryHost[];
  image: string;
}

/** The offline base image (built once, then found in the cache by its recipe hash). */
export function ensureImage(): string {
  const script = resolve(REPO, "scripts/lab/image/build.sh");
  const r = must(["bash", script], { inherit: true, timeoutMs: 0 });
  return r.trim().split("\n").pop()!;
}

/** The hosts' own state before labfabric: the stock storage pool, networks the lab adopts. */
function prepareHosts(ctx: Omit<VmLabContext, "configFile" | "env">): void {
  for (const h of ctx.hosts) {
    const lh = libvirtHost(h, ctx.dir);
    mustVirsh(lh, ["pool-define-as", "default", "dir", "--target", "/var/lib/libvirt/images"]);
    mustVirsh(lh, ["pool-start", "default"]);
    mustVirsh(lh, ["pool-autostart", "default"]);
    for (const n of ctx.def.preexisting.filter((x) => x.host === h.name)) {
      const file = join(lh.dir, "preexisting-network.xml");
      inHost(lh, ["sh", "-c", 'printf "%s" "$1" > "$2"', "sh", n.xml, file]);
      mustVirsh(lh, ["net-define", file]);
      const name = /<name>([^<]+)<\/name>/.exec(n.xml)![1];
      mustVirsh(lh, ["net-start", name]);
      mustVirsh(lh, ["net-autostart", name]);
    }
  }
}

export function prepareVmLab(def: VmLabDef): VmLabContext {
  const plan = vmLabPlan(def);
  const hosts = vmLabHosts(plan);
  const dir = labDir(def.stack);
  console.error(`lab ${def.stack}: base image`);
  const image = ensureImage();
  console.error(`lab ${def.stack}: toolchain`);
  const env = toolchainEnv(dir);
  const keys = ensureKeys(dir);
  console.error(`lab ${def.stack}: ${hosts.length} namespace hosts, each with libvirtd + sshd`);
  startDryLab(hosts, dir, { net: def.net, libvirt: true });
  prepareHosts({ def, plan, dir, hosts, image });
  const hostKeys = Object.fromEntries(hosts.map((h) => [h.name, hostKey(h, dir)]));
  const configFile = prepareStackConfig(env, dir, hostKeys, keys.privateKey, def.stack, (c) => {
    const lv = c["labfabric:libvirt"] as { images: Record<string, string>; sshKeyFile?: string };
    for (const k of Object.keys(lv.images)) lv.images[k] = image;
    lv.sshKeyFile = join(dir, "id_ed25519");
    c["labfabric:sshPublicKey"] = keys.publicKey;
  });
  return { def, plan, env, configFile, dir, hosts, image };
}

/** The context of a lab that is already up (`npm run lab -- d probe`): nothing is started. */
export function existingVmLab(def: VmLabDef): VmLabContext {
  const plan = vmLabPlan(def);
  const dir = labDir(def.stack);
  return {
    def,
    plan,
    env: toolchainEnv(dir),
    configFile: join(dir, `Pulumi.${def.stack}.yaml`),
    dir,
    hosts: vmLabHosts(plan),
    image: "",
  };
}

export function vmLabPulumi(ctx: VmLabContext, args: string[], echo = false) {
  return pulumi(ctx.env, [...args, "--stack", ctx.def.stack, "--config-file", ctx.configFile], {
    echo,
    timeoutMs: 30 * 60_000,
  });
}

/** `pulumi up` of the lab, printed as it goes (echo) and kept in up.log. */
export function vmLabUp(ctx: VmLabContext, echo = true): void {
  const log = join(ctx.dir, "up.log");
  const args = ["up", "--yes", "--skip-preview", "--stack", ctx.def.stack];
  const code = spawnSync(
    "bash",
    [
      "-c",
      'set -o pipefail; pulumi "$@" --non-interactive 2>&1 | tee "$LABFABRIC_UP_LOG"',
      "pulumi",
      ...args,
      "--config-file",
      ctx.configFile,
    ],
    {
      cwd: REPO,
      env: { ...ctx.env, LABFABRIC_UP_LOG: log },
      encoding: "utf8",
      timeout: 30 * 60_000,
      stdio: ["ignore", echo ? "inherit" : "pipe", echo ? "inherit" : "pipe"],
      maxBuffer: 64 * 1024 * 1024,
    },
  ).status;
  if (code !== 0) {
    const said = existsSync(log) ? readFileSync(log, "utf8") : "";
    throw new Error(`pulumi up failed (${code}):\n${said}`);
  }
}

export function labVms(ctx: VmLabContext): LibvirtVmPlan[] {
  return ctx.plan.libvirt.hosts.flatMap((h) => h.vms);
}

/** ssh argv into a VM through its host (ProxyCommand: the lab key and options on both hops). */
export function vmSsh(ctx: VmLabContext, vm: LibvirtVmPlan, command: string): string[] {
  const host = ctx.hosts.find((h) => h.name === vm.host)!;
  const opts = sshOptions(ctx.dir);
  const jump = ["ssh", ...opts, "-W", "%h:%p", `root@${host.address.split("/")[0]}`].join(" ");
  return [
    "ssh",
    ...opts,
    "-o",
    `ProxyCommand=${jump}`,
    `${ctx.plan.spec.libvirt.vmUser}@${vm.address}`,
    command,
  ];
}

export function inVm(ctx: VmLabContext, vm: LibvirtVmPlan, command: string, timeoutMs = 30_000) {
  const [cmd, ...args] = vmSsh(ctx, vm, command);
  return tryRun(cmd, args, timeoutMs);
}

/**
 * The VMs' host keys as the `host-<host>-vm-host-keys` step learns them: its script, run on the
 * VMs' host over SSH as the command provider runs it (the login shell reads the command line),
 * its output parsed by the step's own parser.
 */
export function scanVmHostKeys(
  ctx: VmLabContext,
  host: string,
  vms: readonly LibvirtVmPlan[],
): Record<string, string> {
  const h = ctx.hosts.find((x) => x.name === host)!;
  const script = keyscanManyScript(
    vms.map((v) => ({ name: v.name, address: v.address, port: 22 })),
  );
  const out = must(["ssh", ...sshOptions(ctx.dir), `root@${h.address.split("/")[0]}`, script], {
    timeoutMs: 15 * 60_000,
  });
  return parseHostKeys(
    out,
    vms.map((v) => v.name),
  );
}

/** The last lines of a VM's serial console, logged by libvirt on its host. */
export function consoleTail(ctx: VmLabContext, vm: LibvirtVmPlan, lines = 25): string {
  const host = ctx.hosts.find((h) => h.name === vm.host)!;
  const r = inHost(libvirtHost(host, ctx.dir), ["tail", `-${lines}`, consoleLogPath(vm.name)]);
  return r.out.replace(/\r/g, "");
}

export interface VmReady {
  vm: string;
  ready: boolean;
  /** Seconds from the start of the wait until cloud-init finished and SSH answered. */
  seconds: number;
  detail: string;
}

/** Waits (bounded) until every VM answers SSH with cloud-init done; reports who did not and why. */
export function waitForVms(ctx: VmLabContext, timeoutMs = 15 * 60_000): VmReady[] {
  const start = Date.now();
  const pending = new Map(labVms(ctx).map((v) => [v.name, v]));
  const out: VmReady[] = [];
  let last = start;
  while (pending.size > 0 && Date.now() - start < timeoutMs) {
    for (const vm of [...pending.values()]) {
      const r = inVm(
        ctx,
        vm,
        "cloud-init status --wait >/dev/null 2>&1; cloud-init status --long",
        60_000,
      );
      if (r.ok && /status: done/.test(r.out)) {
        out.push({ vm: vm.name, ready: true, seconds: (Date.now() - start) / 1000, detail: "" });
        pending.delete(vm.name);
      } else if (/status: error/.test(r.out)) {
        const detail = `cloud-init failed:\n${r.out.trim()}\nconsole:\n${consoleTail(ctx, vm)}`;
        out.push({ vm: vm.name, ready: false, seconds: (Date.now() - start) / 1000, detail });
        pending.delete(vm.name);
      }
    }
    if (Date.now() - last > 30_000) {
      console.error(
        `lab: [${Math.round((Date.now() - start) / 1000)}s] waiting for ${[...pending.keys()].join(", ")}`,
      );
      last = Date.now();
    }
    if (pending.size > 0) must(["sleep", "3"]);
  }
  for (const vm of pending.values()) {
    out.push({
      vm: vm.name,
      ready: false,
      seconds: (Date.now() - start) / 1000,
      detail: `no SSH with cloud-init done after ${timeoutMs / 1000} s; console:\n${consoleTail(ctx, vm)}`,
    });
  }
  return out;
}

export function vmLabDown(def: VmLabDef): void {
  const plan = vmLabPlan(def);
  const hosts = vmLabHosts(plan);
  const dir = labDir(def.stack);
  destroyLabStack(dir, def.stack);
  stopDryLab(hosts, dir, def.net);
}
