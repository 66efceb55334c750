// Drives the real Pulumi engine for the dry lab: the toolchain from toolchain (PATH or
// built from the Go module proxy), a local file:// backend, a passphrase and a config file kept
// outside the repository, so no secret of the lab ever lands in the working tree.
import { execFileSync, spawnSync } from "node:child_process";
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import { join, resolve } from "node:path";
import { parse, stringify } from "yaml";

export const REPO = resolve(__dirname, "../..");
export const STACK = "dev";

/** The environment toolchain/env.sh sets up (offline engine settings, PATH, backend). */
export function toolchainEnv(labDir: string): NodeJS.ProcessEnv {
  const script = join(REPO, "toolchain/env.sh");
  const dump = execFileSync("bash", ["-c", `source "$1" >&2 && env -0`, "env", script], {
    encoding: "utf8",
    stdio: ["ignore", "pipe", "inherit"],
    env: {
      ...process.env,
      LABFABRIC_STATE_DIR: process.env.LABFABRIC_STATE_DIR ?? join(labDir, "state"),
    },
    maxBuffer: 16 * 1024 * 1024,
  });
  const env: NodeJS.ProcessEnv = {};
  for (const kv of dump.split("\0").filter(Boolean)) {
    const i = kv.indexOf("=");
    env[kv.slice(0, i)] = kv.slice(i + 1);
  }
  const passFile = join(labDir, "passphrase");
  if (!existsSync(passFile))
    writeFileSync(passFile, randomBytes(24).toString("base64url"), { mode: 0o600 });
  env.PULUMI_CONFIG_PASSPHRASE_FILE = passFile;
  delete env.PULUMI_CONFIG_PASSPHRASE;
  return env;
}

export interface PulumiResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function pulumi(
  env: NodeJS.ProcessEnv,
  args: string[],
  opts: { input?: string; echo?: boolean; timeoutMs?: number } = {},
): PulumiResult {
  const r = spawnSync("pulumi", [...args, "--non-interactive"], {
    cwd: REPO,
    env,
    encoding: "utf8",
    input: opts.input,
    timeout: opts.timeoutMs ?? 15 * 60_000,
    stdio: ["pipe", opts.echo ? "inherit" : "pipe", opts.echo ? "inherit" : "pipe"],
    maxBuffer: 64 * 1024 * 1024,
  });
  return { code: r.status ?? -1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
}

export function mustPulumi(
  env: NodeJS.ProcessEnv,
  args: string[],
  opts: { input?: string; echo?: boolean; timeoutMs?: number } = {},
): PulumiResult {
  const r = pulumi(env, args, opts);
  if (r.code !== 0)
    throw new Error(`pulumi ${args.join(" ")} failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
  return r;
}

/**
 * `pulumi destroy` of a dry lab's stack, whose config file is kept in the lab's directory, shown
 * as it runs. A failure is only reported: the caller removes the lab's hosts anyway.
 */
export function destroyLabStack(labDir: string, stack: string, timeoutMs?: number): void {
  const configFile = join(labDir, `Pulumi.${stack}.yaml`);
  const r = pulumi(
    toolchainEnv(labDir),
    ["destroy", "--yes", "--skip-preview", "--stack", stack, "--config-file", configFile],
    { echo: true, timeoutMs },
  );
  if (r.code !== 0) console.error("lab: pulumi destroy failed; removing the lab anyway");
}

/**
 * Removes locks of the lab's file backend whose engine process is gone (a killed `up`):
 * the backend belongs to this lab alone, so a lock of a dead local pid can only be stale.
 */
export function clearStaleLocks(labDir: string): void {
  const locks = join(labDir, "state", ".pulumi", "locks");
  if (!existsSync(locks)) return;
  for (const entry of readdirSync(locks, { recursive: true, withFileTypes: true })) {
    if (!entry.isFile() || !entry.name.endsWith(".json")) continue;
    const file = join(entry.parentPath, entry.name);
    const { pid, hostname: host } = JSON.parse(readFileSync(file, "utf8")) as {
      pid: number;
      hostname: string;
    };
    if (host === hostname() && !processAlive(pid)) {
      rmSync(file);
      console.error(`lab: removed the stale lock of a killed pulumi (pid ${pid})`);
    }
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Selects (creating if needed) the dev stack. Creating a passphrase stack writes its salt into
 * the repo's Pulumi.dev.yaml: the file is put back byte for byte and the salt returned.
 */
function selectStack(env: NodeJS.ProcessEnv, stack: string): string | undefined {
  const repoFile = join(REPO, `Pulumi.${stack}.yaml`);
  const pristine = readFileSync(repoFile);
  let salt: string | undefined;
  try {
    mustPulumi(env, ["stack", "select", stack, "--create"]);
  } finally {
    salt = (parse(readFileSync(repoFile, "utf8")) as { encryptionsalt?: string }).encryptionsalt;
    writeFileSync(repoFile, pristine);
  }
  return salt;
}

/**
 * The dev stack's config, copied out of the repo with each host's SSH host key pinned and the
 * lab's private key set as a secret (encrypted with the lab's passphrase).
 */
export function prepareStackConfig(
  env: NodeJS.ProcessEnv,
  labDir: string,
  hostKeys: Record<string, string>,
  privateKey: string,
  stack = STACK,
  /** Further edits of the lab's copy (image paths, key file, public key). */
  edit: (config: Record<string, unknown>) => void = () => {},
): string {
  const doc = parse(readFileSync(join(REPO, `Pulumi.${stack}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const hosts = doc.config["labfabric:hosts"] as { name: string; ssh: Record<string, unknown> }[];
  for (const h of hosts) h.ssh.hostKey = hostKeys[h.name];
  edit(doc.config);
  const file = join(labDir, `Pulumi.${stack}.yaml`);
  const previous = existsSync(file)
    ? (parse(readFileSync(file, "utf8")) as Record<string, unknown>)
    : {};
  // Keep the salt and encrypted key of an earlier run so the stack's secrets stay readable.
  writeFileSync(
    file,
    stringify({ ...previous, config: { ...((previous.config as object) ?? {}), ...doc.config } }),
    { mode: 0o600 },
  );
  mkdirSync(labDir, { recursive: true });
  clearStaleLocks(labDir);
  // The dry lab's hosts are created afresh each time, so any state of an earlier lab describes
  // hosts that no longer exist: start the stack over (keeping the repo's Pulumi.dev.yaml).
  pulumi(env, ["stack", "rm", stack, "--yes", "--force", "--preserve-config"]);
  const salt = selectStack(env, stack);
  if (salt) {
    // A new stack: its passphrase salt belongs in the lab's copy, not in the repository.
    const lab = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
    writeFileSync(file, stringify({ ...lab, encryptionsalt: salt }), { mode: 0o600 });
  }
  mustPulumi(
    env,
    [
      "config",
      "set",
      "--secret",
      "labfabric:sshPrivateKey",
      "--config-file",
      file,
      "--stack",
      stack,
    ],
    { input: privateKey },
  );
  return file;
}
