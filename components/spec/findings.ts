// A finding is one problem with a lab spec: where (the config key path), the value found,
// what is allowed, and how to fix it. Errors stop everything; warnings are reported.
import type { z } from "zod";
import { nearMiss } from "./closest";
import { scrub, shownValue } from "./secrets";

export interface Finding {
  severity: "error" | "warning";
  /** Key path under the namespace, e.g. "hosts[1].underlay.interface". */
  path: string;
  /** The config namespace; "labfabric" when unset. */
  namespace?: string;
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

/** One line per finding; a value that could be a secret is named as such, never printed. */
export function formatFinding(f: Finding): string {
  const tag = f.severity === "error" ? "ERROR" : "WARNING";
  const key = `${f.namespace ?? "labfabric"}:${f.path}`;
  const shown = shownValue(f.value, key);
  return `${tag} ${key} = ${shown}: ${scrub(f.message)}. Fix: ${scrub(f.fix)}`;
}

/**
 * The fix for a broken rule, in plain words from the rule itself, without repeating its
 * details: "must be a DNS label: ..." becomes "set <key> to a DNS label", "must not contain
 * '..'" becomes "remove '..' from <key>".
 */
export function fixForRule(path: string, rule: string): string {
  const head = rule.split(/: | \(/)[0];
  let m: RegExpExecArray | null;
  if ((m = /^must be (.+)$/.exec(head))) return `set ${path} to ${m[1]}`;
  if ((m = /^must not contain (.+)$/.exec(head))) return `remove ${m[1]} from ${path}`;
  if ((m = /^must have (.+)$/.exec(head))) return `give ${path} ${m[1]}`;
  if ((m = /^must (.+)$/.exec(head))) return `${m[1]} in ${path}`;
  return `correct ${path}`;
}

export function formatReport(findings: readonly Finding[]): string {
  return findings.map(formatFinding).join("\n");
}

/**
 * Turn schema issues into findings with a fix each. `knownKeys` lists the keys allowed at a
 * path, so an unknown key is answered with the one it is a near miss of.
 */
export function fromZodIssues(
  issues: readonly z.core.$ZodIssue[],
  knownKeys: (path: readonly PropertyKey[]) => readonly string[] = () => [],
): Finding[] {
  return issues.flatMap((issue): Finding[] => {
    const path = keyPath(issue.path);
    const value = (issue as { input?: unknown }).input;
    if (issue.code === "unrecognized_keys") {
      const known = knownKeys(issue.path);
      return issue.keys.map((k) => {
        const meant = nearMiss(k, known);
        const at = path ? `${path}.` : "";
        return {
          severity: "error" as const,
          path: `${at}${k}`,
          value: (value as Record<string, unknown> | undefined)?.[k],
          message: meant
            ? `is not a known key (did you mean ${at}${meant}?)`
            : "is not a known key",
          fix: meant
            ? `rename it to ${at}${meant}`
            : `remove it, or use one of the keys known here: ${known.join(", ") || "(none)"}`,
        };
      });
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
        fix: fixForRule(path, issue.message),
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
