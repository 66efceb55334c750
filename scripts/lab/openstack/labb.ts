// lab-b: scenario B by the real engine and the real OpenStack provider against the dry lab's
// all-in-one cloud. The stack's state, passphrase, key and config copy live in their own lab
// directory (outside the repository); openstack:password and the lab key are set as secrets.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { parse, stringify } from "yaml";
import { ensureKeys } from "../drylab";
import {
  clearStaleLocks,
  mustPulumi,
  pulumi,
  REPO,
  toolchainEnv,
  type PulumiResult,
} from "../pulumi";
import { labCredentials, startAio } from "./aio";

export const LAB_B = "lab-b";

export interface LabBContext {
  env: NodeJS.ProcessEnv;
  configFile: string;
  dir: string;
  keyFile: string;
}

export function labBDir(): string {
  return (
    process.env.LABFABRIC_LAB_B_DIR ??
    join(process.env.LABFABRIC_CACHE ?? join(homedir(), ".cache/labfabric"), "drylab-b")
  );
}

export function stackArgs(ctx: Pick<LabBContext, "configFile">): string[] {
  return ["--stack", LAB_B, "--config-file", ctx.configFile];
}

/** Selects (creating) lab-b; the passphrase salt goes to the lab's copy, never the repo's file. */
function selectStack(env: NodeJS.ProcessEnv, file: string): void {
  const repoFile = join(REPO, `Pulumi.${LAB_B}.yaml`);
  const pristine = readFileSync(repoFile);
  let salt: string | undefined;
  try {
    mustPulumi(env, ["stack", "select", LAB_B, "--create"]);
  } finally {
    salt = (parse(readFileSync(repoFile, "utf8")) as { encryptionsalt?: string }).encryptionsalt;
    writeFileSync(repoFile, pristine);
  }
  const lab = parse(readFileSync(file, "utf8")) as Record<string, unknown>;
  if (salt && !lab.encryptionsalt) {
    writeFileSync(file, stringify({ ...lab, encryptionsalt: salt }), { mode: 0o600 });
  }
}

/** The cloud (started or reused), the toolchain, and lab-b's config with its secrets set. */
export function prepareLabB(opts: { startCloud?: boolean } = {}): LabBContext {
  const dir = labBDir();
  console.error("lab b: toolchain");
  const env = toolchainEnv(dir);
  const keys = ensureKeys(dir);
  const creds = opts.startCloud === false ? labCredentials() : startAio();
  const file = join(dir, `Pulumi.${LAB_B}.yaml`);
  const repo = parse(readFileSync(join(REPO, `Pulumi.${LAB_B}.yaml`), "utf8")) as {
    config: Record<string, unknown>;
  };
  const previous = existsSync(file)
    ? (parse(readFileSync(file, "utf8")) as Record<string, unknown>)
    : {};
  // Keep the salt and the encrypted secrets of an earlier run; the repo's keys win.
  writeFileSync(
    file,
    stringify({ ...previous, config: { ...((previous.config as object) ?? {}), ...repo.config } }),
    { mode: 0o600 },
  );
  clearStaleLocks(dir);
  selectStack(env, file);
  const ctx: LabBContext = { env, configFile: file, dir, keyFile: join(dir, "id_ed25519") };
  mustPulumi(env, ["config", "set", "labfabric:sshPublicKey", keys.publicKey, ...stackArgs(ctx)]);
  mustPulumi(env, ["config", "set", "--secret", "openstack:password", ...stackArgs(ctx)], {
    input: creds.OS_PASSWORD,
  });
  return ctx;
}

export function labBPulumi(
  ctx: LabBContext,
  args: string[],
  opts: { echo?: boolean; input?: string } = {},
): PulumiResult {
  return pulumi(ctx.env, [...args, ...stackArgs(ctx)], { timeoutMs: 40 * 60_000, ...opts });
}

export function labBUp(ctx: LabBContext, echo = true): void {
  const r = labBPulumi(ctx, ["up", "--yes", "--skip-preview", "--refresh"], { echo });
  if (r.code !== 0)
    throw new Error(`lab b: pulumi up failed (${r.code}):\n${r.stdout}\n${r.stderr}`);
}

export function labBSet(ctx: LabBContext, path: string, value: string): void {
  mustPulumi(ctx.env, ["config", "set", "--path", path, value, ...stackArgs(ctx)]);
}

export interface LabBInstance {
  name: string;
  nodeAddress: string;
  floatingAddress?: string;
}

export function labBInstances(ctx: LabBContext): LabBInstance[] {
  const r = mustPulumi(ctx.env, ["stack", "output", "instances", "--json", "--stack", LAB_B]);
  return JSON.parse(r.stdout) as LabBInstance[];
}

export function labBDestroy(ctx: LabBContext, echo = true): PulumiResult {
  return labBPulumi(ctx, ["destroy", "--yes", "--skip-preview"], { echo });
}
