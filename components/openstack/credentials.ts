// The stack's OpenStack credentials as the layer uses them: the plain fields of the
// `openstack:*` config (authUrl, userName, tenantName, domains, region, cloud, application
// credential id) with the secrets from `labfabric:openstackPassword` /
// `labfabric:openstackApplicationCredentialSecret` or `openstack:password` /
// `openstack:applicationCredentialSecret` (both only ever read as secrets), and the preflight
// that checks them before the provider is configured.
import * as pulumi from "@pulumi/pulumi";
import { outputValue } from "../shared";
import type { LabSpec } from "../spec";
import { preflight, type PreflightCredentials } from "./preflight";
import type { OpenstackCredentials } from "./provider";

export interface StackCredentials {
  plain: Omit<OpenstackCredentials, "password" | "applicationCredentialSecret">;
  password?: pulumi.Output<string>;
  applicationCredentialSecret?: pulumi.Output<string>;
  /** Config keys the secrets came from (for messages). */
  keys: PreflightCredentials["keys"];
  /** True when the secrets are labfabric's own keys: an explicit provider carries them. */
  explicit: boolean;
}

export function stackCredentials(secrets: {
  openstackPassword?: pulumi.Output<string>;
  openstackApplicationCredentialSecret?: pulumi.Output<string>;
}): StackCredentials {
  const os = new pulumi.Config("openstack");
  const plain: StackCredentials["plain"] = {};
  const fields = [
    ["cloud", "cloud"],
    ["authUrl", "authUrl"],
    ["region", "region"],
    ["userName", "userName"],
    ["tenantName", "tenantName"],
    ["userDomainName", "userDomainName"],
    ["projectDomainName", "projectDomainName"],
    ["applicationCredentialId", "applicationCredentialId"],
  ] as const;
  for (const [field, key] of fields) {
    const v = os.get(key);
    if (v) plain[field] = v;
  }
  const explicit = !!(secrets.openstackPassword || secrets.openstackApplicationCredentialSecret);
  return {
    plain,
    password: secrets.openstackPassword ?? os.getSecret("password"),
    applicationCredentialSecret:
      secrets.openstackApplicationCredentialSecret ?? os.getSecret("applicationCredentialSecret"),
    keys: {
      password: secrets.openstackPassword ? "labfabric:openstackPassword" : "openstack:password",
      applicationCredentialSecret: secrets.openstackApplicationCredentialSecret
        ? "labfabric:openstackApplicationCredentialSecret"
        : "openstack:applicationCredentialSecret",
    },
    explicit,
  };
}

/**
 * The preflight, awaited by the program before any resource is registered (index.ts), so a
 * failure is one RunError: the engine prints its lines once, without a stack trace, and the
 * provider is never configured with bad credentials. Skipped (resolves) for a clouds.yaml entry
 * or without authUrl: the provider then reports problems itself.
 */
export async function openstackPreflight(
  c: StackCredentials,
  os: LabSpec["openstack"],
): Promise<void> {
  if (!os.enabled || c.plain.cloud || !c.plain.authUrl) return;
  const [password, appSecret] = await Promise.all([
    outputValue(c.password),
    outputValue(c.applicationCredentialSecret),
  ]);
  try {
    await preflight(
      {
        authUrl: c.plain.authUrl,
        userName: c.plain.userName,
        password,
        projectName: c.plain.tenantName,
        userDomainName: c.plain.userDomainName,
        projectDomainName: c.plain.projectDomainName,
        region: c.plain.region,
        applicationCredentialId: c.plain.applicationCredentialId,
        applicationCredentialSecret: appSecret,
        keys: c.keys,
      },
      os,
    );
  } catch (e) {
    throw new pulumi.RunError((e as Error).message);
  }
}
