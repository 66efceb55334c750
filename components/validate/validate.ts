// Checks across keys, run before anything touches a host. Every check adds a finding that
// names the key path, the value, what is allowed and the fix; all are reported at once.
import * as cidr from "../shared";
import { cniPlugin } from "../cni-plugins";
import { CNI_MODES, distinctSubnets, isValidMode } from "../plan";
import * as d from "../spec";
import { Findings } from "../spec";
import { FABRIC_NETWORK, findNetwork } from "../plan";
import type { PlanCore } from "../plan";
import type { LabSpec } from "../spec";
import { validateAddresses } from "./addresses";
import { validateExistingNodes } from "./existing-nodes";
import { validateKubernetesCluster } from "./kubernetes";
import { validateLibvirt } from "./libvirt";
import { validateMtu } from "./mtu";
import { validateOpenstackSpec } from "./openstack";
import { validateSsh } from "./ssh";

function duplicates<T>(
  items: readonly T[],
  key: (t: T) => string | undefined,
): Map<string, number[]> {
  const seen = new Map<string, number[]>();
  items.forEach((it, i) => {
    const k = key(it);
    if (k !== undefined) seen.set(k, [...(seen.get(k) ?? []), i]);
  });
  return new Map([...seen].filter(([, idx]) => idx.length > 1));
}

function checkUnique<T>(
  f: Findings,
  list: string,
  items: readonly T[],
  field: string,
  key: (t: T) => string | undefined,
) {
  for (const [value, idx] of duplicates(items, key)) {
    f.error(
      `${list}[${idx[1]}].${field}`,
      value,
      `duplicates ${list}[${idx[0]}].${field}; each must be unique`,
      `give ${list}[${idx[1]}] a different ${field}`,
    );
  }
}

function validateNames(spec: LabSpec, f: Findings) {
  checkUnique(f, "hosts", spec.hosts, "name", (h) => h.name);
  checkUnique(f, "networks", spec.networks, "name", (n) => `${n.host}/${n.name}`);
  checkUnique(f, "vms", spec.vms, "name", (v) => v.name);
  checkUnique(f, "openstack.instances", spec.openstack.instances, "name", (i) => i.name);
  checkUnique(f, "openstack.flavors", spec.openstack.flavors, "name", (x) => x.name);
  checkUnique(f, "kubernetes.nodes", spec.kubernetes.nodes, "name", (n) => n.name);
  const nodeNames = new Set([
    ...spec.vms.map((v) => v.name),
    ...spec.openstack.instances.map((i) => i.name),
  ]);
  spec.kubernetes.nodes.forEach((n, i) => {
    if (nodeNames.has(n.name)) {
      f.error(
        `kubernetes.nodes[${i}].name`,
        n.name,
        "is already a VM or instance name; node names must be unique",
        "rename it",
      );
    }
  });
}

function validateReferences(spec: LabSpec, f: Findings) {
  const hosts = new Set(spec.hosts.map((h) => h.name));
  const hostList = [...hosts].join(", ") || "(none)";
  spec.networks.forEach((n, i) => {
    if (!hosts.has(n.host))
      f.error(
        `networks[${i}].host`,
        n.host,
        `is not a host of this lab (hosts: ${hostList})`,
        "name one of the hosts",
      );
  });
  spec.vms.forEach((vm, i) => {
    if (!hosts.has(vm.host)) {
      f.error(
        `vms[${i}].host`,
        vm.host,
        `is not a host of this lab (hosts: ${hostList})`,
        "name one of the hosts",
      );
      return;
    }
    if (!(vm.image in spec.libvirt.images)) {
      const known = Object.keys(spec.libvirt.images).join(", ") || "(none)";
      f.error(
        `vms[${i}].image`,
        vm.image,
        `is not in libvirt.images (known: ${known})`,
        `add libvirt.images.${vm.image}: <URL or path>`,
      );
    }
    vm.nics.forEach((nic, j) => {
      if (findNetwork(spec, vm.host, nic.network)) return;
      const onHost = spec.networks.filter((n) => n.host === vm.host).map((n) => n.name);
      if (spec.fabric.mode === "vxlan") onHost.push(FABRIC_NETWORK);
      f.error(
        `vms[${i}].nics[${j}].network`,
        nic.network,
        `is not a network on host ${vm.host} (there: ${onHost.join(", ") || "none"})`,
        nic.network === FABRIC_NETWORK
          ? "the fabric network exists only with fabric.mode vxlan and fabric.vmSubnet set"
          : `add it to networks with host: ${vm.host}, or attach the VM to one that exists`,
      );
    });
  });
  const os = spec.openstack;
  if (os.host && !hosts.has(os.host))
    f.error(
      "openstack.host",
      os.host,
      `is not a host of this lab (hosts: ${hostList})`,
      "name one of the hosts",
    );
  const osNets = new Set(os.networks.map((n) => n.name));
  const flavors = new Set(os.flavors.map((x) => x.name));
  os.instances.forEach((inst, i) => {
    if (!flavors.has(inst.flavor)) {
      f.error(
        `openstack.instances[${i}].flavor`,
        inst.flavor,
        "is not in openstack.flavors",
        "declare it there (adopt: true for an existing flavor)",
      );
    }
    inst.nics.forEach((nic, j) => {
      if (!osNets.has(nic.network)) {
        f.error(
          `openstack.instances[${i}].nics[${j}].network`,
          nic.network,
          "is not in openstack.networks",
          "declare the network (name, cidr, mtu)",
        );
      }
    });
  });
}

