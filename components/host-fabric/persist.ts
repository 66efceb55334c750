// Persistence across reboots and libvirt network restarts: a systemd unit that re-runs the
// idempotent apply script at boot, a libvirt network hook that re-runs only the firewall
// part, and a sysctl.d file. Why not NetworkManager or systemd-networkd: see README.md.
import type { HostFabricPlan } from "../lab/fabric";
import { hostPaths, shq } from "./shell";

export function renderSysctlConf(plan: HostFabricPlan): string {
  return [
    `# labfabric ${plan.lab}: sysctls of the host fabric (written by up.sh, removed by down.sh).`,
    "# Slash-separated keys keep dotted interface names (eth0.100) unambiguous.",
    ...plan.sysctls.map((s) => `${s.key} = ${s.value}`),
    "",
  ].join("\n");
}

export function renderSystemdUnit(plan: HostFabricPlan): string {
  const p = hostPaths(plan);
  return [
    `# labfabric ${plan.lab}: re-applies the host fabric at boot (written by up.sh, removed by down.sh).`,
    "[Unit]",
    `Description=labfabric ${plan.lab}: host fabric (${plan.mode}) on ${plan.host}`,
    "Wants=network-online.target",
    // libvirt starts its networks (and rebuilds its firewall) when its daemon starts.
    "After=network-online.target libvirtd.service virtnetworkd.service",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=/bin/sh ${p.apply}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/**
 * libvirt (>= 6.5) runs every executable in hooks/network.d with
 * `<network> <operation> <sub-operation> -` and the network XML on stdin. On "started" the
 * network's own rules are in place: re-insert ours above them. The hook must not call libvirt
 * (the daemon waits for it) and must not fail the network start.
 */
export function renderLibvirtHook(plan: HostFabricPlan): string {
  const p = hostPaths(plan);
  return [
    "#!/bin/sh",
    `# labfabric ${plan.lab}: libvirt network hook (written by up.sh, removed by down.sh).`,
    "# libvirt drops the rules labfabric inserted into its NAT firewall when it (re)starts a",
    "# network; this re-applies only the firewall part. It never calls libvirt.",
    'case "$2" in',
    "  started) ;;",
    "  *) exit 0 ;;",
    "esac",
    `if ! /bin/sh ${shq(p.firewall)}; then`,
    `  echo ${shq(`labfabric ${plan.lab}: re-applying the firewall failed for libvirt network`)} "$1" >&2`,
    "fi",
    "exit 0",
    "",
  ].join("\n");
}
