// Sections 1 and 2: the data plane of each fabric configuration in the namespace lab.
// Every configuration is two "hosts" on one switch, each with one "VM", built from a lab spec
// through `loadLab` and the rendered up.sh run as-is in each host namespace (as the tests do):
//   vxlan-1500  VXLAN over a 1500 underlay, VMs at the planned 1450
//   vxlan-9000  VXLAN over a 9000 underlay, VMs at the planned 8950
//   routed      post D: libvirt-like NAT networks joined by static routes, VMs at 1500
//   post-A      the mistake: the vxlan-1500 fabric, but VM NICs left at 1500
// Goodput (section 1) is in goodput.ts.
// Correctness (section 2) is in mtu-sweep.ts.
import type { ChildProcess } from "node:child_process";
import { formatReport } from "../components/spec/findings";
import { loadLab } from "../components/load";
import { type LabPlan } from "../components/plan/plan";
import { renderUpScript } from "../components/host-fabric/scripts";
import {
  addFakeLibvirtNetwork,
  addHost,
  addSwitch,
  addVm,
  attach,
  reaches,
  type NetnsLab,
} from "../scripts/lab/kit";
import { fmt, newLab, table, tempDir } from "./lib";

export interface Endpoint {
  machine: string;
  address: string;
}

export interface FabricConfig {
  key: string;
  what: string;
  lab: NetnsLab;
  underlayMtu: number;
  /** The VM MTU the planner plans for this lab. */
  plannedMtu: number;
  /** The MTU actually set on the VM NICs (differs only in the post-A mistake). */
  vmMtu: number;
  /** Payload efficiency of the layer stack from the planner's budget; undefined if unplannable. */
  efficiency?: number;
  /** The planner's MTU budget path for the VMs: layer MTUs, outermost first. */
  stack: string;
  overlay: { from: Endpoint; to: Endpoint };
  underlay: { from: Endpoint; to: Endpoint };
  servers: ChildProcess[];
}

function planOrThrow(raw: unknown, name: string): LabPlan {
  const r = loadLab(raw, name);
  if (!r.ok) throw new Error(`bench lab ${name} does not load:\n${formatReport(r.findings)}`);
  return r.plan;
}

function mustUp(lab: NetnsLab, plan: LabPlan, host: string): void {
  const h = plan.hosts.find((x) => x.host === host)!;
  const r = lab.sh(host, renderUpScript(h));
  if (r.code !== 0) throw new Error(`up.sh on ${host} failed (${r.code}):\n${r.stdout}${r.stderr}`);
}

/** The VM path of the planner's MTU budget: its efficiency and its layers as one line. */
function budget(plan: LabPlan): { efficiency: number; stack: string } {
  const path = plan.mtu.paths[0];
  if (!path) throw new Error(`lab ${plan.lab} has no MTU path`);
  const stack = path.layers
    .map((l) => `${l.layer} ${l.mtu}${l.overhead ? ` (-${l.overhead})` : ""}`)
    .join(" > ");
  return { efficiency: path.efficiency, stack };
}

/** Two hosts joined by the planned VXLAN fabric, one VM each at `vmMtu` (default: planned). */
function vxlanConfig(
  key: string,
  what: string,
  n: number,
  underlayMtu: number,
  vmMtu?: number,
): FabricConfig {
  const lab = newLab();
  const net = `10.250.${200 + n}`;
  const vmNet = `10.251.${200 + n}`;
  const hosts = ["h1", "h2"];
  const plan = planOrThrow(
    {
      hosts: hosts.map((h, i) => ({
        name: h,
        ssh: { address: `${net}.${11 + i}` },
        underlay: { interface: "eth0", address: `${net}.${11 + i}/24`, mtu: underlayMtu },
        root: tempDir(`${key}-${h}`),
      })),
      fabric: { mode: "vxlan", vni: 900 + n, vmSubnet: `${vmNet}.0/24` },
    },
    `bench-${key.toLowerCase()}`,
  );
  const planned = plan.mtu.vmMtu;
  addSwitch(lab, "sw", underlayMtu);
  hosts.forEach((h, i) =>
    addHost(lab, {
      name: h,
      switch: "sw",
      iface: "eth0",
      address: `${net}.${11 + i}/24`,
      mtu: underlayMtu,
    }),
  );
  hosts.forEach((h) => mustUp(lab, plan, h));
  const bridge = plan.spec.fabric.bridge;
  hosts.forEach((h, i) => {
    addVm(lab, {
      name: `vm${i + 1}`,
      host: h,
      port: `v${i + 1}`,
      address: `${vmNet}.${11 + i}/24`,
      mtu: vmMtu ?? planned,
    });
    attach(lab, h, `v${i + 1}`, bridge);
  });
  return {
    key,
    what,
    lab,
    underlayMtu,
    plannedMtu: planned,
    vmMtu: vmMtu ?? planned,
    ...(vmMtu === undefined || vmMtu <= planned
      ? budget(plan)
      : { stack: `${budget(plan).stack}, but VM NICs set to ${vmMtu}` }),
    overlay: {
      from: { machine: "vm1", address: `${vmNet}.11` },
      to: { machine: "vm2", address: `${vmNet}.12` },
    },
    underlay: {
      from: { machine: "h1", address: `${net}.11` },
      to: { machine: "h2", address: `${net}.12` },
    },
    servers: [],
  };
}

