// CniRelease under Pulumi mocks, on a KubeadmCluster: the Helm release's exact inputs per
// scenario, its provider and order (after the kubeconfig), and the proof after the release
// and every node's registration.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as k8s from "@pulumi/kubernetes";
import { CniRelease } from "../../components/cni/component";
import { renderProofScript } from "../../components/cni/proof-script";
import { proofPlan } from "../../components/cni/slice";
import { KubeadmCluster } from "../../components/kubernetes/cluster";
import { asRoot } from "../../components/shared/shell";
import { nodeOutputs, planOf, type Raw, type Scenario } from "../kubernetes/fixtures";
import { Recorder, reveal, scriptOf, valueOf } from "../kubernetes/mocks";

const rec = new Recorder();

async function deploy(prefix: string, s: Scenario, adjust?: (r: Raw) => void, withProof = true) {
  const plan = planOf(s, adjust);
  const opts = { transformations: [rec.transformation] };
  const cluster = new KubeadmCluster(
    prefix,
    { plan: plan.kubeadm!, nodes: nodeOutputs(plan), privateKey: "k" },
    opts,
  );
  const cni = new CniRelease(
    `${prefix}cni`,
    {
      plan: plan.cniRelease!,
      provider: cluster.provider,
      endpoint: cluster.endpoint,
      nodeAddresses: cluster.nodeAddresses,
      ...(withProof ? { proof: cluster.controlPlane } : {}),
    },
    { ...opts, dependsOn: [cluster.kubeconfigCommand] },
  );
  await valueOf(cni.values);
  await rec.settle();
  return { plan, cluster, cni };
}

before(() => rec.install());

describe("scenario D: Flannel", () => {
  let d: Awaited<ReturnType<typeof deploy>>;
  before(async () => {
    d = await deploy("d", "d");
  });

  it("installs the pinned chart with the plan's values, bounded and atomic", () => {
    const release = rec.one("dcni-flannel");
    assert.equal(release.type, "kubernetes:helm.sh/v3:Release");
    assert.deepEqual(reveal(release.inputs), {
      name: "flannel",
      chart: "flannel",
      // Added by the Release SDK itself.
      compat: "true",
      version: "v0.26.7",
      repositoryOpts: { repo: "https://flannel-io.github.io/flannel/" },
      namespace: "kube-flannel",
      createNamespace: true,
      values: {
        flannel: {
          args: [
            "--ip-masq",
            "--kube-subnet-mgr",
            "--iface=172.20.112.101",
            "--iface=192.168.100.21",
            "--iface=192.168.100.22",
          ],
          backend: "vxlan",
          backendPort: 8472,
          mtu: 1500,
        },
        podCidr: "10.244.0.0/16",
      },
      atomic: true,
      cleanupOnFail: true,
      timeout: 600,
      maxHistory: 5,
    });
  });

  it("uses the cluster's provider and waits for the kubeconfig (so for init)", async () => {
    assert.equal(rec.options.get("dcni-flannel")?.provider, d.cluster.provider);
    assert.deepEqual(await rec.dependsOn("dcni-flannel"), ["d-kubeconfig"]);
    assert.deepEqual(await rec.dependsOn("d-kubeconfig"), ["d-init"]);
  });

  it("runs the proof on the first control plane after the release and every node's registration", async () => {
    const proof = rec.one("dcni-proof-run");
    assert.equal(proof.type, "command:remote:Command");
    assert.equal(
      proof.inputs.create,
      asRoot("lab", renderProofScript(proofPlan(d.plan.cniRelease!))),
    );
    assert.match(
      scriptOf(proof.inputs.delete),
      /delete namespace 'labfabric-proof' --ignore-not-found/,
    );
    assert.deepEqual(reveal(proof.inputs.connection), await valueOf(d.cluster.connections.master));
    assert.deepEqual(await rec.dependsOn("dcni-proof"), ["d-init", "d-register", "dcni-flannel"]);
    assert.deepEqual(await rec.dependsOn("dcni-proof-run"), await rec.dependsOn("dcni-proof"));
  });
});

