// The node steps as text: every rendered script is valid POSIX sh (sh -n, and shellcheck when
// installed), each post-D lesson is in it, guards make re-runs no-ops, and the full scripts
// for scenario D are pinned as snapshots.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { clusterLayout, renderInitConfig } from "../../components/kubernetes/kubeadm-config";
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
} from "../../components/kubernetes/node-scripts";
import { asRoot, shq, writeFile } from "../../components/shared/shell";
import { renderProofScript } from "../../components/cni/proof-script";
import { proofPlan } from "../../components/cni/slice";
import { kubeadmOf, planOf, resolvedNodes, type Scenario } from "./fixtures";
import { assertSnapshot } from "./snapshot";
import { checkShell, HAS_SHELLCHECK } from "../shared/check-shell";

function allScripts(s: Scenario): Record<string, string> {
  const plan = planOf(s);
  const slice = plan.kubeadm!;
  const layout = clusterLayout(slice, resolvedNodes(plan));
  const first = layout.firstControlPlane.name;
  const worker = layout.nodes.find((n) => n.role === "worker")!.name;
  return {
    "prereq-cp": renderPrerequisites(slice, "control-plane"),
    "prereq-worker": renderPrerequisites(slice, "worker"),
    "prereq-worker-open": renderPrerequisites({ ...slice, firewalld: "open" }, "worker"),
    "prereq-delete": renderPrerequisitesDelete(),
    init: renderInitScript(slice.version, first, renderInitConfig(layout)),
    join: renderJoinScript(worker),
    reset: renderResetScript(worker),
    token: renderJoinTokenScript(true),
    "token-delete": renderJoinTokenDelete(),
    register: renderRegisterNodesScript("cluster", [
      { name: worker, role: "worker" },
      { name: "cp-2", role: "control-plane" },
    ]),
    "register-delete": renderRegisterNodesDelete("cluster"),
    kubeconfig: renderKubeconfigScript(),
    proof: renderProofScript(proofPlan(plan.cniRelease!)),
  };
}

describe("node scripts are valid POSIX sh", () => {
  for (const s of ["b", "c", "d"] as const) {
    it(`scenario ${s.toUpperCase()}: every script passes sh -n${HAS_SHELLCHECK ? " and shellcheck" : ""}`, () => {
      for (const [name, text] of Object.entries(allScripts(s))) {
        assert.ok(text.startsWith("#!/bin/sh\n# labfabric: "), name);
        assert.match(text, /^set -eu$/m, name);
        checkShell(`${s}-${name}.sh`, text);
      }
    });
  }

  it("quotes every value: quotes, $ and backticks in content reach the file verbatim", () => {
    const dir = mkdtempSync(join(tmpdir(), "labfabric-write-"));
    const content = "it's a 'test'\n$HOME `id` \\n %s\n\nlast";
    const r = spawnSync("sh", ["-c", writeFile(join(dir, "sub", "f.conf"), content, "0600")], {
      encoding: "utf8",
    });
    assert.equal(r.status, 0, r.stderr);
    assert.equal(readFileSync(join(dir, "sub", "f.conf"), "utf8"), `${content}\n`);
    assert.equal(statSync(join(dir, "sub", "f.conf")).mode & 0o777, 0o600);
    assert.equal(shq("it's"), `'it'\\''s'`);
  });

  it("runs as root: directly for root, through sudo -n otherwise", () => {
    assert.equal(asRoot("root", "echo 'x'"), `sh -c 'echo '\\''x'\\'''`);
    assert.equal(asRoot("rocky", "id -u"), "sudo -n sh -c 'id -u'");
  });
});

