// The stack's OpenStack credentials as the layer uses them: the plain fields of the
// `openstack:*` config (authUrl, userName, tenantName, domains, region, cloud, application
// credential id) with the secrets from `labfabric:openstackPassword` /
// `labfabric:openstackApplicationCredentialSecret` or `openstack:password` /
// `openstack:applicationCredentialSecret` (both only ever read as secrets), and the preflight
// that checks them before the provider is configured.
import * as pulumi from "@pulumi/pulumi";
import type { LabSpec } from "../lab/schema";
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
 * The preflight as an Output the layer waits for; undefined when it cannot run (a clouds.yaml
 * entry, or no authUrl: the provider then reports problems itself). A failure is a RunError:
 * the engine prints its lines without a stack trace.
 */
export function preflightOutput(
  c: StackCredentials,
  os: LabSpec["openstack"],
): pulumi.Output<void> | undefined {
  if (c.plain.cloud || !c.plain.authUrl) return undefined;
  const authUrl = c.plain.authUrl;
  return pulumi
    .all([c.password ?? "", c.applicationCredentialSecret ?? ""])
    .apply(async ([password, appSecret]) => {
      try {
        await preflight(
          {
            authUrl,
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
    });
}
