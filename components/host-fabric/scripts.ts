// up.sh / down.sh for one host, rendered by pure functions from its HostFabricPlan.
//   up.sh   writes the state dir (apply.sh, firewall.sh), runs apply.sh, then installs the
//           persistence files (sysctl.d, systemd unit, libvirt hook) when plan.persist.
//   apply.sh the idempotent apply: devices, addresses, routes, sysctls, firewall. Re-run at
//           boot by the unit. Converges from any partial state.
//   down.sh removes exactly what up.sh added (owner markers + the lab's rule comment),
//           restores recorded sysctls, removes its files. Idempotent; safe if up never ran.
import { contentHash } from "../shared";
import type { HostFabricPlan } from "../plan";
import { renderDeviceSteps, renderSysctlSteps } from "./devices";
import {
  FIREWALL_DOWN_LIB,
  FIREWALL_LIB,
  renderFirewallScript,
  renderFirewallSteps,
} from "./firewall";
import { CORE_LIB, header, NET_LIB, UNDO_LIB } from "./lib";
import { renderLibvirtHook, renderSysctlConf, renderSystemdUnit } from "./persist";
import { heredoc, sections, shq } from "../shared";
import { hostPaths } from "./paths";

/** systemctl only on a real host: root "/" and systemd running as PID 1. */
const SYSTEMD_HERE = '[ "$LF_ROOT" = / ] && [ -d /run/systemd/system ]';

export function renderApplyScript(plan: HostFabricPlan): string {
  return `${sections(
    header(plan, "apply.sh (idempotent; re-run at boot)"),
    CORE_LIB,
    NET_LIB,
    FIREWALL_LIB,
    `echo "labfabric $LF_LAB on $LF_HOST: applying the host fabric (${plan.mode})"`,
    'mkdir -p "$LF_STATE/owned"',
    renderDeviceSteps(plan),
    renderSysctlSteps(plan),
    renderFirewallSteps(plan),
    'lf_done "labfabric $LF_LAB on $LF_HOST: apply"',
  )}\n`;
}

function persistSteps(plan: HostFabricPlan): string {
  const p = hostPaths(plan);
  if (!plan.persist)
    return 'lf_skip "persistence (fabric.persist is false): nothing re-applies at boot"';
  return [
    "# Persistence: sysctl.d, a boot-time unit, and a libvirt hook for network restarts.",
    heredoc(`lf_install ${shq(p.sysctlConf)} 0644`, "LF_SYSCTL_EOF", renderSysctlConf(plan)),
    heredoc(`lf_install ${shq(p.unit)} 0644`, "LF_UNIT_EOF", renderSystemdUnit(plan)),
    heredoc(`lf_install ${shq(p.hook)} 0755`, "LF_HOOK_EOF", renderLibvirtHook(plan)),
    `if ${SYSTEMD_HERE}; then`,
    "  systemctl daemon-reload",
    `  if systemctl is-enabled --quiet ${shq(p.unitName)}; then lf_ok ${shq(`${p.unitName} enabled`)}; else systemctl enable --quiet ${shq(p.unitName)}; lf_did ${shq(`enabled ${p.unitName}`)}; fi`,
    "else",
    `  lf_skip ${shq(`systemctl daemon-reload/enable ${p.unitName} (root is not / or systemd is not PID 1)`)}`,
    "fi",
    "# libvirt looks for hooks when its daemon starts.",
    "if pgrep -x libvirtd >/dev/null 2>&1 || pgrep -x virtnetworkd >/dev/null 2>&1; then",
    `  lf_warn ${shq("restart libvirtd (or virtnetworkd) once so it sees the new network hook; running networks keep their rules")}`,
    "fi",
  ].join("\n");
}

export function renderUpScript(plan: HostFabricPlan): string {
  const p = hostPaths(plan);
  return `${sections(
    header(plan, "up.sh"),
    CORE_LIB,
    `echo "labfabric $LF_LAB on $LF_HOST: up (${plan.mode})"`,
    "umask 022",
    "lf_state_dir",
    heredoc(`lf_install ${shq(p.apply)} 0755`, "LF_APPLY_EOF", renderApplyScript(plan)),
    heredoc(`lf_install ${shq(p.firewall)} 0755`, "LF_FIREWALL_EOF", renderFirewallScript(plan)),
    `/bin/sh ${shq(p.apply)}`,
    persistSteps(plan),
    'lf_done "labfabric $LF_LAB on $LF_HOST: up (files)"',
  )}\n`;
}

export function renderDownScript(plan: HostFabricPlan): string {
  const p = hostPaths(plan);
  return `${sections(
    header(plan, "down.sh (removes exactly what up.sh added)"),
    CORE_LIB,
    NET_LIB,
    UNDO_LIB,
    FIREWALL_DOWN_LIB,
    'echo "labfabric $LF_LAB on $LF_HOST: down"',
    "lf_firewall_down",
    "lf_undo_owned",
    "lf_restore_sysctls",
    [
      `if [ -f ${shq(p.unit)} ]; then`,
      `  if ${SYSTEMD_HERE}; then systemctl disable --quiet ${shq(p.unitName)} || true; fi`,
      `  rm -f ${shq(p.unit)}`,
      `  lf_did ${shq(`removed ${p.unit}`)}`,
      `  if ${SYSTEMD_HERE}; then systemctl daemon-reload; fi`,
      "fi",
      ...[p.hook, p.sysctlConf].map(
        (f) => `if [ -f ${shq(f)} ]; then rm -f ${shq(f)}; lf_did ${shq(`removed ${f}`)}; fi`,
      ),
    ].join("\n"),
    [
      "# The state dir, then every directory up.sh created, deepest first, if empty.",
      'lf_dirs=""',
      'if [ -f "$LF_STATE/dirs" ]; then lf_dirs=$(sort -r "$LF_STATE/dirs"); fi',
      'if [ -d "$LF_STATE" ]; then rm -rf "$LF_STATE"; lf_did "removed $LF_STATE"; fi',
      "while IFS= read -r lf_d; do",
      '  if [ -n "$lf_d" ] && [ -d "$lf_d" ]; then rmdir "$lf_d" 2>/dev/null || true; fi',
      "done <<LF_DIRS_EOF",
      "$lf_dirs",
      "LF_DIRS_EOF",
    ].join("\n"),
    'lf_done "labfabric $LF_LAB on $LF_HOST: down"',
  )}\n`;
}

/** The trigger of the remote command: changes exactly when either script changes. */
export function scriptHash(up: string, down: string): string {
  return contentHash(up, down);
}

export interface RenderedHostFabric {
  up: string;
  down: string;
  hash: string;
}

export function renderHostFabric(plan: HostFabricPlan): RenderedHostFabric {
  const up = renderUpScript(plan);
  const down = renderDownScript(plan);
  return { up, down, hash: scriptHash(up, down) };
}

/** What `npm run render` writes for one host, relative to the output directory. */
export function renderHostScripts(plan: HostFabricPlan): { path: string; content: string }[] {
  const { up, down } = renderHostFabric(plan);
  return [
    { path: `hosts/${plan.host}/up.sh`, content: up },
    { path: `hosts/${plan.host}/down.sh`, content: down },
  ];
}