function validateFabric(spec: LabSpec, f: Findings) {
  const { fabric } = spec;
  if (fabric.mode !== "none" && spec.hosts.length < 2) {
    f.error(
      "fabric.mode",
      fabric.mode,
      `joins two or more hosts; this lab has ${spec.hosts.length}`,
      'add hosts or set fabric.mode to "none"',
    );
  }
  if (fabric.rpFilter === 1) {
    f.error(
      "fabric.rpFilter",
      1,
      "strict reverse-path filtering drops the asymmetric paths between hosts (overlay and routed replies)",
      "use 2 (loose, the default) or 0 (off)",
    );
  }
  if (fabric.mode === "vxlan" && !fabric.vmSubnet) {
    f.error(
      "fabric.vmSubnet",
      undefined,
      "is required in vxlan mode: it is the L2 subnet stretched across hosts",
      "set e.g. 10.39.0.0/24",
    );
  }
  if (fabric.mode === "routed") {
    spec.hosts.forEach((h, i) => {
      if (!h.internalAddress) {
        f.error(
          `hosts[${i}].internalAddress`,
          undefined,
          "is required in routed mode: it is the host's address on the network the hosts route each other's subnets over",
          "set e.g. 10.10.10.1/24",
        );
      }
    });
    const first = spec.hosts.find((h) => h.internalAddress)?.internalAddress;
    spec.hosts.forEach((h, i) => {
      if (first && h.internalAddress && cidr.network(h.internalAddress) !== cidr.network(first)) {
        f.error(
          `hosts[${i}].internalAddress`,
          h.internalAddress,
          `is not in the same subnet as the other hosts' internal addresses (${cidr.network(first)}): routes go via an on-link peer`,
          `use an address in ${cidr.network(first)}`,
        );
      }
    });
  }
  if (fabric.mode === "vxlan") {
    spec.networks.forEach((n, i) => {
      if (n.mode === "bridge" && n.bridge === fabric.bridge && n.cidr !== fabric.vmSubnet) {
        f.error(
          `networks[${i}].cidr`,
          n.cidr,
          `bridges onto the fabric bridge ${fabric.bridge} but differs from fabric.vmSubnet`,
          `set it to ${fabric.vmSubnet}`,
        );
      }
    });
  }
}

function validatePlacement(spec: LabSpec, f: Findings) {
  spec.hosts.forEach((h, i) => {
    if (!h.capacity) return;
    const vms = spec.vms.filter((v) => v.host === h.name);
    const vcpus = vms.reduce((s, v) => s + v.vcpus, 0);
    const mem = vms.reduce((s, v) => s + v.memoryMiB, 0);
    if (vcpus > h.capacity.vcpus) {
      f.error(
        `hosts[${i}].capacity.vcpus`,
        h.capacity.vcpus,
        `is less than the ${vcpus} vCPUs of the VMs placed on ${h.name}`,
        "move VMs or raise the capacity",
      );
    }
    if (mem > h.capacity.memoryMiB) {
      f.error(
        `hosts[${i}].capacity.memoryMiB`,
        h.capacity.memoryMiB,
        `is less than the ${mem} MiB of the VMs placed on ${h.name}`,
        "move VMs or raise the capacity",
      );
    }
  });
}

