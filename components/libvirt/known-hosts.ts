// The known_hosts file the libvirt provider checks every host against (`knownhosts=` in the
// URI): one line per managed host, its key pinned or learned once. Written where `pulumi` runs
// once every key is known, from state on later runs (the file itself is not kept anywhere).
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { knownHostsContent } from "./uri";

/** Write the file when its content changed (public keys only). */
function writeKnownHosts(path: string, content: string) {
  let current: string | undefined;
  try {
    current = readFileSync(path, "utf8");
  } catch {
    current = undefined;
  }
  if (current === content) return;
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content, { mode: 0o644 });
}

/** The file's path, resolved once it holds every host's key. */
export function knownHostsFileOf(
  path: string,
  hosts: readonly { address: string; port: number; hostKey: pulumi.Input<string> }[],
): pulumi.Output<string> {
  return pulumi.all(hosts.map((h) => h.hostKey)).apply((keys) => {
    const lines = hosts.map((h, i) => ({ address: h.address, port: h.port, hostKey: keys[i] }));
    writeKnownHosts(path, knownHostsContent(lines));
    return path;
  });
}
