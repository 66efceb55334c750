// The lab spec: one schema for everything a stack config holds under `labfabric:`.
// Structural checks live here (types, patterns, ranges); checks across keys live in
// validate.ts. Defaults come from defaults.ts so they are named and explained once.
import { z } from "zod";
import * as d from "./defaults";
import * as p from "./patterns";
import { SECRET_KEYS } from "./secrets";

export { SECRET_KEYS };

const jumpHost = z.strictObject({
  address: p.hostOrIp,
  port: p.port.default(d.DEFAULT_SSH_PORT),
  user: p.unixUserName.default(d.DEFAULT_SSH_USER),
  hostKey: p.publicKey.optional(),
});

const host = z.strictObject({
  name: p.name,
  ssh: z.strictObject({
    address: p.hostOrIp,
    port: p.port.default(d.DEFAULT_SSH_PORT),
    user: p.unixUserName.default(d.DEFAULT_SSH_USER),
    /** The host's key ("ssh-ed25519 AAAA...", from `ssh-keyscan -t ed25519 <address>`); see sshHostKeys. */
    hostKey: p.publicKey.optional(),
    jump: jumpHost.optional(),
  }),
  underlay: z.strictObject({
    interface: p.interfaceName,
    address: p.ipv4Interface,
    mtu: p.mtu.default(d.DEFAULT_UNDERLAY_MTU),
  }),
  /** Routed mode: an extra address added to the underlay NIC (post D's 10.10.10.x). */
  internalAddress: p.ipv4Interface.optional(),
  /** This host's address on the fabric bridge (vxlan mode); planned from fabric.vmSubnet if unset. */
  bridgeAddress: p.ipv4Interface.optional(),
  /** Routed mode: subnets behind this host besides its libvirt networks (e.g. hand-made bridges). */
  localSubnets: z.array(p.ipv4Cidr).default([]),
  /** Prefix for every file labfabric writes on the host; "/" except in namespace labs. */
  root: p.absolutePath.default("/"),
  capacity: z
    .strictObject({ vcpus: z.number().int().min(1), memoryMiB: z.number().int().min(256) })
    .optional(),
});

const fabric = z.strictObject({
  mode: z.enum(["vxlan", "routed", "none"]).default("vxlan"),
  vni: z
    .number()
    .int("must be a whole number")
    .min(1, "must be 1..16777215 (24-bit VNI)")
    .max(16777215, "must be 1..16777215 (24-bit VNI)")
    .default(d.DEFAULT_VNI),
  port: p.port.default(d.DEFAULT_VXLAN_PORT),
  bridge: p.interfaceName.default(d.DEFAULT_FABRIC_BRIDGE),
  vxlanDevice: p.interfaceName.default(d.DEFAULT_VXLAN_DEVICE),
  /** The L2 subnet stretched across hosts (vxlan mode). */
  vmSubnet: p.ipv4Cidr.optional(),
  /** Lower the VM MTU below the planned value (never above: that is post A's black hole). */
  vmMtu: p.mtu.optional(),
  masquerade: z.boolean().default(d.DEFAULT_MASQUERADE),
  // One literal with three values: a bad value reports them ("must be one of 0, 1, 2"), where
  // a union of literals only said "Invalid input".
  rpFilter: z.literal([0, 1, 2]).default(d.DEFAULT_RP_FILTER as 2),
  /** Re-apply at boot (systemd unit) and on libvirt network start (hook). */
  persist: z.boolean().default(true),
});

const reservation = z.strictObject({ name: p.name, mac: p.macAddress, address: p.ipv4 });

const network = z.strictObject({
  name: p.name,
  host: p.name,
  mode: z.enum(["nat", "route", "open", "bridge"]).default("nat"),
  bridge: p.interfaceName,
  cidr: p.ipv4Cidr,
  /** The host's address on the network; the first usable address if unset. */
  gateway: p.ipv4.optional(),
  dhcp: z.strictObject({ start: p.ipv4, end: p.ipv4 }).optional(),
  reservations: z.array(reservation).default([]),
  /** Use a network that already exists on the host (by name) instead of creating it. */
  adopt: z.boolean().default(false),
  autostart: z.boolean().default(true),
});

const role = z.enum(["control-plane", "worker", "none"]);

const vm = z.strictObject({
  name: p.name,
  host: p.name,
  role: role.default("none"),
  vcpus: z.number().int().min(1).max(256),
  memoryMiB: z.number().int().min(256),
  diskGiB: z.number().int().min(1),
  image: p.name,
  nics: z
    .array(
      z.strictObject({ network: p.name, mac: p.macAddress.optional(), address: p.ipv4.optional() }),
    )
    .min(1, "must list at least one NIC (a VM needs one)"),
});

