// The lab's CNI as a Helm release on the cluster's provider, values from the plan's CNI
// decision (values.ts), followed by the post-install proof (proof.ts) when the lab asks for
// it (kubernetes.proof, the default) and the caller hands over the control plane.
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { ControlPlaneAccess } from "../kubernetes";
import { contentHash } from "../shared";
import { DEFAULT_API_PORT } from "../spec";
import type { LabPlan } from "../plan";
import { knownValues, plannedInputs } from "./known-values";
import { CniProof } from "./proof";
import type { ProofOptions } from "./proof-script";
import { chartSpec, cniValues, valuesNeedNodeAddresses, type Values } from "./values";

export interface CniReleaseArgs {
  plan: LabPlan;
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
    if (!plan.cni) {
      throw new pulumi.ResourceError(
        "labfabric:kubernetes.enabled is false: no CNI to install",
        this,
      );
    }
    // What the plan knows comes from the plan; only what creation assigns comes from Outputs.
    const planned = plannedInputs(plan);
    const endpoint =
      planned.endpointHost !== undefined
        ? `${planned.endpointHost}:${planned.endpointPort}`
        : (args.endpoint ?? this.plannedEndpoint(plan));
    // Only values that use the node addresses (Flannel's) make the release wait for every node.
    const addresses = valuesNeedNodeAddresses(plan.cni)
      ? (planned.nodeAddresses ?? args.nodeAddresses ?? this.plannedAddresses(plan))
      : [];
    this.values = pulumi.all([endpoint, addresses]).apply(([e, a]) => {
      const i = e.lastIndexOf(":");
      return cniValues(plan, {
        endpoint: { host: e.slice(0, i), port: Number(e.slice(i + 1)) },
        nodeAddresses: a,
      });
    });
    const chart = chartSpec(plan);
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
    if (plan.spec.kubernetes.proof && args.proof) {
      const { connection, user, nodesJoined, options } = args.proof;
      this.proof = new CniProof(
        `${name}-proof`,
        {
          plan,
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

  private plannedEndpoint(plan: LabPlan): string {
    const k = plan.spec.kubernetes;
    if (k.controlPlaneEndpoint) return k.controlPlaneEndpoint;
    const first = plan.nodes.find((n) => n.role === "control-plane");
    if (!first?.address) {
      throw new pulumi.ResourceError(
        "the API endpoint is not known from the plan (the first control plane's address is assigned at creation): pass `endpoint` (KubeadmCluster.endpoint)",
        this,
      );
    }
    return `${first.address}:${DEFAULT_API_PORT}`;
  }

  private plannedAddresses(plan: LabPlan): string[] {
    const unknown = plan.nodes.filter((n) => !n.address).map((n) => n.name);
    if (unknown.length > 0 && plan.cni?.plugin === "flannel") {
      throw new pulumi.ResourceError(
        `Flannel pins its interface to each node's address, and ${unknown.join(", ")} get theirs at creation: pass \`nodeAddresses\` (KubeadmCluster.nodeAddresses)`,
        this,
      );
    }
    return plan.nodes.flatMap((n) => (n.address ? [n.address] : []));
  }
}
