// Reads a stack config file (Pulumi.<lab>.yaml) the way the Pulumi engine would hand it to
// the program, without the engine: `labfabric:` keys become the raw spec, secrets are noted
// (never decrypted), and nothing is dropped without a word: a secret in plain text (ours or a
// provider's, or a secret-shaped value anywhere) and a misspelled namespace are errors.
import { readFileSync } from "node:fs";
import { basename } from "node:path";
import { parse } from "yaml";
import { nearMiss } from "./closest";
import type { Finding } from "./findings";
import { SECRET_KEYS } from "./schema";
import { isSecretKeyName, secretShape, WITHHELD } from "./secrets";

export interface StackFile {
  lab: string;
  raw: Record<string, unknown>;
  /** Secret keys present (encrypted) in the file. */
  secrets: string[];
  findings: Finding[];
}

const NAMESPACE = "labfabric";
/** The namespaces this program reads: its own and those of the providers it uses. */
export const KNOWN_NAMESPACES = [NAMESPACE, "openstack", "kubernetes", "libvirt", "command"];
/** Pulumi's own (e.g. pulumi:tags), read by the engine. */
const ENGINE_NAMESPACES = ["pulumi"];

export function labNameFromPath(path: string): string {
  const m = /^Pulumi\.(.+)\.ya?ml$/.exec(basename(path));
  return m ? m[1] : basename(path).replace(/\.ya?ml$/, "");
}

function isSecure(v: unknown): boolean {
  return typeof v === "object" && v !== null && "secure" in v;
}

/** Every plain string in a value with its key path (secure: ciphertexts left out). */
function strings(v: unknown, path: string): { path: string; text: string }[] {
  if (typeof v === "string") return [{ path, text: v }];
  if (isSecure(v)) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
  if (v && typeof v === "object")
    return Object.entries(v).flatMap(([k, x]) => strings(x, path ? `${path}.${k}` : k));
  return [];
}

function checkNamespace(ns: string, key: string, value: unknown, findings: Finding[]) {
  if ([...KNOWN_NAMESPACES, ...ENGINE_NAMESPACES].includes(ns)) return true;
  const meant = nearMiss(ns, KNOWN_NAMESPACES);
  findings.push({
    severity: meant ? "error" : "warning",
    namespace: ns,
    path: key,
    value,
    message: meant
      ? `is in namespace ${ns}:, which nothing reads, so it would be ignored without a word (did you mean ${meant}:?)`
      : `is in namespace ${ns}:, which labfabric and its providers (${KNOWN_NAMESPACES.join(", ")}) do not read: it is ignored`,
    fix: meant ? `rename it to ${meant}:${key}` : "remove it unless another tool reads it",
  });
  return false;
}

export function parseStackConfig(text: string, lab: string): StackFile {
  const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const raw: Record<string, unknown> = {};
  const secrets: string[] = [];
  const findings: Finding[] = [];
  for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
    const i = fullKey.indexOf(":");
    const [ns, key] = i < 0 ? ["", fullKey] : [fullKey.slice(0, i), fullKey.slice(i + 1)];
    if (!ns) {
      findings.push({
        severity: "error",
        path: key,
        value: undefined,
        message: "has no namespace, so labfabric never reads it",
        fix: `write it as ${NAMESPACE}:${key}`,
      });
      continue;
    }
    checkNamespace(ns, key, value, findings);
    const namespace = ns === NAMESPACE ? undefined : ns;
    const secretKey =
      ns === NAMESPACE ? (SECRET_KEYS as readonly string[]).includes(key) : isSecretKeyName(key);
    if (secretKey && !isSecure(value) && value !== "" && value !== null) {
      findings.push({
        severity: "error",
        namespace,
        path: key,
        value: WITHHELD,
        message: "is a secret but is stored in plain text in the stack file",
        fix: `remove it from the file and run: pulumi config set --secret ${ns}:${key} < file`,
      });
      continue;
    }
    if (secretKey) {
      if (ns === NAMESPACE && isSecure(value)) secrets.push(key);
      continue;
    }
    for (const s of strings(value, key)) {
      const shape = secretShape(s.text);
      if (shape && shape !== "a password or API key") {
        findings.push({
          severity: "error",
          namespace,
          path: s.path,
          value: WITHHELD,
          message: `holds what looks like ${shape}, in plain text in the stack file`,
          fix: `remove it; a credential is set only with pulumi config set --secret`,
        });
      }
    }
    if (ns !== NAMESPACE) continue;
    if (isSecure(value)) {
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

/**
 * The stack file's findings, then the lab's, each problem once: a key the stack file already
 * refused (a secret in plain text) is not reported again by validation.
 */
export function combineFindings(stack: StackFile, lab: readonly Finding[]): Finding[] {
  const said = stack.findings.filter((f) => !f.namespace).map((f) => f.path);
  const again = (f: Finding) =>
    said.some((p) => f.path === p || f.path.startsWith(`${p}.`) || f.path.startsWith(`${p}[`));
  return [...stack.findings, ...lab.filter((f) => !again(f))];
}

export function readStackFile(path: string): StackFile {
  return parseStackConfig(readFileSync(path, "utf8"), labNameFromPath(path));
}
