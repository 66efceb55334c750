// The libvirt layer: per host one explicit provider (never the ambient default), the networks
// to create (adopted ones are only attached by name), one base image volume per image, and per
// VM a copy-on-write root volume, its NoCloud seed (labfabric's step on the host) and the
// domain (vm.ts). Everything comes
// from the lab plan's libvirt slice (plan.ts, planned by planLab); the lab was validated before
// the plan reached here, so the layer only checks its own argument.
import { existsSync } from "node:fs";
import { resolve } from "node:path";
import * as libvirt from "@pulumi/libvirt";
import * as pulumi from "@pulumi/pulumi";
import type { NodeOutput } from "../ssh";
import { memoryOverHost, missingImages } from "./images";
import { LIBVIRT_LAYER_TYPE } from "./defaults";
import type { LibvirtHostPlan, LibvirtNetworkPlan, LibvirtPlan } from "../plan";
import { knownHostsFileOf } from "./known-hosts";
import { sliceProblems } from "./slice";
import { libvirtUri, type LibvirtSshAuth } from "./uri";
import { runSteps } from "../shared";
import { vmResources, type HostConnection, type LibvirtVmOutput } from "./vm";

export interface LibvirtLayerArgs {
  /** The lab plan's libvirt slice (LabPlan.libvirt). */
  plan: LibvirtPlan;
  /**
   * The host-fabric resources each host's VMs need first (the fabric bridge must exist before a
   * domain attaches to it), by host name. Domains and bridge-mode networks depend on them;
   * nat/route/open networks do not, so the fabric may in turn wait for them (libvirt's firewall
   * chains exist once a NAT network runs).
   */
  fabric?: Readonly<Record<string, readonly pulumi.Resource[]>>;
  /**
   * Private key FILE the provider reads where `pulumi` runs (unencrypted: 0.8.1 cannot ask for
   * a passphrase). Unset: the plan's `sshKeyFile` (libvirt.sshKeyFile), else ssh-agent (SSH_AUTH_SOCK), which
   * also takes protected keys. Only the path enters the provider URI, never the key.
   */
  sshKeyFile?: string;
  /**
   * known_hosts file written with every managed host's key and given to the provider
   * (`knownhosts=`). Default: .lab/<lab>/libvirt_known_hosts under the working directory.
   */
  knownHostsFile?: string;
  /**
   * Each host's key by host name, pinned or learned once (components/ssh/host-key.ts); default
   * the pinned `hosts[].ssh.hostKey`. A managed host with neither is refused: never unchecked.
   */
  hostKeys?: Readonly<Record<string, pulumi.Input<string>>>;
  /**
   * Live checks (the program sets it, `npm run render` and mock tests do not): refuse, at
   * preview, base images given as a local path that is not there where `pulumi` runs, and VMs
   * whose memory exceeds what libvirt reports for their host.
   */
  liveChecks?: boolean;
  /**
   * How the next layer reaches a VM over SSH: "via-host" (default) jumps through the VM's
   * bare-metal host, which always has a route to its VMs; "direct" when the VM subnets are
   * routed to where `pulumi` runs.
   */
  vmSsh?: "via-host" | "direct";
  /**
   * The SSH connection of a bare-metal host by name (built once per host, e.g. hostAccess'
   * `connection`), asked for only when the host needs a remote step of the layer: each VM's
   * NoCloud seed (seed.ts) and the DHCP host entries of its VMs on adopted networks
   * (`LibvirtVmPlan.hostReservations`). A lab with VMs and no `hostConnection` is refused.
   */
  hostConnection?: HostConnection;
  /**
   * Register in steps, one VM per turn of the event loop (deployLab sets it): the resources of
   * a large lab complete as they go instead of all being in flight at once. `ready` resolves
   * when every resource is registered; until then `domains`, `vms` and `nodes` are filling.
   * Unset, the constructor registers everything before it returns.
   */
  paced?: boolean;
}

export interface LibvirtNetworkOutput {
  name: string;
  libvirtName: string;
  mode: LibvirtNetworkPlan["mode"];
  bridge: string;
  cidr: string;
  mtu: number;
  adopted: boolean;
  /** libvirt network UUID; unset for adopted networks. */
  id?: pulumi.Output<string>;
}

