// Preflight of the libvirt layer, run in preview and up before any resource: with
// `libvirt.domainType: kvm` every host that gets a VM must be able to run KVM guests. libvirt
// itself would only say so when the first domain starts, leaving a half-created lab; and a host
// that is itself a guest without nested virtualisation has /dev/kvm whose guests hang in the
// kernel's decompressor instead of failing. So the host is asked over SSH (its key checked as
// on every other path) and a host that cannot is one line naming the key and the fix.
import { readFileSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { Client, type ConnectConfig } from "ssh2";
import type { LibvirtPlan } from "../plan";
import { outputValue } from "../shared";
import type { SshTarget } from "../ssh";

/** Read-only: prints one word per capability the host has. */
export const KVM_PROBE =
  "if [ -c /dev/kvm ]; then echo kvm-device; fi; if grep -qwE 'vmx|svm' /proc/cpuinfo; then echo cpu-virtualisation; fi";

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

export function unreachableRefusal(key: string, host: string, why: string): string {
  return `ERROR ${key}: could not check host ${host} for KVM over SSH (${why}). Fix: make the host reachable with the lab's key, or set labfabric:libvirt.domainType to "qemu"`;
}

/** How the preflight authenticates: the lab's key, or the agent the provider would use. */
export type PreflightAuth = { privateKey: string } | { agent: string };

export interface KvmCheckTarget {
  host: string;
  /** Config path of the host's ssh block, for messages ("hosts[0].ssh"). */
  key: string;
  ssh: SshEndpoint & { jump?: SshEndpoint };
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
  ssh: KvmCheckTarget["ssh"],
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

/** One line per host that cannot run KVM guests (or could not be asked); empty = all can. */
export async function kvmPreflight(
  targets: readonly KvmCheckTarget[],
  auth: PreflightAuth,
  run: typeof runOverSsh = runOverSsh,
): Promise<string[]> {
  const results = await Promise.all(
    targets.map(async (t) => {
      try {
        const problem = kvmProblem(await run(t.ssh, auth, KVM_PROBE));
        return problem ? kvmRefusal(t.host, problem) : undefined;
      } catch (e) {
        const why = /verification failed/i.test(String(e))
          ? "its host key is not the pinned one"
          : (e as Error).message;
        return unreachableRefusal(t.key, t.host, why);
      }
    }),
  );
  return results.filter((r): r is string => r !== undefined);
}

/**
 * The hosts that get a VM under `domainType: kvm`, with their pinned keys (if any). The libvirt
 * plan has one entry per lab host, in the config's order: its index is the key's.
 */
export function kvmCheckTargets(plan: Pick<LibvirtPlan, "domainType" | "hosts">): KvmCheckTarget[] {
  if (plan.domainType !== "kvm") return [];
  return plan.hosts.flatMap((h, i) =>
    h.vms.length > 0 ? [{ host: h.host, key: `hosts[${i}].ssh`, ssh: sshOf(h.ssh) }] : [],
  );
}

/** A pinned key is a plain string in the plan; a learned one is not known before up. */
function sshOf(ssh: SshTarget): KvmCheckTarget["ssh"] {
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
 * cannot run KVM guests. The lab's key authenticates; without it, libvirt.sshKeyFile or the
 * ssh-agent the provider itself would use.
 */
export async function libvirtPreflight(
  plan: Pick<LibvirtPlan, "domainType" | "hosts" | "sshKeyFile">,
  sshPrivateKey: pulumi.Output<string> | undefined,
): Promise<void> {
  const targets = kvmCheckTargets(plan);
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
      'ERROR labfabric:libvirt.domainType = "kvm": no SSH key to check the hosts for KVM with. Fix: set labfabric:sshPrivateKey (secret) or labfabric:libvirt.sshKeyFile, or run with an ssh-agent',
    );
  }
  const refusals = await kvmPreflight(targets, auth);
  if (refusals.length > 0) throw new pulumi.RunError(refusals.join("\n"));
}
