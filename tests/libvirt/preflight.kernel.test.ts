// The libvirt preflight: each VM host is asked over SSH whether it can build the VMs' NoCloud
// seeds (an ISO tool) and, with domainType kvm, run KVM guests, before anything is created. Against a real sshd on loopback (this machine is the
// "host": what the probe finds over SSH must be what this machine has), with its key pinned, a
// wrong key, a jump host, and nothing listening.
import assert from "node:assert/strict";
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import {
  HOST_PROBE,
  hostCheckTargets,
  hostPreflight,
  isoToolRefusal,
  kvmProblem,
  kvmRefusal,
  type HostCheckTarget,
} from "../../components/libvirt/preflight";
import { load, vxlanLab } from "../lab/helpers";

describe("what the probe's answer means", () => {
  it("no /dev/kvm, /dev/kvm without vmx/svm, or both", () => {
    assert.match(kvmProblem("")!, /has no \/dev\/kvm/);
    assert.match(kvmProblem("kvm-device\n")!, /no vmx or svm flag/);
    assert.equal(kvmProblem("kvm-device\ncpu-virtualisation\n"), undefined);
  });
  it("no ISO tool: one line naming the host and the Debian package", () => {
    const t = { host: "h1", key: "hosts[0].ssh" };
    assert.equal(isoToolRefusal(t, "kvm-device\niso-tool\n"), undefined);
    assert.equal(
      isoToolRefusal(t, "kvm-device\n"),
      "ERROR hosts[0]: host h1 has no ISO tool to build its VMs' NoCloud seeds (genisoimage, xorrisofs, mkisofs, and isoinfo or xorriso to read one back). Fix: install the Debian package genisoimage on h1 (apt-get install genisoimage)",
    );
  });
  it("the ISO probe finds a tool exactly when one is on PATH", () => {
    const probe = (path: string) =>
      spawnSync("/bin/sh", ["-c", HOST_PROBE], { encoding: "utf8", env: { PATH: path } }).stdout;
    const empty = mkdtempSync(join(tmpdir(), "lf-nobin-"));
    assert.doesNotMatch(probe(empty), /iso-tool/);
    const has = ["genisoimage", "isoinfo"].every(
      (t) => spawnSync("sh", ["-c", `command -v ${t}`]).status === 0,
    );
    assert.equal(/iso-tool/.test(probe(process.env.PATH ?? "")), has);
  });
  it("checks the hosts that get a VM: always for an ISO tool, for KVM only with kvm", () => {
    const kvm = load(vxlanLab((s) => (s.libvirt = { ...s.libvirt, domainType: "kvm" })));
    const withVms = [...new Set(kvm.spec.vms.map((v) => v.host))].sort();
    const targets = hostCheckTargets(kvm.libvirt);
    assert.deepEqual(targets.map((t) => t.host).sort(), withVms);
    for (const t of targets) {
      const i = kvm.spec.hosts.findIndex((h) => h.name === t.host);
      assert.equal(t.key, `hosts[${i}].ssh`);
      assert.equal(t.ssh.address, kvm.spec.hosts[i].ssh.address);
      assert.equal(t.ssh.hostKey, kvm.spec.hosts[i].ssh.hostKey);
      assert.equal(t.kvm, true);
    }
    const qemu = load(vxlanLab((s) => (s.libvirt = { ...s.libvirt, domainType: "qemu" })));
    const q = hostCheckTargets(qemu.libvirt);
    assert.deepEqual(q.map((t) => t.host).sort(), withVms);
    assert.ok(q.every((t) => !t.kvm));
  });
});

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

const isRoot = process.getuid?.() === 0;
const sshd = "/usr/sbin/sshd";
const haveSshd = existsSync(sshd);

