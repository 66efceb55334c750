// Valid labs of any size for the scaling benchmark: H hosts joined by a VXLAN fabric, a /16
// fabric subnet, V VMs spread round-robin over the hosts on the fabric network, and optionally
// a kubeadm cluster (one control plane, every other VM a worker; Calico, a /12 pod pool).
// VM addresses are left to the planner (allocated from the subnet) unless `explicitAddresses`.
import * as cidr from "../components/shared/cidr";
import type { LabSpecInput } from "../components/spec/schema";

export interface GenOptions {
  hosts: number;
  vms: number;
  kubernetes: boolean;
  /** Give every VM NIC its address instead of letting the planner allocate it. */
  explicitAddresses?: boolean;
}

export const VM_SUBNET = "10.39.0.0/16";

/** A well-formed ed25519 host key line per host (as `ssh-keyscan -t ed25519` prints): hosts are pinned. */
function hostKey(i: number): string {
  const type = Buffer.from("ssh-ed25519");
  const key = Buffer.alloc(32, i + 1);
  const blob = Buffer.concat([
    Buffer.from([0, 0, 0, type.length]),
    type,
    Buffer.from([0, 0, 0, key.length]),
    key,
  ]);
  return `ssh-ed25519 ${blob.toString("base64")}`;
}

export function generateLab(o: GenOptions): LabSpecInput {
  if (o.hosts < 2 || o.hosts > 240) throw new Error("generateLab: 2..240 hosts");
  if (o.vms > 60000) throw new Error("generateLab: at most 60000 VMs in a /16");
  const underlay = (i: number) => `10.250.0.${11 + i}`;
  return {
    sshPublicKey:
      "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAICAQX0loqdFUt8J1Zmx9ScPqd2trfZlIUDg//r1y2HeA bench@example",
    hosts: Array.from({ length: o.hosts }, (_, i) => ({
      name: `h${i + 1}`,
      ssh: { address: underlay(i), hostKey: hostKey(i) },
      underlay: { interface: "eth0", address: `${underlay(i)}/24`, mtu: 1500 },
    })),
    fabric: { mode: "vxlan", vni: 42, vmSubnet: VM_SUBNET },
    libvirt: { images: { debian12: "/var/lib/libvirt/images/debian-12-genericcloud-amd64.qcow2" } },
    vms: Array.from({ length: o.vms }, (_, j) => ({
      name: `vm-${String(j).padStart(5, "0")}`,
      host: `h${(j % o.hosts) + 1}`,
      role: o.kubernetes ? (j === 0 ? "control-plane" : "worker") : "none",
      vcpus: 2,
      memoryMiB: 2048,
      diskGiB: 20,
      image: "debian12",
      nics: [
        {
          network: "fabric",
          // From 10.39.1.0 on: clear of the hosts' bridge addresses (10.39.0.1, .2, ...).
          ...(o.explicitAddresses ? { address: cidr.nthAddress(VM_SUBNET, 256 + j) } : {}),
        },
      ],
    })),
    kubernetes: {
      enabled: o.kubernetes,
      podSubnet: "172.16.0.0/12",
      cni: { plugin: "calico" },
    },
  };
}
