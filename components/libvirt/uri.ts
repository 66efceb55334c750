// The qemu+ssh connection URI of one libvirt host, for terraform-provider-libvirt 0.8.1's own
// Go SSH client (see docs/libvirt-provider.md): user and port in the URI, the auth method and key
// file and the host-key check as query parameters. Pure: no file is read or written here.
import type { SshTarget } from "../ssh/connection";

/** How the provider authenticates to the hosts. */
export type LibvirtSshAuth =
  /** ssh-agent (SSH_AUTH_SOCK where `pulumi` runs): works with passphrase-protected keys. */
  | { method: "agent" }
  /** An unencrypted private key file where `pulumi` runs; only its path enters the URI. */
  | { method: "keyfile"; keyFile: string };

/** What to do for a host without `ssh.hostKey`. */
export type UnpinnedHostKeyPolicy =
  /** `no_verify`: not checked, as for every other SSH step of labfabric (schema: "unset means not checked"). */
  | "skip-check"
  /** The provider's default: ~/.ssh/known_hosts (or UserKnownHostsFile) must already hold the key. */
  | "user-known-hosts";

export interface LibvirtUriInput {
  target: Pick<SshTarget, "address" | "port" | "user" | "hostKey">;
  auth: LibvirtSshAuth;
  /** known_hosts file holding the pinned keys (see knownHostsContent); used when the host has one. */
  pinnedKnownHostsFile?: string;
  unpinned: UnpinnedHostKeyPolicy;
}

/** Characters left as they are in a query value; everything else is percent-encoded. */
function queryValue(v: string): string {
  return v.replace(/[^A-Za-z0-9._~/,-]/g, (c) =>
    [...Buffer.from(c, "utf8")].map((b) => `%${b.toString(16).toUpperCase()}`).join(""),
  );
}

export function libvirtUri(input: LibvirtUriInput): string {
  const { target, auth } = input;
  const params: [string, string][] = [];
  switch (auth.method) {
    case "agent":
      params.push(["sshauth", "agent"]);
      break;
    case "keyfile":
      params.push(["sshauth", "privkey"], ["keyfile", auth.keyFile]);
      break;
    default: {
      const never: never = auth;
      throw new Error(`unknown libvirt SSH auth ${JSON.stringify(never)}`);
    }
  }
  if (target.hostKey && input.pinnedKnownHostsFile) {
    // Spelled `knownhosts`: 0.8.1 ignores libvirt's own `known_hosts=`.
    params.push(["knownhosts", input.pinnedKnownHostsFile]);
  } else if (input.unpinned === "skip-check") {
    // Only its presence counts in 0.8.1.
    params.push(["no_verify", "1"]);
  }
  const query = params.map(([k, v]) => `${k}=${queryValue(v)}`).join("&");
  return `qemu+ssh://${target.user}@${target.address}:${target.port}/system?${query}`;
}

/**
 * The known_hosts name 0.8.1 checks: it looks up "host:port", which known_hosts spells as the
 * bare host for port 22 and "[host]:port" otherwise.
 */
export function knownHostsName(address: string, port: number): string {
  return port === 22 ? address : `[${address}]:${port}`;
}

/** A known_hosts file with one line per pinned host (public keys only), sorted. */
export function knownHostsContent(
  targets: readonly Pick<SshTarget, "address" | "port" | "hostKey">[],
): string {
  const lines = targets
    .filter((t) => t.hostKey)
    .map((t) => `${knownHostsName(t.address, t.port)} ${t.hostKey}`);
  return [...new Set(lines)].sort().join("\n") + (lines.length > 0 ? "\n" : "");
}
