// The shape of components/: no import circle (type-only imports included), siblings reach each
// other through their folder's face (index.ts), and every planning decision has exactly one
// call site outside the tests (planLab), so a value is never re-derived downstream.
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { describe, it } from "node:test";

const REPO = join(__dirname, "..", "..");
const COMPONENTS = join(REPO, "components");
const IMPORT = /(?:import|export)\s+(?:type\s+)?(?:[\w*{}\s,]+?\s+from\s+)?"(\.[^"]+)"/g;

function tsFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return tsFiles(path);
    return path.endsWith(".ts") ? [path] : [];
  });
}

function resolveImport(from: string, spec: string): string | undefined {
  const base = resolve(dirname(from), spec);
  return [`${base}.ts`, join(base, "index.ts")].find((p) => existsSync(p));
}

/** Every relative import of every file under components/, resolved to a file. */
export function importGraph(root = COMPONENTS): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of tsFiles(root)) {
    const text = readFileSync(file, "utf8");
    const deps = [...text.matchAll(IMPORT)]
      .map((m) => resolveImport(file, m[1]))
      .filter((p): p is string => p !== undefined && p.startsWith(root));
    graph.set(file, [...new Set(deps)]);
  }
  return graph;
}

/** Each import circle once, as the files on it (Tarjan's strongly connected components). */
export function circles(graph: Map<string, string[]>): string[][] {
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const on = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string) => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    on.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (on.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const scc: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        on.delete(w);
        scc.push(w);
      } while (w !== v);
      if (scc.length > 1 || (graph.get(v) ?? []).includes(v)) out.push(scc.sort());
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

const rel = (p: string) => relative(REPO, p);

describe("components/ import graph", () => {
  it("has no import circle", () => {
    assert.deepEqual(
      circles(importGraph()).map((c) => c.map(rel)),
      [],
    );
  });

  it("finds a circle when there is one (the check itself works)", () => {
    const g = new Map([
      ["a", ["b"]],
      ["b", ["c"]],
      ["c", ["a"]],
      ["d", ["a"]],
    ]);
    assert.deepEqual(circles(g), [["a", "b", "c"]]);
  });

  it("reaches another folder only through its face (index.ts)", () => {
    const stray: string[] = [];
    for (const [file, deps] of importGraph()) {
      const folder = relative(COMPONENTS, file).split("/")[0];
      for (const dep of deps) {
        const [depFolder, ...rest] = relative(COMPONENTS, dep).split("/");
        if (rest.length === 0 || depFolder === folder) continue; // top-level module, or own folder
        if (rest.join("/") !== "index.ts") stray.push(`${rel(file)} -> ${rel(dep)}`);
      }
    }
    assert.deepEqual(stray, []);
  });
});

/** Calls of `name(` in product code (components/, scripts/, index.ts), definitions excluded. */
function callSites(name: string): string[] {
  const files = [...tsFiles(COMPONENTS), ...tsFiles(join(REPO, "scripts")), join(REPO, "index.ts")];
  const call = new RegExp(`(?<!function )\\b${name}\\(`, "g");
  return files.flatMap((f) => {
    const code = readFileSync(f, "utf8")
      .split("\n")
      .filter((l) => !/^\s*(\/\/|\*|\/\*)/.test(l))
      .join("\n");
    return [...code.matchAll(call)].map(() => rel(f));
  });
}

describe("every decision of the plan is made in one place", () => {
  for (const decision of [
    "decideCni",
    "fabricVmMtu",
    "planVmNics",
    "kubernetesNodes",
    "mtuBudget",
    "planHostFabric",
    "planLibvirt",
    "planOpenstack",
    "planKubeadm",
    "nodePorts",
    "planCniRelease",
  ]) {
    it(`${decision} is called once, by planLab`, () => {
      assert.deepEqual(callSites(decision), ["components/plan/plan.ts"]);
    });
  }

  it("no component calls a validator", () => {
    const layers = ["host-fabric", "libvirt", "openstack", "kubernetes", "cni", "ssh"];
    const calls = layers.flatMap((l) =>
      tsFiles(join(COMPONENTS, l)).flatMap((f) =>
        [...readFileSync(f, "utf8").matchAll(/\bvalidate\w*\(/g)].map((m) => `${rel(f)}: ${m[0]}`),
      ),
    );
    assert.deepEqual(calls, []);
  });
});
