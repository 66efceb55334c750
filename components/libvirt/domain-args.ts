// The inputs of one VM's libvirt.Domain, from its plan and the ids of what it sits on. Pure
// but for the Output-typed ids it passes through; component.ts only registers the resource.
import type * as libvirt from "@pulumi/libvirt";
import type * as pulumi from "@pulumi/pulumi";
import { CPU_MODE, GRAPHICS, SERIAL_CONSOLE } from "./defaults";
import { renderDomainXslt } from "./domain-xslt";
import type { LibvirtPlan, LibvirtVmPlan } from "../plan";

export interface DomainRefs {
  rootVolumeId: pulumi.Input<string>;
  /** Path of the VM's NoCloud seed volume on its host (seed.ts; ends in .iso). */
  seedPath: pulumi.Input<string>;
  /** Created networks of the VM's host by network name (adopted ones are attached by name). */
  networkIds: ReadonlyMap<string, pulumi.Input<string>>;
}

export function domainArgs(
  plan: Pick<LibvirtPlan, "domainType" | "lab">,
  vm: LibvirtVmPlan,
  refs: DomainRefs,
): libvirt.DomainArgs {
  return {
    name: vm.name,
    type: plan.domainType,
    vcpu: vm.vcpus,
    memory: vm.memoryMiB,
    autostart: true,
    // host-passthrough needs KVM; TCG guests get QEMU's default CPU model.
    ...(plan.domainType === "kvm" ? { cpu: { mode: CPU_MODE } } : {}),
    // The seed as a CD-ROM: 0.8 makes a disk given by `file` a cdrom on the IDE bus when the
    // path ends in .iso (domain.go setDisks; a `volumeId` disk would be a plain disk), and reads
    // it back as the same `file`. NoCloud finds it by its label, cidata. A changed seed (a new
    // volume, a new path) replaces the domain (vm.ts: replaceOnChanges).
    disks: [{ volumeId: refs.rootVolumeId }, { file: refs.seedPath }],
    networkInterfaces: vm.nics.map((nic) => ({
      // A bridge-mode network is attached by its bridge (see LibvirtNicPlan.bridge); the
      // domain still waits for the network resource (component.ts: dependsOn).
      ...(nic.bridge
        ? { bridge: nic.bridge }
        : nic.adopted
          ? { networkName: nic.libvirtNetwork }
          : { networkId: refs.networkIds.get(nic.network)! }),
      mac: nic.mac,
      // On a DHCP network labfabric created, the address IS the reservation (0.8 adds the
      // MAC -> IP host entry when it creates the domain; it goes with the network), and waiting
      // for the lease means the domain is done once the VM booted and took it. On an adopted
      // network labfabric's own step holds the entry (plan.ts reservationOwner): neither
      // `addresses` nor `waitForLease` here, or 0.8 would add (or rewrite) the entry itself and
      // leave it behind on destroy. Bridge-mode networks have no DHCP: the address is static in
      // cloud-init, and listing it here would make every later update try (and fail) to add a
      // DHCP host entry to a network without DHCP.
      ...(nic.reservation === "domain"
        ? { addresses: [nic.address.split("/")[0]], hostname: vm.name, waitForLease: true }
        : {}),
    })),
    consoles: [{ ...SERIAL_CONSOLE }],
    graphics: { ...GRAPHICS },
    qemuAgent: false,
    xml: { xslt: renderDomainXslt(vm.name) },
    description: `labfabric lab ${plan.lab}`,
  };
}
