// The OpenStack plan: security groups and their rules, one port per instance NIC, flavors,
// the keypair and each instance's cloud-init, computed from the lab plan alone. Plain strings
// and numbers only; component.ts turns it into resources.
//
// Security groups: one CLUSTER group on every port, plus one group per Kubernetes role that
// has instances. A rule every node needs (SSH, kubelet, the CNI's tunnel) lives once in the
// cluster group; a role's own rule (API server, etcd on control planes; NodePorts on workers)
// lives in that role's group. Rules "from the cluster" name the cluster group as their remote
// group, so membership — not addresses — decides who is a peer, and each rule exists once.
// (One group per role alone would need every cluster rule twice, once per source role.)
import { gatewayOf } from "../addresses";
import * as cidr from "../../shared";
import { machinePorts, type PortRule } from "../cni";
import type { PlanCore } from "../types";
import type { Role } from "../../spec";
import { renderUserData, type UserDataPlan, type UserDataRoute } from "./userdata";

export type GroupRole = "cluster" | "control-plane" | "worker";

export const GROUP_ORDER: readonly GroupRole[] = ["cluster", "control-plane", "worker"];

/** SSH port of instances: cloud images run sshd on 22. */
export const INSTANCE_SSH_PORT = 22;

export interface SecurityGroupPlan {
  role: GroupRole;
  /** Name in OpenStack: "<lab>-<role>". */
  name: string;
  description: string;
}

export interface SecurityRulePlan {
  /** Stable resource-name suffix: "<group>-<protocol>-<ports>-from-<remote>". */
  key: string;
  group: GroupRole;
  protocol: PortRule["protocol"];
  portRangeMin?: number;
  portRangeMax?: number;
  /** The remote is a group (always the cluster group) or a CIDR, never both. */
  remoteGroup?: "cluster";
  remoteIpPrefix?: string;
  description: string;
}

export interface PortPlan {
  /** Stable resource-name suffix: "<instance>-nic<index>". */
  key: string;
  instance: string;
  index: number;
  network: string;
  cidr: string;
  mtu: number;
  fixedIp?: string;
  floatingIp: boolean;
  portSecurity: boolean;
  groups: GroupRole[];
  /** Pod and service CIDRs the port may send from (native routing only). */
  allowedAddressPairs: string[];
}

export interface InstancePlan {
  name: string;
  role: Role;
  flavor: string;
  image: string;
  metadata: Record<string, string>;
  ports: PortPlan[];
  userData: UserDataPlan;
  /** The rendered cloud-config. */
  userDataText: string;
}

export interface FlavorPlan {
  name: string;
  vcpus: number;
  ramMiB: number;
  diskGiB: number;
  adopt: boolean;
}

export interface KeypairPlan {
  name: string;
  /** The lab's public key; unset = adopt an existing keypair of that name. */
  publicKey?: string;
  adopt: boolean;
}

export interface OpenstackPlan {
  lab: string;
  enabled: boolean;
  groups: SecurityGroupPlan[];
  rules: SecurityRulePlan[];
  flavors: FlavorPlan[];
  keypair: KeypairPlan;
  images: string[];
  networks: { name: string; cidr: string; mtu: number }[];
  instances: InstancePlan[];
  floatingPool?: string;
  /** openstack.host: the bare-metal host the cloud runs on, if it is one of the lab's. */
  host?: string;
  /** Instances that are Kubernetes nodes (Kubernetes enabled), with the planned node MTU. */
  nodes: { name: string; role: "control-plane" | "worker"; mtu: number }[];
  /** Login user every instance gets (the same as VMs: libvirt.vmUser). */
  sshUser: string;
  sshPort: number;
  /** Why the plan looks the way it does, one line per decision. */
  reasons: string[];
}

function groupOf(roles: PortRule["roles"]): GroupRole {
  if (roles.includes("control-plane") && roles.includes("worker")) return "cluster";
  return roles.includes("control-plane") ? "control-plane" : "worker";
}

function portsLabel(r: { protocol: string; portRangeMin?: number; portRangeMax?: number }) {
  if (r.portRangeMin === undefined) return `${r.protocol}-all`;
  return r.portRangeMin === r.portRangeMax
    ? `${r.protocol}-${r.portRangeMin}`
    : `${r.protocol}-${r.portRangeMin}-${r.portRangeMax}`;
}

function ruleKey(r: Omit<SecurityRulePlan, "key" | "description">): string {
  const remote = r.remoteGroup ? r.remoteGroup : (r.remoteIpPrefix ?? "").replace("/", "_");
  return `${r.group}-${portsLabel(r)}-from-${remote}`;
}

/**
 * Sources of "cluster" traffic besides the cluster group: Kubernetes nodes that are not
 * OpenStack instances (post D's libvirt VM `master`). Their node address as a /32 when it is
 * known before deploy, else their node subnet. Routed labs keep these addresses unmasqueraded
 * between hosts (fabric noMasqueradeTo), so the instance sees them as they are.
 */
