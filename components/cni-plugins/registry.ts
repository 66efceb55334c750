// The plugins by name. Exhaustive by type: a plugin the schema allows and no module
// implements does not compile.
import { calico } from "./calico";
import { cilium } from "./cilium";
import { flannel } from "./flannel";
import type { CniPlugin, CniPluginModule, ModeRule } from "./types";

export const CNI_PLUGINS: Readonly<Record<CniPlugin, CniPluginModule>> = {
  calico,
  cilium,
  flannel,
};

export function cniPlugin(name: CniPlugin): CniPluginModule {
  return CNI_PLUGINS[name];
}

/** The plugin whose pinned chart has this name (a release's `chart`); undefined for others. */
export function cniPluginOfChart(chart: string): CniPluginModule | undefined {
  return Object.values(CNI_PLUGINS).find((p) => p.chart.chart === chart);
}

/** The plugin's rule for a mode; undefined when the mode is not one of the plugin's. */
export function modeRule(plugin: CniPlugin, mode: string): ModeRule | undefined {
  return CNI_PLUGINS[plugin].modes.find((m) => m.name === mode);
}
