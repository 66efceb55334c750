// The kubeadm layer's slice (LabPlan.kubeadm), decided once by planLab: pinned for the
// scenarios, the endpoint shared with the CNI release's slice, every slice the planner makes
// passing the layer's own check, and the layer reading this slice and nothing else of the plan.
import assert from "node:assert/strict";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import type { KubeadmClusterArgs } from "../../components/kubernetes/cluster";
import { sliceProblems } from "../../components/kubernetes/slice";
import { CNI_KERNEL_MODULES } from "../../components/plan/kubeadm/defaults";
import type { KubeadmPlan } from "../../components/plan/kubeadm/plan";
import { CNI_PLUGINS } from "../../components/cni-plugins/registry";
import { REPO } from "../lab/helpers";
import { kubeadmOf, planOf, type Raw, type Scenario } from "./fixtures";

/** Scenario C on one L2 segment, so every plugin x mode loads. */
function oneSegment(plugin: string, mode: string) {
  return (r: Raw) => {
    const nodes = r.kubernetes.nodes as { ssh: { address: string }; address: string }[];
    nodes[2].ssh.address = "192.168.10.102";
    nodes[2].address = "192.168.10.102/24";
    r.kubernetes.cni = { plugin, mode };
  };
}

describe("the kubeadm slice (LabPlan.kubeadm)", () => {
  it("B: every decision of the layer, pinned (containerd, Calico IPIP, endpoint known)", () => {
    const slice = kubeadmOf("b");
    const { ports, ...rest } = slice;
    assert.deepEqual(rest, {
      clusterName: "b-openstack-calico",
      version: "1.32",
      configApi: "kubeadm.k8s.io/v1beta4",
      packageSource: "internet",
      runtime: "containerd",
      criSocket: "unix:///var/run/containerd/containerd.sock",
      podSubnet: "172.16.0.0/16",
      serviceSubnet: "10.32.0.0/16",
      nodes: [
        { name: "k8s-cp", role: "control-plane", address: "10.100.200.10" },
        { name: "k8s-w1", role: "worker", address: "10.100.200.11" },
        { name: "k8s-w2", role: "worker", address: "10.100.200.12" },
        { name: "k8s-w3", role: "worker", address: "10.100.200.13" },
      ],
      initNode: "k8s-cp",
      endpoint: { from: "first-control-plane", host: "10.100.200.10", port: 6443 },
      firewalld: "disable",
      cni: { plugin: "calico", mode: "IPIP", encapsulation: "ipip", modules: ["ipip"] },
    } satisfies Omit<KubeadmPlan, "ports">);
    assert.deepEqual(ports, planOf("b").ports, "the ports firewalld opens are the plan's");
  });

  it("D: CRI-O, the OpenStack workers' addresses left to creation, the master's reserved one known", () => {
    const slice = kubeadmOf("d");
    assert.equal(slice.criSocket, "unix:///var/run/crio/crio.sock");
    assert.equal(slice.podSubnet, "10.244.0.0/16");
    assert.deepEqual(slice.nodes, [
      { name: "master", role: "control-plane", address: "172.20.112.101" },
      { name: "k8s-worker-1", role: "worker" },
      { name: "k8s-worker-2", role: "worker" },
    ]);
    assert.deepEqual(slice.endpoint, {
      from: "first-control-plane",
      host: "172.20.112.101",
      port: 6443,
    });
    assert.deepEqual(slice.cni, {
      plugin: "flannel",
      mode: "vxlan",
      encapsulation: "vxlan",
      modules: ["vxlan"],
    });
  });

  it("takes kubernetes.controlPlaneEndpoint over the first control plane's address", () => {
    const slice = kubeadmOf("c", (r) => {
      const nodes = r.kubernetes.nodes as { role: string }[];
      nodes[1].role = "control-plane";
      nodes[2].role = "control-plane";
      r.kubernetes.controlPlaneEndpoint = "api.lab.example:7443";
    });
    assert.deepEqual(slice.endpoint, {
      from: "controlPlaneEndpoint",
      host: "api.lab.example",
      port: 7443,
    });
    assert.equal(slice.initNode, "k8s-ctr");
  });

  it("leaves the endpoint's host to creation when the first control plane's address is", () => {
    const slice = kubeadmOf("b", (r) => {
      const instances = (r.openstack as { instances: { nics: { fixedIp?: string }[] }[] })
        .instances;
      delete instances[0].nics[0].fixedIp;
    });
    assert.deepEqual(slice.endpoint, { from: "first-control-plane", port: 6443 });
    assert.deepEqual(slice.nodes[0], { name: "k8s-cp", role: "control-plane" });
  });

  it("is absent when Kubernetes is off", () => {
    const plan = planOf("d", (r) => {
      r.kubernetes.enabled = false;
    });
    assert.equal("kubeadm" in plan, false);
  });

  for (const s of ["b", "c", "d"] as const satisfies readonly Scenario[]) {
    it(`scenario ${s.toUpperCase()}: the CNI release's endpoint is the kubeadm slice's decision`, () => {
      const plan = planOf(s);
      const { host, port } = plan.kubeadm!.endpoint;
      assert.deepEqual(plan.cniRelease!.endpoint, { host, port });
      assert.equal(plan.kubeadm!.podSubnet, plan.cniRelease!.cni.podSubnet);
    });
  }
});

