// The whole lab as layers: host fabric -> libvirt -> OpenStack -> kubeadm -> CNI, each layer's
// outputs feeding the next. index.ts calls this with the validated plan; `npm run render`
// calls it under Pulumi's mock runtime to list every resource without an engine.
import * as pulumi from "@pulumi/pulumi";
import { CniRelease } from "./cni/component";
import type { LabSecrets } from "./config";
import { HostFabric } from "./host-fabric/component";
import { KubeadmCluster } from "./kubernetes/cluster";
import * as cidr from "./lab/cidr";
import type { NodeOutput } from "./lab/node-outputs";
import type { LabPlan } from "./lab/plan";
import { LibvirtLayer } from "./libvirt/component";
import { OpenstackLayer, openstackProvider } from "./openstack/component";
import { sshConnection, type Connection } from "./ssh/connection";
import { hostKey } from "./ssh/host-key";

export interface LabStack {
  fabric: HostFabric[];
  libvirt?: LibvirtLayer;
  openstack?: OpenstackLayer;
  cluster?: KubeadmCluster;
  cni?: CniRelease;
}

/** Existing machines named in kubernetes.nodes, in the shape the machine layers hand on. */
export function existingNodes(plan: LabPlan): NodeOutput[] {
  return plan.spec.kubernetes.nodes.map((n) => ({
    name: n.name,
    role: n.role,
    source: "host" as const,
    address: pulumi.output(cidr.addressOf(n.address)),
    addresses: pulumi.output<Record<string, string>>({ node: cidr.addressOf(n.address) }),
    ...(n.ssh.address !== cidr.addressOf(n.address)
      ? { publicAddress: pulumi.output(n.ssh.address) }
      : {}),
    ssh: {
      port: n.ssh.port,
      user: n.ssh.user,
      ...(n.ssh.hostKey ? { hostKey: n.ssh.hostKey } : {}),
    },
    mtu: n.mtu,
  }));
}

/**
 * Every bare-metal host's SSH connection, built once, its key pinned or learned once (a host
 * behind a jump host is scanned from the jump host, whose key is checked first).
 */
function hostAccess(plan: LabPlan, secrets: LabSecrets) {
  const keys: Record<string, pulumi.Output<string>> = {};
  const jumpKeys: Record<string, pulumi.Output<string>> = {};
  const connections: Record<string, pulumi.Output<Connection>> = {};
  for (const h of plan.spec.hosts) {
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
            requireKey(secrets, `learning ${h.name}'s host key through its jump host`),
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
    const h = plan.spec.hosts.find((x) => x.name === name)!;
    const jump = h.ssh.jump ? { ...h.ssh.jump, hostKey: jumpKeys[name] } : undefined;
    return (connections[name] ??= sshConnection(
      { ...h.ssh, hostKey: keys[name], jump },
      requireKey(secrets, why),
    ));
  };
  return { keys, connection };
}

/**
 * The nodes with every host key known: pinned, or learned once — a VM through its own host
 * (whose key is checked), an instance or existing machine from where `pulumi` runs.
 */
function nodesWithHostKeys(
  nodes: NodeOutput[],
  hosts: ReturnType<typeof hostAccess>,
  fabric: Record<string, pulumi.Resource[]>,
): NodeOutput[] {
  return nodes.map((n) => {
    if (n.ssh.hostKey) return n;
    const viaHost = n.source === "vm" && n.host !== undefined;
    const key = hostKey({
      name: `node-${n.name}-host-key`,
      address: n.publicAddress ?? n.address,
      port: n.ssh.port,
      machineId: n.machineId,
      via: viaHost ? hosts.connection(n.host!, `learning VM ${n.name}'s host key`) : undefined,
      opts: viaHost ? { dependsOn: fabric[n.host!] ?? [] } : undefined,
    });
    return { ...n, ssh: { ...n.ssh, hostKey: key } };
  });
}

function requireKey(secrets: LabSecrets, why: string): pulumi.Output<string> {
  if (!secrets.sshPrivateKey) {
    throw new pulumi.RunError(
      `labfabric:sshPrivateKey is not set, and ${why} needs it. ` +
        "Fix: pulumi config set --secret labfabric:sshPrivateKey < ~/.ssh/<lab key>",
    );
  }
  return secrets.sshPrivateKey;
}

export function deployLab(plan: LabPlan, secrets: LabSecrets): LabStack {
  const { spec } = plan;
  const stack: LabStack = { fabric: [] };
  // In routed labs the fabric opens libvirt's NAT firewall, whose chains exist once the NAT
  // networks run: each host's fabric waits for its networks (resolved once the layer exists).
  let natNetworksReady: (byHost: Record<string, pulumi.Resource[]>) => void = () => {};
  const natNetworks = new Promise<Record<string, pulumi.Resource[]>>((r) => (natNetworksReady = r));
  const libvirtLayer = spec.vms.length > 0 || spec.networks.some((n) => !n.adopt);
  // Host keys are needed only for hosts labfabric dials (the fabric, the libvirt provider).
  const hosts = hostAccess(
    spec.fabric.mode !== "none" || libvirtLayer ? plan : { ...plan, spec: { ...spec, hosts: [] } },
    secrets,
  );
  if (spec.fabric.mode !== "none") {
    stack.fabric = plan.hosts.map((h) => {
      const dependsOn =
        spec.fabric.mode === "routed" ? natNetworks.then((m) => m[h.host] ?? []) : [];
      return new HostFabric(
        `fabric-${h.host}`,
        { plan: h, connection: hosts.connection(h.host, "the host fabric") },
        { dependsOn },
      );
    });
  }
  const fabric = Object.fromEntries(stack.fabric.map((f, i) => [plan.hosts[i].host, [f]]));
  try {
    if (libvirtLayer) {
      stack.libvirt = new LibvirtLayer("libvirt", { plan, fabric, hostKeys: hosts.keys });
    }
  } finally {
    natNetworksReady(stack.libvirt?.natNetworks ?? {});
  }
  if (spec.openstack.enabled) {
    const provider =
      secrets.openstackPassword || secrets.openstackApplicationCredentialSecret
        ? openstackProvider("openstack", {
            password: secrets.openstackPassword,
            applicationCredentialSecret: secrets.openstackApplicationCredentialSecret,
          })
        : undefined;
    stack.openstack = new OpenstackLayer("openstack", { plan, provider });
  }
  if (spec.kubernetes.enabled) {
    const nodes = nodesWithHostKeys(
      [...(stack.libvirt?.nodes ?? []), ...(stack.openstack?.nodes ?? []), ...existingNodes(plan)],
      hosts,
      fabric,
    );
    const cluster = new KubeadmCluster(
      "cluster",
      { plan, nodes, privateKey: requireKey(secrets, "kubeadm over SSH") },
      { dependsOn: [...stack.fabric] },
    );
    stack.cluster = cluster;
    stack.cni = new CniRelease("cni", {
      plan,
      provider: cluster.provider,
      endpoint: cluster.endpoint,
      nodeAddresses: cluster.nodeAddresses,
      ...(spec.kubernetes.proof ? { proof: cluster.controlPlane } : {}),
    });
  }
  return stack;
}
