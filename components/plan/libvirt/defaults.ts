// Defaults of the libvirt plan: what it writes into the guests and how it sizes their disks.
// Each with the reason it was chosen.

/**
 * Resolvers for NICs with a static address (the fabric bridge has no libvirt dnsmasq). Public
 * anycast resolvers, because a VM on the fabric reaches out through the host's masquerade and
 * nothing on the bridge answers DNS. Override with `planLibvirt`'s `nameservers` option (offline
 * labs: the lab's own resolver). NICs on nat/route/open networks get DNS from libvirt's dnsmasq.
 */
export const DEFAULT_VM_NAMESERVERS: readonly string[] = ["1.1.1.1", "9.9.9.9"];

/** 1 GiB in bytes: `Volume.size` is in bytes, the spec's `diskGiB` in GiB. */
export const GIB = 1024 ** 3;

/** Commands that keep swap off for good: kubelet refuses to start with swap on (post D). */
export const SWAP_OFF_COMMANDS: readonly (readonly string[])[] = [
  ["swapoff", "-a"],
  // Comment out swap lines in fstab (idempotent: commented lines start with '#').
  ["sed", "-i", "-E", "/^[^#].*[[:space:]]swap[[:space:]]/s/^/#/", "/etc/fstab"],
  // Swap units that fstab does not list (zram-generator, GPT auto-discovery) hang off swap.target.
  ["systemctl", "mask", "swap.target"],
];
