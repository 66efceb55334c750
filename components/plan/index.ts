// The plan: every value decided once from the spec (addresses, MTU budget, fabric per host,
// nodes, CNI decision, ports), the libvirt, OpenStack and kubeadm layer plans and the CNI
// release's slice. Pure data; no Pulumi.
// The folder's public face: siblings import from here, not from its files.
export * from "./addresses";
export * from "./cni";
export * from "./cni-release";
export * from "./fabric";
export * from "./hosts";
export * from "./kubeadm/defaults";
export * from "./kubeadm/plan";
export * from "./libvirt/plan";
export * from "./libvirt/types";
export * from "./nodes";
export * from "./openstack/plan";
export * from "./plan";
export * from "./types";
