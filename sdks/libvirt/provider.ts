import * as pulumi from "@pulumi/pulumi";
import * as utilities from "./utilities";

/**
 * An explicit libvirt provider: one per libvirt host, passed to resources with `{ provider }`.
 * Resources created without one use the default provider, configured by the stack setting
 * `libvirt:uri` or the LIBVIRT_DEFAULT_URI environment variable.
 */
export class Provider extends pulumi.ProviderResource {
  public static readonly __pulumiType = "libvirt";

  /** True if `obj` is a libvirt Provider, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is Provider {
    return (
      obj !== undefined &&
      obj !== null &&
      (obj as { __pulumiType?: unknown }).__pulumiType ===
        "pulumi:providers:" + Provider.__pulumiType
    );
  }

  /** The connection URI (see README.md for the qemu+ssh forms 0.8.1 understands). */
  public readonly uri!: pulumi.Output<string | undefined>;

  constructor(name: string, args?: ProviderArgs, opts?: pulumi.ResourceOptions) {
    const resourceInputs: pulumi.Inputs = {
      uri: args?.uri ?? utilities.getEnv("LIBVIRT_DEFAULT_URI"),
    };
    opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts ?? {});
    super(Provider.__pulumiType, name, resourceInputs, opts);
  }
}

export interface ProviderArgs {
  /**
   * libvirt connection URI, e.g. "qemu:///system" or
   * "qemu+ssh://root@host/system?keyfile=/path/key&sshauth=privkey".
   * Falls back to LIBVIRT_DEFAULT_URI; the provider fails to configure without either.
   */
  uri?: pulumi.Input<string>;
}
