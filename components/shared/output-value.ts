// An Output's value (secrets included) as a promise, for the preflights that must check a
// credential before any resource is registered; undefined stays undefined.
import type * as pulumi from "@pulumi/pulumi";

export function outputValue(o: pulumi.Output<string> | undefined): Promise<string | undefined> {
  return o ? new Promise((resolve) => o.apply((v) => resolve(v))) : Promise.resolve(undefined);
}
