// kubeadm configuration for scenarios B, C and D, pinned as exact text: node-ip is the node's
// lab address, podSubnet is the CNI decision's pool, certSANs cover every way to the API.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parse, parseAllDocuments } from "yaml";
import {
  clusterLayout,
  JOIN_PLACEHOLDERS,
  parseJoinOutput,
  renderInitConfig,
  renderJoinConfig,
} from "../../components/kubernetes/kubeadm-config";
import { rewriteKubeconfigServer } from "../../components/kubernetes/kubeconfig";
import { kubeadmConfigApi } from "../../components/plan";
import { planOf, resolvedNodes, type Scenario } from "./fixtures";

const JOIN = {
  token: "abcdef.0123456789abcdef",
  caCertHash: `sha256:${"ab".repeat(32)}`,
};

function layoutOf(s: Scenario, adjust?: Parameters<typeof planOf>[1]) {
  const plan = planOf(s, adjust);
  return { plan, layout: clusterLayout(plan.kubeadm!, resolvedNodes(plan)) };
}

const KUBELET = `apiVersion: kubelet.config.k8s.io/v1beta1
cgroupDriver: systemd
failSwapOn: true
kind: KubeletConfiguration
`;

describe("kubeadm init configuration", () => {
  it("scenario B: Calico pool as podSubnet, own service range, floating IP in the SANs", () => {
    const { layout } = layoutOf("b");
    assert.equal(
      renderInitConfig(layout),
      `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 10.100.200.10
  bindPort: 6443
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: node-ip
      value: 10.100.200.10
  name: k8s-cp
---
apiServer:
  certSANs:
    - 10.100.200.10
    - 203.0.113.10
apiVersion: kubeadm.k8s.io/v1beta4
clusterName: b-openstack-calico
controlPlaneEndpoint: 10.100.200.10:6443
kind: ClusterConfiguration
kubernetesVersion: stable-1.32
networking:
  dnsDomain: cluster.local
  podSubnet: 172.16.0.0/16
  serviceSubnet: 10.32.0.0/16
---
${KUBELET}`,
    );
    // Pulumi runs outside the instance network: the provider talks to the floating IP.
    assert.equal(layout.externalServer, "https://203.0.113.10:6443");
  });

  it("scenario C: the Cilium pool is kubeadm's podSubnet (kube-proxy's clusterCIDR)", () => {
    const { layout } = layoutOf("c");
    assert.equal(
      renderInitConfig(layout),
      `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 192.168.10.100
  bindPort: 6443
nodeRegistration:
  criSocket: unix:///var/run/containerd/containerd.sock
  kubeletExtraArgs:
    - name: node-ip
      value: 192.168.10.100
  name: k8s-ctr
---
apiServer:
  certSANs:
    - 192.168.10.100
apiVersion: kubeadm.k8s.io/v1beta4
clusterName: c-cilium-subnets
controlPlaneEndpoint: 192.168.10.100:6443
kind: ClusterConfiguration
kubernetesVersion: stable-1.32
networking:
  dnsDomain: cluster.local
  podSubnet: 172.20.0.0/16
  serviceSubnet: 10.96.0.0/12
---
${KUBELET}`,
    );
    assert.equal(layout.externalServer, "https://192.168.10.100:6443");
  });

  it("scenario D: CRI-O, Flannel's 10.244.0.0/16 allocated by kubeadm, master's reserved address", () => {
    const { layout } = layoutOf("d");
    assert.equal(
      renderInitConfig(layout),
      `apiVersion: kubeadm.k8s.io/v1beta4
kind: InitConfiguration
localAPIEndpoint:
  advertiseAddress: 172.20.112.101
  bindPort: 6443
nodeRegistration:
  criSocket: unix:///var/run/crio/crio.sock
  kubeletExtraArgs:
    - name: node-ip
      value: 172.20.112.101
  name: master
---
apiServer:
  certSANs:
    - 172.20.112.101
apiVersion: kubeadm.k8s.io/v1beta4
clusterName: d-libvirt-routed
controlPlaneEndpoint: 172.20.112.101:6443
kind: ClusterConfiguration
kubernetesVersion: stable-1.32
networking:
  dnsDomain: cluster.local
  podSubnet: 10.244.0.0/16
  serviceSubnet: 10.96.0.0/12
---
${KUBELET}`,
    );
  });

  for (const s of ["b", "c", "d"] as const) {
    it(`scenario ${s.toUpperCase()}: podSubnet equals the CNI pool and every document parses`, () => {
      const { plan, layout } = layoutOf(s);
      const docs = parseAllDocuments(renderInitConfig(layout)).map((d) => d.toJS());
      assert.deepEqual(
        docs.map((d) => d.kind),
        ["InitConfiguration", "ClusterConfiguration", "KubeletConfiguration"],
      );
      assert.equal(docs[1].networking.podSubnet, plan.cni!.podSubnet);
    });
  }

  it("uses v1beta3 (kubeletExtraArgs as a map) before Kubernetes 1.31", () => {
    assert.equal(kubeadmConfigApi("1.30"), "kubeadm.k8s.io/v1beta3");
    assert.equal(kubeadmConfigApi("1.31"), "kubeadm.k8s.io/v1beta4");
    const { layout } = layoutOf("c", (r) => {
      r.kubernetes.version = "1.30";
    });
    const init = parseAllDocuments(renderInitConfig(layout))[0].toJS();
    assert.equal(init.apiVersion, "kubeadm.k8s.io/v1beta3");
    assert.deepEqual(init.nodeRegistration.kubeletExtraArgs, { "node-ip": "192.168.10.100" });
  });
});

