// The libvirt preflight: with domainType kvm, each VM host is asked over SSH whether it can run
// KVM guests, before anything is created. Against a real sshd on loopback (this machine is the
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
  KVM_PROBE,
  kvmCheckTargets,
  kvmPreflight,
  kvmProblem,
  kvmRefusal,
  type KvmCheckTarget,
} from "../../components/libvirt/preflight";
import { load, vxlanLab } from "../lab/helpers";

describe("what the probe's answer means", () => {
  it("no /dev/kvm, /dev/kvm without vmx/svm, or both", () => {
    assert.match(kvmProblem("")!, /has no \/dev\/kvm/);
    assert.match(kvmProblem("kvm-device\n")!, /no vmx or svm flag/);
    assert.equal(kvmProblem("kvm-device\ncpu-virtualisation\n"), undefined);
  });
  it("checks only the hosts that get a VM, and only for kvm", () => {
    const kvm = load(vxlanLab((s) => (s.libvirt = { ...s.libvirt, domainType: "kvm" })));
    const withVms = [...new Set(kvm.spec.vms.map((v) => v.host))].sort();
    const targets = kvmCheckTargets(kvm.libvirt);
    assert.deepEqual(targets.map((t) => t.host).sort(), withVms);
    for (const t of targets) {
      const i = kvm.spec.hosts.findIndex((h) => h.name === t.host);
      assert.equal(t.key, `hosts[${i}].ssh`);
      assert.equal(t.ssh.address, kvm.spec.hosts[i].ssh.address);
      assert.equal(t.ssh.hostKey, kvm.spec.hosts[i].ssh.hostKey);
    }
    const qemu = load(vxlanLab((s) => (s.libvirt = { ...s.libvirt, domainType: "qemu" })));
    assert.deepEqual(kvmCheckTargets(qemu.libvirt), []);
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
    const target = (over: Partial<KvmCheckTarget["ssh"]> = {}): KvmCheckTarget => ({
      host: "h1",
      key: "hosts[0].ssh",
      ssh: { address: "127.0.0.1", port, user: "root", hostKey, ...over },
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

    it("answers what this machine has: refused exactly when it cannot run KVM guests", async () => {
      const local = spawnSync("sh", ["-c", KVM_PROBE], { encoding: "utf8" }).stdout;
      const problem = kvmProblem(local);
      const refusals = await kvmPreflight([target()], { privateKey });
      assert.deepEqual(refusals, problem ? [kvmRefusal("h1", problem)] : []);
      for (const r of refusals) {
        assert.match(r, /^ERROR labfabric:libvirt\.domainType = "kvm": host h1 /);
        assert.match(r, /Fix: .*labfabric:libvirt\.domainType to "qemu"/);
      }
    });

    it("the same through a jump host", async () => {
      const jump = { address: "127.0.0.1", port, user: "root", hostKey };
      const direct = await kvmPreflight([target()], { privateKey });
      assert.deepEqual(await kvmPreflight([target({ jump })], { privateKey }), direct);
    });

    it("a host whose key is not the pinned one is refused, naming its ssh key path", async () => {
      const other =
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl";
      const [r] = await kvmPreflight([target({ hostKey: other })], { privateKey });
      assert.match(
        r,
        /^ERROR hosts\[0\]\.ssh: could not check host h1 for KVM over SSH \(its host key is not the pinned one\)/,
      );
    });

    it("a host nothing answers on is refused, naming its ssh key path", async () => {
      const closed = await freePort();
      const [r] = await kvmPreflight([target({ port: closed })], { privateKey });
      assert.match(
        r,
        /^ERROR hosts\[0\]\.ssh: could not check host h1 for KVM over SSH \(.*ECONNREFUSED/,
      );
    });

    it("the private key never appears in a refusal", async () => {
      const refusals = await kvmPreflight([target({ port: await freePort() })], { privateKey });
      const body = privateKey.split("\n")[1];
      for (const r of refusals) assert.ok(!r.includes(body));
    });
  },
);
