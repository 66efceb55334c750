// cloud-init NoCloud documents for one libvirt VM, rendered from plain values: user-data
// (hostname, login user + key, swap off, root filesystem grown), meta-data, and a
// network-config v2 document (MTU, static address or DHCP per NIC, routes to peer subnets).
// Keys are sorted and the YAML is written for YAML 1.1 readers, so the same plan gives the
// same bytes (the seed volume's name carries their hash: a change replaces the VM's seed and
// domain) and cloud-init's PyYAML reads
// back exactly what was planned (an all-digit MAC like 52:54:00:12:34:56 is a base-60 integer
// to a YAML 1.1 reader unless quoted).
import { createHash } from "node:crypto";
import { Document, isScalar, visit } from "yaml";
import { SWAP_OFF_COMMANDS } from "./defaults";

/** How a NIC gets its address. */
export type NicAddressing =
  /** libvirt's dnsmasq serves it (nat/route/open networks; the reservation pins the address). */
  | { kind: "dhcp" }
  /** No libvirt DHCP (bridge-mode networks such as the fabric bridge): set in the guest. */
  | {
      kind: "static";
      /** With prefix: "12.12.139.11/24". */
      address: string;
      /** Default gateway; only on the NIC that carries the default route. */
      gateway?: string;
      /** Resolvers; only with a gateway (the NIC that carries the default route). */
      nameservers: readonly string[];
    };

export interface CloudInitRoute {
  /** Destination subnet, e.g. a peer host's NAT subnet "192.168.100.0/24". */
  to: string;
  /** Next hop on the NIC's own subnet: the local libvirt gateway (post D). */
  via: string;
}

export interface CloudInitNic {
  mac: string;
  mtu: number;
  addressing: NicAddressing;
  routes: readonly CloudInitRoute[];
}

export interface CloudInitInput {
  lab: string;
  hostname: string;
  /** The login user created in the VM (libvirt.vmUser). */
  user: string;
  /** The lab's public key (sshPublicKey); without it the user has no way to log in. */
  sshPublicKey?: string;
  nics: readonly CloudInitNic[];
}

export interface CloudInit {
  userData: string;
  metaData: string;
  networkConfig: string;
  /** Changes whenever user-data or network-config does, so cloud-init applies the new documents. */
  instanceId: string;
}

/**
 * YAML that a YAML 1.1 reader (cloud-init's PyYAML) parses back to the same values, keys sorted,
 * lists of plain values on one line (`[swapoff, -a]`), no line folding (long SSH keys).
 */
function yaml(value: unknown): string {
  const doc = new Document(value, { version: "1.1", sortMapEntries: true });
  visit(doc, {
    Seq(_, seq) {
      if (seq.items.every((i) => isScalar(i))) seq.flow = true;
    },
  });
  return doc.toString({ lineWidth: 0 });
}

/** The route to everything else, spelled so every cloud-init renderer reads it as the default. */
const DEFAULT_ROUTE = "0.0.0.0/0";

function ethernet(nic: CloudInitNic): Record<string, unknown> {
  const routes: CloudInitRoute[] = [];
  const eth: Record<string, unknown> = {
    // Matched by MAC, not renamed: cloud-init looks the interface up by MAC (eth0 on one image,
    // enp1s0 on another), and the MAC is fixed by the domain.
    match: { macaddress: nic.mac },
    mtu: nic.mtu,
  };
  const a = nic.addressing;
  switch (a.kind) {
    case "dhcp":
      eth.dhcp4 = true;
      break;
    case "static":
      eth.dhcp4 = false;
      eth.addresses = [a.address];
      if (a.gateway) {
        routes.push({ to: DEFAULT_ROUTE, via: a.gateway });
        if (a.nameservers.length > 0) eth.nameservers = { addresses: [...a.nameservers] };
      }
      break;
    default: {
      const never: never = a;
      throw new Error(`unknown NIC addressing ${JSON.stringify(never)}`);
    }
  }
  // Routes to peer subnets (routed labs) persist with the NIC's connection, like post D's
  // `nmcli connection modify <nic> +ipv4.routes "<peer subnet> <local libvirt gateway>"`.
  routes.push(...nic.routes.map((r) => ({ to: r.to, via: r.via })));
  if (routes.length > 0) eth.routes = routes;
  return eth;
}

/** network-config v2: one `ethernets` entry per NIC (nic0, nic1, ...), matched by MAC. */
export function renderNetworkConfig(nics: readonly CloudInitNic[]): string {
  const ethernets = Object.fromEntries(nics.map((nic, i) => [`nic${i}`, ethernet(nic)]));
  return yaml({ version: 2, ethernets });
}

/** user-data: a #cloud-config document. */
export function renderUserData(input: Omit<CloudInitInput, "nics" | "lab">): string {
  const user: Record<string, unknown> = {
    name: input.user,
    shell: "/bin/bash",
    sudo: "ALL=(ALL) NOPASSWD:ALL",
    lock_passwd: true,
  };
  if (input.sshPublicKey) user.ssh_authorized_keys = [input.sshPublicKey];
  const doc = {
    hostname: input.hostname,
    preserve_hostname: false,
    // Only the lab user: no distribution default user, no password logins.
    users: [user],
    ssh_pwauth: false,
    // The root volume is larger than the image (diskGiB): grow the partition and filesystem.
    growpart: { mode: "auto", devices: ["/"] },
    resize_rootfs: true,
    runcmd: SWAP_OFF_COMMANDS.map((c) => [...c]),
  };
  return `#cloud-config\n${yaml(doc)}`;
}

export function renderMetaData(instanceId: string, hostname: string): string {
  return yaml({ "instance-id": instanceId, "local-hostname": hostname });
}

export function renderCloudInit(input: CloudInitInput): CloudInit {
  const userData = renderUserData(input);
  const networkConfig = renderNetworkConfig(input.nics);
  const digest = createHash("sha256")
    .update(userData)
    .update("\0")
    .update(networkConfig)
    .digest("hex")
    .slice(0, 12);
  const instanceId = `${input.lab}-${input.hostname}-${digest}`;
  return {
    userData,
    networkConfig,
    instanceId,
    metaData: renderMetaData(instanceId, input.hostname),
  };
}

/**
 * The name of a VM's NoCloud seed volume (components/libvirt/seed.ts): changes exactly when one
 * of the three documents changes, so a changed seed is a new volume and the domain is replaced.
 */
export function seedVolumeName(
  lab: string,
  vm: string,
  docs: Pick<CloudInit, "userData" | "metaData" | "networkConfig">,
): string {
  const sha = (s: string) => createHash("sha256").update(s).digest("hex");
  const hash = sha([docs.userData, docs.metaData, docs.networkConfig].map(sha).join("\n"));
  return `${lab}-${vm}-seed-${hash.slice(0, 12)}.iso`;
}
