// A kubeadm cluster on the lab's nodes, whatever they run on (libvirt VMs, OpenStack instances,
// existing machines), from its slice of the plan (LabPlan.kubeadm) completed only with the node
// addresses the machine layers resolve: prerequisites on every node, `kubeadm init` on the
// first control plane, a secret join token, joins (control planes one at a time), registration
// + worker labels, and the admin kubeconfig as a typed `k8s.Provider` for the next layer.
//
// Every step is a remote.Command over the node's one SSH connection, guarded so a re-run is a
// no-op, replaced only when its rendered script changes (triggers = content hash), and undone
// by its `delete` (kubeadm reset for init/join). Replacements delete first: a new init next to
// a still-running one would be reset right after by the old resource's delete.
import * as command from "@pulumi/command";
import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import type { NodeOutput } from "../ssh";
import type { KubeadmPlan } from "../plan";
import { sshConnection, type Connection } from "../ssh";
import {
  controlPlaneLayout,
  formatEndpoint,
  JOIN_PLACEHOLDERS,
  joinLayout,
  parseJoinOutput,
  renderInitConfig,
  renderJoinConfig,
  type JoinSecrets,
  type ResolvedNode,
} from "./kubeadm-config";
import { rewriteKubeconfigServer } from "./kubeconfig";
import {
  renderInitScript,
  renderJoinScript,
  renderJoinTokenDelete,
  renderJoinTokenScript,
  renderKubeconfigScript,
  renderPrerequisites,
  renderPrerequisitesDelete,
  renderRegisterNodesDelete,
  renderRegisterNodesScript,
  renderResetScript,
} from "./node-scripts";
import { sliceProblems } from "./slice";
import { asRoot, contentHash, runSteps } from "../shared";

export interface KubeadmClusterArgs {
  /** The lab plan's kubeadm slice (LabPlan.kubeadm). */
  plan: KubeadmPlan;
  /** Every Kubernetes node of the plan, handed over by the machine layers. */
  nodes: NodeOutput[];
  /** The lab's SSH private key (secret). */
  privateKey: pulumi.Input<string>;
  /**
   * Register in steps, one node per turn of the event loop (deployLab sets it), so a large
   * cluster's resources complete as they go; `ready` resolves when all are registered and
   * `registration` is set. Unset, the constructor registers everything before it returns.
   */
  paced?: boolean;
}

/** What the CNI layer needs to run its proof on the first control plane. */
export interface ControlPlaneAccess {
  connection: pulumi.Output<Connection>;
  user: string;
  /** After these, every node has joined and registered. */
  nodesJoined: pulumi.Resource[];
}

/** The SSH connection of a node: one per machine, shared by all its steps. */
export function nodeConnection(
  node: NodeOutput,
  privateKey: pulumi.Input<string>,
): pulumi.Output<Connection> {
  return pulumi
    .output(node.publicAddress ?? node.address)
    .apply((address) => sshConnection({ ...node.ssh, address }, privateKey));
}

/** A node's addresses, once its machine exists: the output depends on that machine alone. */
function resolveNode(n: NodeOutput): pulumi.Output<ResolvedNode> {
  return pulumi.all([n.address, n.publicAddress]).apply(([address, publicAddress]) => ({
    name: n.name,
    role: n.role,
    address,
    ...(publicAddress ? { publicAddress } : {}),
  }));
}

export class KubeadmCluster extends pulumi.ComponentResource {
  /** Kubernetes provider for the cluster, from the admin kubeconfig. */
  public readonly provider: k8s.Provider;
  /** The admin kubeconfig (secret), server reachable from where Pulumi runs. */
  public readonly kubeconfig: pulumi.Output<string>;
  /** "host:port" every node uses for the API server. */
  public readonly endpoint: pulumi.Output<string>;
  /** Every node's node-ip, in plan order. */
  public readonly nodeAddresses: pulumi.Output<string[]>;
  /** The one SSH connection per node, by node name. */
  public readonly connections: Record<string, pulumi.Output<Connection>>;
  /** Join token, CA hash and certificate key (secret). Undefined with a single node. */
  public readonly joinSecrets?: pulumi.Output<JoinSecrets>;
  public readonly controlPlane: ControlPlaneAccess;
  public readonly init: command.remote.Command;
  public readonly kubeconfigCommand: command.remote.Command;
  public readonly prerequisites: Record<string, command.remote.Command>;
  public readonly joins: Record<string, command.remote.Command>;
  /** One step on the first control plane that registers (labels) every joined node. */
  public registration?: command.remote.Command;
  /** Resolves once every resource of the cluster is registered (at once unless `args.paced`). */
  public readonly ready: Promise<void>;

