// Dry-lab hosts with their own libvirtd: each namespace host runs Debian's libvirtd and its sshd
// in one private mount namespace (scripts/lab/kit/libvirt-host.sh), so the libvirt provider reaches
// it with the same qemu+ssh:// URI as a real host. Helpers to start, enter, restart and stop them.
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, openSync, readFileSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { must, run, tryRun } from "./exec";
import { netnsSkipReason } from "./netns";

const HOST_SCRIPT = resolve(__dirname, "libvirt-host.sh");
const READY_TIMEOUT_MS = 180_000;

export interface LibvirtHost {
  /** Network namespace of the host. */
  ns: string;
  /** Directory of the host's private /etc, libvirt state, logs, pid files. */
  dir: string;
  /** sshd config to start in the same mount namespace; unset = no sshd (kernel tests). */
  sshdConfig?: string;
  /** A network hook of the site, in place before libvirtd starts (libvirt-host.sh). */
  siteNetworkHook?: string;
}

/** Shared QEMU capability cache: the first probe takes up to a minute under TCG, once. */
function capsCache(): string {
  return join(process.env.LABFABRIC_CACHE ?? join(homedir(), ".cache/labfabric"), "libvirt-caps");
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/** Why a test against the real libvirtd cannot run here (undefined: it can). */
export function libvirtSkipReason(): string | undefined {
  const missing = ["libvirtd", "virsh", "nsenter"].filter(
    (t) => run(["sh", "-c", `command -v ${t}`]).code !== 0,
  );
  return (
    netnsSkipReason() ??
    (missing.length > 0 ? `needs ${missing.join(", ")} (scripts/setup.sh)` : undefined)
  );
}

export function anchorPid(h: LibvirtHost): string | undefined {
  const f = join(h.dir, "anchor.pid");
  return existsSync(f) ? readFileSync(f, "utf8").trim() : undefined;
}

/** argv inside the host: its network AND mount namespace (where libvirtd and sshd run). */
export function inHostArgv(h: LibvirtHost, argv: string[]): string[] {
  const pid = anchorPid(h);
  if (!pid) throw new Error(`libvirt host ${h.ns} is not running (no anchor.pid in ${h.dir})`);
  return ["nsenter", "--target", pid, "--mount", "--net", ...argv];
}

export function inHost(h: LibvirtHost, argv: string[], timeoutMs = 120_000) {
  const [cmd, ...args] = inHostArgv(h, argv);
  return tryRun(cmd, args, timeoutMs);
}

export function virsh(h: LibvirtHost, args: string[], timeoutMs = 120_000) {
  return inHost(h, ["virsh", "-q", "-c", "qemu:///system", ...args], timeoutMs);
}

export function mustVirsh(h: LibvirtHost, args: string[], timeoutMs = 120_000): string {
  const r = virsh(h, args, timeoutMs);
  if (!r.ok) throw new Error(`virsh ${args.join(" ")} on ${h.ns} failed: ${r.out}`);
  return r.out;
}

function waitReady(h: LibvirtHost, what: string): void {
  const started = Date.now();
  let last = started;
  for (;;) {
    if (anchorPid(h) && virsh(h, ["uri"], 90_000).ok) return;
    if (Date.now() - started > READY_TIMEOUT_MS) {
      const log = tryRun("tail", ["-20", join(h.dir, "host.log")]).out;
      throw new Error(
        `libvirtd on ${h.ns} did not answer within ${READY_TIMEOUT_MS / 1000} s:\n${log}`,
      );
    }
    if (Date.now() - last > 15_000) {
      console.error(`lab: [${Math.round((Date.now() - started) / 1000)}s] waiting for ${what}`);
      last = Date.now();
    }
    sleep(250);
  }
}

/** Starts the host's libvirtd (+ sshd) in a new private mount namespace; fresh state each time. */
export function startLibvirtHost(h: LibvirtHost): void {
  rmSync(h.dir, { recursive: true, force: true });
  mkdirSync(h.dir, { recursive: true, mode: 0o700 });
  const log = openSync(join(h.dir, "host.log"), "a");
  const caps = capsCache();
  const child = spawn(
    "ip",
    [
      "netns",
      "exec",
      h.ns,
      "unshare",
      "--mount",
      "--propagation",
      "private",
      "sh",
      HOST_SCRIPT,
    ].concat([h.dir, h.sshdConfig ?? "-", existsSync(caps) ? caps : "", h.siteNetworkHook ?? ""]),
    { detached: true, stdio: ["ignore", log, log] },
  );
  child.unref();
  waitReady(h, `libvirtd on ${h.ns} (first start probes QEMU's capabilities)`);
  const hostCaps = join(h.dir, "var/cache/libvirt/qemu/capabilities");
  if (!existsSync(caps) && existsSync(hostCaps)) cpSync(hostCaps, caps, { recursive: true });
}

/** `systemctl restart libvirtd`: the daemon goes, running guests stay, the daemon comes back. */
export function restartLibvirtd(h: LibvirtHost): void {
  const pidFile = join(h.dir, "libvirtd.pid");
  const pid = readFileSync(pidFile, "utf8").trim();
  must(["kill", pid]);
  for (let i = 0; i < 200 && tryRun("kill", ["-0", pid]).ok; i++) sleep(100);
  must(inHostArgv(h, ["/usr/sbin/libvirtd", "--daemon", "--pid-file", pidFile]));
  waitReady(h, `libvirtd on ${h.ns} after a restart`);
}

/** Kills every process of the host (guests included); the mount namespace goes with them. */
export function stopLibvirtHost(h: LibvirtHost): void {
  const pids = tryRun("ip", ["netns", "pids", h.ns]).out.split("\n").filter(Boolean);
  for (const pid of pids) tryRun("kill", ["-9", pid]);
  rmSync(join(h.dir, "anchor.pid"), { force: true });
}
