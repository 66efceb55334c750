// Defaults of the kubeadm plan: what the planner decides for every node without a lab setting,
// each with the reason it was chosen. How packages and kubeadm are put on a node (repositories,
// paths, timeouts) stays with the layer: components/kubernetes/defaults.ts.
import type { Encapsulation } from "../../cni-plugins";

/** The CRI endpoint kubeadm and kubelet use for each runtime (kubernetes.runtime). */
export const CRI_SOCKETS = {
  containerd: "unix:///var/run/containerd/containerd.sock",
  crio: "unix:///var/run/crio/crio.sock",
} as const;

/**
 * firewalld on nodes. "disable" (the default) stops and disables it, as post D did: kube-proxy
 * and every CNI program iptables/nftables themselves and firewalld's zones silently drop
 * forwarded pod traffic. "open" keeps it and opens the planned ports for the node's role
 * (`plan.ports`), puts the pod and service ranges in the trusted zone and allows IP protocol 4
 * when Calico IPIP runs; use it where policy forbids disabling the host firewall.
 */
export type FirewalldPolicy = "disable" | "open";
export const DEFAULT_FIREWALLD_POLICY: FirewalldPolicy = "disable";

/** Kernel modules each CNI encapsulation needs loaded on every node. */
export const CNI_KERNEL_MODULES: Readonly<Record<Encapsulation, readonly string[]>> = {
  vxlan: ["vxlan"],
  geneve: ["geneve"],
  ipip: ["ipip"],
  wireguard: ["wireguard"],
  none: [],
};

/** kubeadm's configuration API versions labfabric writes. */
export const KUBEADM_API = {
  v1beta3: "kubeadm.k8s.io/v1beta3",
  v1beta4: "kubeadm.k8s.io/v1beta4",
} as const;
export type KubeadmConfigApi = (typeof KUBEADM_API)[keyof typeof KUBEADM_API];

/**
 * The config API for a minor: v1beta4 (list-form kubeletExtraArgs) exists from Kubernetes 1.31;
 * v1beta3 before, where kubeadm 1.31+ still reads it but warns it is deprecated.
 */
export function kubeadmConfigApi(minor: string): KubeadmConfigApi {
  return Number(minor.split(".")[1]) >= 31 ? KUBEADM_API.v1beta4 : KUBEADM_API.v1beta3;
}