export function outsidePeers(plan: PlanCore): string[] {
  const peers = plan.nodes
    .filter((n) => n.source !== "instance")
    .map((n) => (n.address ? `${n.address}/32` : cidr.network(n.subnet)));
  return [...new Set(peers)].sort(cidr.compareNetworks);
}

/** The port rules that apply: the Kubernetes + CNI rules, or machine rules without Kubernetes. */
export function portRules(plan: PlanCore): PortRule[] {
  return plan.spec.kubernetes.enabled && plan.cni ? plan.ports : machinePorts();
}

export function planSecurityRules(
  plan: PlanCore,
  groups: readonly GroupRole[],
): SecurityRulePlan[] {
  const os = plan.spec.openstack;
  const peers = outsidePeers(plan);
  const out = new Map<string, SecurityRulePlan>();
  const add = (r: Omit<SecurityRulePlan, "key">) => {
    const key = ruleKey(r);
    if (!out.has(key)) out.set(key, { key, ...r });
  };
  for (const p of portRules(plan)) {
    const group = groupOf(p.roles);
    if (!groups.includes(group)) continue; // no instance has this role
    const range =
      p.from === undefined ? {} : { portRangeMin: p.from, portRangeMax: p.to ?? p.from };
    if (p.source === "admin") {
      if (!os.adminCidr) continue; // reported by validateOpenstack
      add({
        group,
        protocol: p.protocol,
        ...range,
        remoteIpPrefix: cidr.network(os.adminCidr),
        description: `${p.why} from the admin CIDR`,
      });
    } else {
      add({
        group,
        protocol: p.protocol,
        ...range,
        remoteGroup: "cluster",
        description: `${p.why} from the cluster`,
      });
      for (const peer of peers) {
        add({
          group,
          protocol: p.protocol,
          ...range,
          remoteIpPrefix: peer,
          description: `${p.why} from node ${peer} outside OpenStack`,
        });
      }
    }
  }
  os.extraIngress.forEach((x, i) => {
    add({
      group: "cluster",
      protocol: x.protocol,
      portRangeMin: x.port,
      portRangeMax: x.port,
      remoteIpPrefix: cidr.network(x.cidr),
      description: `openstack.extraIngress[${i}]: asked for explicitly`,
    });
  });
  return [...out.values()].sort(
    (a, b) => GROUP_ORDER.indexOf(a.group) - GROUP_ORDER.indexOf(b.group),
  );
}

/**
 * Routes an instance needs in a routed lab (post D): every subnet behind the other hosts, via
 * the gateway of the libvirt network the instance sits on. Assumption: the OpenStack network
 * whose CIDR equals a libvirt network of `openstack.host` is a flat provider network on that
 * host's NAT (post D's ext-net on 192.168.100.0/24), so the host's libvirt gateway (the
 * network's `gateway`, else its first usable address) forwards to the peer hosts. Only the
 * first such NIC carries the routes. Tenant networks behind a Neutron router get none.
 */
export function instanceRoutes(plan: PlanCore, nics: readonly { cidr: string }[]): UserDataRoute[] {
  const { spec } = plan;
  const host = spec.openstack.host;
  if (spec.fabric.mode !== "routed" || !host) return [];
  const peerSubnets =
    plan.hosts.find((h) => h.host === host)?.routed?.routes.map((r) => r.to) ?? [];
  for (const nic of nics) {
    const net = spec.networks.find(
      (n) => n.host === host && cidr.network(n.cidr) === cidr.network(nic.cidr),
    );
    if (!net) continue;
    const via = gatewayOf(net);
    return peerSubnets
      .filter((to) => !cidr.overlaps(to, nic.cidr))
      .map((to) => ({ to, via, nicCidr: nic.cidr }));
  }
  return [];
}

