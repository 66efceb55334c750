// The libvirt layer checks its own argument, never the lab: a slice whose parts do not fit
// together (a VM without NICs, a NIC on a network or an image the host plan lacks) is refused
// before any child is registered. The lab itself was validated before it was planned.
import type { LibvirtPlan } from "../plan";

/** What does not fit together in a libvirt slice, one phrase per problem. */
export function sliceProblems(plan: LibvirtPlan): string[] {
  return plan.hosts.flatMap((h) => {
    const networks = new Set(h.networks.map((n) => n.key));
    const images = new Set(h.images.map((i) => i.key));
    return h.vms.flatMap((vm) => [
      ...(vm.nics.length === 0 ? [`VM ${vm.name} has no planned NIC`] : []),
      ...(images.has(vm.imageKey) ? [] : [`VM ${vm.name} uses image ${vm.imageKey}, not planned`]),
      ...vm.nics
        .filter((n) => !networks.has(n.networkKey))
        .map((n) => `VM ${vm.name} NIC ${n.index} is on ${n.networkKey}, not planned on ${h.host}`),
    ]);
  });
}
