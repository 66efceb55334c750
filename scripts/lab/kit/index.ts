// The namespace-lab kit: machines as network namespaces on the real kernel, for the kernel
// tests, the benchmark and the dry lab alike. Import it from here, not from its files.
//   exec.ts         run / must / tryRun (argv, no shell), tryInNs
//   netns.ts        NetnsLab (create/cleanup namespaces, exec, sh; NetnsLab.named() for the dry
//                   lab's lasting ones), nsExists, netnsSkipReason
//   topology.ts     switches, hosts, routers, VMs, bridging a VM port
//   probe.ts        ping / reaches / payloadFor, snapshot / normalized / listTree, countFrom
//   fake-libvirt.ts a stand-in libvirt NAT network (iptables or nftables backend)
//   libvirtd.ts     a namespace host running Debian's real libvirtd (+ sshd) in its own mount
//                   namespace (libvirt-host.sh)
export * from "./exec";
export * from "./netns";
export * from "./topology";
export * from "./probe";
export * from "./fake-libvirt";
export * from "./libvirtd";
