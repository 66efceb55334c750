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