  constructor(name: string, args: KubeadmClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super("labfabric:kubernetes:KubeadmCluster", name, {}, opts);
    const { plan } = args;
    this.checkPlan(args);
    const child = { parent: this, deleteBeforeReplace: true };
    const byName = new Map(args.nodes.map((n) => [n.name, n]));
    const ordered = plan.nodes.map((p) => byName.get(p.name)!);
    const first = byName.get(plan.initNode!)!;
    const firstUser = first.ssh.user;
    // Each step's inputs come from the machines it needs, so its dependencies say what it
    // waits for: init from the control planes, a join from its own machine and the first
    // control plane. Nothing depends on every machine except the outputs that list them all.
    const resolved = new Map(ordered.map((n) => [n.name, resolveNode(n)]));
    const firstResolved = resolved.get(first.name)!;
    const layout = pulumi
      .all(ordered.filter((n) => n.role === "control-plane").map((n) => resolved.get(n.name)!))
      .apply((r) => controlPlaneLayout(plan, r));

    this.connections = Object.fromEntries(
      ordered.map((n) => [n.name, nodeConnection(n, args.privateKey)]),
    );
    const firstConnection = this.connections[first.name];

    // 1. Prerequisites on every node (in parallel): one script per role, rendered once. The
    // first control plane's now (init waits for it), every other node's with its join below.
    const prerequisites = new Map<string, { create: string; delete: string; hash: string }>();
    const prerequisitesOf = (role: NodeOutput["role"], user: string) => {
      const key = `${role} ${user}`;
      if (!prerequisites.has(key)) {
        const script = renderPrerequisites(plan, role);
        prerequisites.set(key, {
          create: asRoot(user, script),
          // Leaves packages, repositories, swap, SELinux and firewalld as they are (see
          // renderPrerequisitesDelete): only labfabric's kernel settings files go.
          delete: asRoot(user, renderPrerequisitesDelete()),
          hash: contentHash(script),
        });
      }
      return prerequisites.get(key)!;
    };
    this.prerequisites = {};
    const addPrerequisites = (n: NodeOutput) => {
      const p = prerequisitesOf(n.role, n.ssh.user);
      this.prerequisites[n.name] = new command.remote.Command(
        `${name}-${n.name}-prerequisites`,
        {
          connection: this.connections[n.name],
          create: p.create,
          delete: p.delete,
          triggers: [p.hash],
        },
        child,
      );
    };
    addPrerequisites(first);

    // 2. kubeadm init on the first control plane.
    const initScript = layout.apply((l) =>
      renderInitScript(plan.version, first.name, renderInitConfig(l)),
    );
    const initHash = initScript.apply((s) => contentHash(s));
    this.init = new command.remote.Command(
      `${name}-init`,
      {
        connection: firstConnection,
        create: initScript.apply((s) => asRoot(firstUser, s)),
        delete: asRoot(firstUser, renderResetScript(first.name)),
        triggers: [initHash],
      },
      { ...child, dependsOn: [this.prerequisites[first.name]] },
    );

    // 3. The admin kubeconfig, read back (secret), and the provider built from it.
    this.kubeconfigCommand = new command.remote.Command(
      `${name}-kubeconfig`,
      {
        connection: firstConnection,
        create: asRoot(firstUser, renderKubeconfigScript()),
        triggers: [initHash],
        logging: "none",
      },
      { parent: this, dependsOn: [this.init], additionalSecretOutputs: ["stdout", "stderr"] },
    );
    this.kubeconfig = pulumi.secret(
      pulumi
        .all([this.kubeconfigCommand.stdout, layout])
        .apply(([text, l]) => rewriteKubeconfigServer(text, l.externalServer)),
    );
    this.provider = new k8s.Provider(
      `${name}-provider`,
      { kubeconfig: this.kubeconfig },
      { parent: this },
    );

    // 4. Joins: a fresh token (secret), control planes one at a time, workers in parallel.
    this.joins = {};
    const joiners = ordered.filter((n) => n.name !== first.name);
    let token: command.remote.Command | undefined;
    let caCertHash: pulumi.Output<string> | undefined;
    if (joiners.length > 0) {
      const withKey = joiners.some((n) => n.role === "control-plane");
      const tokenScript = renderJoinTokenScript(withKey);
      token = new command.remote.Command(
        `${name}-join-token`,
        {
          connection: firstConnection,
          create: asRoot(firstUser, tokenScript),
          delete: asRoot(firstUser, renderJoinTokenDelete()),
          // A new token when the cluster is re-initialised or a node is added (tokens expire).
          triggers: [initHash, contentHash(tokenScript, ...joiners.map((n) => n.name))],
          logging: "none",
        },
        { ...child, dependsOn: [this.init], additionalSecretOutputs: ["stdout", "stderr"] },
      );
      const secrets = pulumi.secret(token.stdout).apply((s) => parseJoinOutput(s, withKey));
      this.joinSecrets = secrets;
      caCertHash = secrets.apply((s) => s.caCertHash);
    }

    this.endpoint = layout.apply((l) => formatEndpoint(l.endpoint));
    // Depends on every machine: only consumers that use every address (Flannel's) take it.
    this.nodeAddresses = pulumi.all(ordered.map((n) => n.address));
    this.controlPlane = { connection: firstConnection, user: firstUser, nodesJoined: [this.init] };

    // Every other node's prerequisites and join, a node per step, then the registration.
    function* nodeSteps(this: KubeadmCluster): Generator<void> {
      let previousControlPlane: command.remote.Command | undefined;
      for (const n of joiners) {
        addPrerequisites(n);
        const nodeLayout = pulumi
          .all([firstResolved, resolved.get(n.name)!])
          .apply(([f, r]) => joinLayout(plan, f, r));
        // The config (token, CA hash) goes on stdin, secret: the provider prints a failed
        // step's command line, so the script carries nothing secret (see renderJoinScript).
        const joinScript = renderJoinScript(n.name);
        const joinConfig = pulumi
          .all([nodeLayout, this.joinSecrets!])
          .apply(([l, s]) => renderJoinConfig(l, n.name, s));
        // The token rotates; the hash of the config with stand-ins does not. A rotated token
        // re-runs the (guarded) join in place; a new CA (re-initialised cluster) replaces it.
        const joinHash = nodeLayout.apply((l) =>
          contentHash(joinScript, renderJoinConfig(l, n.name, JOIN_PLACEHOLDERS)),
        );
        const join = new command.remote.Command(
          `${name}-${n.name}-join`,
          {
            connection: this.connections[n.name],
            create: asRoot(n.ssh.user, joinScript),
            stdin: joinConfig,
            delete: asRoot(n.ssh.user, renderResetScript(n.name)),
            triggers: [joinHash, caCertHash!],
          },
          {
            ...child,
            dependsOn: [
              this.prerequisites[n.name],
              token!,
              ...(n.role === "control-plane" && previousControlPlane ? [previousControlPlane] : []),
            ],
          },
        );
        if (n.role === "control-plane") previousControlPlane = join;
        this.joins[n.name] = join;
        yield;
      }
      if (joiners.length > 0) {
        // 5. One registration for every joined node (not one per node: a lab of 1000 VMs
        // would register 1000 more resources). Its list is in its script, so adding or removing
        // a node updates it in place (never a replacement, whose delete would remove every
        // node); a re-joined node (a new join) re-runs it so the new Node object is labelled.
        const registerScript = renderRegisterNodesScript(
          name,
          joiners.map((n) => ({ name: n.name, role: n.role })),
        );
        const joinIds = pulumi
          .all(joiners.map((n) => this.joins[n.name].id))
          .apply((ids) => contentHash(...ids));
        this.registration = new command.remote.Command(
          `${name}-register`,
          {
            connection: firstConnection,
            create: asRoot(firstUser, registerScript),
            update: asRoot(firstUser, registerScript),
            delete: asRoot(firstUser, renderRegisterNodesDelete(name)),
            triggers: [joinIds, caCertHash!],
          },
          { parent: this, dependsOn: Object.values(this.joins) },
        );
        this.controlPlane.nodesJoined.push(this.registration);
      }
      this.registerOutputs({
        endpoint: this.endpoint,
        kubeconfig: this.kubeconfig,
        nodeAddresses: this.nodeAddresses,
      });
    }
    this.ready = runSteps(nodeSteps.call(this), args.paced ?? false);
  }

