// What every layer that renders POSIX sh shares (host fabric, kubeadm, proof): quoting, and the
// content hash that decides when a remote step runs again. Values are validated by the spec
// patterns first; quoting is the second line of defence.
import { createHash } from "node:crypto";

/** Single-quote a value for POSIX sh: 'it'\''s' — nothing inside is expanded. */
export function shq(value: string | number): string {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}

/** The trigger of a remote step: it changes exactly when one of its rendered parts changes. */
export function contentHash(...parts: readonly string[]): string {
  const h = createHash("sha256");
  for (const p of parts) h.update(`${p.length}:${p}`);
  return h.digest("hex");
}
