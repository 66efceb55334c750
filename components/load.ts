// The one pipeline: stack config -> parse (spec) -> plan -> validate(plan) -> layers. `loadLab`
// parses, plans once and validates the finished plan, and returns either the plan (with the
// warnings) or every finding at once.
import { fromZodIssues, type Finding } from "./spec";
import { planLab, type LabPlan } from "./plan";
import { knownKeysAt, labSpecSchema } from "./spec";
import { validateLab } from "./validate";

export type LoadResult = { ok: true; plan: LabPlan } | { ok: false; findings: Finding[] };

export const LAB_NAME = /^[a-z0-9]([a-z0-9-]{0,30}[a-z0-9])?$/;

/** Parse, plan and validate a lab from raw `labfabric:` config values. */
export function loadLab(raw: unknown, lab: string): LoadResult {
  if (!LAB_NAME.test(lab)) {
    return {
      ok: false,
      findings: [
        {
          severity: "error",
          path: "(stack name)",
          value: lab,
          message: "must be a DNS label of up to 32 characters",
          fix: "rename the stack",
        },
      ],
    };
  }
  const parsed = labSpecSchema.safeParse(raw, { reportInput: true });
  if (!parsed.success)
    return { ok: false, findings: fromZodIssues(parsed.error.issues, knownKeysAt) };
  const plan = planLab(parsed.data, lab);
  const findings = validateLab(plan);
  if (findings.errors.length > 0) return { ok: false, findings: findings.all };
  return { ok: true, plan: { ...plan, warnings: findings.warnings } };
}
