// Live heap (after forced GCs) at each phase of a generated lab's mock evaluation: where the
// peak memory of a render is. BENCHMARKS.md section 4.
//   node --expose-gc --import tsx bench/heap-phases.ts <hosts> <vms>
import * as pulumi from "@pulumi/pulumi";
import { loadLab } from "../components/load";
import { generateLab } from "./gen-lab";

const gc = (globalThis as { gc?: () => void }).gc;
function live(what: string): void {
  gc?.();
  gc?.();
  const m = process.memoryUsage();
  const mib = (b: number) => `${(b / 2 ** 20).toFixed(0)} MiB`;
  console.log(`${what.padEnd(44)} live heap ${mib(m.heapUsed).padStart(8)}   RSS ${mib(m.rss)}`);
}

async function main(): Promise<void> {
  if (!gc) throw new Error("run with node --expose-gc");
  const [hosts, vms] = process.argv.slice(2).map(Number);
  // As registeredResources evaluates (scripts/resources.ts): no stack captures.
  Error.stackTraceLimit = 0;
  process.setSourceMapsEnabled(false);
  Error.prepareStackTrace = () => "";
  live("start (imports)");
  const r = loadLab(generateLab({ hosts, vms, kubernetes: true }), "heap-phases");
  if (!r.ok) throw new Error("the generated lab is invalid");
  live("after loadLab");
  let n = 0;
  await pulumi.runtime.setMocks(
    {
      newResource: (a) => {
        n++;
        return { id: `${a.name}-id`, state: a.inputs };
      },
      call: (a) => a.inputs,
    },
    "labfabric",
    "heap-phases",
    true,
  );
  const { deployLab } = await import("../components/stack");
  const stack = await deployLab(r.plan, { sshPrivateKey: pulumi.secret("placeholder") });
  live("after deployLab (constructors done)");
  await pulumi.runtime.disconnect();
  live(`after every registration completed (${n})`);
  void stack;
  console.log(`peak RSS ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
  process.exit(0);
}

void main();
