// The DHCP host entries labfabric adds to adopted libvirt networks itself (plan.ts
// reservationOwner: terraform-provider-libvirt 0.8 never removes the entry it adds when it creates
// a domain, and an adopted network is not deleted with the lab). Pure: the entry's XML and the
// step's create and delete scripts, run as root on the VM's host over SSH. Create adds each
// entry to the network's persistent config and, while the network runs, to the live network,
// and accepts an identical entry that is already there (a re-run adds nothing); an entry of
// someone else's for the same MAC, address or name is refused, never rewritten. Delete removes
// exactly those entries, and nothing when they (or the network) are already gone.
import type { LibvirtHostReservation } from "../plan";
import { contentHash, fail, script, shq } from "../shared";
import { patterns } from "../spec";

/** Where the step's virsh connects: the host's own system libvirtd. */
export const LOCAL_LIBVIRT_URI = "qemu:///system";

/** The shell function `v`: quiet virsh on the host's own libvirtd (this step's and seed.ts'). */
export const LOCAL_VIRSH = `v() { virsh -q -c ${shq(LOCAL_LIBVIRT_URI)} "$@"; }`;

/** The values of a reservation, checked again before they enter XML or a script. */
export function reservationProblems(r: LibvirtHostReservation): string[] {
  return [
    ...(patterns.name.safeParse(r.network).success ? [] : [`network ${JSON.stringify(r.network)}`]),
    ...(patterns.macAddress.safeParse(r.mac).success ? [] : [`mac ${JSON.stringify(r.mac)}`]),
    ...(patterns.name.safeParse(r.name).success ? [] : [`name ${JSON.stringify(r.name)}`]),
    ...(patterns.ipv4.safeParse(r.address).success ? [] : [`address ${JSON.stringify(r.address)}`]),
  ];
}

function checked(rs: readonly LibvirtHostReservation[]): readonly LibvirtHostReservation[] {
  const bad = rs.flatMap((r) => reservationProblems(r).map((p) => `${r.name}: ${p}`));
  if (bad.length > 0) {
    throw new Error(`labfabric: DHCP host entry with an invalid value: ${bad.join("; ")}`);
  }
  return rs;
}

/** The entry exactly as libvirt prints it in `net-dumpxml` (attribute order mac, name, ip). */
export function dhcpHostXml(r: LibvirtHostReservation): string {
  checked([r]);
  return `<host mac='${r.mac}' name='${r.name}' ip='${r.address}'/>`;
}

/** Shell functions both scripts use: virsh on the host, the network's XML, its state. */
function helpers(): string {
  return [
    LOCAL_VIRSH,
    "# dump <network> config|live: the network's persistent or running definition",
    'dump() { if [ "$2" = config ]; then v net-dumpxml --inactive "$1"; else v net-dumpxml "$1"; fi; }',
    "# has <network> <scope> <entry>: the exact entry is there (libvirt keeps a MAC's case as given)",
    'has() { dump "$1" "$2" | grep -Fqi -- "$3"; }',
    "# scopes <network>: config, and live while the network runs",
    'scopes() { if [ "$(v net-info "$1" | awk \'$1 == "Active:" { print $2 }\')" = yes ]; then echo config live; else echo config; fi; }',
  ].join("\n");
}

/** One line of the step's log: what happened to which entry, in which scope ($s). */
function say(what: "present" | "added" | "removed", r: LibvirtHostReservation): string {
  return `printf '%-8s %s (%s): %s\\n' ${what} ${shq(r.network)} "$s" ${shq(dhcpHostXml(r))}`;
}

function forEach(
  rs: readonly LibvirtHostReservation[],
  body: (r: LibvirtHostReservation) => string,
) {
  return rs.map(body).join("\n\n");
}

/** The step's create: add each entry where it is missing; refuse a conflicting one. */
export function renderReserveScript(rs: readonly LibvirtHostReservation[]): string {
  checked(rs);
  return script("reserve DHCP host entries in adopted libvirt networks", [
    helpers(),
    forEach(rs, (r) => {
      const entry = dhcpHostXml(r);
      const net = shq(r.network);
      const clash = (attr: string, value: string) =>
        `dump ${net} "$s" | grep -i '<host ' | grep -Fqi -- ${shq(`${attr}='${value}'`)}`;
      return [
        `v net-info ${net} >/dev/null 2>&1 || ${fail(`adopted network ${r.network} does not exist on this host`)}`,
        `for s in $(scopes ${net}); do`,
        `  if has ${net} "$s" ${shq(entry)}; then ${say("present", r)}; continue; fi`,
        `  if ${clash("mac", r.mac)} || ${clash("ip", r.address)} || ${clash("name", r.name)}; then`,
        `    ${fail(`${r.network} already has a DHCP host entry for mac ${r.mac}, ip ${r.address} or name ${r.name} that is not ${entry}: remove it or change the VM's address`)}`,
        "  fi",
        `  v net-update ${net} add-last ip-dhcp-host ${shq(entry)} "--$s" >/dev/null`,
        `  ${say("added", r)}`,
        "done",
      ].join("\n");
    }),
  ]);
}

/** The step's delete: remove exactly these entries where they are; nothing else. */
export function renderReleaseScript(rs: readonly LibvirtHostReservation[]): string {
  checked(rs);
  return script("remove labfabric's DHCP host entries from adopted libvirt networks", [
    helpers(),
    forEach(rs, (r) => {
      const entry = dhcpHostXml(r);
      const net = shq(r.network);
      return [
        `if v net-info ${net} >/dev/null 2>&1; then`,
        `  for s in $(scopes ${net}); do`,
        `    if has ${net} "$s" ${shq(entry)}; then`,
        `      v net-update ${net} delete ip-dhcp-host ${shq(entry)} "--$s" >/dev/null`,
        `      ${say("removed", r)}`,
        "    fi",
        "  done",
        "else",
        `  printf '%s\\n' ${shq(`network ${r.network} is gone: nothing to remove`)}`,
        "fi",
      ].join("\n");
    }),
  ]);
}

/** Both scripts and the trigger that replaces the step when either changes. */
export function renderDhcpHostStep(rs: readonly LibvirtHostReservation[]) {
  const create = renderReserveScript(rs);
  const del = renderReleaseScript(rs);
  return { create, delete: del, hash: contentHash(create, del) };
}
