// One size of the scaling benchmark, in a fresh process so time and memory do not mix:
// generate the lab, `loadLab` it (parse + validate + plan), then evaluate the whole program
// through Pulumi's mock runtime (`registeredResources`). Prints one JSON line.
//   node --import tsx bench/scale-child.ts <hosts> <vms> <kubernetes 0|1> <explicit 0|1> <eval 0|1>
import { planVmNics } from "../components/plan/addresses";
import { formatReport } from "../components/spec/findings";
import { loadLab } from "../components/load";
import { renderUpScript } from "../components/host-fabric/scripts";
import { countDependencies } from "../scripts/dependencies";
import { registeredResources } from "../scripts/resources";
import { generateLab } from "./gen-lab";

export interface ScaleSample {
  hosts: number;
  vms: number;
  kubernetes: boolean;
  explicitAddresses: boolean;
  loadMs: number;
  /** One planVmNics call alone (loadLab makes one, in planLab; validation reads plan.vmNics). */
  vmNicsMs: number;
  evalMs?: number;
  resources?: number;
  /** Sum over resources of the resources each depends on, as sent to the engine (and kept in state). */
  dependencyEdges?: number;
  /** The resources with the most dependencies, by name pattern (digits as N), top three. */
  maxDependencies?: { count: number; resource: string }[];
  fdbEntries: number;
  upBytesPerHost: number;
  rssStartMiB: number;
  rssAfterPlanMiB: number;
  rssPeakMiB: number;
}

const maxRssMiB = () => process.resourceUsage().maxRSS / 1024;

async function main(): Promise<void> {
  const [hosts, vms, k8s, explicit, evaluate] = process.argv.slice(2).map(Number);
  const raw = generateLab({ hosts, vms, kubernetes: k8s === 1, explicitAddresses: explicit === 1 });
  const rssStartMiB = process.memoryUsage().rss / 2 ** 20;
  const t0 = performance.now();
  const r = loadLab(raw, "bench-scale");
  const loadMs = performance.now() - t0;
  if (!r.ok)
    throw new Error(`generated lab ${hosts}x${vms} is invalid:\n${formatReport(r.findings)}`);
  const rssAfterPlanMiB = maxRssMiB();
  const t1 = performance.now();
  planVmNics(r.plan.spec, r.plan.lab);
  const vmNicsMs = performance.now() - t1;
  let evaluated: Pick<ScaleSample, "evalMs" | "resources" | "dependencyEdges" | "maxDependencies"> =
    {};
  if (evaluate === 1) {
    const stop = countDependencies();
    const t2 = performance.now();
    const resources = (await registeredResources(r.plan)).length;
    const evalMs = performance.now() - t2;
    const { edges, widest } = stop();
    evaluated = {
      evalMs,
      resources,
      dependencyEdges: edges,
      maxDependencies: [...widest]
        .sort((a, b) => b[1] - a[1])
        .slice(0, 3)
        .map(([resource, count]) => ({ resource, count })),
    };
  }
  const sample: ScaleSample = {
    hosts,
    vms,
    kubernetes: k8s === 1,
    explicitAddresses: explicit === 1,
    loadMs,
    vmNicsMs,
    ...evaluated,
    fdbEntries: r.plan.hosts.reduce(
      (s, h) => s + (h.vxlan ? h.vxlan.fdbPeers.length || (h.vxlan.remote ? 1 : 0) : 0),
      0,
    ),
    upBytesPerHost: Math.round(
      r.plan.hosts.reduce((s, h) => s + renderUpScript(h).length, 0) / r.plan.hosts.length,
    ),
    rssStartMiB,
    rssAfterPlanMiB,
    rssPeakMiB: maxRssMiB(),
  };
  process.stdout.write(`BENCH-SAMPLE ${JSON.stringify(sample)}\n`);
  // The mock runtime may keep handles open; the sample is out, so leave now.
  process.exit(0);
}

void main().catch((e: unknown) => {
  console.error(e instanceof Error ? e.message : e);
  process.exit(1);
});
