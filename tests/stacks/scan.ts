// The stack files a repository may hold, and what must never be in one: a secret in plain
// text. A secret key (ours, or a provider's) is either absent or `secure:` (written by
// `pulumi config set --secret`), and no value anywhere holds a private key or a kubeadm token.
import { execFileSync } from "node:child_process";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { parse } from "yaml";
// What a secret is, is decided once, in the program (components/spec/secrets.ts).
import {
  KUBEADM_TOKEN,
  PEM_PRIVATE_KEY,
  SECRET_CONFIG_KEYS,
  SECRET_KEY_NAME,
} from "../../components/spec/secrets";

export { KUBEADM_TOKEN, PEM_PRIVATE_KEY, SECRET_CONFIG_KEYS, SECRET_KEY_NAME };

export const REPO = join(__dirname, "..", "..");

const STACK_FILE = /^Pulumi\.[^.]+\.ya?ml$/;

/** The repository's stack files: tracked by git when it is a clone, else on disk. */
export function stackFiles(repo = REPO): string[] {
  let names: string[];
  try {
    names = execFileSync("git", ["ls-files", "--", "Pulumi.*.yaml", "Pulumi.*.yml"], {
      cwd: repo,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "ignore"],
    })
      .split("\n")
      .filter(Boolean);
  } catch {
    names = readdirSync(repo);
  }
  return names.filter((n) => STACK_FILE.test(n)).sort();
}

function isSecure(v: unknown): boolean {
  return (
    typeof v === "object" &&
    v !== null &&
    !Array.isArray(v) &&
    Object.keys(v).length === 1 &&
    typeof (v as { secure?: unknown }).secure === "string"
  );
}

/** Every string in a value with its path, `secure:` ciphertexts left out. */
function strings(v: unknown, path: string): { path: string; text: string }[] {
  if (typeof v === "string") return [{ path, text: v }];
  if (isSecure(v)) return [];
  if (Array.isArray(v)) return v.flatMap((x, i) => strings(x, `${path}[${i}]`));
  if (v && typeof v === "object") {
    return Object.entries(v).flatMap(([k, x]) => [
      ...strings(k, `${path} (key)`),
      ...strings(x, `${path}.${k}`),
    ]);
  }
  return [];
}

/** One line per plaintext secret in a stack file's text ("" = clean). */
export function plaintextSecrets(text: string): string[] {
  const doc = (parse(text) ?? {}) as { config?: Record<string, unknown> };
  const found: string[] = [];
  for (const [key, value] of Object.entries(doc.config ?? {})) {
    const secretKey =
      SECRET_CONFIG_KEYS.includes(key) || SECRET_KEY_NAME.test(key.split(":").pop()!);
    if (secretKey && value !== "" && value !== null && !isSecure(value)) {
      found.push(`${key} is set in plain text. Fix: pulumi config set --secret ${key} < file`);
    }
  }
  for (const { path, text: s } of strings(doc, "")) {
    if (PEM_PRIVATE_KEY.test(s)) found.push(`${path.slice(1)} holds a PEM private key`);
    else if (KUBEADM_TOKEN.test(s)) found.push(`${path.slice(1)} holds a kubeadm token`);
  }
  return [...new Set(found)];
}

export function plaintextSecretsInFile(path: string): string[] {
  return plaintextSecrets(readFileSync(path, "utf8"));
}
