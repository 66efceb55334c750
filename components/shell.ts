// Shell quoting shared by every layer that renders POSIX sh (host fabric, kubeadm, proof).
// Values are validated by the spec patterns first; quoting is the second line of defence.

/** Single-quote a value for POSIX sh: 'it'\''s' — nothing inside is expanded. */
export function shq(value: string | number): string {
  return `'${String(value).replace(/'/g, `'\\''`)}'`;
}
