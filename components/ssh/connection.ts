// One SSH connection object per machine, built once and shared by every remote step on it.
// The private key stays a Pulumi secret; the host key is pinned when the config gives one.
import * as pulumi from "@pulumi/pulumi";
import type * as command from "@pulumi/command";

export interface SshTarget {
  address: string;
  port: number;
  user: string;
  /** "ssh-ed25519 AAAA..." — pins the server's key; unset means it is not checked. */
  hostKey?: string;
  jump?: { address: string; port: number; user: string; hostKey?: string };
}

export type Connection = command.types.input.remote.ConnectionArgs;

/** Bounded retries: a host that is rebooting gets a minute, a wrong address fails fast enough. */
export const DIAL_ERROR_LIMIT = 8;
export const PER_DIAL_TIMEOUT_SECONDS = 10;

export function sshConnection(
  target: SshTarget,
  privateKey: pulumi.Input<string>,
): pulumi.Output<Connection> {
  const key = pulumi.secret(privateKey);
  return pulumi.secret(
    pulumi.output(key).apply((k): Connection => ({
      host: target.address,
      port: target.port,
      user: target.user,
      privateKey: k,
      dialErrorLimit: DIAL_ERROR_LIMIT,
      perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
      ...(target.hostKey ? { hostKey: target.hostKey } : {}),
      ...(target.jump
        ? {
            proxy: {
              host: target.jump.address,
              port: target.jump.port,
              user: target.jump.user,
              privateKey: k,
              dialErrorLimit: DIAL_ERROR_LIMIT,
              perDialTimeout: PER_DIAL_TIMEOUT_SECONDS,
              ...(target.jump.hostKey ? { hostKey: target.jump.hostKey } : {}),
            },
          }
        : {}),
    })),
  );
}
