// The whole lab as layers: host fabric -> libvirt -> OpenStack -> kubeadm -> CNI, each layer's
// outputs feeding the next. index.ts calls this with the validated plan; `npm run render`
// calls it under Pulumi's mock runtime to list every resource without an engine.
import * as pulumi from "@pulumi/pulumi";
import { CniRelease } from "./cni";
import type { LabSecrets } from "./config";
import { HostFabric } from "./host-fabric";
import { KubeadmCluster } from "./kubernetes";
import * as cidr from "./shared";
import { nextTurn } from "./shared";
import type { NodeOutput } from "./ssh";
import type { LabPlan } from "./plan";
import { dialedHosts, hasLibvirtLayer } from "./plan";
import { LibvirtLayer } from "./libvirt";
import { OpenstackLayer, openstackProvider } from "./openstack";
import { hostAccess, nodesWithHostKeys } from "./ssh";
import { stackCredentials } from "./openstack";

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
      ...(n.ssh.jump ? { jump: n.ssh.jump } : {}),
    },
    mtu: n.mtu,
  }));
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

/** Checks against the machine running the program (index.ts sets them; render and tests do not). */
export interface LiveChecks {
  /** Base images given as local paths exist here; VMs fit in their host's memory (libvirt). */
  hosts?: boolean;
}

/**
 * The whole lab, layer by layer. Async on purpose: between layers, and after each VM or node
 * inside the large ones (libvirt, kubeadm), the event loop turns so the registrations started
 * so far complete before more begin, instead of a lab's thousands of resources all being in
 * flight at once (BENCHMARKS.md, section 4). index.ts, `npm run render` and the benchmarks all
 * take this one path.
 */
export async function deployLab(
  plan: LabPlan,
  secrets: LabSecrets,
  live: LiveChecks = {},
): Promise<LabStack> {
  const { spec } = plan;
  const stack: LabStack = { fabric: [] };
  // In routed labs the fabric opens libvirt's NAT firewall, whose chains exist once the NAT
  // networks run: each host's fabric waits for its networks (resolved once the layer exists).
  let natNetworksReady: (byHost: Record<string, pulumi.Resource[]>) => void = () => {};
  const natNetworks = new Promise<Record<string, pulumi.Resource[]>>((r) => (natNetworksReady = r));
  const libvirtLayer = hasLibvirtLayer(spec);
  // Host keys are needed only for hosts labfabric dials (the fabric, the libvirt provider).
  const hosts = hostAccess(dialedHosts(spec), (why) => requireKey(secrets, why));
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
  await nextTurn();
  try {
    if (libvirtLayer) {
      stack.libvirt = new LibvirtLayer("libvirt", {
        plan: plan.libvirt,
        fabric,
        hostKeys: hosts.keys,
        hostConnection: (host) =>
          hosts.connection(host, `the NoCloud seeds and DHCP host entries of ${host}'s VMs`),
        liveChecks: live.hosts,
        paced: true,
      });
      await stack.libvirt.ready;
    }
  } finally {
    natNetworksReady(stack.libvirt?.natNetworks ?? {});
  }
  await nextTurn();
  if (spec.openstack.enabled) {
    const creds = stackCredentials(secrets);
    // labfabric's own secret keys need an explicit provider; openstack:* config feeds the default.
    const provider = creds.explicit
      ? openstackProvider("openstack", {
          ...creds.plain,
          password: secrets.openstackPassword,
          applicationCredentialSecret: secrets.openstackApplicationCredentialSecret,
        })
      : undefined;
    stack.openstack = new OpenstackLayer("openstack", { plan: plan.openstack, provider });
    await nextTurn();
  }
  if (spec.kubernetes.enabled && spec.kubernetes.deploy) {
    const nodes = nodesWithHostKeys(
      [...(stack.libvirt?.nodes ?? []), ...(stack.openstack?.nodes ?? []), ...existingNodes(plan)],
      hosts,
      fabric,
    );
    await nextTurn();
    if (!plan.kubeadm) {
      throw new pulumi.RunError(
        "labfabric: the plan has no kubeadm layer (no CNI decision): load the lab with loadLab, which refuses such a lab",
      );
    }
    const cluster = new KubeadmCluster(
      "cluster",
      {
        plan: plan.kubeadm,
        nodes,
        privateKey: requireKey(secrets, "kubeadm over SSH"),
        paced: true,
      },
      { dependsOn: [...stack.fabric] },
    );
    stack.cluster = cluster;
    await cluster.ready;
    await nextTurn();
    if (!plan.cniRelease) {
      throw new pulumi.RunError(
        "labfabric: the plan has no CNI to install (no CNI decision or no node): load the lab with loadLab, which refuses such a lab",
      );
    }
    stack.cni = new CniRelease("cni", {
      plan: plan.cniRelease,
      provider: cluster.provider,
      endpoint: cluster.endpoint,
      nodeAddresses: cluster.nodeAddresses,
      ...(plan.cniRelease.proof ? { proof: cluster.controlPlane } : {}),
    });
  }
  return stack;
}
