// Address checks: overlapping CIDRs, addresses outside their subnet or DHCP range, duplicate
// IPs and MACs, and public ranges used inside the lab.
import { bridgeAddresses, gatewayOf, type VmNicPlan } from "../plan";
import * as cidr from "../shared";
import type { Findings } from "../spec";
import type { PlanCore } from "../plan";
import type { LabSpec } from "../spec";

type Kind =
  "underlay" | "internal" | "local" | "vm" | "libvirt" | "openstack" | "pod" | "service" | "node";
interface NamedCidr {
  path: string;
  value: string;
  kind: Kind;
  host?: string;
}

function namedCidrs(spec: LabSpec): NamedCidr[] {
  const out: NamedCidr[] = [];
  spec.hosts.forEach((h, i) => {
    out.push({
      path: `hosts[${i}].underlay.address`,
      value: cidr.network(h.underlay.address),
      kind: "underlay",
      host: h.name,
    });
    if (spec.fabric.mode === "routed" && h.internalAddress) {
      out.push({
        path: `hosts[${i}].internalAddress`,
        value: cidr.network(h.internalAddress),
        kind: "internal",
        host: h.name,
      });
    }
    h.localSubnets.forEach((s, j) =>
      out.push({ path: `hosts[${i}].localSubnets[${j}]`, value: s, kind: "local", host: h.name }),
    );
  });
  if (spec.fabric.mode === "vxlan" && spec.fabric.vmSubnet)
    out.push({ path: "fabric.vmSubnet", value: spec.fabric.vmSubnet, kind: "vm" });
  spec.networks.forEach((n, i) => {
    const onFabric = n.mode === "bridge" && n.bridge === spec.fabric.bridge;
    if (!onFabric)
      out.push({ path: `networks[${i}].cidr`, value: n.cidr, kind: "libvirt", host: n.host });
  });
  if (spec.openstack.enabled) {
    spec.openstack.networks.forEach((n, i) =>
      out.push({ path: `openstack.networks[${i}].cidr`, value: n.cidr, kind: "openstack" }),
    );
  }
  if (spec.kubernetes.enabled) {
    if (spec.kubernetes.podSubnet)
      out.push({ path: "kubernetes.podSubnet", value: spec.kubernetes.podSubnet, kind: "pod" });
    out.push({
      path: "kubernetes.serviceSubnet",
      value: spec.kubernetes.serviceSubnet,
      kind: "service",
    });
    spec.kubernetes.nodes.forEach((n, i) =>
      out.push({
        path: `kubernetes.nodes[${i}].address`,
        value: cidr.network(n.address),
        kind: "node",
      }),
    );
  }
  return out;
}

/** Two entries may share one identical subnet when they describe the same wire. */
function sameWire(a: NamedCidr, b: NamedCidr, spec: LabSpec): boolean {
  if (a.value !== b.value) return false;
  const kinds = new Set([a.kind, b.kind]);
  const pair = (x: Kind, y: Kind) => kinds.has(x) && kinds.has(y) && (x !== y || a.kind === b.kind);
  if (
    pair("underlay", "underlay") ||
    pair("internal", "internal") ||
    pair("node", "node") ||
    pair("node", "underlay")
  )
    return true;
  // Post D: OpenStack's provider network is the libvirt NAT network on the host running the cloud.
  if (pair("openstack", "libvirt"))
    return [a, b].some((x) => x.kind === "libvirt" && x.host === spec.openstack.host);
  if (pair("local", "libvirt")) return a.host === b.host;
  // Nodes that are VMs sit on libvirt networks or OpenStack networks.
  return pair("node", "libvirt") || pair("node", "openstack") || pair("node", "vm");
}