/** Post D: a libvirt-like NAT network per host (iptables backend), joined by static routes. */
function routedConfig(key: string, what: string, n: number): FabricConfig {
  const lab = newLab();
  const net = `10.250.${200 + n}`;
  const internal = `10.250.${220 + n}`;
  const vmNets = [`10.252.${200 + n}`, `10.252.${220 + n}`];
  const hosts = ["h1", "h2"];
  const plan = planOrThrow(
    {
      hosts: hosts.map((h, i) => ({
        name: h,
        ssh: { address: `${net}.${11 + i}` },
        underlay: { interface: "eth0", address: `${net}.${11 + i}/24` },
        internalAddress: `${internal}.${1 + i}/24`,
        root: tempDir(`${key}-${h}`),
      })),
      fabric: { mode: "routed", rpFilter: 0 },
      networks: hosts.map((h, i) => ({
        name: `nat${i + 1}`,
        host: h,
        mode: "nat",
        bridge: `virbr${i + 1}`,
        cidr: `${vmNets[i]}.0/24`,
      })),
    },
    `bench-${key.toLowerCase()}`,
  );
  const planned = plan.mtu.vmMtu;
  addSwitch(lab, "sw");
  hosts.forEach((h, i) =>
    addHost(lab, { name: h, switch: "sw", iface: "eth0", address: `${net}.${11 + i}/24` }),
  );
  hosts.forEach((h, i) => {
    addFakeLibvirtNetwork(lab, {
      host: h,
      bridge: `virbr${i + 1}`,
      cidr: `${vmNets[i]}.0/24`,
      gateway: `${vmNets[i]}.1/24`,
      backend: "iptables",
    });
    addVm(lab, {
      name: `vm${i + 1}`,
      host: h,
      port: "vnet0",
      address: `${vmNets[i]}.10/24`,
      gateway: `${vmNets[i]}.1`,
      mtu: planned,
    });
    attach(lab, h, "vnet0", `virbr${i + 1}`);
  });
  hosts.forEach((h) => mustUp(lab, plan, h));
  return {
    key,
    what,
    lab,
    underlayMtu: 1500,
    plannedMtu: planned,
    vmMtu: planned,
    ...budget(plan),
    overlay: {
      from: { machine: "vm1", address: `${vmNets[0]}.10` },
      to: { machine: "vm2", address: `${vmNets[1]}.10` },
    },
    underlay: {
      from: { machine: "h1", address: `${net}.11` },
      to: { machine: "h2", address: `${net}.12` },
    },
    servers: [],
  };
}

/** The planner's answer to post A's configuration (fabric.vmMtu 1500 on a 1500 underlay). */
export function postARefusal(): string {
  const r = loadLab(
    {
      hosts: ["h1", "h2"].map((h, i) => ({
        name: h,
        ssh: { address: `10.250.9.${11 + i}` },
        underlay: { interface: "eth0", address: `10.250.9.${11 + i}/24`, mtu: 1500 },
      })),
      fabric: { mode: "vxlan", vmSubnet: "10.251.9.0/24", vmMtu: 1500 },
    },
    "bench-post-a",
  );
  return r.ok ? "(accepted: unexpected)" : formatReport(r.findings);
}

export function buildConfigs(): FabricConfig[] {
  const configs = [
    vxlanConfig("vxlan-1500", "VXLAN, 1500 underlay, VM 1450 (planned)", 1, 1500),
    vxlanConfig("vxlan-9000", "VXLAN, 9000 underlay, VM 8950 (planned)", 2, 9000),
    routedConfig("routed", "routed + libvirt NAT (post D), VM 1500 (planned)", 3),
    vxlanConfig("post-A", "post A mistake: VXLAN, 1500 underlay, VM 1500", 4, 1500, 1500),
  ];
  for (const c of configs) {
    if (!reaches(c.lab, c.overlay.from.machine, c.overlay.to.address))
      throw new Error(`${c.key}: ${c.overlay.from.machine} does not reach ${c.overlay.to.address}`);
    if (!reaches(c.lab, c.underlay.from.machine, c.underlay.to.address))
      throw new Error(`${c.key}: ${c.underlay.from.machine} does not reach the peer host`);
  }
  return configs;
}

export function configTable(configs: FabricConfig[]): string {
  return table(
    "Configurations (each: 2 host namespaces on one switch, 1 VM namespace per host; up.sh as rendered)",
    ["config", "what", "planner's MTU budget for the VM path", "efficiency"],
    configs.map((c) => [
      c.key,
      c.what,
      c.stack,
      c.efficiency !== undefined ? fmt(c.efficiency, 3) : "n/a",
    ]),
  );
}

// ---------------------------------------------------------------------------------------------
// Section 2: DF sweep
