// Section 5, run under `flock /tmp/labfabric-netns.lock` (other engineers use the same
// namespace hosts): the dev dry lab brought up with the real engine, then `pulumi preview`
// and a no-op `pulumi up --skip-preview` interleaved, each under /usr/bin/time (the pulumi
// process and its language host and plugins), both with --expect-no-changes; then the state,
// and `npm run lab -- down`. Prints one ENGINE-SAMPLE JSON line.
//   node --import tsx bench/engine-child.ts <reps>
import { spawnSync } from "node:child_process";
import { labDown, labPulumiUp, prepareLab } from "../scripts/lab/main";
import { REPO, STACK } from "../scripts/lab/pulumi";

export interface EngineRun {
  op: "preview" | "up";
  wallS: number;
  cpuS: number;
  maxRssMiB: number;
}

export interface EngineSample {
  resources: number;
  /** Sum of every resource's `dependencies` in the exported state. */
  dependencyEdges: number;
  /** Sum of every resource's `propertyDependencies` entries. */
  propertyDependencyEdges: number;
  stateBytes: number;
  runs: EngineRun[];
}

function timed(env: NodeJS.ProcessEnv, op: EngineRun["op"], args: string[]): EngineRun {
  const r = spawnSync(
    "/usr/bin/time",
    ["-f", "LFTIME %e %U %S %M", "pulumi", ...args, "--non-interactive"],
    { cwd: REPO, env, encoding: "utf8", timeout: 15 * 60_000, maxBuffer: 64 * 1024 * 1024 },
  );
  const t = /LFTIME (\S+) (\S+) (\S+) (\d+)/.exec(r.stderr ?? "");
  if (r.status !== 0 || !t)
    throw new Error(`pulumi ${args.join(" ")} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
  return {
    op,
    wallS: Number(t[1]),
    cpuS: Number(t[2]) + Number(t[3]),
    maxRssMiB: Number(t[4]) / 1024,
  };
}

function main(): void {
  const reps = Number(process.argv[2] ?? 3);
  const ctx = prepareLab();
  try {
    labPulumiUp(ctx, false);
    const common = ["--stack", STACK, "--config-file", ctx.configFile, "--expect-no-changes"];
    const runs: EngineRun[] = [];
    for (let i = 0; i < reps; i++) {
      // Alternate which goes first, so a slow phase of the machine hits both.
      const pair = [
        () => timed(ctx.env, "preview", ["preview", ...common]),
        () => timed(ctx.env, "up", ["up", "--yes", "--skip-preview", ...common]),
      ];
      for (const f of i % 2 === 0 ? pair : pair.reverse()) runs.push(f());
    }
    const exported = spawnSync("pulumi", ["stack", "export", "--stack", STACK], {
      cwd: REPO,
      env: ctx.env,
      encoding: "utf8",
      maxBuffer: 256 * 1024 * 1024,
    });
    if (exported.status !== 0) throw new Error(`pulumi stack export failed:\n${exported.stderr}`);
    const state = JSON.parse(exported.stdout) as {
      deployment: {
        resources?: {
          dependencies?: string[];
          propertyDependencies?: Record<string, string[]>;
        }[];
      };
    };
    const resources = state.deployment.resources ?? [];
    const sample: EngineSample = {
      resources: resources.length,
      dependencyEdges: resources.reduce((s, r) => s + (r.dependencies?.length ?? 0), 0),
      propertyDependencyEdges: resources.reduce(
        (s, r) => s + Object.values(r.propertyDependencies ?? {}).reduce((t, d) => t + d.length, 0),
        0,
      ),
      stateBytes: Buffer.byteLength(exported.stdout),
      runs,
    };
    process.stdout.write(`ENGINE-SAMPLE ${JSON.stringify(sample)}\n`);
  } finally {
    labDown();
  }
}

main();