function checkOverlaps(spec: LabSpec, f: Findings) {
  const all = namedCidrs(spec);
  // One error per range, naming every earlier range it overlaps.
  for (let j = 0; j < all.length; j++) {
    const b = all[j];
    const hit = all
      .slice(0, j)
      .filter((a) => cidr.overlaps(a.value, b.value) && !sameWire(a, b, spec));
    if (hit.length === 0) continue;
    const kinds = [...new Set([...hit.map((a) => a.kind), b.kind])];
    const kindList =
      kinds.length === 1 ? kinds[0] : `${kinds.slice(0, -1).join(", ")} and ${kinds.at(-1)}`;
    f.error(
      b.path,
      b.value,
      `overlaps ${hit.map((a) => `${a.path} (${a.value})`).join(", ")}; ${kindList} ranges must not overlap`,
      `give ${b.path} a range that overlaps no other lab range`,
    );
  }
  for (const n of all) {
    if (
      ["vm", "libvirt", "pod", "service", "openstack", "local"].includes(n.kind) &&
      !cidr.isPrivate(n.value)
    ) {
      f.warn(
        n.path,
        n.value,
        "is not a private range: inside the lab it shadows real hosts on the internet",
        "use a block from 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10",
      );
    }
  }
}

function checkInSubnet(f: Findings, path: string, subnet: string, address: string, what: string) {
  if (!cidr.isUsableHost(subnet, address)) {
    f.error(
      path,
      address,
      `is not a usable host address in ${what} ${subnet}`,
      `pick an address inside ${subnet} (not its network or broadcast address)`,
    );
    return false;
  }
  return true;
}

function checkSubnets(spec: LabSpec, f: Findings, nics: readonly VmNicPlan[]) {
  const vmSubnet = spec.fabric.vmSubnet;
  if (spec.fabric.mode === "vxlan" && vmSubnet) {
    spec.hosts.forEach((h, i) => {
      if (h.bridgeAddress)
        checkInSubnet(
          f,
          `hosts[${i}].bridgeAddress`,
          vmSubnet,
          cidr.addressOf(h.bridgeAddress),
          "fabric.vmSubnet",
        );
    });
    if (spec.hosts.length + 1 > cidr.size(vmSubnet) - 2) {
      f.error(
        "fabric.vmSubnet",
        vmSubnet,
        `is too small for ${spec.hosts.length} host bridge addresses`,
        "use a larger subnet",
      );
    }
  }
  // Networks whose DHCP range is already reported: their NICs' missing addresses follow from it.
  const badRange = new Set<string>();
  spec.networks.forEach((n, i) => {
    if (n.gateway) checkInSubnet(f, `networks[${i}].gateway`, n.cidr, n.gateway, "the network");
    if (n.dhcp) {
      const okStart = checkInSubnet(
        f,
        `networks[${i}].dhcp.start`,
        n.cidr,
        n.dhcp.start,
        "the network",
      );
      const okEnd = checkInSubnet(f, `networks[${i}].dhcp.end`, n.cidr, n.dhcp.end, "the network");
      if (!okStart || !okEnd) badRange.add(`${n.host}/${n.name}`);
      if (okStart && okEnd && cidr.compareAddresses(n.dhcp.start, n.dhcp.end) > 0) {
        badRange.add(`${n.host}/${n.name}`);
        f.error(
          `networks[${i}].dhcp.end`,
          n.dhcp.end,
          `is before dhcp.start ${n.dhcp.start}`,
          "swap them",
        );
      }
      const gw = gatewayOf(n);
      if (
        okStart &&
        okEnd &&
        cidr.compareAddresses(n.dhcp.start, gw) <= 0 &&
        cidr.compareAddresses(gw, n.dhcp.end) <= 0
      ) {
        f.error(
          `networks[${i}].dhcp`,
          n.dhcp,
          `contains the gateway ${gw}`,
          "start the range after the gateway",
        );
      }
    }
    n.reservations.forEach((r, j) =>
      checkInSubnet(
        f,
        `networks[${i}].reservations[${j}].address`,
        n.cidr,
        r.address,
        "the network",
      ),
    );
  });
  spec.vms.forEach((vm, i) =>
    vm.nics.forEach((nic, j) => {
      const plan = nics.find((p) => p.vm === vm.name && p.index === j);
      if (!plan) return; // unknown network: reported as a reference error
      const net = plan.address ? undefined : plan.network;
      if (net && !badRange.has(`${vm.host}/${net}`))
        f.error(
          `vms[${i}].nics[${j}].network`,
          net,
          "has no free address left for this NIC",
          "use a larger subnet or DHCP range, or set nics[].address",
        );
      if (nic.address) {
        const subnet =
          spec.networks.find((n) => n.host === vm.host && n.name === nic.network)?.cidr ?? vmSubnet;
        if (subnet)
          checkInSubnet(
            f,
            `vms[${i}].nics[${j}].address`,
            subnet,
            nic.address,
            `network ${nic.network}`,
          );
      }
    }),
  );
  spec.openstack.instances.forEach((inst, i) =>
    inst.nics.forEach((nic, j) => {
      const net = spec.openstack.networks.find((n) => n.name === nic.network);
      if (net && nic.fixedIp)
        checkInSubnet(
          f,
          `openstack.instances[${i}].nics[${j}].fixedIp`,
          net.cidr,
          nic.fixedIp,
          `network ${net.name}`,
        );
    }),
  );
}

