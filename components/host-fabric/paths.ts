// Where the host-fabric scripts keep their state on a host, and how they tag what they own.
// Quoting and here-documents are the shared shell module's (components/shell.ts).
import type { HostFabricPlan } from "../plan";
import { underRoot } from "../shared";

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
