// One SSH connection object per machine, built once and shared by every remote step on it.
// The private key stays a Pulumi secret; the server's key is always checked: pinned in the
// config or learned once (host-key.ts). A connection without a host key cannot be built.
import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";

export interface SshTarget {
  address: string;
  port: number;
  user: string;
  /** "ssh-ed25519 AAAA...": pinned (ssh.hostKey) or learned once (host-key.ts). */
  hostKey?: pulumi.Input<string>;
  jump?: { address: string; port: number; user: string; hostKey?: pulumi.Input<string> };
}

export type Connection = command.types.input.remote.ConnectionArgs;

/** Bounded retries: a host that is rebooting gets a minute, a wrong address fails fast enough. */
export const DIAL_ERROR_LIMIT = 8;
export const PER_DIAL_TIMEOUT_SECONDS = 10;

function requireHostKey(what: string, key: pulumi.Input<string> | undefined) {
  if (key === undefined || key === "") {
    throw new Error(
      `labfabric: no host key for ${what}: every SSH connection checks the server's key (pin ssh.hostKey, or set labfabric:sshHostKeys: trust-on-first-use)`,
    );
  }
  return key;
}

export function sshConnection(
  target: SshTarget,
  privateKey: pulumi.Input<string>,
): pulumi.Output<Connection> {
  const key = pulumi.secret(privateKey);
  const hostKey = requireHostKey(`${target.address}:${target.port}`, target.hostKey);
  const jumpKey = target.jump
    ? requireHostKey(`jump host ${target.jump.address}:${target.jump.port}`, target.jump.hostKey)
    : undefined;
  return pulumi.secret(
    pulumi.all([key, hostKey, jumpKey]).apply(([k, hk, jk]): Connection => ({
      host: target.address,
      port: target.port,
      user: target.user,
      privateKey: k,
      dialErrorLimit: DIAL_ERROR_LIMIT,
      perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
      hostKey: hk,
      ...(target.jump
        ? {
            proxy: {
              host: target.jump.address,
              port: target.jump.port,
              user: target.jump.user,
              privateKey: k,
              dialErrorLimit: DIAL_ERROR_LIMIT,
              perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
              hostKey: jk,
            },
          }
        : {}),
    })),
  );
}
