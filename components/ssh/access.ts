// SSH access to every machine of the lab, built once per machine: the bare-metal hosts (and
// their jump hosts) with their keys pinned or learned once, and the nodes the machine layers
// hand over, each given its host key: pinned, or learned once (a VM through its own host,
// whose key is checked; an instance or existing machine from where `pulumi` runs).
import * as pulumi from "@pulumi/pulumi";
import type { NodeOutput } from "./node-outputs";
import type { HostSpec } from "../spec";
import { sshConnection, type Connection } from "./connection";
import { hostKey, hostKeys } from "./host-key";

/**
 * Every bare-metal host's SSH connection, built once, its key pinned or learned once (a host
 * behind a jump host is scanned from the jump host, whose key is checked first).
 */
export function hostAccess(
  hosts: readonly HostSpec[],
  privateKey: (why: string) => pulumi.Output<string>,
) {
  const keys: Record<string, pulumi.Output<string>> = {};
  const jumpKeys: Record<string, pulumi.Output<string>> = {};
  const connections: Record<string, pulumi.Output<Connection>> = {};
  for (const h of hosts) {
    const { jump } = h.ssh;
    if (jump) {
      jumpKeys[h.name] = hostKey({
        name: `host-${h.name}-jump-host-key`,
        pinned: jump.hostKey,
        address: jump.address,
        port: jump.port,
      });
    }
    const via =
      jump && !h.ssh.hostKey
        ? sshConnection(
            { ...jump, hostKey: jumpKeys[h.name] },
            privateKey(`learning ${h.name}'s host key through its jump host`),
          )
        : undefined;
    keys[h.name] = hostKey({
      name: `host-${h.name}-host-key`,
      pinned: h.ssh.hostKey,
      address: h.ssh.address,
      port: h.ssh.port,
      via,
    });
  }
  const connection = (name: string, why: string) => {
    const h = hosts.find((x) => x.name === name)!;
    const jump = h.ssh.jump ? { ...h.ssh.jump, hostKey: jumpKeys[name] } : undefined;
    return (connections[name] ??= sshConnection(
      { ...h.ssh, hostKey: keys[name], jump },
      privateKey(why),
    ));
  };
  return { keys, connection, privateKey };
}

/**
 * The nodes with every host key known: pinned, or learned once — the VMs of one host together,
 * by one `host-<host>-vm-host-keys` step on that host (whose key is checked), an instance or
 * existing machine by its own `node-<name>-host-key` step from where `pulumi` runs.
 */
export function nodesWithHostKeys(
  nodes: NodeOutput[],
  hosts: ReturnType<typeof hostAccess>,
  fabric: Record<string, pulumi.Resource[]>,
): NodeOutput[] {
  const viaHost = (n: NodeOutput) => !n.ssh.hostKey && n.source === "vm" && n.host !== undefined;
  const byHost = new Map<string, NodeOutput[]>();
  for (const n of nodes.filter(viaHost)) byHost.set(n.host!, [...(byHost.get(n.host!) ?? []), n]);
  const learned: Record<string, pulumi.Output<string>> = {};
  for (const [host, vms] of byHost) {
    Object.assign(
      learned,
      hostKeys({
        name: `host-${host}-vm-host-keys`,
        machines: vms.map((n) => ({
          name: n.name,
          address: n.publicAddress ?? n.address,
          port: n.ssh.port,
          machineId: n.machineId,
        })),
        via: hosts.connection(host, `learning the host keys of ${host}'s VMs`),
        opts: { dependsOn: fabric[host] ?? [] },
      }),
    );
  }
  return nodes.map((n) => {
    // An existing machine behind a jump host (its bare-metal host): the jump's key pinned or
    // learned once, and the machine's own key learned through the jump, whose key is checked.
    const jump = n.ssh.jump && {
      ...n.ssh.jump,
      hostKey:
        n.ssh.jump.hostKey ??
        hostKey({
          name: `node-${n.name}-jump-host-key`,
          address: n.ssh.jump.address,
          port: n.ssh.jump.port,
        }),
    };
    const ssh = jump ? { ...n.ssh, jump } : n.ssh;
    if (ssh.hostKey) return { ...n, ssh };
    const key = viaHost(n)
      ? learned[n.name]
      : hostKey({
          name: `node-${n.name}-host-key`,
          address: n.publicAddress ?? n.address,
          port: n.ssh.port,
          machineId: n.machineId,
          ...(jump
            ? { via: sshConnection(jump, hosts.privateKey(`learning ${n.name}'s host key`)) }
            : {}),
        });
    return { ...n, ssh: { ...ssh, hostKey: key } };
  });
}