describe("prerequisites", () => {
  const d = kubeadmOf("d");
  const worker = renderPrerequisites(d, "worker");

  it("pins scenario D's worker prerequisites (CRI-O, Flannel VXLAN)", () => {
    assertSnapshot("prereq-d-worker.sh", worker);
  });

  it("turns swap off now and in /etc/fstab (kubelet refused to start with swap on)", () => {
    assert.match(worker, /^swapoff -a$/m);
    assert.match(
      worker,
      /sed -i -E '.*swap\[\[:space:\]\]\.\*\)\$\/# labfabric \(kubelet needs swap off\): \\1\/' \/etc\/fstab/,
    );
  });

  it("loads and persists overlay + br_netfilter and the forwarding sysctls", () => {
    assert.match(
      worker,
      /'overlay' \\\n\s+'br_netfilter' \\\n\s+> '\/etc\/modules-load.d\/labfabric-kubernetes.conf.labfabric-tmp'/,
    );
    assert.match(worker, /^modprobe br_netfilter$/m);
    for (const line of ["net.bridge.bridge-nf-call-iptables = 1", "net.ipv4.ip_forward = 1"]) {
      assert.ok(worker.includes(`'${line}'`), line);
    }
    assert.match(worker, /^sysctl --system >\/dev\/null$/m);
  });

  it("sets SELinux permissive and stops firewalld by default (post D)", () => {
    assert.match(worker, /setenforce 0/);
    assert.match(worker, /s\/\^SELINUX=enforcing\$\/SELINUX=permissive\//);
    assert.match(worker, /systemctl disable --now firewalld/);
    assert.doesNotMatch(worker, /firewall-cmd/);
  });

  it("with firewalld kept, opens exactly the planned ports of the role (scenario B, Calico IPIP)", () => {
    const b = kubeadmOf("b");
    const rules = (role: "control-plane" | "worker") =>
      renderPrerequisites({ ...b, firewalld: "open" }, role)
        .split("\n")
        .filter((l) => l.includes("firewall-cmd"))
        .map((l) => l.trim());
    assert.deepEqual(rules("worker"), [
      "firewall-cmd --permanent --add-port='22/tcp' >/dev/null",
      "firewall-cmd --permanent --add-port='10250/tcp' >/dev/null",
      "firewall-cmd --permanent --add-port='10256/tcp' >/dev/null",
      "firewall-cmd --permanent --add-port='30000-32767/tcp' >/dev/null",
      "firewall-cmd --permanent --add-port='5473/tcp' >/dev/null",
      "firewall-cmd --permanent --add-protocol=4 >/dev/null",
      "firewall-cmd --permanent --add-port='179/tcp' >/dev/null",
      "firewall-cmd --permanent --zone=trusted --add-source='172.16.0.0/16' >/dev/null",
      "firewall-cmd --permanent --zone=trusted --add-source='10.32.0.0/16' >/dev/null",
      "firewall-cmd --reload >/dev/null",
    ]);
    const cp = rules("control-plane");
    for (const port of ["6443/tcp", "2379-2380/tcp", "10257/tcp", "10259/tcp"]) {
      assert.ok(cp.includes(`firewall-cmd --permanent --add-port='${port}' >/dev/null`), port);
    }
    assert.ok(!cp.some((l) => l.includes("30000-32767")), "NodePorts are a worker port");
  });

  it("installs the runtime and kubelet/kubeadm/kubectl pinned to the lab's minor, dnf and apt", () => {
    assert.ok(worker.includes("'baseurl=https://pkgs.k8s.io/core:/stable:/v1.32/rpm/'"));
    assert.ok(worker.includes("'exclude=kubelet kubeadm kubectl cri-tools kubernetes-cni'"));
    assert.ok(
      worker.includes(
        "'baseurl=https://download.opensuse.org/repositories/isv:/cri-o:/stable:/v1.32/rpm/'",
      ),
    );
    assert.ok(worker.includes("dnf install -y container-selinux cri-o"));
    assert.ok(
      worker.includes(
        "dnf install -y --disableexcludes=labfabric-kubernetes kubelet kubeadm kubectl",
      ),
    );
    assert.ok(
      worker.includes(
        "'deb [signed-by=/etc/apt/keyrings/labfabric-kubernetes.gpg] https://pkgs.k8s.io/core:/stable:/v1.32/deb/ /'",
      ),
    );
    assert.ok(worker.includes("apt-mark hold kubelet kubeadm kubectl"));
    assert.match(
      worker,
      /case "\$installed" in v1\.32\.\*\) ;; \*\) \{ echo 'labfabric: kubeadm is not Kubernetes 1\.32/,
    );
    assert.match(worker, /^systemctl enable --now crio$/m);

    const b = renderPrerequisites(kubeadmOf("b"), "worker");
    assert.ok(
      b.includes("'baseurl=https://download.docker.com/linux/centos/$releasever/$basearch/stable'"),
    );
    assert.ok(b.includes("dnf install -y containerd.io"));
    assert.ok(b.includes("apt-get install -y -q containerd kubelet kubeadm kubectl >/dev/null"));
    assert.match(b, /sed -i 's\/SystemdCgroup = false\/SystemdCgroup = true\/'/);
    assert.doesNotMatch(b, /cri-o/);

    const k130 = renderPrerequisites(
      kubeadmOf("c", (r) => void (r.kubernetes.version = "1.30")),
      "worker",
    );
    assert.ok(k130.includes("https://pkgs.k8s.io/core:/stable:/v1.30/deb/"));
  });

  it("loads the CNI's kernel modules: ipip (Calico IPIP), vxlan (Cilium/Flannel VXLAN), geneve", () => {
    const modules = (text: string) =>
      [...text.matchAll(/^modprobe '([a-z]+)'$/gm)].map((m) => m[1]);
    assert.deepEqual(modules(renderPrerequisites(kubeadmOf("b"), "worker")), ["ipip"]);
    assert.deepEqual(modules(renderPrerequisites(kubeadmOf("c"), "worker")), ["vxlan"]);
    assert.deepEqual(modules(worker), ["vxlan"]);
    const geneve = kubeadmOf("c", (r) => void (r.kubernetes.cni.mode = "tunnel-geneve"));
    assert.deepEqual(modules(renderPrerequisites(geneve, "worker")), ["geneve"]);
    const hostGw = kubeadmOf("c", (r) => {
      const nodes = r.kubernetes.nodes as { ssh: { address: string }; address: string }[];
      nodes[2].ssh.address = "192.168.10.102";
      nodes[2].address = "192.168.10.102/24"; // host-gw needs one L2 segment
      r.kubernetes.cni = { plugin: "flannel", mode: "host-gw" };
    });
    const text = renderPrerequisites(hostGw, "worker");
    assert.deepEqual(modules(text), []);
    assert.match(text, /^rm -f '\/etc\/modules-load.d\/labfabric-cni.conf'$/m);
  });

  it("delete removes only labfabric's kernel files and says what it leaves", () => {
    assert.equal(
      renderPrerequisitesDelete(),
      "#!/bin/sh\n# labfabric: remove the node prerequisites' kernel settings\nset -eu\n\nrm -f '/etc/modules-load.d/labfabric-kubernetes.conf' '/etc/modules-load.d/labfabric-cni.conf' '/etc/sysctl.d/99-labfabric-kubernetes.conf'\n",
    );
  });
});

