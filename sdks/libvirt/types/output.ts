// Output shapes of the nested blocks, as the engine returns them. A field is non-optional
// where terraform-provider-libvirt 0.8.1 computes it (same optionality as the published SDK).

// ---------------------------------------------------------------- Domain

export interface DomainBootDevice {
  devs?: string[];
}

export interface DomainConsole {
  type: string;
  targetPort: string;
  targetType?: string;
  sourcePath?: string;
  sourceHost?: string;
  sourceService?: string;
}

export interface DomainCpu {
  mode: string;
}

export interface DomainDisk {
  volumeId?: string;
  url?: string;
  file?: string;
  blockDevice?: string;
  scsi?: boolean;
  wwn: string;
}

export interface DomainFilesystem {
  source: string;
  target: string;
  accessmode?: string;
  readonly?: boolean;
}

export interface DomainGraphics {
  type?: string;
  autoport?: boolean;
  listenType?: string;
  listenAddress?: string;
  websocket?: number;
}

export interface DomainNetworkInterface {
  networkId: string;
  networkName: string;
  bridge?: string;
  macvtap?: string;
  vepa?: string;
  passthrough?: string;
  mac: string;
  /** The interface's IP addresses: the ones given, or (with waitForLease) the leased ones. */
  addresses: string[];
  hostname: string;
  waitForLease?: boolean;
}

export interface DomainNvram {
  file: string;
  template: string;
}

export interface DomainTpm {
  model?: string;
  backendType?: string;
  backendDevicePath?: string;
  backendEncryptionSecret?: string;
  backendVersion?: string;
  backendPersistentState?: boolean;
}

export interface DomainVideo {
  type?: string;
}

export interface DomainXml {
  xslt?: string;
}

// ---------------------------------------------------------------- Network

export interface NetworkDhcp {
  enabled: boolean;
}

export interface NetworkDns {
  enabled?: boolean;
  localOnly?: boolean;
  forwarders?: NetworkDnsForwarder[];
  hosts?: NetworkDnsHost[];
  srvs?: NetworkDnsSrv[];
}

export interface NetworkDnsForwarder {
  address?: string;
  domain?: string;
}

export interface NetworkDnsHost {
  hostname?: string;
  ip?: string;
}

export interface NetworkDnsSrv {
  service?: string;
  protocol?: string;
  domain?: string;
  target?: string;
  port?: string;
  weight?: string;
  priority?: string;
}

export interface NetworkDnsmasqOptions {
  options?: NetworkDnsmasqOptionsOption[];
}

export interface NetworkDnsmasqOptionsOption {
  optionName?: string;
  optionValue?: string;
}

export interface NetworkRoute {
  cidr: string;
  gateway: string;
}

export interface NetworkXml {
  xslt?: string;
}

// ---------------------------------------------------------------- Pool

export interface PoolSource {
  name?: string;
  devices?: PoolSourceDevice[];
}

export interface PoolSourceDevice {
  path?: string;
}

export interface PoolTarget {
  path: string;
}

export interface PoolXml {
  xslt?: string;
}

// ---------------------------------------------------------------- Volume

export interface VolumeXml {
  xslt?: string;
}