function validateKubernetes(plan: PlanCore, f: Findings) {
  const { spec, nodes } = plan;
  const k = spec.kubernetes;
  if (!k.enabled) return;
  const { plugin, mode } = k.cni;
  if (mode !== undefined && !isValidMode(plugin, mode)) {
    const allowed = CNI_MODES[plugin].join(", ");
    f.error(
      "kubernetes.cni.mode",
      mode,
      `is not a ${plugin} mode (allowed: ${allowed})`,
      `use one of ${allowed}`,
    );
    return;
  }
  const controlPlanes = nodes.filter((n) => n.role === "control-plane");
  if (controlPlanes.length === 0) {
    f.error(
      "kubernetes.enabled",
      true,
      "but no VM, instance or node has role control-plane",
      'give one node role: "control-plane"',
    );
  }
  if (controlPlanes.length > 1 && !k.controlPlaneEndpoint) {
    f.error(
      "kubernetes.controlPlaneEndpoint",
      undefined,
      `is required with ${controlPlanes.length} control planes (HA needs one endpoint)`,
      "set a load-balanced host:port",
    );
  }
  if (controlPlanes.length > 1 && controlPlanes.length % 2 === 0) {
    f.warn(
      "kubernetes",
      `${controlPlanes.length} control planes`,
      "an even etcd member count tolerates no more failures than one less",
      "use 1, 3 or 5 control planes",
    );
  }
  const decision = plan.cni;
  if (!decision) return;
  const rules = cniPlugin(plugin);
  rules.checkRequest({ spec, decision, subnets: distinctSubnets(nodes) }, f);
  const os = spec.openstack;
  const onOpenstack = nodes.some((n) => n.source === "instance");
  if (onOpenstack && decision.native && os.portSecurity && !os.allowedAddressPairs) {
    f.error(
      "kubernetes.cni.mode",
      decision.mode,
      "sends pod IPs unencapsulated between OpenStack instances; Neutron port security drops them (anti-spoofing), so cross-node pod traffic fails",
      rules.openstackNativeFix(decision.mode),
    );
  }
  if (decision.podSubnetFromDefault && !rules.requiresPodSubnet) {
    // Every range of the lab the default pool could swallow: Cilium's 10.0.0.0/8 also covers
    // kubeadm's default service range 10.96.0.0/12, and networks that hold no node yet count too.
    const clash = [
      d.LIBVIRT_DEFAULT_NETWORK,
      ...nodes.map((n) => n.subnet),
      ...spec.hosts.flatMap((h) => [
        cidr.network(h.underlay.address),
        ...(h.internalAddress ? [cidr.network(h.internalAddress)] : []),
        ...h.localSubnets,
      ]),
      ...(spec.fabric.mode === "vxlan" && spec.fabric.vmSubnet ? [spec.fabric.vmSubnet] : []),
      ...spec.networks.map((n) => n.cidr),
      ...(spec.openstack.enabled ? spec.openstack.networks.map((n) => n.cidr) : []),
      k.serviceSubnet,
    ].filter((c) => cidr.overlaps(c, decision.podSubnet));
    f.warn(
      "kubernetes.podSubnet",
      undefined,
      `is unset, so ${plugin}'s default pool ${decision.podSubnet} would be used` +
        (clash.length ? ` and it collides with ${[...new Set(clash)].join(", ")}` : ""),
      "set kubernetes.podSubnet to a private range no node network uses, e.g. 172.16.0.0/16",
    );
  }
}

/** Every check of a planned lab, reading the plan's decisions (nodes, CNI, MTU, addresses). */
export function validateLab(plan: PlanCore): Findings {
  const { spec } = plan;
  const f = new Findings();
  validateNames(spec, f);
  validateReferences(spec, f);
  validateFabric(spec, f);
  validatePlacement(spec, f);
  validateAddresses(plan, f);
  validateExistingNodes(plan, f);
  validateKubernetes(plan, f);
  validateMtu(plan, f);
  validateLibvirt(spec, f);
  validateKubernetesCluster(plan, f);
  validateOpenstackSpec(plan, f);
  validateSsh(plan, f);
  return f;
}
