// The device, address, route and sysctl steps of apply.sh, rendered from the plan.
// vxlan mode: bridge + VXLAN device (recreated when its parameters differ), flood entries,
// the host's bridge address. routed mode: the internal address and the routes to the peers.
import type { HostFabricPlan, VxlanPlan } from "../plan";
import { shq } from "../shared";

function checkUnderlay(plan: HostFabricPlan): string {
  const u = plan.underlay;
  const address = u.address.split("/")[0];
  return [
    "# The underlay must exist, carry the planned address and at least the planned MTU.",
    `lf_link_exists ${shq(u.interface)} || lf_die ${shq(`underlay interface ${u.interface} does not exist on this host (hosts[].underlay.interface)`)}`,
    `ip -4 -o addr show dev ${shq(u.interface)} | grep -qF ${shq(` inet ${address}/`)} ||`,
    `  lf_die ${shq(`underlay ${u.interface} does not carry ${address} (hosts[].underlay.address)`)}`,
    `lf_mtu=$(lf_link_mtu ${shq(u.interface)})`,
    `[ "$lf_mtu" -ge ${u.mtu} ] || lf_die "underlay ${u.interface} has MTU $lf_mtu but the plan assumes ${u.mtu} (hosts[].underlay.mtu): larger packets would be black-holed; fix the NIC or the plan"`,
  ].join("\n");
}

/** The `ip -d link` tokens a matching VXLAN device shows. */
export function vxlanTokens(v: VxlanPlan): string[] {
  return [
    `vxlan id ${v.vni}`,
    ...(v.remote ? [`remote ${v.remote}`] : []),
    `local ${v.local}`,
    `dev ${v.dev}`,
    `dstport ${v.port}`,
    "nolearning",
  ];
}

function vxlanSteps(v: VxlanPlan): string {
  const dev = shq(v.device);
  const create = [
    `ip link add ${dev} type vxlan id ${shq(v.vni)}`,
    ...(v.remote ? [`remote ${shq(v.remote)}`] : []),
    `local ${shq(v.local)} dev ${shq(v.dev)} dstport ${shq(v.port)} nolearning`,
  ].join(" ");
  const keep = v.remote ? [v.remote] : v.fdbPeers;
  return [
    `# Bridge ${v.bridge} and VXLAN ${v.device} (VNI ${v.vni}, UDP ${v.port}), MTU ${v.mtu}: the smallest underlay of the lab - 50.`,
    `lf_ensure_bridge ${shq(v.bridge)}`,
    `lf_ensure_mtu ${shq(v.bridge)} ${shq(v.mtu)}`,
    `lf_info=$(lf_link_info ${dev})`,
    'if [ -n "$lf_info" ]; then',
    '  case "$lf_info" in',
    '    *" vxlan id "*) ;;',
    `    *) lf_die ${shq(`${v.device} exists but is not a VXLAN device; remove it or set fabric.vxlanDevice to another name`)} ;;`,
    "  esac",
    `  lf_diff=$(lf_tokens_missing "$lf_info" ${vxlanTokens(v).map(shq).join(" ")})`,
    ...(v.remote
      ? []
      : ['  case "$lf_info " in *" remote "*) lf_diff="$lf_diff remote (unplanned)" ;; esac']),
    '  if [ -n "$lf_diff" ]; then',
    `    ip link del dev ${dev}`,
    `    lf_did "removed ${v.device}: differs from the plan (missing:$lf_diff)"`,
    '    lf_info=""',
    "  else",
    `    lf_ok ${shq(`vxlan ${v.device} (${vxlanTokens(v).join(", ")})`)}`,
    "  fi",
    "fi",
    'if [ -z "$lf_info" ]; then',
    `  lf_mark ${shq(`link.${v.device}`)} ${dev}`,
    `  ${create}`,
    `  lf_did ${shq(`created vxlan ${v.device} (${vxlanTokens(v).join(", ")})`)}`,
    "fi",
    `lf_ensure_mtu ${dev} ${shq(v.mtu)}`,
    `lf_ensure_master ${dev} ${shq(v.bridge)}`,
    `lf_ensure_up ${dev}`,
    `lf_ensure_up ${shq(v.bridge)}`,
    `lf_ensure_addr ${shq(v.bridgeAddress)} ${shq(v.bridge)}`,
    ...(v.fdbPeers.length > 0
      ? ["# Head-end replication: one all-zeros flood entry per peer (three or more hosts)."]
      : []),
    ...v.fdbPeers.map((p) => `lf_ensure_fdb ${dev} ${shq(p)}`),
    `lf_prune_fdb ${dev}${keep.map((p) => ` ${shq(p)}`).join("")}`,
  ].join("\n");
}

function routedSteps(plan: HostFabricPlan): string | undefined {
  const r = plan.routed;
  if (!r) return undefined;
  const dev = shq(plan.underlay.interface);
  return [
    "# The internal address is added next to the existing ones (never replacing them).",
    `lf_ensure_addr ${shq(r.internalAddress)} ${dev}`,
    ...r.routes.map((x) => `lf_ensure_route ${shq(x.to)} ${shq(x.via)} ${dev}`),
  ].join("\n");
}

export function renderDeviceSteps(plan: HostFabricPlan): string | undefined {
  if (plan.vxlan) return [checkUnderlay(plan), vxlanSteps(plan.vxlan)].join("\n\n");
  if (plan.routed) return [checkUnderlay(plan), routedSteps(plan)].join("\n\n");
  return undefined;
}

/** Sysctls go last: per-interface keys exist only once the devices do. */
export function renderSysctlSteps(plan: HostFabricPlan): string | undefined {
  if (plan.sysctls.length === 0) return undefined;
  return [
    "# Sysctls (originals recorded once in the state dir; down.sh restores them).",
    ...plan.sysctls.map((s) => `lf_sysctl ${shq(s.key)} ${shq(s.value)}`),
  ].join("\n");
}
