// Small, pure helpers for rendering POSIX sh: quoting, here-documents and the paths the
// host-fabric scripts use. Every value from the plan is validated by the spec patterns AND
// passes through `shq` before it reaches a script (defence in depth).
import type { HostFabricPlan } from "../lab/fabric";

export { shq } from "../shell";

/**
 * A quoted here-document feeding `content` to `command` verbatim (no expansion inside).
 * Refuses content that would end the document early.
 */
export function heredoc(command: string, delimiter: string, content: string): string {
  const body = content.endsWith("\n") ? content : `${content}\n`;
  if (body.split("\n").includes(delimiter)) {
    throw new Error(`here-document body contains its delimiter line ${delimiter}`);
  }
  return `${command} <<'${delimiter}'\n${body}${delimiter}`;
}

/** `root` + an absolute path: "/" + "/etc/x" = "/etc/x", "/run/lab/h1" + "/etc/x" = "/run/lab/h1/etc/x". */
export function underRoot(root: string, path: string): string {
  const base = root.replace(/\/+$/, "");
  return `${base}${path}`;
}

export interface HostPaths {
  /** Owner markers, recorded sysctls and the rendered apply/firewall scripts. */
  state: string;
  apply: string;
  firewall: string;
  unit: string;
  unitName: string;
  hook: string;
  sysctlConf: string;
}

export function hostPaths(plan: Pick<HostFabricPlan, "root" | "lab">): HostPaths {
  const state = underRoot(plan.root, `/etc/labfabric/${plan.lab}`);
  const unitName = `labfabric-${plan.lab}.service`;
  return {
    state,
    apply: `${state}/apply.sh`,
    firewall: `${state}/firewall.sh`,
    unit: underRoot(plan.root, `/etc/systemd/system/${unitName}`),
    unitName,
    hook: underRoot(plan.root, `/etc/libvirt/hooks/network.d/labfabric-${plan.lab}`),
    sysctlConf: underRoot(plan.root, `/etc/sysctl.d/90-labfabric-${plan.lab}.conf`),
  };
}

/** The comment every firewall rule carries, so down.sh finds exactly its own rules. */
export function ruleTag(lab: string): string {
  return `labfabric:${lab}`;
}

/** A marker file name for a value that may contain "/" (addresses, prefixes). */
export function markerName(kind: string, ...parts: string[]): string {
  return [kind, ...parts.map((p) => p.replace(/\//g, "_"))].join(".");
}

/** Join script sections, dropping empty ones, with one blank line between them. */
export function sections(...parts: (string | undefined | false)[]): string {
  return parts.filter((p): p is string => typeof p === "string" && p.length > 0).join("\n\n");
}
