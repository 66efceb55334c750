// The lab's CNI as a Helm release on the cluster's provider, values from the release's slice
// of the plan (LabPlan.cniRelease, rendered by the plugin's module through values.ts), followed
// by the post-install proof (proof.ts) when the slice asks for it (kubernetes.proof, the
// default) and the caller hands over the control plane.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { cniPlugin } from "../cni-plugins";
import type { ControlPlaneAccess } from "../kubernetes";
import { contentHash } from "../shared";
import type { CniReleasePlan } from "../plan";
import { knownValues, plannedInputs } from "./known-values";
import { CniProof } from "./proof";
import type { ProofOptions } from "./proof-script";
import { proofPlan, sliceProblems } from "./slice";
import { cniValues, type Values } from "./values";

export interface CniReleaseArgs {
  /** The lab plan's CNI slice (LabPlan.cniRelease). */
  plan: CniReleasePlan;
  provider: k8s.Provider;
  /**
   * "host:port" of the API server (KubeadmCluster.endpoint). Optional when the plan knows it:
   * kubernetes.controlPlaneEndpoint, or the first control plane's planned address.
   */
  endpoint?: pulumi.Input<string>;
  /**
   * Every node's node-ip (KubeadmCluster.nodeAddresses). Optional when the plan knows them all;
   * Flannel pins its interface with them.
   */
  nodeAddresses?: pulumi.Input<pulumi.Input<string>[]>;
  /** Run the post-install proof on this control plane (KubeadmCluster.controlPlane). */
  proof?: ControlPlaneAccess & { options?: ProofOptions };
}

/** Helm waits this long for the chart's resources; a CNI that is not up by then has failed. */
export const RELEASE_TIMEOUT_SECONDS = 600;
/** Helm keeps this many revisions (rollbacks of a CNI upgrade). */
export const RELEASE_MAX_HISTORY = 5;

export class CniRelease extends pulumi.ComponentResource {
  public readonly release: k8s.helm.v3.Release;
  public readonly values: pulumi.Output<Values>;
  public readonly proof?: CniProof;

  constructor(name: string, args: CniReleaseArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labfabric:cni:CniRelease", name, {}, opts);
    const { plan } = args;
    const problems = sliceProblems(plan);
    if (problems.length > 0) {
      throw new pulumi.ResourceError(
        `CniRelease args.plan is inconsistent: ${problems.join("; ")}`,
        this,
      );
    }
    // What the plan knows comes from the plan; only what creation assigns comes from Outputs.
    const planned = plannedInputs(plan);
    const endpoint =
      planned.endpointHost !== undefined
        ? `${planned.endpointHost}:${planned.endpointPort}`
        : (args.endpoint ?? this.unknownEndpoint());
    // Only values that use the node addresses (Flannel's) make the release wait for every node.
    const use = cniPlugin(plan.cni.plugin).nodeAddressesUse;
    const addresses =
      use === undefined
        ? []
        : (planned.nodeAddresses ?? args.nodeAddresses ?? this.unknownAddresses(plan, use));
    this.values = pulumi.all([endpoint, addresses]).apply(([e, a]) => {
      const i = e.lastIndexOf(":");
      return cniValues(plan, {
        endpoint: { host: e.slice(0, i), port: Number(e.slice(i + 1)) },
        nodeAddresses: a,
      });
    });
    const { chart } = plan;
    this.release = new k8s.helm.v3.Release(
      `${name}-${chart.name}`,
      {
        name: chart.name,
        chart: chart.chart,
        ...(chart.version ? { version: chart.version } : {}),
        ...(chart.repo ? { repositoryOpts: { repo: chart.repo } } : {}),
        namespace: chart.namespace,
        createNamespace: chart.namespace !== "kube-system",
        // Plain where the plan knows the value; an Output only on the leaves that wait for it.
        values: knownValues(plan, planned, this.values),
        // A failed upgrade rolls back to the CNI that worked; a failed first install is
        // removed and reported. Bounded by the timeout.
        atomic: true,
        cleanupOnFail: true,
        timeout: RELEASE_TIMEOUT_SECONDS,
        maxHistory: RELEASE_MAX_HISTORY,
      },
      // Children do not inherit the component's dependsOn: pass it on (the cluster's init
      // and kubeconfig), besides the provider itself.
      { parent: this, provider: args.provider, dependsOn: opts?.dependsOn },
    );
    if (plan.proof && args.proof) {
      const { connection, user, nodesJoined, options } = args.proof;
      this.proof = new CniProof(
        `${name}-proof`,
        {
          plan: proofPlan(plan),
          connection,
          user,
          options,
          triggers: [
            this.values.apply((v) => contentHash(JSON.stringify(v))),
            chart.version ?? chart.chart,
          ],
        },
        { parent: this, dependsOn: [this.release, ...nodesJoined] },
      );
    }
    this.registerOutputs({ values: this.values });
  }

  /** The slice has no endpoint host (the first control plane's address comes at creation). */
  private unknownEndpoint(): never {
    throw new pulumi.ResourceError(
      "the API endpoint is not known from the plan (the first control plane's address is assigned at creation): pass `endpoint` (KubeadmCluster.endpoint)",
      this,
    );
  }

  /** The values need every node's address and some are assigned at creation. */
  private unknownAddresses(plan: CniReleasePlan, use: string): never {
    const unknown = plan.nodes.filter((n) => !n.address).map((n) => n.name);
    throw new pulumi.ResourceError(
      `${use}, and ${unknown.join(", ")} get theirs at creation: pass \`nodeAddresses\` (KubeadmCluster.nodeAddresses)`,
      this,
    );
  }
}
