// The Kubernetes layer: a kubeadm cluster on the plan's nodes, and its typed provider.
// The folder's public face: siblings import from here, not from its files.
export * from "./cluster";
export * from "./kubeadm-config";
export * from "./node-scripts";
export { BUNDLE_PROOF_IMAGE } from "./defaults";
