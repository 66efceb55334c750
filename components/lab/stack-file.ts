// Reads a stack config file (Pulumi.<lab>.yaml) the way the Pulumi engine would hand it to
// the program, without the engine: `labfabric:` keys become the raw spec, secrets are noted
// (never decrypted) and a secret key set in plain text is an error.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parse } from "yaml";
import type { Finding } from "./findings";
import { SECRET_KEYS } from "./schema";

export interface StackFile {
  lab: string;
  raw: Record<string, unknown>;
  /** Secret keys present (encrypted) in the file. */
  secrets: string[];
  findings: Finding[];
}

const NAMESPACE = "labfabric:";

export function labNameFromPath(path: string): string {
  const m = /^Pulumi\.(.+)\.ya?ml$/.exec(basename(path));
  return m ? m[1] : basename(path).replace(/\.ya?ml$/, "");
}

function isSecure(v: unknown): boolean {
  return typeof v === "object" && v !== null && "secure" in v;
}

export function parseStackConfig(text: string, lab: string): StackFile {
  const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  const secrets: string[] = [];
  const findings: Finding[] = [];
  for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
    if (!fullKey.startsWith(NAMESPACE)) continue;
    const key = fullKey.slice(NAMESPACE.length);
    const secretKey = (SECRET_KEYS as readonly string[]).includes(key);
    if (secretKey && !isSecure(value)) {
      findings.push({
        severity: "error",
        path: key,
        value: "(hidden)",
        message: "is a secret but is stored in plain text in the stack file",
        fix: `remove it from the file and run: pulumi config set --secret labfabric:${key} < file`,
      });
    } else if (secretKey) {
      secrets.push(key);
    } else if (isSecure(value)) {
      raw[key] = undefined;
      findings.push({
        severity: "error",
        path: key,
        value: "(secret)",
        message: "is set as a secret but labfabric reads it as plain config",
        fix: `set it without --secret (secrets are: ${SECRET_KEYS.join(", ")})`,
      });
    } else {
      raw[key] = value;
    }
  }
  return { lab, raw, secrets, findings };
}

export function readStackFile(path: string): StackFile {
  return parseStackConfig(readFileSync(path, "utf8"), labNameFromPath(path));
}
