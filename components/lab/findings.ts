// A finding is one problem with a lab spec: where (the config key path), the value found,
// what is allowed, and how to fix it. Errors stop everything; warnings are reported.
import type { z } from "zod";

export interface Finding {
  severity: "error" | "warning";
  /** Key path under the `labfabric:` namespace, e.g. "hosts[1].underlay.interface". */
  path: string;
  value: unknown;
  /** What is wrong / what is allowed. */
  message: string;
  fix: string;
}

export function keyPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>(
    (acc, k) => (typeof k === "number" ? `${acc}[${k}]` : acc ? `${acc}.${String(k)}` : String(k)),
    "",
  );
}

export function formatFinding(f: Finding): string {
  const shown = f.value === undefined ? "(unset)" : JSON.stringify(f.value);
  const tag = f.severity === "error" ? "ERROR" : "WARNING";
  return `${tag} labfabric:${f.path} = ${shown}: ${f.message}. Fix: ${f.fix}`;
}

export function formatReport(findings: readonly Finding[]): string {
  return findings.map(formatFinding).join("\n");
}

/** Turn schema issues into findings with a fix each. */
export function fromZodIssues(issues: readonly z.core.$ZodIssue[]): Finding[] {
  return issues.flatMap((issue): Finding[] => {
    const path = keyPath(issue.path);
    const value = (issue as { input?: unknown }).input;
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => ({
        severity: "error" as const,
        path: path ? `${path}.${k}` : k,
        value: undefined,
        message: "is not a known key",
        fix: "remove it or correct its spelling (see the config block in Pulumi.yaml)",
      }));
    }
    if (issue.code === "invalid_type" && value === undefined) {
      return [
        {
          severity: "error",
          path,
          value,
          message: `is required (${issue.expected})`,
          fix: `set ${path}`,
        },
      ];
    }
    if (issue.code === "invalid_type" && issue.expected === "int") {
      const message = "must be a whole number";
      return [{ severity: "error", path, value, message, fix: `give ${path} a whole number` }];
    }
    if (issue.code === "invalid_type") {
      return [
        {
          severity: "error",
          path,
          value,
          message: `must be of type ${issue.expected}`,
          fix: `give ${path} a ${issue.expected}`,
        },
      ];
    }
    if (issue.code === "invalid_value") {
      const allowed = issue.values.map((v) => JSON.stringify(v)).join(", ");
      return [
        {
          severity: "error",
          path,
          value,
          message: `must be one of ${allowed}`,
          fix: `use one of ${allowed}`,
        },
      ];
    }
    return [
      {
        severity: "error",
        path,
        value,
        message: issue.message,
        fix: `change ${path} so it ${issue.message}`,
      },
    ];
  });
}

/** Collects findings while checks run, so every problem is reported in one go. */
export class Findings {
  readonly all: Finding[] = [];
  error(path: string, value: unknown, message: string, fix: string): void {
    this.all.push({ severity: "error", path, value, message, fix });
  }
  warn(path: string, value: unknown, message: string, fix: string): void {
    this.all.push({ severity: "warning", path, value, message, fix });
  }
  get errors(): Finding[] {
    return this.all.filter((f) => f.severity === "error");
  }
  get warnings(): Finding[] {
    return this.all.filter((f) => f.severity === "warning");
  }
}
