// The GitHub workflows are checked like code: each parses against GitHub's workflow schema
// (@actions/workflow-parser, the parser of GitHub's own Actions language service), every
// `npm run <script>` they call exists, every lab's stack file is in the preview matrix and in
// up.yml's choices, and the preview/up jobs keep the shape README "A stack per lab" describes.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { accessSync, constants, mkdtempSync, readdirSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { labNameFromPath } from "../../components/spec/stack-file";
import { REPO, stackFiles } from "../stacks/scan";

type Parser = typeof import("@actions/workflow-parser");
// ESM only: loaded with import(), which the CommonJS build keeps as a real dynamic import.
const parser = (): Promise<Parser> => import("@actions/workflow-parser");

const WORKFLOWS = join(REPO, ".github", "workflows");
const workflowFiles = readdirSync(WORKFLOWS)
  .filter((f) => /\.ya?ml$/.test(f))
  .sort();

interface Step {
  name?: string;
  id?: string;
  if?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  "runs-on"?: string;
  needs?: string | string[];
  environment?: string;
  env?: Record<string, string>;
  strategy?: { matrix?: Record<string, unknown> };
  steps: Step[];
}
interface Workflow {
  name: string;
  on: Record<string, unknown>;
  permissions?: Record<string, string>;
  concurrency?: { group: string; "cancel-in-progress"?: boolean };
  jobs: Record<string, Job>;
}

const read = (file: string) => readFileSync(join(WORKFLOWS, file), "utf8");
const load = (file: string) => parse(read(file)) as Workflow;
const steps = (w: Workflow) => Object.values(w.jobs).flatMap((j) => j.steps);
const labs = stackFiles().map(labNameFromPath).sort();

/** Schema and expression errors of a workflow, as GitHub would report them. */
async function workflowErrors(name: string, content: string): Promise<string[]> {
  const { parseWorkflow, convertWorkflowTemplate, NoOperationTraceWriter } = await parser();
  const parsed = parseWorkflow({ name, content }, new NoOperationTraceWriter());
  const errors = parsed.context.errors.getErrors().map((e) => e.message);
  if (parsed.value && errors.length === 0) {
    const template = await convertWorkflowTemplate(parsed.context, parsed.value);
    errors.push(...(template.errors ?? []).map((e) => e.Message));
  }
  return errors;
}

/** Every `npm run <script>` in a text (shell lines of workflows and the scripts they call). */
function npmScripts(text: string): string[] {
  return [...text.matchAll(/\bnpm\s+(?:run|run-script)\s+(?:-{1,2}[\w-]+\s+)*([\w:.-]+)/g)].map(
    (m) => m[1],
  );
}

describe("workflow files", () => {
  it("include preview.yml, up.yml and plan-comment.yml", () => {
    for (const f of ["plan-comment.yml", "preview.yml", "up.yml"]) {
      assert.ok(workflowFiles.includes(f), f);
    }
  });

  for (const file of workflowFiles) {
    it(`${file} matches GitHub's workflow schema, expressions included`, async () => {
      assert.deepEqual(await workflowErrors(file, read(file)), []);
    });
  }

  it("the schema check catches a broken workflow (a bad expression, an unknown key, no runs-on)", async () => {
    const errors = await workflowErrors(
      "broken.yml",
      "on: pull_request\njobs:\n  t:\n    steps:\n      - run: echo ${{ foo( }}\n    bogus: 1\n",
    );
    assert.equal(errors.length, 3, errors.join("\n"));
    assert.match(errors.join("\n"), /Unexpected end of expression/);
    assert.match(errors.join("\n"), /Unexpected value 'bogus'/);
    assert.match(errors.join("\n"), /Required property is missing: runs-on/);
  });

  it("pin every action to a major version tag", () => {
    for (const file of workflowFiles) {
      for (const s of steps(load(file)).filter((x) => x.uses)) {
        assert.match(s.uses!, /^[\w.-]+\/[\w.-]+@v\d+$/, `${file}: ${s.uses}`);
      }
    }
  });

  it("call only npm scripts that package.json defines, and scripts that exist", () => {
    const pkg = JSON.parse(readFileSync(join(REPO, "package.json"), "utf8")) as {
      scripts: Record<string, string>;
    };
    const shell = workflowFiles.flatMap((f) => steps(load(f)).flatMap((s) => s.run ?? []));
    const called = [
      ...shell.join("\n").matchAll(/(?:^|\s)((?:\.github\/)?scripts\/[\w./-]+\.sh)/g),
    ];
    const texts = [...shell];
    for (const [, path] of called) {
      const full = join(REPO, path);
      accessSync(full, constants.X_OK);
      texts.push(readFileSync(full, "utf8"));
    }
    const used = [...new Set(texts.flatMap(npmScripts))].sort();
    assert.deepEqual(used, ["lint", "render"]);
    for (const s of used) assert.ok(pkg.scripts[s], `npm run ${s}: no such script`);
    assert.ok(shell.some((r) => /\bnpm test\b/.test(r)) && pkg.scripts.test);
  });
});

