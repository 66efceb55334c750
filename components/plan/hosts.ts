// Which bare-metal hosts labfabric dials, and whether the lab has a libvirt layer at all:
// decided from the spec, read by the host-key checks and by the stack wiring.
import type { HostSpec, LabSpec } from "../spec";

/** Whether the lab has a libvirt layer: VMs, or networks it creates. */
export function hasLibvirtLayer(spec: LabSpec): boolean {
  return spec.vms.length > 0 || spec.networks.some((n) => !n.adopt);
}

/** The bare-metal hosts labfabric connects to over SSH: for the fabric or the libvirt layer. */
export function dialedHosts(spec: LabSpec): HostSpec[] {
  return spec.fabric.mode !== "none" || hasLibvirtLayer(spec) ? spec.hosts : [];
}
