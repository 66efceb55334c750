// Every SSH server's key, one place: pinned in the config, or learned once (trust-on-first-use,
// labfabric:sshHostKeys, validated in components/validate/ssh.ts). Learning is a command
// that runs `ssh-keyscan` once, from where `pulumi` runs or on the machine's own (checked) host
// or jump host; its output is kept in state and is the machine's `hostKey` from then on, so
// every later connection checks it. Never "not checked".
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { shq } from "../shared";
import type { Connection } from "./connection";

/** A machine that is still booting gets this long to answer with its key. */
export const KEYSCAN_WAIT_SECONDS = 600;
const KEYSCAN_INTERVAL_SECONDS = 5;

/**
 * The script that prints the machine's ed25519 key as one `ssh-ed25519 AAAA...` line (what
 * ssh.hostKey holds), waiting for sshd to come up; it fails when no key arrives in time.
 */
export function keyscanScript(address: string, port: number): string {
  const tries = Math.ceil(KEYSCAN_WAIT_SECONDS / KEYSCAN_INTERVAL_SECONDS);
  return [
    "set -u",
    `i=0`,
    `while [ "$i" -lt ${tries} ]; do`,
    `  key=$(ssh-keyscan -T 5 -t ed25519 -p ${port} ${shq(address)} 2>/dev/null | awk '$2 == "ssh-ed25519" { print $2, $3; exit }')`,
    `  if [ -n "$key" ]; then printf '%s\\n' "$key"; exit 0; fi`,
    `  i=$((i + 1)); sleep ${KEYSCAN_INTERVAL_SECONDS}`,
    "done",
    `echo ${shq(`labfabric: no ed25519 host key from ${address}:${port} in ${KEYSCAN_WAIT_SECONDS}s (is sshd up and reachable?)`)} >&2`,
    "exit 1",
    "",
  ].join("\n");
}

export interface LearnHostKey {
  /** Resource name of the learning step (ends in "-host-key": read-only for the policy pack). */
  name: string;
  /** The key from the config, when it is pinned: then nothing is learned. */
  pinned?: string;
  address: pulumi.Input<string>;
  port: number;
  /** Scan from this machine (the VM's host, a jump host) instead of from where pulumi runs. */
  via?: pulumi.Input<Connection>;
  /** A new machine behind the same address (a replaced VM) is learned again. */
  machineId?: pulumi.Input<string>;
  opts?: pulumi.CustomResourceOptions;
}

/** One machine of a `-host-keys` step: its name in the step's output, and where sshd answers. */
export interface ScannedMachine {
  name: string;
  address: string;
  port: number;
}

/**
 * The script that prints one `<name> ssh-ed25519 AAAA...` line per machine, in the given order,
 * scanning every machine still without a key in parallel each round until all have answered;
 * it fails naming each machine without a key after KEYSCAN_WAIT_SECONDS.
 */
export function keyscanManyScript(machines: readonly ScannedMachine[]): string {
  const tries = Math.ceil(KEYSCAN_WAIT_SECONDS / KEYSCAN_INTERVAL_SECONDS);
  const all = machines.map((_, i) => i).join(" ");
  return [
    "set -u",
    "dir=$(mktemp -d) || exit 1",
    `trap 'rm -rf "$dir"' EXIT`,
    "# scan <index> <address> <port>: the machine's key into $dir/<index>, once sshd answers",
    "scan() {",
    '  [ -s "$dir/$1" ] && return 0',
    `  ssh-keyscan -T 5 -t ed25519 -p "$3" "$2" 2>/dev/null | awk '$2 == "ssh-ed25519" { print $2, $3; exit }' > "$dir/$1.new"`,
    '  if [ -s "$dir/$1.new" ]; then mv "$dir/$1.new" "$dir/$1"; fi',
    "}",
    "i=0",
    "while :; do",
    ...machines.map((m, i) => `  scan ${i} ${shq(m.address)} ${shq(m.port)} &`),
    "  wait",
    "  missing=0",
    `  for k in ${all}; do [ -s "$dir/$k" ] || missing=$((missing + 1)); done`,
    '  [ "$missing" -eq 0 ] && break',
    "  i=$((i + 1))",
    `  if [ "$i" -ge ${tries} ]; then`,
    ...machines.map(
      (m, i) =>
        `    [ -s "$dir/${i}" ] || echo ${shq(`labfabric: no ed25519 host key from ${m.name} (${m.address}:${m.port}) in ${KEYSCAN_WAIT_SECONDS}s (is sshd up and reachable?)`)} >&2`,
    ),
    "    exit 1",
    "  fi",
    `  sleep ${KEYSCAN_INTERVAL_SECONDS}`,
    "done",
    ...machines.map((m, i) => `printf '%s %s\\n' ${shq(m.name)} "$(cat "$dir/${i}")"`),
    "",
  ].join("\n");
}

/** The key of each named machine in a `-host-keys` step's output; a machine without one fails. */
export function parseHostKeys(stdout: string, names: readonly string[]): Record<string, string> {
  const keys = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const [name, type, key] = line.trim().split(/\s+/);
    if (name && type === "ssh-ed25519" && key) keys.set(name, `${type} ${key}`);
  }
  const missing = names.filter((n) => !keys.has(n));
  if (missing.length > 0) {
    throw new Error(`labfabric: the host-key scan printed no key for ${missing.join(", ")}`);
  }
  return Object.fromEntries(names.map((n) => [n, keys.get(n)!]));
}

export interface LearnHostKeys {
  /** Resource name of the step (ends in "-host-keys": read-only for the policy pack). */
  name: string;
  machines: readonly {
    name: string;
    address: pulumi.Input<string>;
    port: number;
    /** A replaced machine (a new identity) re-runs the scan. */
    machineId?: pulumi.Input<string>;
  }[];
  /** The machine that scans them all (the VMs' own host, its key checked). */
  via: pulumi.Input<Connection>;
  opts?: pulumi.CustomResourceOptions;
}

/**
 * The host keys of several machines behind one host, learned once by one step on that host
 * (instead of one step per machine), by machine name. Adding or replacing a machine re-runs
 * the scan; the keys of the others are read again and are expected unchanged.
 */
export function hostKeys(args: LearnHostKeys): Record<string, pulumi.Output<string>> {
  const names = args.machines.map((m) => m.name);
  const create = pulumi
    .all(args.machines.map((m) => m.address))
    .apply((addresses) =>
      keyscanManyScript(
        args.machines.map((m, i) => ({ name: m.name, address: addresses[i], port: m.port })),
      ),
    );
  const triggers = args.machines.flatMap((m) => (m.machineId ? [m.machineId] : []));
  const learn = new command.remote.Command(
    args.name,
    { connection: args.via, create, triggers },
    args.opts,
  );
  const parsed = learn.stdout.apply((s) => parseHostKeys(s ?? "", names));
  return Object.fromEntries(names.map((n) => [n, parsed.apply((k) => k[n])]));
}

/** The machine's host key: the pinned one, or the one learned once and kept in state. */
export function hostKey(args: LearnHostKey): pulumi.Output<string> {
  if (args.pinned) return pulumi.output(args.pinned);
  const create = pulumi.output(args.address).apply((a) => keyscanScript(a, args.port));
  const triggers = args.machineId ? [args.machineId] : [];
  const learn = args.via
    ? new command.remote.Command(args.name, { connection: args.via, create, triggers }, args.opts)
    : new command.local.Command(args.name, { create, triggers }, args.opts);
  return learn.stdout.apply((s) => (s ?? "").trim());
}