function checkDuplicateAddresses(spec: LabSpec, f: Findings, nics: readonly VmNicPlan[]) {
  const ips: { path: string; ip: string; owner?: string }[] = [];
  spec.hosts.forEach((h, i) => {
    ips.push({ path: `hosts[${i}].underlay.address`, ip: cidr.addressOf(h.underlay.address) });
    if (h.internalAddress)
      ips.push({ path: `hosts[${i}].internalAddress`, ip: cidr.addressOf(h.internalAddress) });
  });
  const bridges = bridgeAddresses(spec);
  spec.hosts.forEach((h, i) => {
    const b = bridges.get(h.name);
    if (b) ips.push({ path: `hosts[${i}].bridgeAddress`, ip: cidr.addressOf(b) });
  });
  spec.networks.forEach((n, i) => {
    ips.push({ path: `networks[${i}].gateway`, ip: gatewayOf(n) });
    n.reservations.forEach((r, j) =>
      ips.push({ path: `networks[${i}].reservations[${j}].address`, ip: r.address, owner: r.name }),
    );
  });
  spec.vms.forEach((vm, i) =>
    vm.nics.forEach((nic, j) => {
      const address =
        nic.address ?? nics.find((p) => p.vm === vm.name && p.index === j)?.address?.split("/")[0];
      if (address) ips.push({ path: `vms[${i}].nics[${j}].address`, ip: address, owner: vm.name });
    }),
  );
  spec.openstack.instances.forEach((inst, i) =>
    inst.nics.forEach((nic, j) => {
      if (nic.fixedIp)
        ips.push({ path: `openstack.instances[${i}].nics[${j}].fixedIp`, ip: nic.fixedIp });
    }),
  );
  spec.kubernetes.nodes.forEach((n, i) =>
    ips.push({ path: `kubernetes.nodes[${i}].address`, ip: cidr.addressOf(n.address) }),
  );
  const seen = new Map<string, { path: string; owner?: string }>();
  for (const e of ips) {
    const first = seen.get(e.ip);
    // A VM's NIC takes the address its own reservation gives it: the same address, not a clash.
    if (first && !(first.owner && first.owner === e.owner)) {
      f.error(
        e.path,
        e.ip,
        `is already used by ${first.path}`,
        "give each host, gateway, VM and node its own address",
      );
    } else if (!first) seen.set(e.ip, e);
  }
  const macs = new Map<string, string>();
  const addMac = (path: string, mac: string, owner: string) => {
    const first = macs.get(mac);
    if (first && first !== owner)
      f.error(
        path,
        mac,
        `is already used by ${first}`,
        "give each NIC its own MAC (or omit it to have one generated)",
      );
    else macs.set(mac, owner);
  };
  spec.networks.forEach((n, i) =>
    n.reservations.forEach((r, j) =>
      addMac(`networks[${i}].reservations[${j}].mac`, r.mac, `VM ${r.name}`),
    ),
  );
  spec.vms.forEach((vm, i) =>
    vm.nics.forEach(
      (nic, j) => nic.mac && addMac(`vms[${i}].nics[${j}].mac`, nic.mac, `VM ${vm.name}`),
    ),
  );
}

export function validateAddresses(plan: PlanCore, f: Findings): void {
  const { spec } = plan;
  checkOverlaps(spec, f);
  checkSubnets(spec, f, plan.vmNics);
  checkDuplicateAddresses(spec, f, plan.vmNics);
  if (spec.openstack.enabled && !spec.openstack.adminCidr) {
    f.error(
      "openstack.adminCidr",
      undefined,
      "is required: SSH and the API server are opened to it and nothing else",
      "set the CIDR admins connect from, e.g. 192.168.0.0/24",
    );
  }
}
