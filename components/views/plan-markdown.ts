// The offline view of a lab: a Mermaid diagram, the MTU budget, the fabric per host, the CNI
// decision and the ports — rendered from the plan alone (no engine, no hosts, no cloud).
import { addressOf } from "../shared";
import { formatFinding } from "../spec";
import type { LabPlan } from "../plan";
import { networkOfNode } from "../plan";

const id = (s: string) => s.replace(/[^A-Za-z0-9]/g, "_");
const label = (s: string) => `"${s.replace(/"/g, "'")}"`;

export function mermaidDiagram(plan: LabPlan): string {
  const { spec } = plan;
  const lines = ["flowchart LR"];
  for (const h of plan.hosts) {
    lines.push(`  subgraph ${id(`host_${h.host}`)}[${label(`host ${h.host}`)}]`);
    lines.push(
      `    ${id(`ul_${h.host}`)}[${label(`${h.underlay.interface} ${h.underlay.address} MTU ${h.underlay.mtu}`)}]`,
    );
    if (h.vxlan) {
      const vx = h.vxlan;
      lines.push(
        `    ${id(`br_${h.host}`)}[${label(`${vx.bridge} ${vx.bridgeAddress} MTU ${vx.mtu}`)}]`,
      );
      lines.push(
        `    ${id(`vx_${h.host}`)}[${label(`${vx.device} VNI ${vx.vni} udp/${vx.port}`)}]`,
      );
      lines.push(`    ${id(`vx_${h.host}`)} --- ${id(`br_${h.host}`)}`);
    }
    if (h.routed)
      lines.push(`    ${id(`int_${h.host}`)}[${label(`internal ${h.routed.internalAddress}`)}]`);
    for (const n of spec.networks.filter((x) => x.host === h.host)) {
      lines.push(
        `    ${id(`net_${h.host}_${n.name}`)}[(${label(`${n.name} ${n.mode} ${n.bridge} ${n.cidr}`)})]`,
      );
    }
    for (const nic of plan.vmNics.filter((x) => x.host === h.host)) {
      const vm = id(`vm_${nic.vm}`);
      if (nic.index === 0) lines.push(`    ${vm}[${label(`VM ${nic.vm} ${nic.address ?? ""}`)}]`);
      const target =
        nic.network === "fabric" ? id(`br_${h.host}`) : id(`net_${h.host}_${nic.network}`);
      lines.push(`    ${vm} --> ${target}`);
    }
    lines.push("  end");
  }
  const seen = new Set<string>();
  for (const h of plan.hosts) {
    for (const peer of [
      ...(h.vxlan?.remote ? [h.vxlan.remote] : []),
      ...(h.vxlan?.fdbPeers ?? []),
    ]) {
      const other = plan.hosts.find((x) => addressOf(x.underlay.address) === peer);
      const key = [h.host, other?.host].sort().join("|");
      if (!other || seen.has(key)) continue;
      seen.add(key);
      lines.push(
        `  ${id(`vx_${h.host}`)} -. ${label(`VXLAN ${h.vxlan!.vni}`)} .- ${id(`vx_${other.host}`)}`,
      );
    }
    for (const r of h.routed?.routes ?? []) {
      lines.push(
        `  ${id(`int_${h.host}`)} -- ${label(`route ${r.to} via ${r.via}`)} --> ${id(`int_${r.peer}`)}`,
      );
    }
  }
  if (spec.openstack.enabled) {
    lines.push(`  subgraph openstack["OpenStack"]`);
    for (const n of spec.openstack.networks)
      lines.push(`    ${id(`os_${n.name}`)}[(${label(`${n.name} ${n.cidr} MTU ${n.mtu}`)})]`);
    for (const inst of spec.openstack.instances) {
      lines.push(
        `    ${id(`inst_${inst.name}`)}[${label(`instance ${inst.name} (${inst.role})`)}]`,
      );
      for (const nic of inst.nics)
        lines.push(`    ${id(`inst_${inst.name}`)} --> ${id(`os_${nic.network}`)}`);
    }
    lines.push("  end");
    if (spec.openstack.host)
      lines.push(`  ${id(`host_${spec.openstack.host}`)} -. runs .- openstack`);
  }
  for (const n of spec.kubernetes.nodes) {
    lines.push(`  ${id(`node_${n.name}`)}[${label(`node ${n.name} ${n.address} (${n.role})`)}]`);
    // An existing machine cabled to a host's libvirt network.
    const net = networkOfNode(spec, n.address);
    if (net) lines.push(`  ${id(`node_${n.name}`)} --> ${id(`net_${net.host}_${net.name}`)}`);
  }
  return lines.join("\n");
}