describe("preview.yml", () => {
  const w = load("preview.yml");
  const all = steps(w);

  it("runs on pull requests with the least permissions: read the code, write PR comments", () => {
    assert.deepEqual(Object.keys(w.on), ["pull_request"]);
    assert.deepEqual(w.permissions, { contents: "read", "pull-requests": "write" });
  });

  it("sets up Node 20 with the npm cache and the machine with scripts/setup.sh, then lints and tests", () => {
    const test = w.jobs.test.steps;
    const node = test.find((s) => s.uses?.startsWith("actions/setup-node@"));
    assert.deepEqual(node?.with, { "node-version": 20, cache: "npm" });
    const order = [
      "scripts/setup.sh",
      "npm run lint",
      "npm test",
      ".github/scripts/render-plans.sh",
    ];
    const at = order.map((cmd) => test.findIndex((s) => s.run?.includes(cmd)));
    assert.ok(
      at.every((i, k) => i >= 0 && (k === 0 || i > at[k - 1])),
      `order ${at.join(",")}`,
    );
  });

  it("publishes the rendered plans in the job summary and as one sticky PR comment", () => {
    assert.ok(all.some((s) => s.run?.includes('>> "$GITHUB_STEP_SUMMARY"')));
    const comment = all.find((s) => s.uses?.startsWith("marocchino/sticky-pull-request-comment@"));
    assert.deepEqual(comment?.with, { header: "labfabric-plans", path: "out/plans.md" });
  });

  it("previews every lab: one matrix entry per Pulumi.<lab>.yaml", () => {
    const matrix = w.jobs.preview.strategy?.matrix?.stack as string[];
    assert.deepEqual([...matrix].sort(), labs);
  });

  it("runs pulumi/actions@v7 preview against the team backend, with the policy pack, commenting on the PR", () => {
    const job = w.jobs.preview;
    const step = job.steps.find((s) => s.uses === "pulumi/actions@v7");
    assert.ok(step);
    assert.deepEqual(
      {
        command: step.with?.command,
        stack: step.with?.["stack-name"],
        comment: step.with?.["comment-on-pr"],
        url: step.with?.["cloud-url"],
        policy: step.with?.policyPacks,
      },
      {
        command: "preview",
        stack: "${{ matrix.stack }}",
        comment: true,
        url: "${{ vars.PULUMI_BACKEND_URL }}",
        policy: "policy",
      },
    );
    assert.equal(job.env?.PULUMI_CONFIG_PASSPHRASE, "${{ secrets.PULUMI_CONFIG_PASSPHRASE }}");
    assert.equal(step.if, "steps.backend.outputs.ready == 'true'");
  });

  it("skips the preview with a visible notice where the backend secrets are absent (forks)", () => {
    const check = w.jobs.preview.steps[0];
    assert.equal(check.id, "backend");
    assert.match(check.run!, /::notice title=pulumi preview skipped/);
    assert.match(check.run!, /PULUMI_BACKEND_URL/);
  });
});

describe("up.yml", () => {
  const w = load("up.yml");
  const job = w.jobs.up;

  it("is started by hand for one lab, chosen from every Pulumi.<lab>.yaml", () => {
    const dispatch = w.on.workflow_dispatch as {
      inputs: { stack: { type: string; required: boolean; options: string[] } };
    };
    assert.equal(dispatch.inputs.stack.type, "choice");
    assert.equal(dispatch.inputs.stack.required, true);
    assert.deepEqual([...dispatch.inputs.stack.options].sort(), labs);
    assert.deepEqual(Object.keys(w.on), ["workflow_dispatch"]);
  });

  it("waits for the lab's environment gate and runs one up per lab at a time", () => {
    assert.equal(job.environment, "${{ inputs.stack }}");
    assert.deepEqual(w.concurrency, {
      group: "pulumi-up-${{ inputs.stack }}",
      "cancel-in-progress": false,
    });
    assert.deepEqual(w.permissions, { contents: "read" });
  });

  it("renders (validates) the plan, then runs pulumi/actions@v7 up with the policy pack", () => {
    const render = job.steps.findIndex((s) =>
      s.run?.includes('npm run render -- "Pulumi.$STACK.yaml"'),
    );
    const up = job.steps.findIndex((s) => s.uses === "pulumi/actions@v7");
    assert.ok(render >= 0 && up > render);
    assert.equal(job.steps[up].with?.command, "up");
    assert.equal(job.steps[up].with?.["stack-name"], "${{ inputs.stack }}");
    assert.equal(job.steps[up].with?.policyPacks, "policy");
  });
});

describe("render-plans.sh (the preview's plan step, run here as CI runs it)", () => {
  it("renders every lab into one markdown document with a Mermaid diagram per lab", () => {
    const out = mkdtempSync(join(tmpdir(), "lf-plans-"));
    execFileSync(join(REPO, ".github/scripts/render-plans.sh"), [out], {
      stdio: ["ignore", "ignore", "pipe"],
      env: { ...process.env, PLAN_COMMIT: "0123456789abcdef" },
    });
    const doc = readFileSync(join(out, "plans.md"), "utf8");
    assert.ok(doc.startsWith("<!-- labfabric:plans -->\n## labfabric: lab plans\n"));
    assert.match(doc, /for commit `0123456789ab`/);
    for (const lab of labs) {
      assert.match(doc, new RegExp(`^\\| \`${lab}\` \\| rendered \\| \\d+ \\| \\d+ \\|$`, "m"));
      assert.ok(doc.includes(`<details><summary><b>${lab}</b>`), lab);
    }
    assert.equal(doc.match(/^```mermaid$/gm)?.length, labs.length);
    assert.ok(!/^# /m.test(doc), "plan.md headings are nested under the document's");
    // A GitHub comment holds at most 65536 characters.
    assert.ok(doc.length < 65536, `${doc.length} characters`);
  });
});
