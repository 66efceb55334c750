// cloud-init user data for one OpenStack instance, rendered from plain values: hostname, the
// MTU of every NIC, routes to peer subnets (routed labs, post D) and swap off (kubelet refuses
// to start with swap on, post D). Keys are sorted so the same plan renders the same bytes:
// user data is a replace-on-change input of compute.Instance.
import { stringify } from "yaml";

/** How long the network script waits for DHCP to put an address on a NIC (bounded, seconds). */
export const NIC_WAIT_SECONDS = 120;

export const NET_SCRIPT_PATH = "/usr/local/sbin/labfabric-net";
export const NET_UNIT = "labfabric-net.service";

export interface UserDataNic {
  /** The OpenStack network's subnet; the NIC is found by the address it holds in it. */
  cidr: string;
  mtu: number;
}

export interface UserDataRoute {
  to: string;
  via: string;
  /** Subnet of the NIC the gateway sits on. */
  nicCidr: string;
}

export interface UserDataPlan {
  hostname: string;
  nics: UserDataNic[];
  routes: UserDataRoute[];
  /** The login user labfabric bootstraps through, with the lab's public key. */
  login?: { user: string; publicKey: string };
  swapOff: boolean;
}

/**
 * The boot-time network script. NICs are found by subnet, not by name (eth1 vs ens4 depends
 * on the image), after waiting for DHCP; it re-runs at every boot from a systemd unit because
 * `ip` settings do not survive a reboot. A NIC that never gets its address is reported and
 * the script fails after handling the others.
 */
export function renderNetScript(u: Pick<UserDataPlan, "hostname" | "nics" | "routes">): string {
  const lines = [
    "#!/bin/sh",
    `# labfabric: NIC MTUs and routes for ${u.hostname}, applied at every boot.`,
    "set -u",
    "failed=0",
    `# The interface holding an address in subnet $1; waits up to ${NIC_WAIT_SECONDS} s for DHCP.`,
    "nic_in() {",
    "  n=0",
    `  while [ "$n" -lt ${NIC_WAIT_SECONDS} ]; do`,
    `    dev=$(ip -o -4 addr show to "$1" | awk '{print $2; exit}')`,
    '    if [ -n "$dev" ]; then echo "$dev"; return 0; fi',
    "    n=$((n + 1))",
    "    sleep 1",
    "  done",
    '  echo "labfabric-net: no interface has an address in $1" >&2',
    "  return 1",
    "}",
  ];
  for (const nic of u.nics) {
    const routes = u.routes.filter((r) => r.nicCidr === nic.cidr);
    lines.push(`if dev=$(nic_in ${nic.cidr}); then`);
    lines.push(`  ip link set dev "$dev" mtu ${nic.mtu} || failed=1`);
    for (const r of routes)
      lines.push(`  ip route replace ${r.to} via ${r.via} dev "$dev" || failed=1`);
    lines.push("else", "  failed=1", "fi");
  }
  lines.push('exit "$failed"');
  return lines.join("\n") + "\n";
}

export function renderNetUnit(): string {
  return [
    "[Unit]",
    "Description=labfabric: NIC MTUs and routes to peer subnets",
    "Wants=network-online.target",
    "After=network-online.target",
    "",
    "[Service]",
    "Type=oneshot",
    "RemainAfterExit=yes",
    `ExecStart=${NET_SCRIPT_PATH}`,
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** Comments out swap lines in fstab so swap stays off after a reboot. */
const FSTAB_SWAP_OFF = [
  "sed",
  "-i",
  "-E",
  "/^[^#].*[[:space:]]swap[[:space:]]/s/^/#/",
  "/etc/fstab",
];

export function renderUserData(u: UserDataPlan): string {
  const runcmd: string[][] = [
    ...(u.swapOff ? [["swapoff", "-a"], FSTAB_SWAP_OFF] : []),
    ["systemctl", "daemon-reload"],
    ["systemctl", "enable", "--now", NET_UNIT],
  ];
  const doc: Record<string, unknown> = {
    hostname: u.hostname,
    preserve_hostname: false,
    runcmd,
    write_files: [
      {
        path: NET_SCRIPT_PATH,
        owner: "root:root",
        permissions: "0755",
        content: renderNetScript(u),
      },
      {
        path: `/etc/systemd/system/${NET_UNIT}`,
        owner: "root:root",
        permissions: "0644",
        content: renderNetUnit(),
      },
    ],
  };
  if (u.login) {
    doc.users = [
      "default",
      {
        name: u.login.user,
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        lock_passwd: true,
        ssh_authorized_keys: [u.login.publicKey],
      },
    ];
  }
  return "#cloud-config\n" + stringify(doc, { sortMapEntries: true, lineWidth: 0 });
}
