// Reads the stack's `labfabric:` config through Pulumi, validates and plans it. On invalid
// input the whole report is raised before any resource is registered.
import { existsSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { formatReport } from "./spec";
import { loadLab } from "./load";
import { type LabPlan } from "./plan";
import { labSpecSchema, SECRET_KEYS } from "./spec";
import { combineFindings, readStackFile } from "./spec";

// The SDK knows which config values arrived encrypted but does not export it in its typings.
// eslint-disable-next-line @typescript-eslint/no-require-imports -- untyped internal module
const { isConfigSecret } = require("@pulumi/pulumi/runtime/config") as {
  isConfigSecret: (key: string) => boolean;
};

export interface LabSecrets {
  sshPrivateKey?: pulumi.Output<string>;
  openstackPassword?: pulumi.Output<string>;
  openstackApplicationCredentialSecret?: pulumi.Output<string>;
}

export interface LabConfig {
  plan: LabPlan;
  secrets: LabSecrets;
}

export function readLabConfig(stack = pulumi.getStack()): LabConfig {
  const config = new pulumi.Config("labfabric");
  const raw: Record<string, unknown> = {};
  for (const key of Object.keys(labSpecSchema.shape)) {
    // Plain string keys are not JSON; an empty string is Pulumi.yaml's "unset" default.
    const value = ["sshPublicKey", "sshHostKeys"].includes(key)
      ? config.get(key) || undefined
      : config.getObject<unknown>(key);
    if (value !== undefined) raw[key] = value;
  }
  // A secret committed in plain text is refused even though the engine would accept it.
  const stackFile = `Pulumi.${stack}.yaml`;
  const file = existsSync(stackFile) ? readStackFile(stackFile) : undefined;
  const result = loadLab(raw, stack);
  const labFindings = result.ok ? result.plan.warnings : result.findings;
  const findings = file ? combineFindings(file, labFindings) : labFindings;
  const errors = findings.filter((f) => f.severity === "error");
  if (!result.ok || errors.length > 0) {
    throw new pulumi.RunError(
      `labfabric: stack ${stack} is not a valid lab; nothing was created.\n${formatReport(findings)}`,
    );
  }
  for (const w of result.plan.warnings) pulumi.log.warn(formatReport([w]));
  const secrets: LabSecrets = {};
  const plaintext: string[] = [];
  for (const key of SECRET_KEYS) {
    // Pulumi.yaml defaults each secret to "" (declared keys need a default): empty means unset.
    if (!pulumi.runtime.getConfig(`labfabric:${key}`)) continue;
    if (!isConfigSecret(`labfabric:${key}`)) plaintext.push(key);
    secrets[key] = config.requireSecret(key);
  }
  if (plaintext.length > 0) {
    throw new pulumi.RunError(
      plaintext
        .map(
          (k) =>
            `ERROR labfabric:${k} is stored in plain text. Fix: pulumi config set --secret labfabric:${k} < file`,
        )
        .join("\n"),
    );
  }
  return { plan: result.plan, secrets };
}
