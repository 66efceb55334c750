// Preflight of the libvirt layer, run in preview and up before any resource. Every host that
// gets a VM must be able to build the VMs' NoCloud seeds (seed.ts: genisoimage, xorrisofs or
// mkisofs, and isoinfo or xorriso to read one back), and with `libvirt.domainType: kvm` run KVM
// guests. libvirt itself would only say so when the first domain starts, leaving a half-created
// lab; and a host that is itself a guest without nested virtualisation has /dev/kvm whose
// guests hang in the kernel's decompressor instead of failing. So the host is asked over SSH
// (its key checked as on every other path) and a host that cannot is one line naming the fix.
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { Client, type ConnectConfig } from "ssh2";
import type { LibvirtPlan } from "../plan";
import { outputValue } from "../shared";
import type { SshTarget } from "../ssh";
import { ISO_TOOL_PACKAGE, ISO_TOOLS } from "./seed";

/** Read-only: prints one word per capability the host has. */
export const KVM_PROBE =
  "if [ -c /dev/kvm ]; then echo kvm-device; fi; if grep -qwE 'vmx|svm' /proc/cpuinfo; then echo cpu-virtualisation; fi";

/** Read-only: prints iso-tool when the host can build a seed ISO and read it back (seed.ts). */
export const ISO_PROBE = `if { ${ISO_TOOLS.map((t) => `command -v ${t}`).join(" || ")}; } >/dev/null 2>&1 && { command -v isoinfo || command -v xorriso; } >/dev/null 2>&1; then echo iso-tool; fi`;

/** What the preflight runs on every VM host. */
export const HOST_PROBE = `${KVM_PROBE}; ${ISO_PROBE}`;

/** The refusal for a VM host without an ISO tool, from HOST_PROBE's output; undefined = has one. */
export function isoToolRefusal(t: Pick<HostCheckTarget, "host" | "key">, probeOutput: string) {
  if (probeOutput.split(/\s+/).includes("iso-tool")) return undefined;
  return `ERROR ${t.key.replace(/\.ssh$/, "")}: host ${t.host} has no ISO tool to build its VMs' NoCloud seeds (${ISO_TOOLS.join(", ")}, and isoinfo or xorriso to read one back). Fix: install the Debian package ${ISO_TOOL_PACKAGE} on ${t.host} (apt-get install ${ISO_TOOL_PACKAGE})`;
}

/** What keeps the host from running KVM guests, from KVM_PROBE's output; undefined = it can. */
export function kvmProblem(probeOutput: string): string | undefined {
  const has = new Set(probeOutput.split(/\s+/).filter(Boolean));
  if (!has.has("kvm-device"))
    return "has no /dev/kvm (the kvm module is not loaded, or virtualisation is off in the firmware)";
  if (!has.has("cpu-virtualisation"))
    return "has /dev/kvm, but its CPU shows no vmx or svm flag: it is itself a virtual machine without nested virtualisation, where KVM guests hang at boot";
  return undefined;
}

export function kvmRefusal(host: string, problem: string): string {
  return `ERROR labfabric:libvirt.domainType = "kvm": host ${host} ${problem}. Fix: enable hardware virtualisation on ${host}, or set labfabric:libvirt.domainType to "qemu" (software emulation, several times slower)`;
}

export function unreachableRefusal(key: string, host: string, why: string, kvm = true): string {
  return kvm
    ? `ERROR ${key}: could not check host ${host} for KVM and an ISO tool over SSH (${why}). Fix: make the host reachable with the lab's key, or set labfabric:libvirt.domainType to "qemu"`
    : `ERROR ${key}: could not check host ${host} for an ISO tool over SSH (${why}). Fix: make the host reachable with the lab's key`;
}

/** How the preflight authenticates: the lab's key, or the agent the provider would use. */
export type PreflightAuth = { privateKey: string } | { agent: string };

export interface HostCheckTarget {
  host: string;
  /** Config path of the host's ssh block, for messages ("hosts[0].ssh"). */
  key: string;
  ssh: SshEndpoint & { jump?: SshEndpoint };
  /** Check KVM too (`domainType: kvm`). */
  kvm: boolean;
}

/** Where to connect, with the host key when it is pinned (a plain string before up). */
export interface SshEndpoint {
  address: string;
  port: number;
  user: string;
  hostKey?: string;
}

const TIMEOUT_MS = 15_000;

/** The base64 key blob of "ssh-ed25519 AAAA... [comment]". */
function keyBlob(line: string): string {
  return line.trim().split(/\s+/)[1] ?? "";
}

function connectConfig(
  { address, port, user, hostKey }: SshEndpoint,
  auth: PreflightAuth,
): ConnectConfig {
  return {
    host: address,
    port,
    username: user,
    readyTimeout: TIMEOUT_MS,
    ...("privateKey" in auth ? { privateKey: auth.privateKey } : { agent: auth.agent }),
    // Pinned: exactly that key. Trust-on-first-use: the key is not known yet, and this
    // read-only probe is the only thing sent before the lab learns it.
    hostVerifier: (key: Buffer) => !hostKey || key.toString("base64") === keyBlob(hostKey),
  };
}