describe("kubeadm join configuration", () => {
  it("scenario D: a two-NIC OpenStack worker registers with its ext-net address", () => {
    const { layout } = layoutOf("d");
    assert.equal(
      renderJoinConfig(layout, "k8s-worker-1", JOIN),
      `apiVersion: kubeadm.k8s.io/v1beta4
discovery:
  bootstrapToken:
    apiServerEndpoint: 172.20.112.101:6443
    caCertHashes:
      - sha256:abababababababababababababababababababababababababababababababab
    token: abcdef.0123456789abcdef
kind: JoinConfiguration
nodeRegistration:
  criSocket: unix:///var/run/crio/crio.sock
  kubeletExtraArgs:
    - name: node-ip
      value: 192.168.100.21
  name: k8s-worker-1
`,
    );
  });

  it("scenario B and C: every worker's node-ip is its planned address", () => {
    for (const s of ["b", "c"] as const) {
      const { plan, layout } = layoutOf(s);
      for (const n of plan.nodes.filter((x) => x.role === "worker")) {
        const join = parse(renderJoinConfig(layout, n.name, JOIN));
        assert.deepEqual(join.nodeRegistration.kubeletExtraArgs, [
          { name: "node-ip", value: n.address },
        ]);
        assert.equal(join.nodeRegistration.name, n.name);
        assert.equal(
          join.discovery.bootstrapToken.apiServerEndpoint,
          layout.nodes[0].address + ":6443",
        );
      }
    }
  });

  it("extra control planes join with the certificate key and their own advertise address", () => {
    const { layout } = layoutOf("c", (r) => {
      const nodes = r.kubernetes.nodes as { role: string }[];
      nodes[1].role = "control-plane";
      nodes[2].role = "control-plane";
      r.kubernetes.controlPlaneEndpoint = "api.lab.example:6443";
    });
    assert.deepEqual(layout.certSANs, [
      "192.168.10.100",
      "192.168.10.101",
      "192.168.20.100",
      "api.lab.example",
    ]);
    const join = parse(
      renderJoinConfig(layout, "k8s-w0", { ...JOIN, certificateKey: "c".repeat(64) }),
    );
    assert.deepEqual(join.controlPlane, {
      certificateKey: "c".repeat(64),
      localAPIEndpoint: { advertiseAddress: "192.168.20.100", bindPort: 6443 },
    });
    assert.equal(join.discovery.bootstrapToken.apiServerEndpoint, "api.lab.example:6443");
    assert.throws(
      () => renderJoinConfig(layout, "k8s-w0", JOIN),
      /control plane k8s-w0 joins with a certificate key, and none was fetched/,
    );
  });

  it("fails for the first control plane, which runs init", () => {
    const { layout } = layoutOf("c");
    assert.throws(
      () => renderJoinConfig(layout, "k8s-ctr", JOIN),
      /node k8s-ctr is the first control plane: it runs kubeadm init, not join/,
    );
  });

  it("fails when the machine layers hand over other nodes than planned", () => {
    const plan = planOf("c");
    const nodes = resolvedNodes(plan).slice(1);
    assert.throws(
      () =>
        clusterLayout(plan.kubeadm!, [
          ...nodes,
          { name: "stray", role: "worker", address: "192.168.10.9" },
        ]),
      {
        message:
          "the nodes handed to the cluster do not match the plan; missing: k8s-ctr; not in the plan: stray",
      },
    );
  });
});

