import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";

/**
 * A cloud-init NoCloud ISO uploaded as a volume (`libvirt_cloudinit_disk` of
 * terraform-provider-libvirt 0.8.1). Pass its `id` to `Domain.cloudinit`. The ISO is built
 * with `mkisofs` on the machine that runs the provider. Every property forces replacement.
 */
export class CloudInitDisk extends pulumi.CustomResource {
  /** Look up an existing CloudInitDisk by its id ("<volume key>;<uuid>"). */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: CloudInitDiskState,
    opts?: pulumi.CustomResourceOptions,
  ): CloudInitDisk {
    return new CloudInitDisk(name, state, { ...opts, id: id });
  }

  public static readonly __pulumiType = "libvirt:index/cloudInitDisk:CloudInitDisk";

  /** True if `obj` is a CloudInitDisk, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is CloudInitDisk {
    return (
      obj !== undefined &&
      obj !== null &&
      (obj as { __pulumiType?: unknown }).__pulumiType === CloudInitDisk.__pulumiType
    );
  }

  public readonly metaData!: pulumi.Output<string | undefined>;
  public readonly name!: pulumi.Output<string>;
  public readonly networkConfig!: pulumi.Output<string | undefined>;
  public readonly pool!: pulumi.Output<string | undefined>;
  public readonly userData!: pulumi.Output<string | undefined>;

  constructor(name: string, args?: CloudInitDiskArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs = utilities.collectInputs(args, cloudInitDiskProperties);
    opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts ?? {});
    super(CloudInitDisk.__pulumiType, name, resourceInputs, opts);
  }
}

export interface CloudInitDiskArgs {
  /** ISO volume name, e.g. "node1-cloudinit.iso". When omitted the provider derives one from the resource name. */
  name?: pulumi.Input<string>;
  /** Storage pool (default "default"). */
  pool?: pulumi.Input<string>;
  /** `user-data` file contents (e.g. a "#cloud-config" document). */
  userData?: pulumi.Input<string>;
  /** `meta-data` file contents (instance-id, local-hostname). */
  metaData?: pulumi.Input<string>;
  /** `network-config` file contents (netplan v1/v2 YAML). */
  networkConfig?: pulumi.Input<string>;
}

/** Properties used to look up a CloudInitDisk with `CloudInitDisk.get` (all properties are inputs). */
export type CloudInitDiskState = CloudInitDiskArgs;

const cloudInitDiskProperties: Record<keyof CloudInitDiskArgs, true> = {
  metaData: true,
  name: true,
  networkConfig: true,
  pool: true,
  userData: true,
};
