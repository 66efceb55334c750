// The qemu+ssh connection URI of one libvirt host, for terraform-provider-libvirt 0.8.1's own
// Go SSH client (see docs/libvirt-provider.md): user and port in the URI, the auth method and key
// file and the known_hosts file the host key is checked against as query parameters (never
// `no_verify`). Pure: no file is read or written here.
import type { SshTarget } from "../ssh";

/** How the provider authenticates to the hosts. */
export type LibvirtSshAuth =
  /** ssh-agent (SSH_AUTH_SOCK where `pulumi` runs): works with passphrase-protected keys. */
  | { method: "agent" }
  /** An unencrypted private key file where `pulumi` runs; only its path enters the URI. */
  | { method: "keyfile"; keyFile: string };

export interface LibvirtUriInput {
  target: Pick<SshTarget, "address" | "port" | "user">;
  auth: LibvirtSshAuth;
  /**
   * The known_hosts file holding every host's key, pinned or learned (knownHostsContent): the
   * provider checks the host against it. There is no unchecked variant.
   */
  knownHostsFile: string;
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
  // Spelled `knownhosts`: 0.8.1 ignores libvirt's own `known_hosts=`.
  params.push(["knownhosts", input.knownHostsFile]);
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

/** A known_hosts file with one line per host (public keys only), sorted. */
export function knownHostsContent(
  targets: readonly { address: string; port: number; hostKey: string }[],
): string {
  const lines = targets.map((t) => `${knownHostsName(t.address, t.port)} ${t.hostKey}`);
  return [...new Set(lines)].sort().join("\n") + (lines.length > 0 ? "\n" : "");
}