export function mtuTable(plan: LabPlan): string {
  const rows = ["| path | layer | overhead | MTU |", "|---|---|---:|---:|"];
  for (const p of plan.mtu.paths) {
    p.layers.forEach((l, i) =>
      rows.push(`| ${i === 0 ? p.name : ""} | ${l.layer} | ${l.overhead || ""} | ${l.mtu} |`),
    );
    rows.push(
      `| | **TCP payload efficiency vs underlay** | | **${(p.efficiency * 100).toFixed(1)}%** |`,
    );
  }
  return rows.join("\n");
}

function fabricSection(plan: LabPlan): string {
  const out: string[] = [];
  for (const h of plan.hosts) {
    out.push(`### ${h.host} (${h.mode})`);
    if (h.vxlan) {
      const v = h.vxlan;
      out.push(`- bridge \`${v.bridge}\` ${v.bridgeAddress}, MTU ${v.mtu}`);
      out.push(
        `- VXLAN \`${v.device}\` id ${v.vni} local ${v.local} dev ${v.dev} dstport ${v.port} nolearning, MTU ${v.mtu}`,
      );
      if (v.remote) out.push(`- unicast remote ${v.remote} (two hosts)`);
      for (const p of v.fdbPeers)
        out.push(`- FDB 00:00:00:00:00:00 dst ${p} (head-end replication)`);
    }
    if (h.masquerade)
      out.push(
        `- masquerade ${h.masquerade.subnet} out ${h.masquerade.outInterface}; FORWARD scoped to the subnet`,
      );
    if (h.routed) {
      out.push(`- internal address ${h.routed.internalAddress} added to ${h.underlay.interface}`);
      for (const r of h.routed.routes) out.push(`- route ${r.to} via ${r.via} (${r.peer})`);
      for (const l of h.routed.localSubnets)
        out.push(`- libvirt firewall: accept ${h.routed.peerSources.join(", ")} -> ${l}`);
    }
    out.push(
      `- rp_filter ${h.rpFilter}; ${h.sysctls.map((s) => `${s.key}=${s.value}`).join(", ") || "no sysctls"}`,
    );
  }
  return out.join("\n");
}

function cniSection(plan: LabPlan): string {
  const c = plan.cni;
  if (!c) return "Kubernetes is not enabled in this lab.";
  const out = [
    `- plugin **${c.plugin}**, mode **${c.mode}**${c.mode !== c.requestedMode ? ` (requested ${c.requestedMode})` : ""}, encapsulation ${c.encapsulation}`,
    `- pod pool ${c.podSubnet}, service range ${plan.spec.kubernetes.serviceSubnet}, pod MTU **${plan.mtu.podMtu}**`,
    ...c.reasons.map((r) => `- why: ${r}`),
    "",
    "| protocol | ports | from | roles | why |",
    "|---|---|---|---|---|",
    ...plan.ports.map(
      (p) =>
        `| ${p.protocol === "4" ? "IP proto 4" : p.protocol} | ${p.from === undefined ? "-" : p.from === p.to ? p.from : `${p.from}-${p.to}`} | ${p.source} | ${p.roles.join(", ")} | ${p.why} |`,
    ),
  ];
  return out.join("\n");
}

export function planMarkdown(plan: LabPlan): string {
  const warnings = plan.warnings.length
    ? plan.warnings.map((w) => `- ${formatFinding(w)}`).join("\n")
    : "None.";
  return [
    `# Lab \`${plan.lab}\``,
    "",
    "## Topology",
    "",
    "```mermaid",
    mermaidDiagram(plan),
    "```",
    "",
    "## MTU budget",
    "",
    // Without bare-metal hosts there is no fabric and no VM NIC (the planner's vmMtu is 0).
    (plan.spec.hosts.length
      ? `Fabric overhead ${plan.mtu.fabricOverhead} bytes; VM NIC MTU **${plan.mtu.vmMtu}**`
      : "No bare-metal hosts: no fabric and no VM NICs") +
      (plan.mtu.podMtu ? `; pod MTU **${plan.mtu.podMtu}**.` : "."),
    "",
    mtuTable(plan),
    "",
    "## Host fabric",
    "",
    fabricSection(plan) || "No bare-metal hosts.",
    "",
    "## CNI decision",
    "",
    cniSection(plan),
    "",
    "## Validation warnings",
    "",
    warnings,
    "",
  ].join("\n");
}
