// Input shapes of the nested blocks of the libvirt resources (terraform-provider-libvirt 0.8.1),
// named and cased as the Pulumi bridge names them (`network_interface` -> `networkInterfaces`,
// `wait_for_lease` -> `waitForLease`, ...). Single blocks (TF MaxItems = 1) are plain objects,
// repeated blocks are arrays.

import * as pulumi from "@pulumi/pulumi";

// ---------------------------------------------------------------- Domain

/** `boot_device`: boot order, e.g. `{ devs: ["hd", "network"] }`. */
export interface DomainBootDevice {
  devs?: pulumi.Input<pulumi.Input<string>[]>;
}

/** `console` block. */
export interface DomainConsole {
  /** "pty" or "tcp". */
  type: pulumi.Input<string>;
  /** Target port, e.g. "0". */
  targetPort: pulumi.Input<string>;
  /** "serial" (default for the first console) or "virtio" (for further consoles). */
  targetType?: pulumi.Input<string>;
  /** Source path for a "pty" console, e.g. "/dev/pts/4". */
  sourcePath?: pulumi.Input<string>;
  /** "tcp" console: address to listen on (default 127.0.0.1). */
  sourceHost?: pulumi.Input<string>;
  /** "tcp" console: port or service name (default "0", i.e. random). */
  sourceService?: pulumi.Input<string>;
}

/** `cpu` block. */
export interface DomainCpu {
  /** e.g. "host-passthrough", "host-model", "custom". */
  mode?: pulumi.Input<string>;
}

/**
 * `disk` block. Set exactly one of `volumeId`, `url`, `file`, `blockDevice`.
 */
export interface DomainDisk {
  /** Id of a `libvirt.Volume` (its `id`, the libvirt volume key). */
  volumeId?: pulumi.Input<string>;
  /** HTTP(S) URL used as a read-only disk (e.g. an ISO). */
  url?: pulumi.Input<string>;
  /** Path on the libvirt host used as a read-only disk (e.g. an ISO). */
  file?: pulumi.Input<string>;
  /** Path of a host block device, e.g. "/dev/sdb". */
  blockDevice?: pulumi.Input<string>;
  /** Attach through a virtio-scsi controller (default false). */
  scsi?: pulumi.Input<boolean>;
  /** WWN for a scsi disk; generated when omitted. */
  wwn?: pulumi.Input<string>;
}

/** `filesystem` block (9p share of a host directory). */
export interface DomainFilesystem {
  /** Host directory. */
  source: pulumi.Input<string>;
  /** Mount tag seen by the guest. */
  target: pulumi.Input<string>;
  /** Default "mapped". */
  accessmode?: pulumi.Input<string>;
  /** Default true. */
  readonly?: pulumi.Input<boolean>;
}

/** `graphics` block. */
export interface DomainGraphics {
  /** "spice" (default) or "vnc". */
  type?: pulumi.Input<string>;
  /** Default true. */
  autoport?: pulumi.Input<boolean>;
  /** "none" (default) or "address". */
  listenType?: pulumi.Input<string>;
  /** Used when listenType is "address" (default 127.0.0.1). */
  listenAddress?: pulumi.Input<string>;
  /** VNC websocket port (-1: auto). */
  websocket?: pulumi.Input<number>;
}

/**
 * `network_interface` block. Attach it to one of: a libvirt network (`networkId` or
 * `networkName`), a host bridge (`bridge`), or a host NIC (`macvtap`, `vepa`, `passthrough`).
 */
export interface DomainNetworkInterface {
  /** Id (UUID) of a `libvirt.Network`. */
  networkId?: pulumi.Input<string>;
  /** Name of an existing libvirt network. */
  networkName?: pulumi.Input<string>;
  /** Existing host bridge, e.g. "br0". */
  bridge?: pulumi.Input<string>;
  /** Host NIC for a macvtap (mode bridge) interface. */
  macvtap?: pulumi.Input<string>;
  /** Host NIC for a macvtap interface in vepa mode. */
  vepa?: pulumi.Input<string>;
  /** Host NIC (SR-IOV VF) for a macvtap interface in passthrough mode. */
  passthrough?: pulumi.Input<string>;
  /** MAC address; random when omitted. Set it to keep DHCP reservations stable. */
  mac?: pulumi.Input<string>;
  /**
   * Plain IP addresses (no prefix). On a libvirt network with DHCP, 0.8.1 adds a static
   * DHCP host entry (this MAC -> IP, hostname) to that network: this is how a fixed
   * address is reserved. See README.md.
   */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Hostname for the DHCP host entry (default: the domain name). */
  hostname?: pulumi.Input<string>;
  /** Wait on create until the interface has a DHCP lease, so `addresses` gets filled in. */
  waitForLease?: pulumi.Input<boolean>;
}

