// The post-install proof as a resource: the rendered script (proof-script.ts) runs on the first
// control plane after the CNI release; it fails the update with a report naming every node
// pair that cannot carry full-size DF packets, and the DNS lookups that fail.
import * as command from "@pulumi/command";
import * as pulumi from "@pulumi/pulumi";
import { ADMIN_CONF } from "../kubernetes";
import { asRoot, contentHash, script, shq } from "../shared";
import type { Connection } from "../ssh";
import { PROOF_NAMESPACE, renderProofScript, type ProofOptions } from "./proof-script";
import type { ProofPlan } from "./slice";

export interface CniProofArgs {
  /** What the proof reads of the plan: the decision, the pod MTU, the nodes' names. */
  plan: ProofPlan;
  /** SSH connection of the first control plane, and its user. */
  connection: pulumi.Input<Connection>;
  user: string;
  /** Re-run the proof when these change (e.g. the rendered chart values). */
  triggers?: pulumi.Input<string>[];
  options?: ProofOptions;
}

export class CniProof extends pulumi.ComponentResource {
  public readonly command: command.remote.Command;
  /** The pair matrix printed by the proof. */
  public readonly report: pulumi.Output<string>;

  constructor(name: string, args: CniProofArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labfabric:cni:CniProof", name, {}, opts);
    const proof = renderProofScript(args.plan, args.options);
    const cleanup = script("remove the CNI proof's namespace", [
      `if [ -f ${shq(ADMIN_CONF)} ]; then\n  kubectl --kubeconfig ${shq(ADMIN_CONF)} delete namespace ${shq(PROOF_NAMESPACE)} --ignore-not-found --wait=false\nfi`,
    ]);
    this.command = new command.remote.Command(
      `${name}-run`,
      {
        connection: args.connection,
        create: asRoot(args.user, proof),
        delete: asRoot(args.user, cleanup),
        triggers: [contentHash(proof), ...(args.triggers ?? [])],
      },
      // dependsOn is the caller's (the release, every node's join): the proof needs them all.
      { parent: this, dependsOn: opts?.dependsOn, deleteBeforeReplace: true },
    );
    this.report = this.command.stdout;
    this.registerOutputs({ report: this.report });
  }
}
