// The OpenStack provider: a clouds.yaml entry (`cloud`) or explicit credentials. Passwords and
// application credential secrets are wrapped with pulumi.secret here, whatever the caller
// passes, so they are encrypted in state and masked in logs.
import * as openstack from "@pulumi/openstack";
import * as pulumi from "@pulumi/pulumi";

export interface OpenstackCredentials {
  /** An entry of clouds.yaml (or OS_CLOUD); explicit fields below override it. */
  cloud?: string;
  authUrl?: string;
  region?: string;
  userName?: string;
  password?: pulumi.Input<string>;
  tenantName?: string;
  userDomainName?: string;
  projectDomainName?: string;
  applicationCredentialId?: string;
  applicationCredentialSecret?: pulumi.Input<string>;
}

/** What is wrong with a credential set, as sentences; empty when it is usable. */
export function credentialProblems(c: OpenstackCredentials): string[] {
  const problems: string[] = [];
  const appCred =
    c.applicationCredentialId !== undefined || c.applicationCredentialSecret !== undefined;
  if (appCred && c.password !== undefined) {
    problems.push(
      "both a password and an application credential are set; Keystone takes one: drop labfabric:openstackPassword or the application credential",
    );
  }
  if ((c.applicationCredentialId === undefined) !== (c.applicationCredentialSecret === undefined)) {
    problems.push(
      "an application credential needs both its id and labfabric:openstackApplicationCredentialSecret",
    );
  }
  if (c.password !== undefined && c.cloud === undefined && (!c.authUrl || !c.userName)) {
    problems.push("password authentication without a cloud entry needs authUrl and userName");
  }
  return problems;
}

/** Provider arguments with every secret wrapped; undefined fields are left out. */
export function providerArgs(c: OpenstackCredentials): openstack.ProviderArgs {
  const problems = credentialProblems(c);
  if (problems.length > 0) {
    throw new Error(`labfabric: OpenStack credentials: ${problems.join("; ")}`);
  }
  const args: openstack.ProviderArgs = {};
  const plain = [
    "cloud",
    "authUrl",
    "region",
    "userName",
    "tenantName",
    "userDomainName",
    "projectDomainName",
    "applicationCredentialId",
  ] as const;
  for (const k of plain) if (c[k] !== undefined) args[k] = c[k];
  if (c.password !== undefined) args.password = pulumi.secret(c.password);
  if (c.applicationCredentialSecret !== undefined) {
    args.applicationCredentialSecret = pulumi.secret(c.applicationCredentialSecret);
  }
  return args;
}

export function openstackProvider(
  name: string,
  args: OpenstackCredentials,
  opts?: pulumi.CustomResourceOptions,
): openstack.Provider {
  return new openstack.Provider(name, providerArgs(args), opts);
}
