// Persistence across reboots and libvirt network restarts: a systemd unit that re-runs the
// idempotent apply script at boot, a libvirt network hook that re-runs only the firewall
// part, and a sysctl.d file. Why not NetworkManager or systemd-networkd: see README.md.
import type { HostFabricPlan } from "../plan";
import { hostPaths } from "./paths";
import { shq } from "../shared";

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
 * Re-attaches the taps of running guests to a network's bridge after libvirt re-created it
 * (`net-destroy` + `net-start`: libvirt 9.0 brings the bridge back empty and only plugs the taps
 * in again when its daemon restarts). Reads libvirt's own status files of running domains
 * (/run/libvirt/qemu/<vm>.xml, single-quoted attributes) and the network XML on stdin; never
 * calls libvirt. Network names are DNS labels (validated), so they are safe in the patterns.
 */
const REATTACH = String.raw`lf_reattach() {
  lf_net=$1
  lf_br=$(printf '%s' "$2" | tr '\n' ' ' | sed -n "s/.*<bridge name='\([^']*\)'.*/\1/p")
  [ -n "$lf_br" ] && ip link show dev "$lf_br" >/dev/null 2>&1 || return 0
  for lf_f in /run/libvirt/qemu/*.xml; do
    [ -f "$lf_f" ] || continue
    tr '\n' ' ' < "$lf_f" | sed 's/<interface /\n<interface /g' | sed 's/<\/interface>.*//' |
      grep "^<interface type='network'" | grep "<source network='$lf_net'" |
      sed -n "s/.*<target dev='\([^']*\)'.*/\1/p" | while read -r lf_tap; do
        ip link show dev "$lf_tap" >/dev/null 2>&1 || continue
        if ! ip -o link show dev "$lf_tap" | grep -q " master $lf_br "; then
          ip link set dev "$lf_tap" master "$lf_br" && ip link set dev "$lf_tap" up &&
            echo "labfabric: re-attached $lf_tap to $lf_br (network $lf_net)" >&2
        fi
      done
  done
}`;

/**
 * libvirt (>= 6.5) runs every executable in hooks/network.d with
 * `<network> <operation> <sub-operation> -` and the network XML on stdin, and only those that
 * existed when its daemon started. Events and what the hook does:
 * - `started`: libvirt re-created the network's bridge and rules. Re-attach running guests'
 *   taps (see REATTACH), then re-apply the firewall (the nftables backend's openings sit inside
 *   libvirt's chains and are gone; the iptables backend's own chain is untouched).
 * - `port-created`, `updated`, `reconnect`: what libvirt sends on a daemon restart and on guest
 *   starts; the firewall is re-applied (idempotent: "ok" when nothing moved).
 * The hook must not call libvirt (the daemon waits for it) and never fails the network start.
 */
export function renderLibvirtHook(plan: HostFabricPlan): string {
  const p = hostPaths(plan);
  return [
    "#!/bin/sh",
    `# labfabric ${plan.lab}: libvirt network hook (written by up.sh, removed by down.sh).`,
    "# libvirt drops the rules labfabric inserted into its NAT firewall when it (re)starts a",
    "# network, and leaves running guests off a re-created bridge; this re-applies the firewall",
    "# part and re-attaches the guests. It never calls libvirt.",
    REATTACH,
    'case "$2" in',
    '  started) lf_reattach "$1" "$(cat)" || true ;;',
    "  port-created | updated | reconnect) ;;",
    "  *) exit 0 ;;",
    "esac",
    `if ! /bin/sh ${shq(p.firewall)}; then`,
    `  echo ${shq(`labfabric ${plan.lab}: re-applying the firewall failed for libvirt network`)} "$1" >&2`,
    "fi",
    "exit 0",
    "",
  ].join("\n");
}
