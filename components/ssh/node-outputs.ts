// What every machine layer hands the Kubernetes layer: libvirt VMs, OpenStack instances and
// existing hosts all become the same NodeOutput, so the cluster treats them alike.
import type * as pulumi from "@pulumi/pulumi";
import type { SshTarget } from "./connection";

export interface NodeOutput {
  name: string;
  role: "control-plane" | "worker";
  source: "vm" | "instance" | "host";
  /** The bare-metal host a VM runs on. */
  host?: string;
  /** The address kubelet registers with (node-ip): the NIC on the lab's node network. */
  address: pulumi.Output<string>;
  /** Every fixed address by network name. */
  addresses: pulumi.Output<Record<string, string>>;
  /** An address reachable from where Pulumi runs (floating IP for instances), if different. */
  publicAddress?: pulumi.Output<string>;
  /** The machine's identity (domain, instance id): a new machine's host key is learned again. */
  machineId?: pulumi.Output<string>;
  /**
   * How to reach it over SSH (address filled from `publicAddress ?? address`). Without a
   * hostKey the lab learns it once (components/ssh/host-key.ts, `nodesWithHostKeys`).
   */
  ssh: Omit<SshTarget, "address">;
  /** MTU of the node NIC (the planner's value). */
  mtu: number;
}
