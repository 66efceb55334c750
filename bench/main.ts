// npm run bench [-- --only dataplane,mtu,converge,scale,engine] [--runs N] [--reps N]
//                  [--baseline REV] [--quick]
// What the fabric costs and how the program scales, measured side by side in one run:
//   1. TCP goodput VM -> VM across each fabric configuration vs host -> host on its underlay
//   2. DF probe sweep around the planned MTU: pass / clean error / BLACK HOLE
//   3. convergence: the rendered up.sh on N hosts, in parallel vs one after another, and the
//      no-op re-apply
//   4. program scaling: loadLab + the whole program under Pulumi's mock runtime, per lab size
//      (with --baseline REV: each size also with REV's code, interleaved)
//   5. the real engine on the dev dry lab: `pulumi preview` vs a no-op `pulumi up`, state size
// About 8 minutes on 2 cores without section 5. Needs root (network namespaces). Everything it
// creates (namespaces "lfbench*", iperf3 servers, temp dirs) is removed at the end, on failure,
// and on Ctrl-C / SIGTERM.
import { parseArgs } from "node:util";
import { netnsSkipReason, run } from "../scripts/lab/kit";
import { converge, convergeTable } from "./converge";
import { buildConfigs, configTable, postARefusal } from "./dataplane";
import { goodput, goodputTable, startServers } from "./goodput";
import { sweep, sweepTables } from "./mtu-sweep";
import { cleanupAll, installCleanupHandlers, machineInfo, NS_TAG } from "./lib";
import { engineSection } from "./engine";
import { scaleSection, scaleTable, SCALE_SIZES } from "./scale";

const SECTIONS = ["dataplane", "mtu", "converge", "scale", "engine"] as const;
type Section = (typeof SECTIONS)[number];

function usage(msg: string): never {
  console.error(`bench: ${msg}`);
  console.error(
    "usage: npm run bench [-- --only dataplane,mtu,converge,scale,engine] [--runs N] [--reps N] [--baseline REV] [--quick]",
  );
  process.exit(2);
}

function preflight(needNetns: boolean): void {
  if (!needNetns) return;
  if (process.platform !== "linux") usage("needs Linux (network namespaces)");
  if (process.getuid?.() !== 0) {
    console.error(
      "bench: must run as root: it creates network namespaces, veths, bridges and VXLAN devices.\n" +
        "       run: sudo npm run bench      (only `npm run bench -- --only scale` runs without root)",
    );
    process.exit(1);
  }
  const why = netnsSkipReason();
  if (why) usage(why);
  for (const tool of ["iperf3", "ss"]) {
    if (run(["sh", "-c", `command -v ${tool}`]).code !== 0) usage(`needs ${tool} on PATH`);
  }
  const stale = run(["ip", "netns", "list"])
    .stdout.split("\n")
    .map((l) => l.split(" ")[0])
    .filter((n) => n.startsWith(NS_TAG));
  if (stale.length > 0) {
    console.error(
      `bench: note: ${stale.length} namespaces from an earlier run that was killed (-9) remain: ${stale.join(" ")}\n` +
        `       remove them with: for n in ${stale.join(" ")}; do ip netns del $n; done`,
    );
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      only: { type: "string" },
      runs: { type: "string" },
      reps: { type: "string" },
      quick: { type: "boolean", default: false },
      baseline: { type: "string" },
    },
  });
  const only = (values.only?.split(",") ?? [...SECTIONS]) as Section[];
  for (const s of only) if (!SECTIONS.includes(s)) usage(`unknown section ${s}`);
  const want = (s: Section) => only.includes(s);
  const runs = Number(values.runs ?? (values.quick ? 1 : 5));
  const reps = Number(values.reps ?? (values.quick ? 1 : 5));
  if (!(runs >= 1 && reps >= 1)) usage("--runs and --reps take a number >= 1");
  preflight(want("dataplane") || want("mtu") || want("converge") || want("engine"));
  installCleanupHandlers();

  const started = performance.now();
  const elapsed = () => `${((performance.now() - started) / 1000).toFixed(0)} s`;
  const log = (s: string) => console.error(s);
  const out = (s: string) => console.log(`${s}\n`);
  out(
    [
      "labfabric benchmark",
      ...machineInfo().map((l) => `  ${l}`),
      `  sections: ${only.join(", ")}; goodput rounds: ${runs}; convergence repetitions: ${reps}`,
    ].join("\n"),
  );

  if (want("dataplane") || want("mtu")) {
    log(`[${elapsed()}] building the four fabric configurations (rendered up.sh in each host)`);
    const configs = buildConfigs();
    // The sweep runs first, on a fresh path MTU cache (a learned PMTU would turn black holes
    // into clean errors).
    const sweeps = [];
    if (want("mtu")) {
      log(`[${elapsed()}] 2. DF probe sweeps`);
      for (const c of configs) sweeps.push(await sweep(c));
    }
    if (want("dataplane")) {
      log(`[${elapsed()}] 1. goodput: ${runs} rounds of ${configs.length * 4} iperf3 runs`);
      for (const c of configs) await startServers(c);
      const g = await goodput(configs, runs, log);
      out(`1. DATA PLANE\n\n${configTable(configs)}\n\n${goodputTable(g, runs)}`);
    }
    if (want("mtu")) {
      const legend = want("dataplane") ? "" : `${configTable(configs)}\n\n`;
      out(`2. CORRECTNESS UNDER SIZE\n\n${legend}${sweepTables(sweeps)}`);
      out(`The planner refuses post A's configuration outright:\n${postARefusal()}`);
    }
    cleanupAll(); // namespaces and iperf3 servers go before the next sections
  }

  if (want("converge")) {
    log(`[${elapsed()}] 3. convergence`);
    const results = await converge(values.quick ? [2, 4] : [2, 4, 8, 16], reps, log);
    out(`3. CONVERGENCE\n\n${convergeTable(results, reps)}`);
  }

  if (want("scale")) {
    log(
      `[${elapsed()}] 4. program scaling${values.baseline ? `, against ${values.baseline}` : ""}`,
    );
    const sizes = values.quick ? SCALE_SIZES.slice(0, 3) : SCALE_SIZES;
    out(`4. PROGRAM SCALING\n\n${scaleTable(await scaleSection(sizes, values.baseline, log))}`);
  }

  if (want("engine")) {
    log(`[${elapsed()}] 5. the real engine on the dry lab`);
    out(`5. THE REAL ENGINE\n\n${await engineSection(reps, log)}`);
  }

  out(`bench: done in ${elapsed()}; everything it created is removed`);
}

main()
  .catch((e: unknown) => {
    console.error(`bench: FAILED: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
    process.exitCode = 1;
  })
  .finally(() => cleanupAll());