  /** Refuse before registering anything when the slice or the nodes cannot make a cluster. */
  private checkPlan(args: KubeadmClusterArgs): void {
    const { plan } = args;
    if (!plan) {
      throw new pulumi.ResourceError(
        "labfabric:kubernetes.enabled is false: there is no cluster to build",
        this,
      );
    }
    const problems = sliceProblems(plan);
    if (problems.length > 0) {
      throw new pulumi.ResourceError(
        `KubeadmCluster args.plan is inconsistent: ${problems.join("; ")}`,
        this,
      );
    }
    const handed = new Set(args.nodes.map((n) => n.name));
    const planned = new Set(plan.nodes.map((n) => n.name));
    const missing = [...planned].filter((n) => !handed.has(n));
    const extra = [...handed].filter((n) => !planned.has(n));
    const roles = args.nodes.filter(
      (n) => planned.has(n.name) && plan.nodes.find((p) => p.name === n.name)!.role !== n.role,
    );
    if (missing.length || extra.length || roles.length) {
      throw new pulumi.ResourceError(
        "the nodes handed to the cluster do not match the plan" +
          (missing.length ? `; missing: ${missing.join(", ")}` : "") +
          (extra.length ? `; not in the plan: ${extra.join(", ")}` : "") +
          (roles.length
            ? `; role differs from the plan: ${roles.map((n) => n.name).join(", ")}`
            : ""),
        this,
      );
    }
  }
}