describe("every slice the planner makes passes the layer's own check", () => {
  const cases = Object.values(CNI_PLUGINS).flatMap((p) =>
    p.modes.map((m) => [p.name, m.name, m.encapsulation] as const),
  );
  for (const [plugin, mode, encapsulation] of cases) {
    it(`${plugin} ${mode}: the ${encapsulation} modules, no problem`, () => {
      const slice = kubeadmOf("c", oneSegment(plugin, mode));
      assert.deepEqual(slice.cni.modules, CNI_KERNEL_MODULES[encapsulation]);
      assert.deepEqual(sliceProblems(slice), []);
    });
  }

  for (const s of ["b", "c", "d"] as const) {
    it(`scenario ${s.toUpperCase()}`, () => {
      assert.deepEqual(sliceProblems(kubeadmOf(s)), []);
    });
  }
  it("the offline bundle's lab (containerd, Flannel from a local chart)", () => {
    const slice = kubeadmOf("d", (r) => {
      r.kubernetes.runtime = "containerd";
      r.kubernetes.packageSource = "bundle";
      r.kubernetes.cni = { ...r.kubernetes.cni, chart: { path: "/srv/bundle/chart/flannel.tgz" } };
    });
    assert.equal(slice.packageSource, "bundle");
    assert.deepEqual(sliceProblems(slice), []);
  });

  it("decides the kubeadm config API from the minor, once; a slice that disagrees is refused", () => {
    const old = kubeadmOf("c", (r) => {
      r.kubernetes.version = "1.30";
    });
    assert.equal(old.configApi, "kubeadm.k8s.io/v1beta3");
    assert.deepEqual(sliceProblems(old), []);
    assert.deepEqual(sliceProblems({ ...old, configApi: "kubeadm.k8s.io/v1beta4" }), [
      "kubeadm config API kubeadm.k8s.io/v1beta4 is not the one for Kubernetes 1.30",
    ]);
  });
});

describe("the kubeadm layer consumes its slice, not the lab plan", () => {
  it("KubeadmCluster's args.plan is the slice's type", () => {
    // Fails to compile (npm run typecheck) when the argument is anything wider or narrower.
    type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
    const same: Same<KubeadmClusterArgs["plan"], KubeadmPlan> = true;
    assert.equal(same, true);
  });

  it("no file of components/kubernetes reads the lab plan or its spec", () => {
    const dir = join(REPO, "components", "kubernetes");
    const reads = readdirSync(dir)
      .filter((f) => f.endsWith(".ts"))
      .flatMap((f) =>
        readFileSync(join(dir, f), "utf8")
          .split("\n")
          .map((line, i) => ({ where: `${f}:${i + 1}`, line }))
          .filter(({ line }) => /\bLabPlan\b|\bPlanCore\b|\.spec\b/.test(line))
          .filter(({ line }) => !/^\s*(\/\/|\*|\/\*)/.test(line))
          .map(({ where, line }) => `${where}: ${line.trim()}`),
      );
    assert.deepEqual(reads, []);
  });
});
