// Every default labfabric applies, in one place, each with the reason it was chosen.
// Seed posts are in ../shared/mission/seeds (A: VXLAN stretch, B: Calico on OpenStack,
// C: Cilium across subnets, D: libvirt NAT + static routes).

/** Underlay MTU when a host does not declare one: plain Ethernet. */
export const DEFAULT_UNDERLAY_MTU = 1500;

/** Smallest MTU any layer may be planned at: the IPv6 minimum (RFC 8200). */
export const MIN_MTU = 1280;

/** Largest MTU a Linux NIC/bridge accepts for jumbo frames we plan for. */
export const MAX_MTU = 9216;

/**
 * Bytes each encapsulation adds on an IPv4 underlay (kernel VXLAN_HEADROOM etc.;
 * ../shared/reference/networking.md). Geneve here is without options; OVN adds 8.
 */
export const ENCAP_OVERHEAD = {
  none: 0,
  vxlan: 50,
  geneve: 50,
  ipip: 20,
  wireguard: 60,
} as const;

/** TCP + IPv4 headers: what a full-size packet spends before its payload. */
export const TCP_IPV4_HEADERS = 40;

/** VXLAN network identifier when none is configured (post A used 39; any 1..16777215 works). */
export const DEFAULT_VNI = 42;

/**
 * VXLAN UDP port: IANA's 4789. Linux defaults to 8472 when dstport is omitted, which silently
 * mismatches peers that use 4789 — labfabric always writes it explicitly.
 */
export const DEFAULT_VXLAN_PORT = 4789;

/** Bridge the VMs attach to on each host (the name post A used). */
export const DEFAULT_FABRIC_BRIDGE = "br-vm";

/** The host VXLAN device; short enough for IFNAMSIZ (15). */
export const DEFAULT_VXLAN_DEVICE = "vxlan-lf";

/**
 * rp_filter loose mode (2): enough for asymmetric paths between hosts while keeping some
 * anti-spoofing. The posts used 0 (off); that stays available as an explicit choice.
 */
export const DEFAULT_RP_FILTER = 2;

/** Masquerade VM egress to the underlay (post A): VMs on a private subnet need it to reach out. */
export const DEFAULT_MASQUERADE = true;

/** SSH defaults for reaching bare-metal hosts. */
export const DEFAULT_SSH_PORT = 22;
export const DEFAULT_SSH_USER = "root";

/** Kubernetes minor release pinned by default (post D installed 1.32 from pkgs.k8s.io). */
export const DEFAULT_KUBERNETES_VERSION = "1.32";

/** kubeadm's own default service range. */
export const DEFAULT_SERVICE_SUBNET = "10.96.0.0/12";

/** API server port. */
export const DEFAULT_API_PORT = 6443;

/** Defaults the CNIs fall back to when not told otherwise: planned around, and warned about. */
export const CALICO_DEFAULT_POOL = "192.168.0.0/16";
export const CILIUM_DEFAULT_POOL = "10.0.0.0/8";
export const FLANNEL_DEFAULT_POD_CIDR = "10.244.0.0/16";

/** The NAT network libvirt creates out of the box ("default"), which Calico's pool covers. */
export const LIBVIRT_DEFAULT_NETWORK = "192.168.122.0/24";

/**
 * Neutron tenant networks over VXLAN/Geneve on a 1500 physical network give instances 1450;
 * used when a lab does not state its OpenStack network MTU.
 */
export const DEFAULT_OPENSTACK_NETWORK_MTU = 1450;

/** Container runtime when not chosen: containerd is packaged on every distribution we target. */
export const DEFAULT_CONTAINER_RUNTIME = "containerd";

/**
 * Where kubelet/kubeadm/kubectl, the runtime and the container images come from. "internet" (the
 * default, what real labs use): pkgs.k8s.io and the distribution's packages, images pulled by
 * kubeadm and the CNI chart. "bundle": the offline bundle of scripts/kubernetes-bundle/build.sh,
 * for labs without internet (the machines labfabric is built on).
 */
export const DEFAULT_PACKAGE_SOURCE = "internet";

/**
 * What the offline bundle holds (scripts/kubernetes-bundle/versions.env and images.txt; a test
 * keeps the two in step): one Kubernetes release, containerd, and Flannel's images only.
 */
export const KUBERNETES_BUNDLE = {
  release: "v1.32.13",
  minor: "1.32",
  runtime: "containerd",
  cni: "flannel",
} as const;

/** Helm charts, pinned (repository + version) and overridable; a local path works offline. */
export const CNI_CHARTS = {
  calico: {
    repo: "https://docs.tigera.io/calico/charts",
    chart: "tigera-operator",
    version: "v3.29.3",
    namespace: "tigera-operator",
  },
  cilium: {
    repo: "https://helm.cilium.io/",
    chart: "cilium",
    version: "1.17.4",
    namespace: "kube-system",
  },
  flannel: {
    repo: "https://flannel-io.github.io/flannel/",
    chart: "flannel",
    version: "v0.26.7",
    namespace: "kube-flannel",
  },
} as const;

/** Cilium's tunnel ports (UDP). */
export const CILIUM_VXLAN_PORT = 8472;
export const GENEVE_PORT = 6081;
/** Calico's VXLAN port (UDP). */
export const CALICO_VXLAN_PORT = 4789;
/** Flannel's VXLAN port (UDP), the Linux default. */
export const FLANNEL_VXLAN_PORT = 8472;

/** Where labfabric keeps its files on a host; `hosts[].root` prefixes it (namespace labs). */
export const HOST_STATE_DIR = "/etc/labfabric";

/**
 * libvirt domain type of every VM: "kvm" (hardware virtualization) on real lab hosts. "qemu"
 * (TCG, software emulation, ~10-50x slower) only where /dev/kvm is unusable, e.g. hosts that are
 * themselves VMs without nested virtualization, as the dry lab's namespace hosts are.
 */
export const DEFAULT_DOMAIN_TYPE = "kvm";

/** libvirt storage pool for volumes when not configured. */
export const DEFAULT_LIBVIRT_POOL = "default";

/** kubeadm's per-node pod CIDR (--node-cidr-mask-size), Cilium's and Flannel's per-node /24. */
export const NODE_POD_MASK = 24;
/** kubeadm: "the mask must be >= 12" for an IPv4 service subnet. */
export const MIN_SERVICE_PREFIX = 12;
/** kubeadm: the pod subnet may be at most 16 bits wider than the node mask. */
export const MAX_NODE_MASK_DIFF = 16;
