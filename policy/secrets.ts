// Credentials only as secrets: SSH keys and passwords in remote-command connections, the
// kubeconfig of the Kubernetes provider, OpenStack provider credentials, and anything that looks
// like a private key or a kubeadm token wherever it appears.
//
// How secretness reaches a policy (@pulumi/policy 1.21.0, read in its server.js/deserialize.js):
// the engine sends secrets marked, but `validateResource` and `validateStack` get the properties
// with every secret already unwrapped (deserializeProperties(props, false)): there is no
// `args.isSecret`. Only `remediateResource`, which runs for policies at enforcement level
// "remediate", gets them wrapped in `policy.Secret`. So this policy runs at "remediate": its
// remediation changes nothing (it returns undefined), it only records what it found under the
// resource's URN; the engine then calls Analyze for the same resource, where `validateResource`
// reports each finding as a violation (the SDK reports violations of a "remediate" policy as
// "mandatory"). Setting this policy to another level in the policy config turns the check off.
import {
  type ReportViolation,
  type ResourceValidationArgs,
  type ResourceValidationPolicy,
} from "@pulumi/policy";
import { at, leaves, secretness, snapshot, UNKNOWN, type Value } from "./props";

const CONNECTION_CREDENTIALS = ["privateKey", "password", "privateKeyPassword"];
const connectionPaths = [
  ...CONNECTION_CREDENTIALS.map((k) => ["connection", k]),
  ...CONNECTION_CREDENTIALS.map((k) => ["connection", "proxy", k]),
];

/** Properties that hold a credential, by resource type: each must be a secret when set. */
export const SECRET_PROPERTIES: Readonly<Record<string, readonly (readonly string[])[]>> = {
  "command:remote:Command": connectionPaths,
  "command:remote:CopyToRemote": connectionPaths,
  "pulumi:providers:kubernetes": [["kubeconfig"]],
  "pulumi:providers:openstack": [["password"], ["applicationCredentialSecret"], ["token"]],
};

/** Text that is a credential wherever it appears. */
export const CREDENTIAL_PATTERNS: readonly { what: string; re: RegExp }[] = [
  { what: "a PEM private key", re: /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/ },
  {
    what: "a kubeadm bootstrap token",
    re: /(?<![A-Za-z0-9])[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9])/,
  },
  { what: "a kubeconfig client key", re: /client-key-data:\s*[A-Za-z0-9+/=]{16}/ },
];

/** Every credential in `props` that is stored in plain text, as one sentence each. */
export function plaintextCredentials(type: string, props: Value): string[] {
  const found: string[] = [];
  for (const path of SECRET_PROPERTIES[type] ?? []) {
    if (secretness(props, path) === "plaintext") {
      found.push(`${path.join(".")} is stored in plain text`);
    }
  }
  for (const leaf of leaves(props)) {
    if (leaf.secret || typeof leaf.value !== "string") continue;
    const hit = CREDENTIAL_PATTERNS.find((p) => p.re.test(leaf.value as string));
    if (hit) found.push(`${leaf.path || "(value)"} holds ${hit.what} in plain text`);
  }
  return [...new Set(found)];
}

/** Findings of the remediation pass, by URN, until Analyze reports them. */
const pending = new Map<string, string[]>();

export const secretsStaySecret: ResourceValidationPolicy = {
  name: "secrets-stay-secret",
  description:
    "SSH keys, passwords, tokens and kubeconfigs are Pulumi secrets (encrypted in state, masked in logs), never plain text.",
  // The only level at which @pulumi/policy 1.21 shows a policy which values are secrets.
  enforcementLevel: "remediate",
  remediationSteps:
    "Wrap the value with pulumi.secret() (or read it with config.requireSecret); set secrets with `pulumi config set --secret`.",
  remediateResource: (args) => {
    pending.set(args.urn, plaintextCredentials(args.type, snapshot(args.props)));
    return undefined; // nothing is changed: the violation is reported by validateResource
  },
  validateResource: (args, reportViolation) => {
    const found = pending.get(args.urn);
    if (found === undefined) {
      args.notApplicable(
        "secretness is only visible to remediations: keep secrets-stay-secret at enforcement level remediate",
      );
    }
    pending.delete(args.urn);
    for (const f of found ?? []) reportViolation(`${args.type} ${args.name}: ${f}.`);
  },
};

/** Credentials that end up in state or logs through a resource's outputs. */
export function exposedCredentials(
  args: Pick<ResourceValidationArgs, "type" | "props" | "opts">,
): string[] {
  const props = snapshot(args.props);
  const found: string[] = [];
  if (args.type === "openstack:compute/keypair:Keypair") {
    const publicKey = at(props, "publicKey");
    if (publicKey === undefined || publicKey === "") {
      found.push(
        "has no publicKey: OpenStack would generate the key pair and its private key would be kept in the stack's state; give it the lab's public key (labfabric:sshPublicKey)",
      );
    }
    const privateKey = at(props, "privateKey");
    if (privateKey !== undefined && privateKey !== "" && privateKey !== UNKNOWN) {
      found.push("carries a privateKey: a key pair resource must only ever hold the public half");
    }
  }
  if (args.type === "command:remote:Command" || args.type === "command:local:Command") {
    // A command that hides its output from the log prints something secret (a kubeconfig, a
    // join command): its recorded stdout/stderr must then be secret in state too.
    if (at(props, "logging") === "none") {
      const missing = ["stdout", "stderr"].filter(
        (k) => !args.opts.additionalSecretOutputs.includes(k),
      );
      if (missing.length > 0) {
        found.push(
          `has logging "none" (it prints a secret) but ${missing.join(" and ")} ${missing.length > 1 ? "are" : "is"} not in additionalSecretOutputs: the output would be stored in plain text`,
        );
      }
    }
  }
  return found;
}

export const noExposedCredentials: ResourceValidationPolicy = {
  name: "no-exposed-credentials",
  description:
    "No private key generated into state (OpenStack key pairs carry the lab's public key) and commands that print secrets keep their output secret.",
  enforcementLevel: "mandatory",
  validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
    for (const f of exposedCredentials(args)) reportViolation(`${args.type} ${args.name} ${f}.`);
  },
};