function ready(client: Client, config: ConnectConfig): Promise<Client> {
  return new Promise((resolve, reject) => {
    client.once("ready", () => resolve(client));
    client.once("error", reject);
    client.connect(config);
  });
}

/** Runs one command over SSH (through the jump host when there is one); resolves its stdout. */
export async function runOverSsh(
  ssh: HostCheckTarget["ssh"],
  auth: PreflightAuth,
  command: string,
): Promise<string> {
  const clients: Client[] = [];
  try {
    let sock: ConnectConfig["sock"];
    if (ssh.jump) {
      const jump = await ready(new Client(), connectConfig(ssh.jump, auth));
      clients.push(jump);
      sock = await new Promise((resolve, reject) =>
        jump.forwardOut("127.0.0.1", 0, ssh.address, ssh.port, (e, s) =>
          e ? reject(e) : resolve(s),
        ),
      );
    }
    const client = await ready(new Client(), {
      ...connectConfig(ssh, auth),
      ...(sock ? { sock } : {}),
    });
    clients.push(client);
    return await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error("the probe did not finish")), TIMEOUT_MS);
      client.exec(command, (e, stream) => {
        if (e) return reject(e);
        let out = "";
        stream.on("data", (d: Buffer) => (out += d.toString()));
        stream.stderr.resume();
        stream.on("close", () => {
          clearTimeout(timer);
          resolve(out);
        });
      });
    });
  } finally {
    for (const c of clients.reverse()) c.end();
  }
}

/** One line per VM host that cannot (or could not be asked); empty = all can. */
export async function hostPreflight(
  targets: readonly HostCheckTarget[],
  auth: PreflightAuth,
  run: typeof runOverSsh = runOverSsh,
): Promise<string[]> {
  const results = await Promise.all(
    targets.map(async (t): Promise<(string | undefined)[]> => {
      try {
        const out = await run(t.ssh, auth, HOST_PROBE);
        const kvm = t.kvm ? kvmProblem(out) : undefined;
        return [kvm && kvmRefusal(t.host, kvm), isoToolRefusal(t, out)];
      } catch (e) {
        const why = /verification failed/i.test(String(e))
          ? "its host key is not the pinned one"
          : (e as Error).message;
        return [unreachableRefusal(t.key, t.host, why, t.kvm)];
      }
    }),
  );
  return results.flat().filter((r): r is string => r !== undefined);
}

/**
 * The hosts that get a VM, with their pinned keys (if any); KVM is checked under `domainType:
 * kvm`. The libvirt plan has one entry per lab host, in the config's order: its index is the key's.
 */
export function hostCheckTargets(
  plan: Pick<LibvirtPlan, "domainType" | "hosts">,
): HostCheckTarget[] {
  return plan.hosts.flatMap((h, i) =>
    h.vms.length > 0
      ? [
          {
            host: h.host,
            key: `hosts[${i}].ssh`,
            ssh: sshOf(h.ssh),
            kvm: plan.domainType === "kvm",
          },
        ]
      : [],
  );
}

/** A pinned key is a plain string in the plan; a learned one is not known before up. */
function sshOf(ssh: SshTarget): HostCheckTarget["ssh"] {
  const pinned = (k: unknown) => (typeof k === "string" && k !== "" ? k : undefined);
  return {
    address: ssh.address,
    port: ssh.port,
    user: ssh.user,
    hostKey: pinned(ssh.hostKey),
    ...(ssh.jump ? { jump: { ...ssh.jump, hostKey: pinned(ssh.jump.hostKey) } } : {}),
  };
}

/**
 * index.ts: refuses the run (RunError: one line per host, no stack trace) when a VM's host
 * cannot build the seeds or, under kvm, run KVM guests. The lab's key authenticates; without
 * it, libvirt.sshKeyFile or the ssh-agent the provider itself would use.
 */
export async function libvirtPreflight(
  plan: Pick<LibvirtPlan, "domainType" | "hosts" | "sshKeyFile">,
  sshPrivateKey: pulumi.Output<string> | undefined,
): Promise<void> {
  const targets = hostCheckTargets(plan);
  if (targets.length === 0) return;
  const auth: PreflightAuth | undefined = sshPrivateKey
    ? { privateKey: (await outputValue(sshPrivateKey))! }
    : plan.sshKeyFile
      ? { privateKey: readFileSync(plan.sshKeyFile, "utf8") }
      : process.env.SSH_AUTH_SOCK
        ? { agent: process.env.SSH_AUTH_SOCK }
        : undefined;
  if (!auth) {
    throw new pulumi.RunError(
      "ERROR labfabric:sshPrivateKey: no SSH key to reach the VM hosts with (labfabric writes each VM's NoCloud seed there, and checks them first). Fix: set labfabric:sshPrivateKey (secret) or labfabric:libvirt.sshKeyFile, or run with an ssh-agent",
    );
  }
  const refusals = await hostPreflight(targets, auth);
  if (refusals.length > 0) throw new pulumi.RunError(refusals.join("\n"));
}