describe("join output", () => {
  const line = `kubeadm join 172.20.112.101:6443 --token ${JOIN.token} --discovery-token-ca-cert-hash ${JOIN.caCertHash} \n`;

  it("parses kubeadm's --print-join-command and the certificate key", () => {
    assert.deepEqual(parseJoinOutput(line, false), JOIN);
    assert.deepEqual(parseJoinOutput(`${line}certificate-key ${"0f".repeat(32)}\n`, true), {
      ...JOIN,
      certificateKey: "0f".repeat(32),
    });
  });

  it("fails with what is missing, never echoing the output", () => {
    assert.throws(() => parseJoinOutput("error: could not connect\n", true), {
      message:
        "the join-token step printed no bootstrap token (--token <6>.<16>), no CA certificate hash (--discovery-token-ca-cert-hash sha256:<64 hex>), no certificate key (certificate-key <64 hex>)",
    });
    assert.throws(() => parseJoinOutput(line, true), {
      message: "the join-token step printed no certificate key (certificate-key <64 hex>)",
    });
  });

  it("placeholders have the shape of real secrets (the stand-in script parses)", () => {
    const text = `kubeadm join x:6443 --token ${JOIN_PLACEHOLDERS.token} --discovery-token-ca-cert-hash ${JOIN_PLACEHOLDERS.caCertHash}\ncertificate-key ${JOIN_PLACEHOLDERS.certificateKey}\n`;
    assert.deepEqual(parseJoinOutput(text, true), JOIN_PLACEHOLDERS);
  });
});

describe("kubeconfig", () => {
  const kubeconfig = `apiVersion: v1
clusters:
  - cluster:
      certificate-authority-data: Q0E=
      server: https://10.100.200.10:6443
    name: b-openstack-calico
kind: Config
`;
  it("points the provider at the floating IP when the control plane has one", () => {
    const out = parse(rewriteKubeconfigServer(kubeconfig, "https://203.0.113.10:6443"));
    assert.equal(out.clusters[0].cluster.server, "https://203.0.113.10:6443");
    assert.equal(out.clusters[0].cluster["certificate-authority-data"], "Q0E=");
  });
  it("returns the text untouched when the server is already right", () => {
    assert.equal(rewriteKubeconfigServer(kubeconfig, "https://10.100.200.10:6443"), kubeconfig);
  });
  it("fails on a kubeconfig without clusters", () => {
    assert.throws(() => rewriteKubeconfigServer("kind: Config\n", "https://x:6443"), {
      message: "the admin kubeconfig has no clusters entry",
    });
  });
});
