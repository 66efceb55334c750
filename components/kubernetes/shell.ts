// Small pure helpers for the POSIX sh the Kubernetes layer runs over SSH: quoting, file
// writes, the root wrapper and the content hash that decides when a step runs again. Every
// value from the plan is validated by the spec patterns AND passes through `shq`.
import { shq } from "../shell";

export { contentHash, shq } from "../shell";

/** A guarded failure with a labfabric message on stderr. */
export function fail(message: string): string {
  return `{ echo ${shq(`labfabric: ${message}`)} >&2; exit 1; }`;
}

/** A script: strict mode first, then the steps separated by blank lines. */
export function script(title: string, steps: readonly string[]): string {
  return [`#!/bin/sh\n# labfabric: ${title}\nset -eu`, ...steps].join("\n\n") + "\n";
}

/**
 * Write `content` to `path` atomically (temp file + rename) with `mode` (0644 unless given).
 * The temp file is created under umask 077, so a 0600 file (a join token) is never readable by
 * others, not even for a moment. Each line is its own quoted argument, so the step can be
 * indented without touching the content.
 */
export function writeFile(path: string, content: string, mode = "0644"): string {
  const lines = (content.endsWith("\n") ? content.slice(0, -1) : content).split("\n");
  const tmp = shq(`${path}.labfabric-tmp`);
  return [
    `mkdir -p "$(dirname ${shq(path)})"`,
    `(umask 077 && printf '%s\\n' \\\n${lines.map((l) => `  ${shq(l)} \\\n`).join("")}  > ${tmp})`,
    `chmod ${mode} ${tmp}`,
    `mv -f ${tmp} ${shq(path)}`,
  ].join("\n");
}

/**
 * The command line that runs `body` as root on the node: directly as root, through
 * passwordless sudo otherwise (cloud images' default user). The body is one quoted argument,
 * so the login shell of the SSH user never interprets it.
 */
export function asRoot(user: string, body: string): string {
  return user === "root" ? `sh -c ${shq(body)}` : `sudo -n sh -c ${shq(body)}`;
}