const libvirt = z.strictObject({
  pool: p.name.default(d.DEFAULT_LIBVIRT_POOL),
  /** Directory of the pool when labfabric creates it; unset = adopt the existing pool. */
  poolPath: p.absolutePath.optional(),
  /** Base images by name: URL or local path (offline labs). */
  images: z.record(p.name, p.imageRef).default({}),
  /** Login user cloud-init creates in every VM, with the lab's public key. */
  vmUser: p.unixUserName.default("lab"),
  /** Domain type: "kvm" (real hosts) or "qemu" (TCG: hosts without a usable /dev/kvm). */
  domainType: z.enum(["kvm", "qemu"]).default(d.DEFAULT_DOMAIN_TYPE),
  /**
   * Unencrypted private key FILE (where `pulumi` runs) the libvirt provider authenticates with
   * (`sshauth=privkey`); unset = ssh-agent. Only the path enters the provider URI and the state.
   */
  sshKeyFile: p.absolutePath.optional(),
});

const openstackNic = z.strictObject({
  network: p.name,
  fixedIp: p.ipv4.optional(),
  floatingIp: z.boolean().default(false),
});

const openstack = z.strictObject({
  enabled: z.boolean().default(false),
  /** The host the cloud runs on, when it is one of the lab's hosts (post D's openstack-host). */
  host: p.name.optional(),
  /** Who may reach SSH and the API server from outside the cluster. */
  adminCidr: p.ipv4Cidr.optional(),
  /** Pool for floating IPs (the external network's name). */
  floatingPool: p.name.optional(),
  portSecurity: z.boolean().default(true),
  /** Add allowed-address-pairs for the pod and service CIDRs to node ports (native routing). */
  allowedAddressPairs: z.boolean().default(false),
  networks: z
    .array(
      z.strictObject({
        name: p.name,
        cidr: p.ipv4Cidr,
        mtu: p.mtu.default(d.DEFAULT_OPENSTACK_NETWORK_MTU),
      }),
    )
    .default([]),
  flavors: z
    .array(
      z.strictObject({
        name: z
          .string()
          .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, "must be a flavor name like k8s.worker"),
        vcpus: z.number().int().min(1),
        ramMiB: z.number().int().min(128),
        diskGiB: z.number().int().min(1),
        adopt: z.boolean().default(false),
      }),
    )
    .default([]),
  keypair: p.name.default("labfabric"),
  instances: z
    .array(
      z.strictObject({
        name: p.name,
        role: role.default("worker"),
        flavor: z.string().min(1),
        image: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9 ._()-]{0,127}$/, "must be an image name"),
        nics: z.array(openstackNic).min(1, "must list at least one NIC (an instance needs one)"),
        metadata: z
          .record(z.string().regex(/^[A-Za-z0-9_.:-]{1,255}$/), z.string().max(255))
          .default({}),
      }),
    )
    .default([]),
  /** Extra ingress the lab asks for explicitly (the only way to open a CIDR like 0.0.0.0/0). */
  extraIngress: z
    .array(z.strictObject({ protocol: z.enum(["tcp", "udp"]), port: p.port, cidr: p.ipv4Cidr }))
    .default([]),
});

const cni = z.strictObject({
  plugin: z.enum(["calico", "cilium", "flannel"]).default("calico"),
  /** calico: IPIP|IPIPCrossSubnet|VXLAN|VXLANCrossSubnet|None; cilium: tunnel-vxlan|tunnel-geneve|native; flannel: vxlan|host-gw. */
  mode: z.string().optional(),
  /** Cilium native routing with nodes in several L3 subnets (post C): refuse, or tunnel with a warning. */
  onNativeAcrossSubnets: z.enum(["refuse", "tunnel"]).default("refuse"),
  /** Pin the pod MTU lower than planned (never higher). */
  mtu: p.mtu.optional(),
  natOutgoing: z.boolean().default(true),
  chart: z
    .strictObject({
      repo: p.url.optional(),
      version: p.chartVersion.optional(),
      path: p.absolutePath.optional(),
    })
    .default({}),
});

const extraNode = z.strictObject({
  name: p.name,
  role: role.exclude(["none"]),
  ssh: z.strictObject({
    address: p.hostOrIp,
    port: p.port.default(d.DEFAULT_SSH_PORT),
    user: p.unixUserName.default(d.DEFAULT_SSH_USER),
    hostKey: p.publicKey.optional(),
    /** A machine to reach it through (its bare-metal host when it sits on the host's NAT network). */
    jump: jumpHost.optional(),
  }),
  /** The address the node registers with (kubelet node-ip), with its prefix. */
  address: p.ipv4Interface,
  mtu: p.mtu.default(d.DEFAULT_UNDERLAY_MTU),
});