export class LibvirtLayer extends pulumi.ComponentResource {
  public readonly plan: LibvirtPlan;
  /** The provider of each managed host, by host name. */
  public readonly providers: Record<string, libvirt.Provider>;
  /** Networks per host (created and adopted). */
  public readonly networks: Record<string, LibvirtNetworkOutput[]>;
  /**
   * Created nat/route/open networks per host: in routed labs the host fabric waits for them, so
   * libvirt's firewall chains exist when it opens them for routed peers.
   */
  public readonly natNetworks: Record<string, libvirt.Network[]> = {};
  public readonly domains: Record<string, libvirt.Domain>;
  /** Every VM. */
  public readonly vms: LibvirtVmOutput[];
  /** VMs with a Kubernetes role, in the shape every machine layer hands on. */
  public readonly nodes: NodeOutput[];
  /** Each managed host's SSH key (pinned or learned): the VMs' jump host is checked with it. */
  public readonly hostKeys: Record<string, pulumi.Output<string>>;
  /** Resolves once every resource of the layer is registered (at once unless `args.paced`). */
  public readonly ready: Promise<void>;

  constructor(name: string, args: LibvirtLayerArgs, opts?: pulumi.ComponentResourceOptions) {
    super(LIBVIRT_LAYER_TYPE, name, {}, opts);
    const { plan } = args;
    const problems = sliceProblems(plan);
    if (problems.length > 0) {
      throw new pulumi.ResourceError(
        `LibvirtLayer args.plan is inconsistent: ${problems.join("; ")}`,
        this,
      );
    }
    this.plan = plan;
    const missing = args.liveChecks ? missingImages(plan, existsSync) : [];
    if (missing.length > 0) {
      throw new pulumi.ResourceError(
        `labfabric: the libvirt layer refuses lab ${plan.lab}; nothing was created.\n${missing.join("\n")}`,
        this,
      );
    }
    const keyFile = args.sshKeyFile ?? plan.sshKeyFile;
    const auth: LibvirtSshAuth = keyFile ? { method: "keyfile", keyFile } : { method: "agent" };
    const managed = plan.hosts.filter((h) => h.managed);
    this.hostKeys = Object.fromEntries(
      managed.map((h) => {
        const key = args.hostKeys?.[h.host] ?? h.ssh.hostKey;
        if (!key) {
          throw new pulumi.ResourceError(
            `host ${h.host} has no host key: pin hosts[].ssh.hostKey, or set labfabric:sshHostKeys: trust-on-first-use (deployLab then learns it once)`,
            this,
          );
        }
        return [h.host, pulumi.output(key)];
      }),
    );
    const knownHostsFile = resolve(args.knownHostsFile ?? `.lab/${plan.lab}/libvirt_known_hosts`);
    // Written once every key is known (a learned key: after its first scan; then from state).
    const knownHosts = knownHostsFileOf(
      knownHostsFile,
      managed.map((h) => ({ ...h.ssh, hostKey: this.hostKeys[h.host] })),
    );

    this.providers = {};
    this.networks = {};
    this.domains = {};
    this.vms = [];
    this.nodes = [];
    this.ready = runSteps(this.build(name, args, auth, knownHosts), args.paced ?? false);
  }

  /** Every host, then each of its VMs: a step each. */
  private *build(
    name: string,
    args: LibvirtLayerArgs,
    auth: LibvirtSshAuth,
    knownHosts: pulumi.Output<string>,
  ): Generator<void> {
    for (const host of this.plan.hosts) {
      const provider = host.managed
        ? new libvirt.Provider(
            `${name}-${host.host}`,
            {
              uri: knownHosts.apply((file) =>
                libvirtUri({ target: host.ssh, auth, knownHostsFile: file }),
              ),
            },
            { parent: this },
          )
        : undefined;
      if (provider) this.providers[host.host] = provider;
      if (provider && args.liveChecks) this.checkHostMemory(host, provider);
      yield* this.buildHost(name, host, provider, args);
    }
    this.registerOutputs({
      networks: this.networks,
      vms: this.vms,
      nodes: this.nodes,
    });
  }

