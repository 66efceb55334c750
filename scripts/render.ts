// npm run render -- <Pulumi.<lab>.yaml> --out <dir>
// The offline view of a lab: validates, plans and writes plan.md, the per-host fabric scripts
// (hosts/<host>/up.sh, down.sh: exactly what the host-fabric component runs) and resources.json
// (every resource the program registers, through Pulumi's mock runtime, secrets redacted).
// Exits non-zero with the validation report on bad input, writing nothing.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseArgs } from "node:util";
import { formatReport } from "../components/spec/findings";
import { planMarkdown } from "../components/views/plan-markdown";
import { loadLab } from "../components/load";
import { combineFindings, readStackFile } from "../components/spec/stack-file";
import { renderHostScripts } from "../components/host-fabric/scripts";
import { registeredResources } from "./resources";

export async function renderLab(
  stackFile: string,
  outDir: string,
  opts: { resources?: boolean } = {},
): Promise<{ ok: boolean; report: string; files: string[] }> {
  const stack = readStackFile(stackFile);
  const result = loadLab(stack.raw, stack.lab);
  const findings = combineFindings(stack, result.ok ? result.plan.warnings : result.findings);
  if (!result.ok || stack.findings.some((f) => f.severity === "error")) {
    return { ok: false, report: formatReport(findings), files: [] };
  }
  const files: { path: string; content: string }[] = [
    { path: "plan.md", content: planMarkdown(result.plan) },
    ...(result.plan.spec.fabric.mode === "none"
      ? []
      : result.plan.hosts.flatMap(renderHostScripts)),
  ];
  if (opts.resources !== false) {
    const resources = await registeredResources(result.plan);
    files.push({ path: "resources.json", content: `${JSON.stringify(resources, null, 2)}\n` });
  }
  for (const f of files) {
    const target = join(outDir, f.path);
    mkdirSync(dirname(target), { recursive: true });
    writeFileSync(target, f.content, { mode: f.path.endsWith(".sh") ? 0o755 : 0o644 });
  }
  return {
    ok: true,
    report: formatReport(findings),
    files: files.map((f) => join(outDir, f.path)),
  };
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { out: { type: "string", short: "o" } },
  });
  if (positionals.length !== 1 || !values.out) {
    console.error("usage: npm run render -- <Pulumi.<lab>.yaml> --out <dir>");
    process.exit(2);
  }
  const { ok, report, files } = await renderLab(positionals[0], values.out);
  if (report) console.error(report);
  if (!ok) {
    console.error(`labfabric: ${positionals[0]} is not a valid lab; nothing was rendered.`);
    process.exit(1);
  }
  for (const f of files) console.log(`wrote ${f}`);
}

if (require.main === module) void main();
