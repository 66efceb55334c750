// The shape of the libvirt plan (plan.ts decides it): per host the networks, images and VMs, with
// each VM's NICs, reservations and cloud-init documents. Types only.
import type { NetworkSpec, Role } from "../../spec";
import type { SshTarget } from "../../ssh";
import type { CloudInit, CloudInitNic } from "./cloud-init";

export type NetworkMode = NetworkSpec["mode"];

export interface LibvirtReservation {
  vm: string;
  mac: string;
  /** Plain address, no prefix. */
  address: string;
  /**
   * How the MAC -> IP entry reaches dnsmasq (decided by `reservationOwner`): "domain" = the
   * VM's own `networkInterfaces[].addresses` (0.8 adds the host entry when it creates the
   * domain; it goes with the network labfabric created); "host-step" = labfabric's own remote
   * step on the host (adopted networks: the provider never removes the entry it adds, so it
   * would outlive the domain in a network labfabric does not own); "xslt" = the network's
   * stylesheet (a reservation no VM of the lab carries).
   */
  via: "domain" | "host-step" | "xslt";
}

/**
 * One DHCP host entry labfabric adds to an adopted network itself, and removes exactly on
 * delete (components/libvirt/dhcp-host.ts renders the step's scripts).
 */
export interface LibvirtHostReservation {
  /** The libvirt network's name on the host. */
  network: string;
  mac: string;
  /** The entry's name: the VM's. */
  name: string;
  /** Plain address, no prefix. */
  address: string;
}

export interface LibvirtNetworkPlan {
  /** Unique in the lab ("<host>-<name>"): resource names are built from it. */
  key: string;
  host: string;
  /** The name VM NICs give (`vms[].nics[].network`); "fabric" for the fabric bridge. */
  name: string;
  /** The libvirt network's name on the host. */
  libvirtName: string;
  mode: NetworkMode;
  bridge: string;
  cidr: string;
  /**
   * The VMs' gateway on this network: the host's address on nat/route/open networks, the
   * configured (or first) address on a bridge-mode network other than the fabric, unset on the
   * fabric (each host's own bridge address: VmNicPlan.gateway).
   */
  gateway?: string;
  /** The planner's VM MTU (plan.mtu.vmMtu). */
  mtu: number;
  autostart: boolean;
  /** Exists on the host already: attached by name, never created, changed or deleted. */
  adopt: boolean;
  /** The fabric bridge network of a vxlan lab: needs the host fabric's bridge first. */
  fabric: boolean;
  /** libvirt's DHCP range (nat/route/open); bridge-mode networks have no libvirt DHCP. */
  dhcp?: { start: string; end: string };
  reservations: LibvirtReservation[];
  /** `xml.xslt` when the XML 0.8.1 generates must change (range, gateway, extra hosts). */
  xslt?: string;
}

export interface LibvirtNicPlan {
  vm: string;
  index: number;
  /** The network name the VM gives. */
  network: string;
  /** Key of the LibvirtNetworkPlan it attaches to. */
  networkKey: string;
  libvirtNetwork: string;
  /** Attached by name to an adopted network (no resource to reference). */
  adopted: boolean;
  mac: string;
  /** With prefix ("172.20.112.101/24"). */
  address: string;
  /** libvirt's dnsmasq serves the NIC (its address is a DHCP reservation). */
  dhcp: boolean;
  /**
   * Who writes the NIC's reservation (`reservationOwner`): "domain" (its `addresses`),
   * "host-step" (labfabric's step on the host, adopted networks), or "none" (no DHCP).
   */
  reservation: "domain" | "host-step" | "none";
  /**
   * Set on a bridge-mode network: the domain's interface names this bridge, not the network.
   * libvirt resolves a bridge-mode network interface to a plain bridge interface, which is all
   * the provider reads back (bridge set, no network id), so an interface given by network
   * would differ from the state after every `up`.
   */
  bridge?: string;
  cloudInit: CloudInitNic;
}

export interface LibvirtImagePlan {
  /** Unique in the lab ("<host>-<image>"). */
  key: string;
  host: string;
  image: string;
  /** URL, file:// URL or path, read where `pulumi` runs and uploaded to the host's pool. */
  source: string;
  volumeName: string;
}

export interface LibvirtVmPlan {
  name: string;
  host: string;
  role: Role;
  vcpus: number;
  memoryMiB: number;
  diskGiB: number;
  diskBytes: number;
  imageKey: string;
  rootVolumeName: string;
  /** The NoCloud seed volume in the host's pool: `<lab>-<vm>-seed-<hash of the documents>.iso`. */
  seedVolumeName: string;
  nics: LibvirtNicPlan[];
  cloudInit: CloudInit;
  /** The first NIC's address without prefix (the kubelet node-ip). */
  address: string;
  /** Address without prefix by network name. */
  addresses: Record<string, string>;
  /** The reservations labfabric's own step adds on the VM's host (NICs on adopted networks). */
  hostReservations: LibvirtHostReservation[];
}

export interface LibvirtHostPlan {
  host: string;
  ssh: SshTarget;
  /** Something is created on the host; false = only adopted networks, so no provider. */
  managed: boolean;
  /** Storage pool; with `path` labfabric creates it (dir pool), else it must exist. */
  pool: { name: string; path?: string };
  networks: LibvirtNetworkPlan[];
  images: LibvirtImagePlan[];
  vms: LibvirtVmPlan[];
}

export interface LibvirtPlan {
  lab: string;
  vmUser: string;
  /** Domain type of every VM: "kvm", or "qemu" (TCG) where /dev/kvm is unusable. */
  domainType: "kvm" | "qemu";
  /** Index of each VM in the stack's `labfabric:vms` (error messages name the key). */
  vmIndex: Record<string, number>;
  /** MTU of every libvirt network and VM NIC: the planner's VM MTU. */
  mtu: number;
  /** libvirt.sshKeyFile: the key file the provider reads; unset = ssh-agent. */
  sshKeyFile?: string;
  hosts: LibvirtHostPlan[];
}

export interface LibvirtPlanOptions {
  /** Resolvers for NICs with a static address and the default route (DEFAULT_VM_NAMESERVERS). */
  nameservers?: readonly string[];
}
