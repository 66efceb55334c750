// Summarises a V8 CPU profile (node --cpu-prof): self time by function and by package, and
// inclusive time, in ms and % of the samples. How BENCHMARKS.md section 4 found where a
// render's time goes (profile the bundle `npm run render` writes and runs):
//   npm run render -- Pulumi.x.yaml --out /tmp/x
//   node --cpu-prof --cpu-prof-dir=/tmp/prof node_modules/.cache/labfabric-bundles/render.cjs \
//     Pulumi.x.yaml --out /tmp/x
//   npx tsx bench/profile-summary.ts /tmp/prof/<largest>.cpuprofile [top]
import { readFileSync } from "node:fs";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

const profile = JSON.parse(readFileSync(process.argv[2], "utf8")) as Profile;
const top = Number(process.argv[3] ?? 25);
const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parent = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parent.set(c, n.id);
const selfUs = new Map<number, number>();
profile.samples.forEach((s, i) =>
  selfUs.set(s, (selfUs.get(s) ?? 0) + (profile.timeDeltas[i] ?? 0)),
);
const total = [...selfUs.values()].reduce((a, b) => a + b, 0);

const short = (url: string) =>
  url
    .replace(/^.*node_modules\//, "")
    .replace(/^file:\/\/.*?\/(components|scripts|bench)\//, "$1/");
const label = (n: ProfileNode) =>
  `${n.callFrame.functionName || "(anonymous)"} ${short(n.callFrame.url)}:${n.callFrame.lineNumber + 1}`;

const self = new Map<string, number>();
const pkg = new Map<string, number>();
const inclusive = new Map<string, number>();
const add = (m: Map<string, number>, k: string, v: number) => m.set(k, (m.get(k) ?? 0) + v);
for (const [id, us] of selfUs) {
  const n = byId.get(id)!;
  add(self, label(n), us);
  add(pkg, short(n.callFrame.url).split("/").slice(0, 2).join("/") || n.callFrame.functionName, us);
  const seen = new Set<string>();
  for (let c: number | undefined = id; c !== undefined; c = parent.get(c)) {
    const k = label(byId.get(c)!);
    if (!seen.has(k)) add(inclusive, k, us);
    seen.add(k);
  }
}

const list = (m: Map<string, number>) =>
  [...m]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(
      ([k, us]) =>
        `${(us / 1000).toFixed(0).padStart(7)} ms ${((100 * us) / total).toFixed(1).padStart(5)}%  ${k}`,
    )
    .join("\n");
console.log(`profiled: ${(total / 1000).toFixed(0)} ms`);
console.log(`\nself time by function\n${list(self)}`);
console.log(`\nself time by package or file\n${list(pkg)}`);
console.log(`\ninclusive time\n${list(inclusive)}`);
