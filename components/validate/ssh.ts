// Host keys: every SSH connection labfabric opens checks the server's key, decided here once
// for every path (host fabric, kubeadm steps, libvirt qemu+ssh, jump hosts, VMs, instances).
// - pinned (default): hosts, jump hosts and existing nodes carry ssh.hostKey; a missing one is
//   an error that says how to get it.
// - trust-on-first-use: a missing key is learned once (ssh-keyscan), kept in state and checked
//   from then on; a warning names every machine learned that way.
// VMs' keys exist only once they boot: they are learned once through their own host, whose key
// is checked, over the host's local bridge — the same in both modes. OpenStack instances are
// reached across the network: only trust-on-first-use can reach them.
import type { Findings } from "../spec";
import type { NodeInfo } from "../plan";
import type { PlanCore } from "../plan";
import { dialedHosts } from "../plan";
import type { LabSpec } from "../spec";

const TOFU = "trust-on-first-use";

/** The command that prints a machine's ed25519 key, ready to paste into ssh.hostKey. */
export function keyscanCommand(address: string, port: number): string {
  return `ssh-keyscan -t ed25519${port === 22 ? "" : ` -p ${port}`} ${address}`;
}

interface Unpinned {
  key: string;
  name: string;
  address: string;
  port: number;
}

/** Every machine labfabric dials from where `pulumi` runs and that has no ssh.hostKey. */
export function unpinnedMachines(spec: LabSpec): Unpinned[] {
  const out: Unpinned[] = [];
  const dialed = dialedHosts(spec);
  spec.hosts.forEach((h, i) => {
    if (!dialed.includes(h)) return;
    if (!h.ssh.hostKey) {
      const key = `hosts[${i}].ssh.hostKey`;
      out.push({ key, name: `host ${h.name}`, address: h.ssh.address, port: h.ssh.port });
    }
    if (h.ssh.jump && !h.ssh.jump.hostKey) {
      const { address, port } = h.ssh.jump;
      out.push({
        key: `hosts[${i}].ssh.jump.hostKey`,
        name: `jump host ${address}`,
        address,
        port,
      });
    }
  });
  if (spec.kubernetes.enabled) {
    spec.kubernetes.nodes.forEach((n, i) => {
      const { jump } = n.ssh;
      if (jump && !jump.hostKey) {
        const { address, port } = jump;
        const key = `kubernetes.nodes[${i}].ssh.jump.hostKey`;
        out.push({ key, name: `jump host ${address} of node ${n.name}`, address, port });
      }
      if (n.ssh.hostKey) return;
      const key = `kubernetes.nodes[${i}].ssh.hostKey`;
      out.push({ key, name: `node ${n.name}`, address: n.ssh.address, port: n.ssh.port });
    });
  }
  return out;
}

/** OpenStack instances kubeadm reaches over SSH (their keys exist only once they boot). */
export function sshInstances(spec: LabSpec, nodes: readonly NodeInfo[]): string[] {
  if (!spec.kubernetes.enabled) return [];
  const names = nodes.filter((n) => n.source === "instance").map((n) => n.name);
  return [...new Set(names)];
}

export function validateSsh(plan: PlanCore, f: Findings): void {
  const { spec } = plan;
  const unpinned = unpinnedMachines(spec);
  const instances = sshInstances(spec, plan.nodes);
  if (spec.sshHostKeys === "pinned") {
    for (const m of unpinned) {
      f.error(
        m.key,
        undefined,
        `is required: labfabric checks every SSH server's key, and ${m.name} has none pinned (sshHostKeys is "pinned")`,
        `set it to the output of \`${keyscanCommand(m.address, m.port)}\` (check it on the machine's console), or set labfabric:sshHostKeys: ${TOFU}`,
      );
    }
    if (instances.length > 0) {
      f.error(
        "sshHostKeys",
        "pinned",
        `cannot hold for the OpenStack instance(s) ${instances.join(", ")}: their keys only exist once they boot, and they are reached across the network`,
        `set labfabric:sshHostKeys: ${TOFU} (each key is learned once, kept in state and checked from then on)`,
      );
    }
    return;
  }
  const learned = [...unpinned.map((m) => m.name), ...instances.map((n) => `instance ${n}`)];
  const pins = unpinned.map((m) => `${m.key} from \`${keyscanCommand(m.address, m.port)}\``);
  f.warn(
    "sshHostKeys",
    TOFU,
    learned.length > 0
      ? `the first connection to ${learned.join(", ")} trusts whatever key answers (ssh-keyscan); the key is kept in state and checked from then on`
      : "is set, but every machine's key is pinned: nothing is learned",
    pins.length > 0
      ? `pin them instead: ${pins.join("; ")}`
      : learned.length > 0
        ? "nothing to pin: an instance's key exists only once it boots (compare it with `openstack console log show <instance>`)"
        : 'remove it ("pinned" is the default)',
  );
}