export function planOpenstack(plan: PlanCore): OpenstackPlan {
  const { spec, lab } = plan;
  const os = spec.openstack;
  const instances = os.enabled ? os.instances : [];
  const reasons: string[] = [];
  // kubernetesNodes lists instances with a role even when Kubernetes is off; only count them then.
  const nodeNames = new Set(
    spec.kubernetes.enabled
      ? plan.nodes.filter((n) => n.source === "instance").map((n) => n.name)
      : [],
  );
  const roles = new Set(instances.map((i) => i.role));

  const groupRoles: GroupRole[] =
    !os.portSecurity || instances.length === 0
      ? []
      : GROUP_ORDER.filter((g) => g === "cluster" || (spec.kubernetes.enabled && roles.has(g)));
  const groups = groupRoles.map((role) => ({
    role,
    name: `${lab}-${role}`,
    description:
      role === "cluster"
        ? `labfabric ${lab}: every instance; rules every node needs, peers by membership`
        : `labfabric ${lab}: ${role} instances; rules only that role needs`,
  }));
  if (instances.length > 0 && !os.portSecurity) {
    reasons.push(
      "openstack.portSecurity is false: ports carry no security groups and no anti-spoofing, so no rules or address pairs are planned",
    );
  } else if (groups.length > 0) {
    reasons.push(
      `security groups: ${groups.map((g) => g.name).join(", ")} — one cluster group on every port (its rules name it as the remote group), one group per role for that role's ports`,
    );
  }
  const rules = groupRoles.length ? planSecurityRules(plan, groupRoles) : [];
  const peers = outsidePeers(plan);
  if (rules.length && peers.length) {
    reasons.push(
      `cluster rules also admit Kubernetes nodes outside OpenStack (${peers.join(", ")}): they are not members of the cluster group`,
    );
  }

  const native = !!plan.cni?.native;
  const pairs =
    native && os.allowedAddressPairs && os.portSecurity && plan.cni
      ? [...new Set([plan.cni.podSubnet, spec.kubernetes.serviceSubnet])]
      : [];
  if (pairs.length) {
    reasons.push(
      `${plan.cni?.plugin} ${plan.cni?.mode} routes pod IPs natively: each node's first port (its node-ip NIC, which carries pod traffic) allows ${pairs.join(" and ")} as allowed-address-pairs so Neutron anti-spoofing passes them (the alternative to encapsulating pod traffic)`,
    );
  }

  const keyText = spec.sshPublicKey ? spec.sshPublicKey : undefined;
  const keypair: KeypairPlan = { name: os.keypair, publicKey: keyText, adopt: !keyText };
  if (instances.length && keypair.adopt) {
    reasons.push(
      `keypair ${os.keypair}: adopted by name (no sshPublicKey set); it must exist in the project`,
    );
  }

  const netByName = new Map(os.networks.map((n) => [n.name, n]));
  const planned: InstancePlan[] = instances.map((inst) => {
    const isNode = nodeNames.has(inst.name);
    const instGroups: GroupRole[] = groupRoles.filter(
      (g) => g === "cluster" || (isNode && g === inst.role),
    );
    const ports: PortPlan[] = inst.nics.map((nic, index) => {
      const net = netByName.get(nic.network);
      return {
        key: `${inst.name}-nic${index}`,
        instance: inst.name,
        index,
        network: nic.network,
        cidr: net ? cidr.network(net.cidr) : "",
        mtu: net?.mtu ?? 0,
        ...(nic.fixedIp ? { fixedIp: nic.fixedIp } : {}),
        floatingIp: nic.floatingIp,
        portSecurity: os.portSecurity,
        groups: instGroups,
        allowedAddressPairs: isNode && index === 0 ? pairs : [],
      };
    });
    const nics = ports.map((p) => ({ cidr: p.cidr, mtu: p.mtu }));
    const userData: UserDataPlan = {
      hostname: inst.name,
      nics,
      routes: instanceRoutes(plan, nics),
      ...(keyText ? { login: { user: spec.libvirt.vmUser, publicKey: keyText } } : {}),
      swapOff: isNode,
    };
    return {
      name: inst.name,
      role: inst.role,
      flavor: inst.flavor,
      image: inst.image,
      metadata: { ...inst.metadata, "labfabric-lab": lab, "labfabric-role": inst.role },
      ports,
      userData,
      userDataText: renderUserData(userData),
    };
  });
  const routed = planned.find((i) => i.userData.routes.length > 0);
  if (routed) {
    const r = routed.userData.routes;
    reasons.push(
      `routed lab: instances route ${r.map((x) => x.to).join(", ")} via ${r[0].via}, the libvirt gateway of ${os.host}'s network ${r[0].nicCidr}`,
    );
  }

  const usedNets = new Set(instances.flatMap((i) => i.nics.map((n) => n.network)));
  return {
    lab,
    enabled: os.enabled,
    groups,
    rules,
    flavors: os.flavors.map((f) => ({ ...f })),
    keypair,
    images: [...new Set(instances.map((i) => i.image))].sort(),
    networks: os.networks
      .filter((n) => usedNets.has(n.name))
      .map((n) => ({ name: n.name, cidr: cidr.network(n.cidr), mtu: n.mtu })),
    instances: planned,
    ...(os.floatingPool ? { floatingPool: os.floatingPool } : {}),
    ...(os.host ? { host: os.host } : {}),
    nodes: plan.nodes
      .filter((n) => nodeNames.has(n.name))
      .map((n) => ({ name: n.name, role: n.role, mtu: n.mtu })),
    sshUser: spec.libvirt.vmUser,
    sshPort: INSTANCE_SSH_PORT,
    reasons,
  };
}
