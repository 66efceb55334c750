// The qemu+ssh URI terraform-provider-libvirt 0.8.1 gets per host, and the pinned known_hosts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  knownHostsContent,
  knownHostsName,
  libvirtUri,
  type LibvirtUriInput,
} from "../../components/libvirt/uri";

const ED = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGhvc3QxaG9zdDFob3N0MWhvc3Qx";
const target = { address: "10.0.0.5", port: 22, user: "root" };

describe("libvirt URI", () => {
  const cases: [string, LibvirtUriInput, string][] = [
    [
      "agent, unpinned host: no host key check",
      { target, auth: { method: "agent" }, unpinned: "skip-check" },
      "qemu+ssh://root@10.0.0.5:22/system?sshauth=agent&no_verify=1",
    ],
    [
      "agent, unpinned host, user's known_hosts",
      { target, auth: { method: "agent" }, unpinned: "user-known-hosts" },
      "qemu+ssh://root@10.0.0.5:22/system?sshauth=agent",
    ],
    [
      "key file and a pinned key on a non-22 port",
      {
        target: { ...target, port: 2222, user: "lab", hostKey: ED },
        auth: { method: "keyfile", keyFile: "/home/ci/.ssh/lab_ed25519" },
        pinnedKnownHostsFile: "/work/.lab/a/libvirt_known_hosts",
        unpinned: "skip-check",
      },
      "qemu+ssh://lab@10.0.0.5:2222/system?sshauth=privkey&keyfile=/home/ci/.ssh/lab_ed25519&knownhosts=/work/.lab/a/libvirt_known_hosts",
    ],
    [
      "percent-encodes what a query value cannot carry",
      {
        target,
        auth: { method: "keyfile", keyFile: "/keys/a b&c#d.key" },
        unpinned: "user-known-hosts",
      },
      "qemu+ssh://root@10.0.0.5:22/system?sshauth=privkey&keyfile=/keys/a%20b%26c%23d.key",
    ],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(libvirtUri(input), expected));
  }

  it("never checks against a pin without a known_hosts file to hold it", () => {
    assert.equal(
      libvirtUri({
        target: { ...target, hostKey: ED },
        auth: { method: "agent" },
        unpinned: "skip-check",
      }),
      "qemu+ssh://root@10.0.0.5:22/system?sshauth=agent&no_verify=1",
    );
  });
});

describe("pinned known_hosts", () => {
  it("names port 22 hosts bare and others as [host]:port, as the provider looks them up", () => {
    assert.equal(knownHostsName("10.0.0.5", 22), "10.0.0.5");
    assert.equal(knownHostsName("10.0.0.5", 2222), "[10.0.0.5]:2222");
  });

  it("holds one sorted line per pinned host and nothing for unpinned ones", () => {
    assert.equal(
      knownHostsContent([
        { address: "10.0.0.6", port: 2222, hostKey: ED },
        { address: "10.0.0.7", port: 22 },
        { address: "10.0.0.5", port: 22, hostKey: `${ED} root@h1` },
      ]),
      `10.0.0.5 ${ED} root@h1\n[10.0.0.6]:2222 ${ED}\n`,
    );
    assert.equal(knownHostsContent([{ address: "10.0.0.7", port: 22 }]), "");
  });
});
