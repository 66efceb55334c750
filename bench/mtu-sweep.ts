// Section 2: correctness under size. A DF ping sweep around each configuration's planned MTU;
// a size that neither gets a reply nor an error the sender sees is a BLACK HOLE.
import type { FabricConfig } from "./dataplane";
import type { NetnsLab } from "../scripts/lab/kit";
import { runAsync, table } from "./lib";

export type ProbeOutcome = "pass" | "error" | "BLACK HOLE";

/** Two DF pings of an exact IP packet size: a reply, an error the sender sees, or nothing. */
export async function dfProbe(
  lab: NetnsLab,
  from: string,
  to: string,
  packet: number,
): Promise<{ outcome: ProbeOutcome; detail: string }> {
  const argv = ["ping", "-n", "-c", "2", "-i", "0.2", "-W", "1", "-M", "do"];
  argv.push("-s", String(packet - 28), to);
  const r = await runAsync(["ip", "netns", "exec", lab.ns(from), ...argv], { timeoutMs: 10_000 });
  const out = `${r.stdout}\n${r.stderr}`;
  if (/bytes from/.test(out)) return { outcome: "pass", detail: "reply" };
  const tooLong = /message too long[^\n]*/i.exec(out);
  if (tooLong) return { outcome: "error", detail: tooLong[0].replace(/^.*?: /, "").trim() };
  const fragNeeded = /Frag needed[^\n]*/i.exec(out);
  if (fragNeeded) return { outcome: "error", detail: `ICMP ${fragNeeded[0].trim()}` };
  return { outcome: "BLACK HOLE", detail: "no reply, no error" };
}

/** IP packet sizes to probe: planned-8 .. planned+8 in steps of 2, plus a few larger. */
export function sweepSizes(c: FabricConfig): number[] {
  const p = c.plannedMtu;
  const around = Array.from({ length: 9 }, (_, i) => p - 8 + 2 * i);
  const extra =
    c.key === "post-A"
      ? [1460, 1472, 1480, 1490, 1498, 1500, 1501, 1600]
      : [p + 50, 1500, 1501, 9000, 9001];
  return [...new Set([...around, ...extra])]
    .filter((s) => s >= 1280 && s <= 9216)
    .sort((a, b) => a - b);
}

export interface SweepResult {
  config: FabricConfig;
  rows: { size: number; expected: "pass" | "error"; outcome: ProbeOutcome; detail: string }[];
}

/** Forget learned path MTUs so every probe and run starts from the planned MTU. */
export async function flushPmtu(c: FabricConfig): Promise<void> {
  for (const m of ["vm1", "vm2", "h1", "h2"]) {
    await runAsync(["ip", "netns", "exec", c.lab.ns(m), "ip", "route", "flush", "cache"]);
  }
}

export async function sweep(c: FabricConfig): Promise<SweepResult> {
  await flushPmtu(c);
  const rows: SweepResult["rows"] = [];
  for (const size of sweepSizes(c)) {
    const { outcome, detail } = await dfProbe(
      c.lab,
      c.overlay.from.machine,
      c.overlay.to.address,
      size,
    );
    rows.push({ size, expected: size <= c.plannedMtu ? "pass" : "error", outcome, detail });
  }
  return { config: c, rows };
}

/** Runs of adjacent probed sizes with this outcome: "1452..1500, 9000". */
function runsOf(rows: SweepResult["rows"], outcome: ProbeOutcome): string {
  const out: string[] = [];
  let run: number[] = [];
  for (const r of [...rows, undefined]) {
    if (r && r.outcome === outcome) {
      run.push(r.size);
      continue;
    }
    if (run.length) out.push(run.length === 1 ? `${run[0]}` : `${run[0]}..${run[run.length - 1]}`);
    run = [];
  }
  return out.join(", ") || "-";
}

export function sweepTables(results: SweepResult[]): string {
  const detail = results.map((r) => {
    const rows = r.rows.map((x) => [
      x.size,
      x.expected === "pass" ? "pass" : "error",
      x.outcome,
      x.outcome === x.expected ? "ok" : x.outcome === "BLACK HOLE" ? "BLACK HOLE" : "WRONG",
      x.detail,
    ]);
    return table(
      `DF sweep ${r.config.key} (VM NIC ${r.config.vmMtu}, planned ${r.config.plannedMtu}; sizes are IP packet bytes = ping -s + 28)`,
      ["size", "expected", "seen", "verdict", "detail"],
      rows,
    );
  });
  const summary = table(
    "DF sweep summary",
    ["config", "VM MTU", "planned", "pass up to", "clean errors", "BLACK HOLES", "verdict"],
    results.map((r) => {
      const passed = r.rows.filter((x) => x.outcome === "pass").map((x) => x.size);
      const holes = r.rows.filter((x) => x.outcome === "BLACK HOLE");
      const wrong = r.rows.filter((x) => x.outcome !== x.expected);
      return [
        r.config.key,
        r.config.vmMtu,
        r.config.plannedMtu,
        passed.length ? Math.max(...passed) : "-",
        runsOf(r.rows, "error"),
        runsOf(r.rows, "BLACK HOLE"),
        holes.length > 0
          ? `BLACK HOLE (${holes.length} sizes)`
          : wrong.length > 0
            ? "WRONG"
            : "ok: <= planned pass, > planned refused",
      ];
    }),
  );
  return [...detail, summary].join("\n\n");
}

// ---------------------------------------------------------------------------------------------
// Section 1: goodput
