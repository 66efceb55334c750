// Defaults of the libvirt layer, each with the reason it was chosen. Lab-wide defaults (MTU,
// pool name, VM user) live in ../lab/defaults.ts and the schema; these only concern how the
// layer drives terraform-provider-libvirt 0.8.1 and what it writes into the guests.

/** Resource type of the component. */
export const LIBVIRT_LAYER_TYPE = "labfabric:libvirt:LibvirtLayer";

/**
 * Resolvers for NICs with a static address (the fabric bridge has no libvirt dnsmasq). Public
 * anycast resolvers, because a VM on the fabric reaches out through the host's masquerade and
 * nothing on the bridge answers DNS. Override with `LibvirtLayerArgs.nameservers` (offline labs:
 * the lab's own resolver). NICs on nat/route/open networks get DNS from libvirt's dnsmasq.
 */
export const DEFAULT_VM_NAMESERVERS: readonly string[] = ["1.1.1.1", "9.9.9.9"];

/** SSH port of the guests (cloud images run sshd on 22). */
export const VM_SSH_PORT = 22;

/** 1 GiB in bytes: `Volume.size` is in bytes, the spec's `diskGiB` in GiB. */
export const GIB = 1024 ** 3;

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

/** Commands that keep swap off for good: kubelet refuses to start with swap on (post D). */
export const SWAP_OFF_COMMANDS: readonly (readonly string[])[] = [
  ["swapoff", "-a"],
  // Comment out swap lines in fstab (idempotent: commented lines start with '#').
  ["sed", "-i", "-E", "/^[^#].*[[:space:]]swap[[:space:]]/s/^/#/", "/etc/fstab"],
  // Swap units that fstab does not list (zram-generator, GPT auto-discovery) hang off swap.target.
  ["systemctl", "mask", "swap.target"],
];

/**
 * How long creating a domain may take. A domain on a DHCP network waits for its lease
 * (`waitForLease`), i.e. for the guest to boot and run DHCP; terraform-provider-libvirt's own
 * default is 5 minutes. Under TCG ("qemu") a guest boots 10-50x slower, and on a loaded machine
 * the dry lab's guests took 6-7 minutes to their first lease: give TCG half an hour.
 */
export const DOMAIN_CREATE_TIMEOUT: Record<"kvm" | "qemu", string> = { kvm: "10m", qemu: "30m" };