const kubernetes = z.strictObject({
  enabled: z.boolean().default(false),
  version: p.k8sMinor.default(d.DEFAULT_KUBERNETES_VERSION),
  /** "host:port" all nodes and kubeconfigs use; the first control plane's address if unset. */
  controlPlaneEndpoint: z
    .string()
    .regex(/^[A-Za-z0-9.-]+:\d{1,5}$/, "must be host:port, like 172.20.112.101:6443")
    .refine((v) => {
      const port = Number(v.split(":")[1]);
      return port >= 1 && port <= 65535;
    }, "must have a port 1..65535, like 172.20.112.101:6443")
    .optional(),
  podSubnet: p.ipv4Cidr.optional(),
  serviceSubnet: p.ipv4Cidr.default(d.DEFAULT_SERVICE_SUBNET),
  runtime: z.enum(["containerd", "crio"]).default(d.DEFAULT_CONTAINER_RUNTIME),
  /** internet (pkgs.k8s.io, registries) | bundle (the offline bundle, scripts/kubernetes-bundle). */
  packageSource: z.enum(["internet", "bundle"]).default(d.DEFAULT_PACKAGE_SOURCE),
  cni: cni.prefault({}),
  /** Existing machines that join as nodes, besides libvirt VMs and OpenStack instances. */
  nodes: z.array(extraNode).default([]),
  /** After the CNI is up, prove full-MTU DF pod-to-pod traffic between every node pair. */
  proof: z.boolean().default(true),
  /**
   * false: plan the cluster (security group rules, address pairs, MTUs, node user data) and
   * create the machines for it, but run no kubeadm or CNI: the machine layers' outputs are the
   * stack's result (the dry lab's lab-b, whose TCG instances have no Kubernetes packages).
   */
  deploy: z.boolean().default(true),
});

export const labSpecSchema = z.strictObject({
  hosts: z.array(host).default([]),
  fabric: fabric.prefault({}),
  networks: z.array(network).default([]),
  vms: z.array(vm).default([]),
  libvirt: libvirt.prefault({}),
  openstack: openstack.prefault({}),
  kubernetes: kubernetes.prefault({}),
  /** The lab's SSH public key (installed in VMs/instances); the private key is a secret. */
  sshPublicKey: p.publicKey.optional(),
  /**
   * How every SSH connection checks the server's key (validate-ssh.ts): "pinned" = every host,
   * jump host and existing node has ssh.hostKey; "trust-on-first-use" = a missing key is learned
   * once, kept in state and checked from then on. Never "not checked".
   */
  sshHostKeys: z.enum(["pinned", "trust-on-first-use"]).default("pinned"),
});

export type LabSpec = z.output<typeof labSpecSchema>;
export type LabSpecInput = z.input<typeof labSpecSchema>;
export type HostSpec = LabSpec["hosts"][number];
export type NetworkSpec = LabSpec["networks"][number];
export type VmSpec = LabSpec["vms"][number];
export type FabricSpec = LabSpec["fabric"];
export type KubernetesSpec = LabSpec["kubernetes"];
export type OpenstackSpec = LabSpec["openstack"];
export type Role = z.output<typeof role>;

/** Every project config key under `labfabric:` (schema keys + secrets). */
export const CONFIG_KEYS = [...Object.keys(labSpecSchema.shape), ...SECRET_KEYS];

type AnySchema = z.core.$ZodType;

/** The keys an object of the schema allows at a key path (for "did you mean" answers). */
export function knownKeysAt(path: readonly PropertyKey[]): string[] {
  let s: AnySchema | undefined = labSpecSchema;
  for (const k of [...path, undefined]) {
    // Through defaults, optionals and arrays to the object (or record) below.
    for (;;) {
      const def = (s?._zod.def ?? {}) as { type?: string; innerType?: AnySchema };
      if (def.innerType && ["default", "prefault", "optional"].includes(def.type ?? ""))
        s = def.innerType;
      else break;
    }
    if (k === undefined) break;
    const def = (s?._zod.def ?? {}) as {
      type?: string;
      element?: AnySchema;
      shape?: Record<string, AnySchema>;
      valueType?: AnySchema;
    };
    if (typeof k === "number") s = def.type === "array" ? def.element : undefined;
    else if (def.type === "record") s = def.valueType;
    else s = def.shape?.[String(k)];
  }
  const def = (s?._zod.def ?? {}) as { type?: string; shape?: Record<string, AnySchema> };
  const keys = def.type === "object" ? Object.keys(def.shape ?? {}) : [];
  return path.length === 0 ? [...keys, ...SECRET_KEYS] : keys;
}