describe("init, join, token and registration", () => {
  const plan = planOf("d");
  const layout = clusterLayout(plan.kubeadm!, resolvedNodes(plan));
  const init = renderInitScript("1.32", "master", renderInitConfig(layout));
  const join = renderJoinScript("k8s-worker-1");

  it("pins scenario D's init and join scripts", () => {
    assertSnapshot("init-d-master.sh", init);
    assertSnapshot("join-d-k8s-worker-1.sh", join);
  });

  it("init runs once (admin.conf guard), pins the installed version, prints no token", () => {
    assert.match(
      init,
      /^if \[ -f '\/etc\/kubernetes\/admin.conf' \]; then\n  echo .*\n  exit 0\nfi$/m,
    );
    assert.match(
      init,
      /^sed -i "s\/\^kubernetesVersion: stable-1\\\.32\\\$\/kubernetesVersion: \$installed\/" '\/etc\/labfabric\/kubeadm\/init.yaml'$/m,
    );
    assert.match(
      init,
      /^kubeadm init --config '\/etc\/labfabric\/kubeadm\/init.yaml' --skip-token-print --skip-certificate-key-print$/m,
    );
    assert.ok(init.includes("'      value: 172.20.112.101' \\"), "node-ip in the written config");
    assert.ok(init.indexOf("admin.conf") < init.indexOf("kubeadm init --config"));
  });

  it("join runs once (kubelet.conf guard) with its config from stdin, readable by root only", () => {
    assert.match(join, /^if \[ -f '\/etc\/kubernetes\/kubelet.conf' \]; then$/m);
    assert.match(
      join,
      /^\(umask 077 && cat > '\/etc\/labfabric\/kubeadm\/join.yaml.labfabric-tmp'\)$/m,
    );
    assert.match(join, /^chmod 0600 '\/etc\/labfabric\/kubeadm\/join.yaml.labfabric-tmp'$/m);
    assert.match(join, /^\{ kubeadm join --config '\/etc\/labfabric\/kubeadm\/join.yaml' 2>&1 /m);
    // None of the config's secret-bearing keys: the config only arrives on stdin. (The word
    // "token" alone may appear: the report for an expired token names the join-token step.)
    assert.doesNotMatch(join, /\btoken:|tlsBootstrapToken|caCertHashes|certificateKey/);
  });

  it("reset undoes init and join, and clears the CNI configuration kubeadm leaves", () => {
    const reset = renderResetScript("master");
    assert.match(reset, /^  kubeadm reset -f$/m);
    assert.match(reset, /^rm -rf \/etc\/cni\/net.d\/\*$/m);
  });

  it("token step prints a fresh join command, and the certificate key only for control planes", () => {
    const workersOnly = renderJoinTokenScript(false);
    assert.match(
      workersOnly,
      /^kubeadm token create --ttl '2h0m0s' --description 'labfabric join' --print-join-command$/m,
    );
    assert.doesNotMatch(workersOnly, /upload-certs/);
    assert.match(
      renderJoinTokenScript(true),
      /kubeadm init phase upload-certs --upload-certs --config '\/etc\/labfabric\/kubeadm\/init.yaml'/,
    );
  });

  it("registration waits (bounded) for every node, labels them idempotently, drops unlisted ones", () => {
    const s = renderRegisterNodesScript("cluster", [
      { name: "k8s-worker-1", role: "worker" },
      { name: "cp-2", role: "control-plane" },
    ]);
    assert.match(s, /^set -- 'k8s-worker-1' 'cp-2'$/m);
    assert.match(s, /if \[ "\$i" -gt 60 \]; then/);
    assert.match(
      s,
      /^kubectl label node "\$@" 'labfabric\/registered=cluster' --overwrite >\/dev\/null$/m,
    );
    assert.match(
      s,
      /^kubectl label node 'k8s-worker-1' node-role.kubernetes.io\/worker= --overwrite >\/dev\/null$/m,
    );
    assert.doesNotMatch(s, /label node 'cp-2'/);
    assert.match(s, /kubectl get nodes -l 'labfabric\/registered=cluster' -o jsonpath/);
    assert.match(
      renderRegisterNodesDelete("cluster"),
      /delete nodes -l 'labfabric\/registered=cluster' --ignore-not-found --wait=false/,
    );
  });
});
