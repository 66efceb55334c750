// Local, hand-written Pulumi SDK for the libvirt provider: the subset of the published
// @pulumi/libvirt 0.5.4 (which bridges terraform-provider-libvirt 0.8.1) that labfabric uses.
// Same export names, type tokens and property names as the published package; see README.md.

import * as pulumi from "@pulumi/pulumi";
import { CloudInitDisk } from "./cloudInitDisk";
import { Domain } from "./domain";
import { Network } from "./network";
import { Pool } from "./pool";
import { Provider } from "./provider";
import { Volume } from "./volume";
import * as utilities from "./utilities";

export { CloudInitDisk, Domain, Network, Pool, Provider, Volume };
export type { CloudInitDiskArgs, CloudInitDiskState } from "./cloudInitDisk";
export type { DomainArgs, DomainState } from "./domain";
export type { NetworkArgs, NetworkState } from "./network";
export type { PoolArgs, PoolState } from "./pool";
export type { ProviderArgs } from "./provider";
export type { VolumeArgs, VolumeState } from "./volume";

import * as config from "./config";
import * as types from "./types";
export { config, types };

// Let the runtime turn resource references it receives (e.g. a Network returned inside a
// component's outputs) back into instances of these classes, as generated SDKs do.
type ResourceClass = new (
  name: string,
  args: never,
  opts: pulumi.CustomResourceOptions,
) => pulumi.Resource;
const resourceClasses: Record<string, ResourceClass> = {
  [CloudInitDisk.__pulumiType]: CloudInitDisk,
  [Domain.__pulumiType]: Domain,
  [Network.__pulumiType]: Network,
  [Pool.__pulumiType]: Pool,
  [Volume.__pulumiType]: Volume,
};
const resourceModule: pulumi.runtime.ResourceModule = {
  version: utilities.getVersion(),
  construct: (name, type, urn) => {
    const ResourceClass = resourceClasses[type];
    if (ResourceClass === undefined) {
      throw new Error(`unknown resource type ${type}`);
    }
    return new ResourceClass(name, undefined as never, { urn });
  },
};
for (const type of Object.keys(resourceClasses)) {
  // "libvirt:index/network:Network" -> module "index/network"
  const [, moduleName = ""] = type.split(":");
  pulumi.runtime.registerResourceModule("libvirt", moduleName, resourceModule);
}
pulumi.runtime.registerResourcePackage("libvirt", {
  version: utilities.getVersion(),
  constructProvider: (name, type, urn) => {
    if (type !== "pulumi:providers:libvirt") {
      throw new Error(`unknown provider type ${type}`);
    }
    return new Provider(name, undefined, { urn });
  },
});
