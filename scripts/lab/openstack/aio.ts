// The all-in-one OpenStack of the dry lab (scripts/openstack-aio), driven from TypeScript:
// start (or reuse) it, read the lab project's credentials, run commands inside openstack-host
// and its agents' namespaces, stop it.
import { spawnSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { REPO } from "../pulumi";

const AIO = join(REPO, "scripts/openstack-aio");
export const OS_NS = "openstack-host";

export function aioState(): string {
  return (
    process.env.LABFABRIC_OPENSTACK_STATE ??
    join(process.env.LABFABRIC_CACHE ?? join(homedir(), ".cache/labfabric"), "openstack")
  );
}

/** Starts the cloud (or finds it healthy); its progress goes to stderr. Returns the lab's env. */
export function startAio(): Record<string, string> {
  const r = spawnSync("bash", [join(AIO, "start.sh")], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    timeout: 40 * 60_000,
  });
  if (r.status !== 0) throw new Error(`openstack-aio: start.sh failed (${r.status ?? r.signal})`);
  return labCredentials();
}

/** The lab project's credentials (OS_* variables) written by start.sh, mode 600. */
export function labCredentials(): Record<string, string> {
  const file = join(aioState(), "lab.env");
  if (!existsSync(file)) throw new Error(`openstack-aio: no ${file}: the cloud is not started`);
  const env: Record<string, string> = {};
  for (const l of readFileSync(file, "utf8").split("\n")) {
    const i = l.indexOf("=");
    if (i > 0) env[l.slice(0, i)] = l.slice(i + 1);
  }
  return env;
}

export function stopAio(keepState = false): void {
  spawnSync("bash", [join(AIO, "stop.sh"), ...(keepState ? ["--keep-state"] : [])], {
    stdio: ["ignore", "inherit", "inherit"],
  });
}

function anchorPid(): string {
  const pid = readFileSync(join(aioState(), "anchor.pid"), "utf8").trim();
  if (!/^\d+$/.test(pid)) throw new Error("openstack-aio: bad anchor pid");
  return pid;
}

/** Runs a command inside openstack-host (its network and mount namespace). */
export function inHost(
  args: string[],
  opts: { input?: string; timeoutMs?: number; env?: Record<string, string> } = {},
): { ok: boolean; out: string; code: number | null } {
  const envArgs = Object.entries(opts.env ?? {}).map(([k, v]) => `${k}=${v}`);
  const r = spawnSync(
    "nsenter",
    ["-t", anchorPid(), "-m", "-n", "--", "env", ...envArgs, ...args],
    { encoding: "utf8", input: opts.input, timeout: opts.timeoutMs ?? 60_000 },
  );
  return { ok: r.status === 0, out: `${r.stdout ?? ""}${r.stderr ?? ""}`, code: r.status };
}

/** `openstack` as the lab project's user, inside openstack-host; throws on failure. */
export function openstackCli(args: string[], timeoutMs = 120_000): string {
  const r = inHost(["openstack", ...args], { env: labCredentials(), timeoutMs });
  if (!r.ok) throw new Error(`openstack ${args.join(" ")} failed: ${r.out}`);
  return r.out;
}

/** The qrouter- namespace of the lab's router (inside openstack-host's mount namespace). */
export function routerNamespace(): string {
  const list = inHost(["ip", "netns", "list"]).out;
  const ns = list
    .split("\n")
    .map((l) => l.split(" ")[0])
    .find((n) => n.startsWith("qrouter-"));
  if (!ns) throw new Error("openstack-aio: no qrouter- namespace (is the L3 agent up?)");
  return ns;
}
