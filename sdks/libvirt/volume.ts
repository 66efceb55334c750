import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as utilities from "./utilities";

/**
 * A storage volume in a libvirt pool (`libvirt_volume` of terraform-provider-libvirt 0.8.1).
 * Its `id` is the libvirt volume key (for a dir pool, the file path): pass it to
 * `Domain.disks[].volumeId` or to another volume's `baseVolumeId`. Every property forces
 * replacement.
 */
export class Volume extends pulumi.CustomResource {
  /** Look up an existing Volume by its id (the libvirt volume key). */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: VolumeState,
    opts?: pulumi.CustomResourceOptions,
  ): Volume {
    return new Volume(name, state, { ...opts, id: id });
  }

  public static readonly __pulumiType = "libvirt:index/volume:Volume";

  /** True if `obj` is a Volume, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is Volume {
    return (
      obj !== undefined &&
      obj !== null &&
      (obj as { __pulumiType?: unknown }).__pulumiType === Volume.__pulumiType
    );
  }

  public readonly baseVolumeId!: pulumi.Output<string | undefined>;
  public readonly baseVolumeName!: pulumi.Output<string | undefined>;
  public readonly baseVolumePool!: pulumi.Output<string | undefined>;
  public readonly format!: pulumi.Output<string>;
  public readonly name!: pulumi.Output<string>;
  public readonly pool!: pulumi.Output<string | undefined>;
  public readonly size!: pulumi.Output<number>;
  public readonly source!: pulumi.Output<string | undefined>;
  public readonly xml!: pulumi.Output<outputs.VolumeXml | undefined>;

  constructor(name: string, args?: VolumeArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs = utilities.collectInputs(args, volumeProperties);
    opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts ?? {});
    super(Volume.__pulumiType, name, resourceInputs, opts);
  }
}

export interface VolumeArgs {
  /** Volume name, unique in its pool. When omitted the provider derives one from the resource name. */
  name?: pulumi.Input<string>;
  /** Storage pool (default "default"). */
  pool?: pulumi.Input<string>;
  /**
   * Image to fill the volume with: an http(s) URL, or a path (or file:// URL) on the machine
   * that runs the provider (it is read there and uploaded to the libvirt host).
   * Excludes `size` and the base volume: to get a bigger disk from a cloud image, make one
   * Volume with `source` and a second one with `baseVolumeId` (of the first) and `size`.
   */
  source?: pulumi.Input<string>;
  /** Size in bytes. Without it: the image size (with `source`) or the base volume's size. */
  size?: pulumi.Input<number>;
  /** "qcow2" (the default, also set when `source` is detected as qcow2) or "raw" etc. */
  format?: pulumi.Input<string>;
  /** Backing (copy-on-write base) volume, by id. */
  baseVolumeId?: pulumi.Input<string>;
  /** Backing volume, by name (looked up in `baseVolumePool`, else in `pool`). */
  baseVolumeName?: pulumi.Input<string>;
  baseVolumePool?: pulumi.Input<string>;
  /** XSLT applied to the generated volume XML (needs `xsltproc` where the provider runs). */
  xml?: pulumi.Input<inputs.VolumeXml>;
}

/** Properties used to look up a Volume with `Volume.get` (all properties are inputs). */
export type VolumeState = VolumeArgs;

const volumeProperties: Record<keyof VolumeArgs, true> = {
  baseVolumeId: true,
  baseVolumeName: true,
  baseVolumePool: true,
  format: true,
  name: true,
  pool: true,
  size: true,
  source: true,
  xml: true,
};