/** `nvram` block (UEFI variable store). */
export interface DomainNvram {
  file?: pulumi.Input<string>;
  template?: pulumi.Input<string>;
}

/** `tpm` block. */
export interface DomainTpm {
  model?: pulumi.Input<string>;
  /** "emulator" (default) or "passthrough". */
  backendType?: pulumi.Input<string>;
  backendDevicePath?: pulumi.Input<string>;
  backendEncryptionSecret?: pulumi.Input<string>;
  backendVersion?: pulumi.Input<string>;
  backendPersistentState?: pulumi.Input<boolean>;
}

/** `video` block. */
export interface DomainVideo {
  /** Default "cirrus". */
  type?: pulumi.Input<string>;
}

/** `xml` block: an XSLT stylesheet applied to the generated domain XML before it is defined. */
export interface DomainXml {
  xslt?: pulumi.Input<string>;
}

// ---------------------------------------------------------------- Network

/** `dhcp` block. 0.8.1 has no per-host reservation field here: see DomainNetworkInterface.addresses. */
export interface NetworkDhcp {
  /** false disables the DHCP server of the network. */
  enabled?: pulumi.Input<boolean>;
}

/** `dns` block. */
export interface NetworkDns {
  /** false disables the DNS server of the network (default true). */
  enabled?: pulumi.Input<boolean>;
  /** true: do not forward unresolved queries for the network's `domain` upstream. */
  localOnly?: pulumi.Input<boolean>;
  forwarders?: pulumi.Input<pulumi.Input<NetworkDnsForwarder>[]>;
  /** Static DNS records; the only part of `dns` 0.8.1 can change in place. */
  hosts?: pulumi.Input<pulumi.Input<NetworkDnsHost>[]>;
  srvs?: pulumi.Input<pulumi.Input<NetworkDnsSrv>[]>;
}

export interface NetworkDnsForwarder {
  address?: pulumi.Input<string>;
  domain?: pulumi.Input<string>;
}

export interface NetworkDnsHost {
  hostname?: pulumi.Input<string>;
  ip?: pulumi.Input<string>;
}

export interface NetworkDnsSrv {
  service?: pulumi.Input<string>;
  protocol?: pulumi.Input<string>;
  domain?: pulumi.Input<string>;
  target?: pulumi.Input<string>;
  port?: pulumi.Input<string>;
  weight?: pulumi.Input<string>;
  priority?: pulumi.Input<string>;
}

/** `dnsmasq_options` block. */
export interface NetworkDnsmasqOptions {
  options?: pulumi.Input<pulumi.Input<NetworkDnsmasqOptionsOption>[]>;
}

export interface NetworkDnsmasqOptionsOption {
  optionName?: pulumi.Input<string>;
  optionValue?: pulumi.Input<string>;
}

/** `routes` entry; the gateway must be reachable through the network's bridge. */
export interface NetworkRoute {
  cidr: pulumi.Input<string>;
  gateway: pulumi.Input<string>;
}

/** `xml` block: an XSLT stylesheet applied to the generated network XML before it is defined. */
export interface NetworkXml {
  xslt?: pulumi.Input<string>;
}

// ---------------------------------------------------------------- Pool

/** `source` block (for "logical" pools: volume group name and devices). */
export interface PoolSource {
  name?: pulumi.Input<string>;
  devices?: pulumi.Input<pulumi.Input<PoolSourceDevice>[]>;
}

export interface PoolSourceDevice {
  path?: pulumi.Input<string>;
}

/** `target` block: where the pool lives on the libvirt host. */
export interface PoolTarget {
  path?: pulumi.Input<string>;
}

export interface PoolXml {
  xslt?: pulumi.Input<string>;
}

// ---------------------------------------------------------------- Volume

export interface VolumeXml {
  xslt?: pulumi.Input<string>;
}
