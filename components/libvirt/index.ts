// The libvirt layer: turns the plan's libvirt slice into providers, networks, volumes and domains.
// The folder's public face: siblings import from here, not from its files.
export * from "./component";
export * from "./preflight";
export type { LibvirtVmOutput } from "./vm";
