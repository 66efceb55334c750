// Namespace-lab helpers: machines as network namespaces on the real kernel.
//   netns.ts    NetnsLab (create/cleanup namespaces, exec, sh), run/must, netnsSkipReason
//   topology.ts switches, hosts, routers, VMs, bridging a VM port
//   probe.ts    ping / reaches / payloadFor, snapshot / normalized / listTree
//   libvirt.ts  a stand-in libvirt NAT network (iptables or nftables backend)
export * from "./netns";
export * from "./topology";
export * from "./probe";
export * from "./libvirt";
