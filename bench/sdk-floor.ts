// A contrast row of the scaling benchmark: what the Pulumi SDK alone costs for N resources
// under the mock runtime, with no labfabric code: N bare remote.Commands constructed at once
// (as a program's constructors do), under the same settings as `npm run render`. Prints one
// BENCH-SAMPLE line in scale-child's shape.
//   bash scripts/bundled.sh bench/sdk-floor.ts <resources>
import * as pulumi from "@pulumi/pulumi";
import { withoutStackCaptures } from "../scripts/resources";
import type { ScaleSample } from "./scale-child";

async function main(): Promise<void> {
  const n = Number(process.argv[2]);
  const rssStartMiB = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  // As registeredResources evaluates (scripts/resources.ts): no stack captures.
  await withoutStackCaptures(() => construct(n));
  const sample: ScaleSample = {
    hosts: 0,
    vms: 0,
    kubernetes: false,
    explicitAddresses: false,
    loadMs: 0,
    vmNicsMs: 0,
    evalMs: performance.now() - t0,
    resources: n + 1,
    dependencyEdges: n,
    fdbEntries: 0,
    upBytesPerHost: 0,
    rssStartMiB,
    rssAfterPlanMiB: rssStartMiB,
    rssPeakMiB: process.resourceUsage().maxRSS / 1024,
  };
  process.stdout.write(`BENCH-SAMPLE ${JSON.stringify(sample)}\n`);
  process.exit(0);
}

void main();

/** N bare remote.Commands under one component, constructed at once. */
async function construct(n: number): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => ({ id: `${a.name}-id`, state: a.inputs }),
      call: (a) => a.inputs,
    },
    "labfabric",
    "sdk-floor",
    true,
  );
  const command = await import("@pulumi/command");
  const parent = new pulumi.ComponentResource("labfabric:bench:Floor", "floor", {});
  for (let i = 0; i < n; i++) {
    new command.remote.Command(
      `c-${i}`,
      {
        connection: pulumi.secret({ host: "192.0.2.1", privateKey: "k" }),
        create: `echo ${i}`,
        delete: "true",
        triggers: [String(i)],
      },
      { parent },
    );
  }
  await pulumi.runtime.disconnect();
}