  /** Fails the preview when the host's VMs need more memory than libvirt says the host has. */
  private checkHostMemory(host: LibvirtHostPlan, provider: libvirt.Provider) {
    const vmIndex = (vm: string) => this.plan.vmIndex[vm];
    libvirt.getNodeInfoOutput({ provider, parent: this }).apply((info) => {
      const error = memoryOverHost(host, vmIndex, info.memoryTotalKb);
      if (error) throw new pulumi.ResourceError(`labfabric: ${error}`, this);
    });
  }

  private *buildHost(
    name: string,
    host: LibvirtHostPlan,
    provider: libvirt.Provider | undefined,
    args: LibvirtLayerArgs,
  ): Generator<void> {
    const fabric = [...(args.fabric?.[host.host] ?? [])];
    // Every resource on the host: its own provider, under this component. Fixed physical names
    // (libvirt refuses duplicates), so a replacement deletes the old one first.
    const child = (extra: pulumi.CustomResourceOptions = {}): pulumi.CustomResourceOptions => ({
      parent: this,
      provider,
      deleteBeforeReplace: true,
      ...extra,
    });

    const networkIds = new Map<string, pulumi.Output<string>>();
    // Domains attach to bridge-mode networks by bridge name: ordered after them explicitly.
    const bridgeNetworks = new Map<string, libvirt.Network>();
    this.networks[host.host] = host.networks.map((n): LibvirtNetworkOutput => {
      const out: LibvirtNetworkOutput = {
        name: n.name,
        libvirtName: n.libvirtName,
        mode: n.mode,
        bridge: n.bridge,
        cidr: n.cidr,
        mtu: n.mtu,
        adopted: n.adopt,
      };
      if (n.adopt) return out;
      const net = new libvirt.Network(
        `${name}-${n.key}`,
        {
          name: n.libvirtName,
          mode: n.mode,
          bridge: n.bridge,
          // libvirt 9.0 refuses <mtu> in bridge mode; taps get the fabric bridge's own MTU.
          ...(n.mode === "bridge" ? {} : { mtu: n.mtu }),
          autostart: n.autostart,
          ...(n.dhcp
            ? {
                addresses: [n.cidr],
                dhcp: { enabled: true },
                ...(n.xslt ? { xml: { xslt: n.xslt } } : {}),
              }
            : {}),
        },
        child(n.fabric ? { dependsOn: fabric } : {}),
      );
      networkIds.set(n.name, net.id);
      if (n.mode === "bridge") bridgeNetworks.set(n.name, net);
      if (!n.fabric) (this.natNetworks[host.host] ??= []).push(net);
      return { ...out, id: net.id };
    });

    const poolResource = host.pool.path
      ? new libvirt.Pool(
          `${name}-${host.host}-pool`,
          { name: host.pool.name, type: "dir", target: { path: host.pool.path } },
          child(),
        )
      : undefined;
    const pool = poolResource ? poolResource.name : pulumi.output(host.pool.name);

    const images = new Map(
      host.images.map((img) => [
        img.key,
        // A volume with `source` cannot have a size (0.8.1): the base keeps the image's size and
        // each VM's root volume is a copy-on-write overlay of diskGiB on top of it.
        new libvirt.Volume(
          `${name}-${img.key}-image`,
          { name: img.volumeName, pool, source: img.source },
          child(),
        ),
      ]),
    );

    // No ordering between the VMs' volumes: 0.8.3 lost or hung on reading a CloudInitDisk back
    // (a download over go-libvirt's stream: "error while retrieving remote ISO"), which the seed
    // step replaced (no stream, no read-back). The one stream left is the base image's upload,
    // and every root volume waits for it through baseVolumeId; no upload ever failed in the dry
    // labs (every failure logged was that read-back), so nothing else is chained.
    for (const vm of host.vms) {
      const made = vmResources(name, host, vm, {
        parent: this,
        plan: this.plan,
        child,
        pool,
        poolResource,
        base: images.get(vm.imageKey)!,
        networkIds,
        bridgeNetworks,
        fabric,
        vmSsh: args.vmSsh ?? "via-host",
        hostConnection: args.hostConnection,
        hostKey: this.hostKeys[host.host],
      });
      this.domains[vm.name] = made.domain;
      this.vms.push(made.vm);
      if (made.node) this.nodes.push(made.node);
      yield;
    }
  }
}
