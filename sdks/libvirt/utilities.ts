// Hand-written helpers shared by the resource classes of this local SDK.
// Same role as utilities.ts in a tfgen-generated Pulumi SDK, reduced to what is used here.

import * as pulumi from "@pulumi/pulumi";

/**
 * Version of the provider plugin that resources of this SDK ask the engine for.
 * Kept equal to package.json "version" and "pulumi.version" (test/sdk.test.ts checks it).
 */
export const providerVersion = "0.5.4";

/** First non-empty environment variable among `vars`. */
export function getEnv(...vars: string[]): string | undefined {
  for (const v of vars) {
    const value = process.env[v];
    if (value) {
      return value;
    }
  }
  return undefined;
}

export function getVersion(): string {
  return providerVersion;
}

/**
 * Options merged under every resource's own options, as generated SDKs do: they pin the
 * plugin version, so on `pulumi up` the engine uses (or downloads) `libvirt` 0.5.4.
 */
export function resourceOptsDefaults(): pulumi.CustomResourceOptions {
  return { version: providerVersion };
}

/**
 * Copy the listed properties of `source` (args or state) into a resource-inputs bag.
 * Properties the caller did not set are still listed, with value `undefined`: the runtime
 * creates an Output for every key in the bag, which is how the engine's values come back
 * into the resource's `pulumi.Output` fields.
 */
export function collectInputs(
  source: object | undefined,
  names: Record<string, true>,
): pulumi.Inputs {
  const from = (source ?? {}) as Record<string, unknown>;
  const inputs: pulumi.Inputs = {};
  for (const name of Object.keys(names)) {
    inputs[name] = from[name];
  }
  return inputs;
}
