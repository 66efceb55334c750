// The qemu+ssh URI terraform-provider-libvirt 0.8.1 gets per host, and the known_hosts file it
// checks every host against (keys pinned or learned once; there is no unchecked URI).
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
const KH = "/work/.lab/a/libvirt_known_hosts";

describe("libvirt URI", () => {
  const cases: [string, LibvirtUriInput, string][] = [
    [
      "agent: checked against the lab's known_hosts",
      { target, auth: { method: "agent" }, knownHostsFile: KH },
      `qemu+ssh://root@10.0.0.5:22/system?sshauth=agent&knownhosts=${KH}`,
    ],
    [
      "key file on a non-22 port",
      {
        target: { ...target, port: 2222, user: "lab" },
        auth: { method: "keyfile", keyFile: "/home/ci/.ssh/lab_ed25519" },
        knownHostsFile: KH,
      },
      `qemu+ssh://lab@10.0.0.5:2222/system?sshauth=privkey&keyfile=/home/ci/.ssh/lab_ed25519&knownhosts=${KH}`,
    ],
    [
      "percent-encodes what a query value cannot carry",
      {
        target,
        auth: { method: "keyfile", keyFile: "/keys/a b&c#d.key" },
        knownHostsFile: "/k h",
      },
      "qemu+ssh://root@10.0.0.5:22/system?sshauth=privkey&keyfile=/keys/a%20b%26c%23d.key&knownhosts=/k%20h",
    ],
  ];
  for (const [name, input, expected] of cases) {
    it(name, () => assert.equal(libvirtUri(input), expected));
  }

  it("never skips the host-key check (no no_verify, whatever the input)", () => {
    for (const [, input] of cases) assert.doesNotMatch(libvirtUri(input), /no_verify/);
  });
});

describe("known_hosts", () => {
  it("names port 22 hosts bare and others as [host]:port, as the provider looks them up", () => {
    assert.equal(knownHostsName("10.0.0.5", 22), "10.0.0.5");
    assert.equal(knownHostsName("10.0.0.5", 2222), "[10.0.0.5]:2222");
  });

  it("holds one sorted line per host", () => {
    assert.equal(
      knownHostsContent([
        { address: "10.0.0.6", port: 2222, hostKey: ED },
        { address: "10.0.0.5", port: 22, hostKey: `${ED} root@h1` },
      ]),
      `10.0.0.5 ${ED} root@h1\n[10.0.0.6]:2222 ${ED}\n`,
    );
    assert.equal(knownHostsContent([]), "");
  });
});
