// The host fabric of one bare-metal host: ONE remote command whose create is the rendered
// up.sh and whose delete is the rendered down.sh. The trigger is the scripts' hash, so any
// change replaces the command — delete-before-replace, because old and new scripts use the
// same device names: the old down.sh must run before the new up.sh (e.g. a VNI change).
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import type { HostFabricPlan } from "../plan";
import type { Connection } from "../ssh";
import { fabricSummary, type FabricSummary } from "./rules";
import { renderHostFabric } from "./scripts";

export interface HostFabricArgs {
  plan: HostFabricPlan;
  /** Built once per host by `sshConnection` (a secret). */
  connection: pulumi.Input<Connection>;
}

export class HostFabric extends pulumi.ComponentResource {
  public readonly host: pulumi.Output<string>;
  public readonly mode: pulumi.Output<HostFabricPlan["mode"]>;
  /** The bridge and VXLAN device names (vxlan mode). */
  public readonly devices: pulumi.Output<FabricSummary["devices"]>;
  public readonly routes: pulumi.Output<string[]>;
  /** Every firewall/NAT rule the host gets, one readable line each. */
  public readonly rules: pulumi.Output<string[]>;
  /** MTU per layer: underlay NIC, fabric devices (vxlan), VM NIC. */
  public readonly mtu: pulumi.Output<FabricSummary["mtu"]>;
  public readonly scriptHash: pulumi.Output<string>;
  /** The log of the last up.sh run. */
  public readonly stdout: pulumi.Output<string>;

  constructor(name: string, args: HostFabricArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labfabric:host-fabric:HostFabric", name, {}, opts);
    const { plan } = args;
    if ((plan.mode === "vxlan" && !plan.vxlan) || (plan.mode === "routed" && !plan.routed)) {
      throw new pulumi.ResourceError(
        `host ${plan.host}: fabric mode ${plan.mode} but the plan has no ${plan.mode} section; build plans with loadLab`,
        this,
      );
    }
    const rendered = renderHostFabric(plan);
    const summary = fabricSummary(plan);

    const apply = new command.remote.Command(
      `${name}-fabric`,
      {
        connection: pulumi.secret(args.connection),
        create: rendered.up,
        delete: rendered.down,
        triggers: [rendered.hash],
        // The scripts carry their own values; nothing travels through SSH Setenv.
        addPreviousOutputInEnv: false,
        logging: "stdoutAndStderr",
      },
      { parent: this, deleteBeforeReplace: true },
    );

    this.host = pulumi.output(summary.host);
    this.mode = pulumi.output(summary.mode);
    this.devices = pulumi.output(summary.devices);
    this.routes = pulumi.output(summary.routes);
    this.rules = pulumi.output(summary.rules);
    this.mtu = pulumi.output(summary.mtu);
    this.scriptHash = pulumi.output(rendered.hash);
    this.stdout = apply.stdout;
    this.registerOutputs({
      host: this.host,
      mode: this.mode,
      devices: this.devices,
      routes: this.routes,
      rules: this.rules,
      mtu: this.mtu,
      scriptHash: this.scriptHash,
      stdout: this.stdout,
    });
  }
}
