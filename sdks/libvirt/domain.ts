import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as utilities from "./utilities";

/**
 * A libvirt domain, i.e. a virtual machine (`libvirt_domain` of terraform-provider-libvirt 0.8.1).
 *
 * `networkInterfaces[].addresses` doubles as the DHCP reservation mechanism of 0.8.1: on a
 * libvirt network with DHCP the provider adds a static host entry (MAC -> IP, hostname) to the
 * network when the domain is created (see README.md). Read the addresses back from the
 * `networkInterfaces` output (with `waitForLease: true` when they are leased, not given).
 */
export class Domain extends pulumi.CustomResource {
  /** Look up an existing Domain by its id (the libvirt domain UUID). */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: DomainState,
    opts?: pulumi.CustomResourceOptions,
  ): Domain {
    return new Domain(name, state, { ...opts, id: id });
  }

  public static readonly __pulumiType = "libvirt:index/domain:Domain";

  /** True if `obj` is a Domain, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is Domain {
    return (
      obj !== undefined &&
      obj !== null &&
      (obj as { __pulumiType?: unknown }).__pulumiType === Domain.__pulumiType
    );
  }

  public readonly arch!: pulumi.Output<string>;
  public readonly autostart!: pulumi.Output<boolean>;
  public readonly bootDevices!: pulumi.Output<outputs.DomainBootDevice[] | undefined>;
  public readonly cloudinit!: pulumi.Output<string | undefined>;
  public readonly cmdlines!: pulumi.Output<{ [key: string]: string }[] | undefined>;
  public readonly consoles!: pulumi.Output<outputs.DomainConsole[] | undefined>;
  public readonly coreosIgnition!: pulumi.Output<string | undefined>;
  public readonly cpu!: pulumi.Output<outputs.DomainCpu>;
  public readonly description!: pulumi.Output<string | undefined>;
  public readonly disks!: pulumi.Output<outputs.DomainDisk[] | undefined>;
  public readonly emulator!: pulumi.Output<string>;
  public readonly filesystems!: pulumi.Output<outputs.DomainFilesystem[] | undefined>;
  public readonly firmware!: pulumi.Output<string | undefined>;
  public readonly fwCfgName!: pulumi.Output<string | undefined>;
  public readonly graphics!: pulumi.Output<outputs.DomainGraphics | undefined>;
  public readonly initrd!: pulumi.Output<string | undefined>;
  public readonly kernel!: pulumi.Output<string | undefined>;
  public readonly machine!: pulumi.Output<string>;
  public readonly memory!: pulumi.Output<number | undefined>;
  public readonly metadata!: pulumi.Output<string | undefined>;
  public readonly name!: pulumi.Output<string>;
  /** Interfaces as libvirt reports them: `mac`, `addresses`, `networkId`, `hostname` filled in. */
  public readonly networkInterfaces!: pulumi.Output<outputs.DomainNetworkInterface[] | undefined>;
  public readonly nvram!: pulumi.Output<outputs.DomainNvram>;
  public readonly qemuAgent!: pulumi.Output<boolean | undefined>;
  public readonly running!: pulumi.Output<boolean | undefined>;
  public readonly tpm!: pulumi.Output<outputs.DomainTpm | undefined>;
  public readonly type!: pulumi.Output<string | undefined>;
  public readonly vcpu!: pulumi.Output<number | undefined>;
  public readonly video!: pulumi.Output<outputs.DomainVideo | undefined>;
  public readonly xml!: pulumi.Output<outputs.DomainXml | undefined>;

  constructor(name: string, args?: DomainArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs = utilities.collectInputs(args, domainProperties);
    opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts ?? {});
    super(Domain.__pulumiType, name, resourceInputs, opts);
  }
}

export interface DomainArgs {
  /** Domain name. When omitted the provider derives one from the resource name. */
  name?: pulumi.Input<string>;
  /** Free text stored in the domain XML; changing it replaces the domain. */
  description?: pulumi.Input<string>;
  /** Virtual CPUs (default 1). */
  vcpu?: pulumi.Input<number>;
  /** Memory in MiB (default 512). */
  memory?: pulumi.Input<number>;
  /** Start the domain when the host boots. */
  autostart?: pulumi.Input<boolean>;
  /** false keeps the domain shut off; default true (a stopped domain is started on the next update). */
  running?: pulumi.Input<boolean>;
  /** Id of a `CloudInitDisk`, attached as a CD-ROM. */
  cloudinit?: pulumi.Input<string>;
  /** e.g. `{ mode: "host-passthrough" }`. */
  cpu?: pulumi.Input<inputs.DomainCpu>;
  disks?: pulumi.Input<pulumi.Input<inputs.DomainDisk>[]>;
  networkInterfaces?: pulumi.Input<pulumi.Input<inputs.DomainNetworkInterface>[]>;
  consoles?: pulumi.Input<pulumi.Input<inputs.DomainConsole>[]>;
  graphics?: pulumi.Input<inputs.DomainGraphics>;
  video?: pulumi.Input<inputs.DomainVideo>;
  /** Enable the qemu guest agent channel (default false). */
  qemuAgent?: pulumi.Input<boolean>;
  /** UEFI firmware image on the libvirt host, e.g. "/usr/share/OVMF/OVMF_CODE.fd"; BIOS when omitted. */
  firmware?: pulumi.Input<string>;
  nvram?: pulumi.Input<inputs.DomainNvram>;
  /** Machine type, e.g. "q35"; the hypervisor default when omitted. */
  machine?: pulumi.Input<string>;
  /** e.g. "x86_64"; the host's when omitted. */
  arch?: pulumi.Input<string>;
  /** Hypervisor type (default "kvm"; "qemu" for plain emulation without /dev/kvm). */
  type?: pulumi.Input<string>;
  /** Emulator binary path; detected when omitted. */
  emulator?: pulumi.Input<string>;
  bootDevices?: pulumi.Input<pulumi.Input<inputs.DomainBootDevice>[]>;
  filesystems?: pulumi.Input<pulumi.Input<inputs.DomainFilesystem>[]>;
  tpm?: pulumi.Input<inputs.DomainTpm>;
  /** Direct kernel boot: kernel, initrd and kernel command line entries. */
  kernel?: pulumi.Input<string>;
  initrd?: pulumi.Input<string>;
  cmdlines?: pulumi.Input<pulumi.Input<{ [key: string]: pulumi.Input<string> }>[]>;
  /** Id of an Ignition resource (CoreOS/Flatcar); that resource is not part of this local SDK. */
  coreosIgnition?: pulumi.Input<string>;
  fwCfgName?: pulumi.Input<string>;
  /** Raw XML for the domain's <metadata> element. */
  metadata?: pulumi.Input<string>;
  /** XSLT applied to the generated domain XML (needs `xsltproc` where the provider runs). */
  xml?: pulumi.Input<inputs.DomainXml>;
}

/** Properties used to look up a Domain with `Domain.get` (all properties are inputs). */
export type DomainState = DomainArgs;

const domainProperties: Record<keyof DomainArgs, true> = {
  arch: true,
  autostart: true,
  bootDevices: true,
  cloudinit: true,
  cmdlines: true,
  consoles: true,
  coreosIgnition: true,
  cpu: true,
  description: true,
  disks: true,
  emulator: true,
  filesystems: true,
  firmware: true,
  fwCfgName: true,
  graphics: true,
  initrd: true,
  kernel: true,
  machine: true,
  memory: true,
  metadata: true,
  name: true,
  networkInterfaces: true,
  nvram: true,
  qemuAgent: true,
  running: true,
  tpm: true,
  type: true,
  vcpu: true,
  video: true,
  xml: true,
};
