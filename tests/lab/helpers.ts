// Shared builders for the planner tests: small valid labs that each test bends in one place,
// and helpers that load them and return the formatted findings.
import assert from "node:assert/strict";
import { join } from "node:path";
import { formatFinding, type Finding } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { type LabPlan } from "../../components/plan/plan";
import type { LabSpecInput } from "../../components/spec/schema";
import { readStackFile } from "../../components/spec/stack-file";

export const REPO = join(__dirname, "..", "..");
export const STACKS = {
  a: join(REPO, "Pulumi.a-vxlan-stretch.yaml"),
  b: join(REPO, "Pulumi.b-openstack-calico.yaml"),
  c: join(REPO, "Pulumi.c-cilium-subnets.yaml"),
  d: join(REPO, "Pulumi.d-libvirt-routed.yaml"),
  dev: join(REPO, "Pulumi.dev.yaml"),
} as const;

export type HostInput = NonNullable<LabSpecInput["hosts"]>[number];
export type VmInput = NonNullable<LabSpecInput["vms"]>[number];

export const IMAGE = "/var/lib/libvirt/images/rocky9.qcow2";
/** The lab's public key: VMs get it, so labs with VMs load without the "no key" warning. */
export const PUBLIC_KEY =
  "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIHd6aW5kb3dzbGFiZmFicmljdGVzdGtleTAwMDAw lab@test";

/** A well-formed ed25519 host key line, different per seed (as `ssh-keyscan -t ed25519` prints). */
export function hostKeyLine(seed: number): string {
  const type = Buffer.from("ssh-ed25519");
  const blob = Buffer.concat([
    Buffer.from([0, 0, 0, type.length]),
    type,
    Buffer.from([0, 0, 0, 32]),
    Buffer.alloc(32, seed),
  ]);
  return `ssh-ed25519 ${blob.toString("base64")}`;
}

export function host(n: number, mtu = 1500, extra: Partial<HostInput> = {}): HostInput {
  const address = `192.168.0.${10 + n}`;
  return {
    name: `h${n}`,
    // Pinned, as labfabric requires by default (sshHostKeys "pinned").
    ssh: { address, hostKey: hostKeyLine(n) },
    underlay: { interface: "eth0", address: `${address}/24`, mtu },
    ...extra,
  };
}

export function vm(
  name: string,
  hostName: string,
  network: string,
  extra: Partial<VmInput> = {},
): VmInput {
  return {
    name,
    host: hostName,
    role: "worker",
    vcpus: 2,
    memoryMiB: 2048,
    diskGiB: 20,
    image: "rocky9",
    nics: [{ network }],
    ...extra,
  };
}

/**
 * A valid two-host VXLAN lab with a control plane and a worker on the fabric and Calico; loads
 * with no findings at all. `edit` bends it before loading.
 */
export function vxlanLab(edit: (s: LabSpecInput) => void = () => {}): LabSpecInput {
  const spec: LabSpecInput = {
    hosts: [host(1), host(2)],
    fabric: { mode: "vxlan", vni: 42, vmSubnet: "10.39.0.0/24" },
    libvirt: { images: { rocky9: IMAGE } },
    sshPublicKey: PUBLIC_KEY,
    vms: [vm("cp-0", "h1", "fabric", { role: "control-plane" }), vm("w-0", "h2", "fabric")],
    kubernetes: { enabled: true, podSubnet: "172.16.0.0/16", cni: { plugin: "calico" } },
  };
  edit(spec);
  return spec;
}

/** A valid two-host routed lab (post D's shape): one NAT network and one VM per host. */
export function routedLab(edit: (s: LabSpecInput) => void = () => {}): LabSpecInput {
  const spec: LabSpecInput = {
    hosts: [
      host(1, 1500, { internalAddress: "10.10.10.1/24" }),
      host(2, 1500, { internalAddress: "10.10.10.2/24" }),
    ],
    fabric: { mode: "routed" },
    sshPublicKey: PUBLIC_KEY,
    networks: [
      { name: "nat1", host: "h1", bridge: "virbr10", cidr: "172.20.112.0/24" },
      { name: "nat2", host: "h2", bridge: "virbr11", cidr: "172.20.113.0/24" },
    ],
    libvirt: { images: { rocky9: IMAGE } },
    vms: [vm("cp-0", "h1", "nat1", { role: "control-plane" }), vm("w-0", "h2", "nat2")],
    kubernetes: { enabled: true, podSubnet: "10.244.0.0/16", cni: { plugin: "flannel" } },
  };
  edit(spec);
  return spec;
}

/** Adds an OpenStack cloud with one network and one worker instance (Calico IPIP stays valid). */
export function withOpenstack(s: LabSpecInput): void {
  // Instances' keys exist only once they boot: they are learned on first use (see TOFU_OS).
  s.sshHostKeys = "trust-on-first-use";
  s.openstack = {
    enabled: true,
    adminCidr: "192.168.0.0/24",
    networks: [{ name: "k8s-net", cidr: "10.100.200.0/24" }],
    flavors: [{ name: "m1.large", vcpus: 4, ramMiB: 8192, diskGiB: 40 }],
    instances: [
      {
        name: "os-w1",
        flavor: "m1.large",
        image: "Rocky Linux 9",
        nics: [{ network: "k8s-net", fixedIp: "10.100.200.11" }],
      },
    ],
  };
  // kubeadm's default 10.96.0.0/12 contains 10.100.200.0/24 (scenario B moves it the same way).
  s.kubernetes!.serviceSubnet = "10.32.0.0/16";
}

export function load(raw: unknown, lab = "t"): LabPlan {
  const r = loadLab(raw, lab);
  assert.ok(
    r.ok,
    r.ok ? "" : `expected a valid lab, got:\n${r.findings.map(formatFinding).join("\n")}`,
  );
  return r.plan;
}

/** Every formatted finding of a lab that must fail to load. */
export function findingsOf(raw: unknown, lab = "t"): string[] {
  const r = loadLab(raw, lab);
  assert.equal(r.ok, false, "expected the lab to be refused");
  return r.ok ? [] : r.findings.map(formatFinding);
}

/** Assert a lab fails with exactly these formatted findings (errors and warnings, in order). */
export function assertFails(raw: unknown, expected: string[]): void {
  assert.deepEqual(findingsOf(raw), expected);
}

export function warningsOf(plan: LabPlan): string[] {
  return plan.warnings.map((w: Finding) => formatFinding(w));
}

export function loadStack(path: string): LabPlan {
  const stack = readStackFile(path);
  assert.deepEqual(stack.findings, []);
  return load(stack.raw, stack.lab);
}

/** The raw `labfabric:` values of a stack file, for variations on a scenario. */
export function stackRaw(path: string): Record<string, unknown> {
  return structuredClone(readStackFile(path).raw);
}

/** The warning every lab with withOpenstack's instance carries (its key is learned on first use). */
export const TOFU_OS =
  'WARNING labfabric:sshHostKeys = "trust-on-first-use": the first connection to instance os-w1 trusts whatever key answers (ssh-keyscan); the key is kept in state and checked from then on. Fix: nothing to pin: an instance\'s key exists only once it boots (compare it with `openstack console log show <instance>`)';

/** One formatted error / warning, as formatFinding prints it. */
export const E = (key: string, value: string, message: string, fix: string) =>
  `ERROR labfabric:${key} = ${value}: ${message}. Fix: ${fix}`;
export const W = (key: string, value: string, message: string, fix: string) =>
  `WARNING labfabric:${key} = ${value}: ${message}. Fix: ${fix}`;
