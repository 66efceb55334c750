// What every layer that renders POSIX sh shares (host fabric, kubeadm, proof): quoting,
// here-documents, atomic file writes, the root wrapper, script framing, and the content hash
// that decides when a remote step runs again. Values are validated by the spec
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

/**
 * A quoted here-document feeding `content` to `command` verbatim (no expansion inside).
 * Refuses content that would end the document early.
 */
export function heredoc(command: string, delimiter: string, content: string): string {
  const body = content.endsWith("\n") ? content : `${content}\n`;
  if (body.split("\n").includes(delimiter)) {
    throw new Error(`here-document body contains its delimiter line ${delimiter}`);
  }
  return `${command} <<'${delimiter}'\n${body}${delimiter}`;
}

/** `root` + an absolute path: "/" + "/etc/x" = "/etc/x", "/run/lab/h1" + "/etc/x" = "/run/lab/h1/etc/x". */
export function underRoot(root: string, path: string): string {
  const base = root.replace(/\/+$/, "");
  return `${base}${path}`;
}

/** Join script sections, dropping empty ones, with one blank line between them. */
export function sections(...parts: (string | undefined | false)[]): string {
  return parts.filter((p): p is string => typeof p === "string" && p.length > 0).join("\n\n");
}
