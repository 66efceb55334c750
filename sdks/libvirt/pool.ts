import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as utilities from "./utilities";

/**
 * A libvirt storage pool (`libvirt_pool` of terraform-provider-libvirt 0.8.1). 0.8.1 supports
 * the types "dir" and "logical" only. Its directory is `target.path`; the top-level `path` is
 * the deprecated spelling of the same thing.
 */
export class Pool extends pulumi.CustomResource {
  /** Look up an existing Pool by its id (the libvirt pool UUID). */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: PoolState,
    opts?: pulumi.CustomResourceOptions,
  ): Pool {
    return new Pool(name, state as PoolArgs, { ...opts, id: id });
  }

  public static readonly __pulumiType = "libvirt:index/pool:Pool";

  /** True if `obj` is a Pool, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is Pool {
    return (
      obj !== undefined &&
      obj !== null &&
      (obj as { __pulumiType?: unknown }).__pulumiType === Pool.__pulumiType
    );
  }

  public readonly allocation!: pulumi.Output<number>;
  public readonly available!: pulumi.Output<number>;
  public readonly capacity!: pulumi.Output<number>;
  public readonly name!: pulumi.Output<string>;
  /** @deprecated use target.path instead */
  public readonly path!: pulumi.Output<string | undefined>;
  public readonly source!: pulumi.Output<outputs.PoolSource | undefined>;
  public readonly target!: pulumi.Output<outputs.PoolTarget>;
  public readonly type!: pulumi.Output<string>;
  public readonly xml!: pulumi.Output<outputs.PoolXml | undefined>;

  constructor(name: string, args: PoolArgs, opts?: pulumi.CustomResourceOptions) {
    opts = opts ?? {};
    // `type` is required, except when the engine rebuilds a reference from a URN,
    // or when `get` reads an existing pool.
    if (!opts.urn && !opts.id && args?.type === undefined) {
      throw new Error("Missing required property 'type'");
    }
    const resourceInputs = utilities.collectInputs(args, poolProperties);
    opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts);
    super(Pool.__pulumiType, name, resourceInputs, opts);
  }
}

export interface PoolArgs {
  /** Pool name. When omitted the provider derives one from the resource name. */
  name?: pulumi.Input<string>;
  /** "dir" or "logical" (the only types 0.8.1 accepts). */
  type: pulumi.Input<string>;
  /** Where the pool lives on the libvirt host, e.g. `{ path: "/var/lib/libvirt/images/lab" }`. */
  target?: pulumi.Input<inputs.PoolTarget>;
  /** @deprecated use target.path instead */
  path?: pulumi.Input<string>;
  /** For "logical" pools: volume group name and physical devices. */
  source?: pulumi.Input<inputs.PoolSource>;
  capacity?: pulumi.Input<number>;
  allocation?: pulumi.Input<number>;
  available?: pulumi.Input<number>;
  /** XSLT applied to the generated pool XML (needs `xsltproc` where the provider runs). */
  xml?: pulumi.Input<inputs.PoolXml>;
}

/** Properties used to look up a Pool with `Pool.get` (all properties are inputs). */
export type PoolState = Partial<PoolArgs>;

const poolProperties: Record<keyof PoolArgs, true> = {
  allocation: true,
  available: true,
  capacity: true,
  name: true,
  path: true,
  source: true,
  target: true,
  type: true,
  xml: true,
};
