import * as pulumi from "@pulumi/pulumi";
import * as inputs from "./types/input";
import * as outputs from "./types/output";
import * as utilities from "./utilities";

/**
 * A libvirt virtual network (`libvirt_network` of terraform-provider-libvirt 0.8.1).
 *
 * With `addresses = ["10.17.3.0/24"]` the host side of the bridge gets the first address
 * (10.17.3.1) and, unless `dhcp.enabled` is false, dnsmasq serves the rest of the subnet
 * (10.17.3.2 - 10.17.3.254). There is no per-host DHCP reservation field in 0.8.1: reserve
 * addresses through `Domain.networkInterfaces[].addresses` or `xml.xslt` (see README.md).
 */
export class Network extends pulumi.CustomResource {
  /** Look up an existing Network by its id (the libvirt network UUID). */
  public static get(
    name: string,
    id: pulumi.Input<pulumi.ID>,
    state?: NetworkState,
    opts?: pulumi.CustomResourceOptions,
  ): Network {
    return new Network(name, state as NetworkArgs, { ...opts, id: id });
  }

  public static readonly __pulumiType = "libvirt:index/network:Network";

  /** True if `obj` is a Network, even one created by another copy of this SDK. */
  public static override isInstance(obj: unknown): obj is Network {
    return (
      obj !== undefined &&
      obj !== null &&
      (obj as { __pulumiType?: unknown }).__pulumiType === Network.__pulumiType
    );
  }

  public readonly addresses!: pulumi.Output<string[] | undefined>;
  public readonly autostart!: pulumi.Output<boolean>;
  public readonly bridge!: pulumi.Output<string>;
  public readonly dhcp!: pulumi.Output<outputs.NetworkDhcp>;
  public readonly dns!: pulumi.Output<outputs.NetworkDns>;
  public readonly dnsmasqOptions!: pulumi.Output<outputs.NetworkDnsmasqOptions | undefined>;
  public readonly domain!: pulumi.Output<string | undefined>;
  public readonly mode!: pulumi.Output<string | undefined>;
  public readonly mtu!: pulumi.Output<number | undefined>;
  public readonly name!: pulumi.Output<string>;
  public readonly routes!: pulumi.Output<outputs.NetworkRoute[] | undefined>;
  public readonly xml!: pulumi.Output<outputs.NetworkXml | undefined>;

  constructor(name: string, args?: NetworkArgs, opts?: pulumi.CustomResourceOptions) {
    const resourceInputs = utilities.collectInputs(args, networkProperties);
    opts = pulumi.mergeOptions(utilities.resourceOptsDefaults(), opts ?? {});
    super(Network.__pulumiType, name, resourceInputs, opts);
  }
}

/**
 * Arguments of a Network. 0.8.1 applies changes of `autostart` and `dns.hosts` in place. It
 * accepts changes of `mtu`, `dnsmasqOptions`, `dns.enabled` and `dns.localOnly` as updates but
 * does not apply them to libvirt (replace the network to change those). Any other change
 * replaces the network.
 */
export interface NetworkArgs {
  /** Libvirt network name. When omitted the provider derives one from the resource name. */
  name?: pulumi.Input<string>;
  /**
   * "nat" (default): guests reach outside through NAT on the host.
   * "none": isolated; guests and host only. "route": routed, no NAT.
   * "open": like route, without firewall rules added by libvirt.
   * "bridge": attach to the existing host bridge named by `bridge` (no addresses, DHCP or DNS).
   */
  mode?: pulumi.Input<"nat" | "none" | "route" | "open" | "bridge">;
  /** Bridge device name: created by libvirt (auto-named when omitted), or the existing bridge in "bridge" mode. */
  bridge?: pulumi.Input<string>;
  /** DNS domain served by the network's dnsmasq. */
  domain?: pulumi.Input<string>;
  /** Up to one IPv4 and one IPv6 subnet in CIDR notation. No DHCP server is started without them. */
  addresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** MTU of the bridge (libvirt >= 5.1 also advertises it over DHCP). */
  mtu?: pulumi.Input<number>;
  /** Start the network when the host boots. */
  autostart?: pulumi.Input<boolean>;
  /** DHCP on the `addresses` subnets; enabled by default in nat/none/route/open modes. */
  dhcp?: pulumi.Input<inputs.NetworkDhcp>;
  dns?: pulumi.Input<inputs.NetworkDns>;
  dnsmasqOptions?: pulumi.Input<inputs.NetworkDnsmasqOptions>;
  /** Static routes; each gateway must be reachable through this network. */
  routes?: pulumi.Input<pulumi.Input<inputs.NetworkRoute>[]>;
  /** XSLT applied to the generated network XML (needs `xsltproc` where the provider runs). */
  xml?: pulumi.Input<inputs.NetworkXml>;
}

/** Properties used to look up a Network with `Network.get` (all properties are inputs). */
export type NetworkState = NetworkArgs;

/** Every property, input and output: adding one to NetworkArgs without listing it here fails to compile. */
const networkProperties: Record<keyof NetworkArgs, true> = {
  addresses: true,
  autostart: true,
  bridge: true,
  dhcp: true,
  dns: true,
  dnsmasqOptions: true,
  domain: true,
  mode: true,
  mtu: true,
  name: true,
  routes: true,
  xml: true,
};
