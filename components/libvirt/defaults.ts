// Defaults of the libvirt layer, each with the reason it was chosen. Lab-wide defaults (MTU,
// pool name, VM user) live in ../lab/defaults.ts and the schema; these only concern how the
// layer drives terraform-provider-libvirt 0.8.1. What the libvirt plan writes into the guests
// (resolvers, swap, disk units) is in ../plan/libvirt/defaults.ts.

/** Resource type of the component. */
export const LIBVIRT_LAYER_TYPE = "labfabric:libvirt:LibvirtLayer";

/** SSH port of the guests (cloud images run sshd on 22). */
export const VM_SSH_PORT = 22;

/**
 * Console on the first serial port as a pty: `virsh console <vm>` works without graphics, and
 * cloud images log their boot to ttyS0.
 */
export const SERIAL_CONSOLE = { type: "pty", targetPort: "0", targetType: "serial" } as const;

/**
 * The guest CPU is the host's (`host-passthrough`): nested virtualization and every CPU flag
 * Kubernetes components probe for, at the cost of live migration (not a lab concern).
 */
export const CPU_MODE = "host-passthrough";

/**
 * VNC on the host's loopback. 0.8.1 adds SPICE graphics when `graphics` is unset, and the
 * qemu-kvm of RHEL/Rocky/Alma 9 hosts is built without SPICE: such a domain fails to start.
 * VNC exists everywhere; loopback keeps it off the network (tunnel it over SSH if needed).
 */
export const GRAPHICS = {
  type: "vnc",
  autoport: true,
  listenType: "address",
  listenAddress: "127.0.0.1",
} as const;

/**
 * How long creating a domain may take. A domain on a DHCP network waits for its lease
 * (`waitForLease`), i.e. for the guest to boot and run DHCP; terraform-provider-libvirt's own
 * default is 5 minutes. Under TCG ("qemu") a guest boots 10-50x slower, and on a loaded machine
 * the dry lab's guests took 6-7 minutes to their first lease: give TCG half an hour.
 */
export const DOMAIN_CREATE_TIMEOUT: Record<"kvm" | "qemu", string> = { kvm: "10m", qemu: "30m" };