describe(
  "over a real sshd on loopback",
  { skip: isRoot && haveSshd ? false : "needs root and openssh-server (scripts/setup.sh)" },
  () => {
    let dir: string;
    let port: number;
    let daemon: ChildProcess;
    let hostKey: string;
    let privateKey: string;
    const target = (over: Partial<HostCheckTarget["ssh"]> = {}): HostCheckTarget => ({
      host: "h1",
      key: "hosts[0].ssh",
      ssh: { address: "127.0.0.1", port, user: "root", hostKey, ...over },
      kvm: true,
    });

    before(async () => {
      dir = mkdtempSync(join(tmpdir(), "lf-preflight-"));
      for (const k of ["host", "client"])
        spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-f", join(dir, k)]);
      hostKey = readFileSync(join(dir, "host.pub"), "utf8").trim();
      privateKey = readFileSync(join(dir, "client"), "utf8");
      writeFileSync(join(dir, "authorized_keys"), readFileSync(join(dir, "client.pub")));
      port = await freePort();
      writeFileSync(
        join(dir, "sshd_config"),
        [
          `ListenAddress 127.0.0.1:${port}`,
          `HostKey ${join(dir, "host")}`,
          `AuthorizedKeysFile ${join(dir, "authorized_keys")}`,
          `PidFile ${join(dir, "sshd.pid")}`,
          "PermitRootLogin prohibit-password",
          "PasswordAuthentication no",
          "AllowTcpForwarding yes",
          "StrictModes no",
          "UsePAM no",
        ].join("\n") + "\n",
      );
      mkdirSync("/run/sshd", { recursive: true });
      daemon = spawn(sshd, ["-D", "-e", "-f", join(dir, "sshd_config")], { stdio: "ignore" });
      for (let i = 0; i < 100; i++) {
        const up = spawnSync("bash", ["-c", `exec 3<>/dev/tcp/127.0.0.1/${port}`]).status === 0;
        if (up) break;
        await new Promise((r) => setTimeout(r, 100));
      }
    });

    after(() => {
      daemon?.kill();
      rmSync(dir, { recursive: true, force: true });
    });

    it("answers what this machine has: refused exactly when it cannot run KVM guests or build a seed", async () => {
      const local = spawnSync("sh", ["-c", HOST_PROBE], { encoding: "utf8" }).stdout;
      const problem = kvmProblem(local);
      const refusals = await hostPreflight([target()], { privateKey });
      const noIso = isoToolRefusal(target(), local);
      assert.deepEqual(refusals, [
        ...(problem ? [kvmRefusal("h1", problem)] : []),
        ...(noIso ? [noIso] : []),
      ]);
      assert.deepEqual(
        await hostPreflight([{ ...target(), kvm: false }], { privateKey }),
        noIso ? [noIso] : [],
      );
      for (const r of refusals.filter((x) => x !== noIso)) {
        assert.match(r, /^ERROR labfabric:libvirt\.domainType = "kvm": host h1 /);
        assert.match(r, /Fix: .*labfabric:libvirt\.domainType to "qemu"/);
      }
    });

    it("the same through a jump host", async () => {
      const jump = { address: "127.0.0.1", port, user: "root", hostKey };
      const direct = await hostPreflight([target()], { privateKey });
      assert.deepEqual(await hostPreflight([target({ jump })], { privateKey }), direct);
    });

    it("a host whose key is not the pinned one is refused, naming its ssh key path", async () => {
      const other =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
      const [r] = await hostPreflight([target({ hostKey: other })], { privateKey });
      assert.match(
        r,
        /^ERROR hosts\[0\]\.ssh: could not check host h1 for KVM and an ISO tool over SSH \(its host key is not the pinned one\)/,
      );
    });

    it("a host nothing answers on is refused, naming its ssh key path", async () => {
      const closed = await freePort();
      const [r] = await hostPreflight([target({ port: closed })], { privateKey });
      assert.match(
        r,
        /^ERROR hosts\[0\]\.ssh: could not check host h1 for KVM and an ISO tool over SSH \(.*ECONNREFUSED/,
      );
    });

    it("the private key never appears in a refusal", async () => {
      const refusals = await hostPreflight([target({ port: await freePort() })], { privateKey });
      const body = privateKey.split("\n")[1];
      for (const r of refusals) assert.ok(!r.includes(body));
    });
  },
);