describe("scenarios B and C", () => {
  before(async () => {
    await deploy("b", "b");
    await deploy("c", "c");
  });

  it("B: tigera-operator v3.29.3 with the IPIP pool and pod MTU 1430", () => {
    const inputs = reveal(rec.one("bcni-calico").inputs) as Record<string, unknown>;
    assert.deepEqual(
      {
        chart: inputs.chart,
        version: inputs.version,
        repositoryOpts: inputs.repositoryOpts,
        namespace: inputs.namespace,
        createNamespace: inputs.createNamespace,
      },
      {
        chart: "tigera-operator",
        version: "v3.29.3",
        repositoryOpts: { repo: "https://docs.tigera.io/calico/charts" },
        namespace: "tigera-operator",
        createNamespace: true,
      },
    );
    assert.deepEqual(inputs.values, {
      installation: {
        calicoNetwork: {
          bgp: "Enabled",
          ipPools: [
            {
              blockSize: 26,
              cidr: "172.16.0.0/16",
              encapsulation: "IPIP",
              natOutgoing: "Enabled",
              nodeSelector: "all()",
            },
          ],
          mtu: 1430,
          nodeAddressAutodetectionV4: { kubernetes: "NodeInternalIP" },
        },
      },
      kubernetesServiceEndpoint: { host: "10.100.200.10", port: "6443" },
    });
  });

  it("C: cilium 1.17.4 in kube-system (not created), tunnel VXLAN, pool 172.20.0.0/16", () => {
    const inputs = reveal(rec.one("ccni-cilium").inputs) as Record<string, unknown>;
    assert.equal(inputs.version, "1.17.4");
    assert.equal(inputs.namespace, "kube-system");
    assert.equal(inputs.createNamespace, false);
    assert.deepEqual(inputs.values, {
      MTU: 1500,
      autoDirectNodeRoutes: false,
      enableIPv4Masquerade: true,
      ipam: {
        mode: "cluster-pool",
        operator: { clusterPoolIPv4MaskSize: 24, clusterPoolIPv4PodCIDRList: ["172.20.0.0/16"] },
      },
      k8sServiceHost: "192.168.10.100",
      k8sServicePort: 6443,
      routingMode: "tunnel",
      tunnelPort: 8472,
      tunnelProtocol: "vxlan",
    });
    assert.match(
      String(reveal(rec.one("ccni-proof-run").inputs.create)),
      /^sh -c /,
      "C's nodes are reached as root",
    );
  });
});

describe("options", () => {
  it("installs a local chart path without repository or version (offline labs)", async () => {
    await deploy("l", "c", (r) => {
      r.kubernetes.cni.chart = { path: "/srv/charts/cilium" };
    });
    const inputs = reveal(rec.one("lcni-cilium").inputs) as Record<string, unknown>;
    assert.equal(inputs.chart, "/srv/charts/cilium");
    assert.equal("version" in inputs, false);
    assert.equal("repositoryOpts" in inputs, false);
  });

  it("runs no proof when kubernetes.proof is false, or when no control plane is handed over", async () => {
    await deploy("n", "c", (r) => {
      r.kubernetes.proof = false;
    });
    await deploy("m", "c", undefined, false);
    assert.equal(
      rec.resources.some((r) => r.name === "ncni-proof-run" || r.name === "mcni-proof-run"),
      false,
    );
  });

  it("takes the endpoint from the plan when none is passed, and fails when the plan cannot know it", () => {
    const plan = planOf("c");
    const provider = new k8s.Provider("p0", { kubeconfig: "unused" });
    const fromPlan = new CniRelease("p1", { plan: plan.cniRelease!, provider });
    return valueOf(fromPlan.values).then((v) => {
      assert.equal((v as { k8sServiceHost: string }).k8sServiceHost, "192.168.10.100");
      const d = planOf("d");
      assert.throws(
        () =>
          new CniRelease("p2", {
            plan: d.cniRelease!,
            provider,
            endpoint: "172.20.112.101:6443",
          }),
        (e: Error) =>
          e.message ===
          "Flannel pins its interface to each node's address, and k8s-worker-1, k8s-worker-2 get theirs at creation: pass `nodeAddresses` (KubeadmCluster.nodeAddresses)",
      );
    });
  });
});

describe("the release checks its own argument", () => {
  it("fails for a slice whose parts do not fit together, naming its own argument", () => {
    const slice = planOf("c").cniRelease!;
    const provider = new k8s.Provider("q0", { kubeconfig: "unused" });
    assert.throws(
      () =>
        new CniRelease("q1", {
          plan: {
            ...slice,
            cni: { ...slice.cni, mode: "host-gw" },
            chart: { ...slice.chart, name: "flannel" },
            nodes: [...slice.nodes, slice.nodes[0]],
          },
          provider,
        }),
      (e: Error) =>
        e.message ===
        "CniRelease args.plan is inconsistent: mode host-gw is not a cilium mode; chart flannel is not the cilium chart; node k8s-ctr is planned twice",
    );
  });
});
