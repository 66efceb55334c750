// kubernetes.packageSource "bundle": the node prerequisites install from the offline bundle
// preloaded on the node, never from the network, and everything else stays as with "internet".
// Run on real namespace nodes by tests/e2e/k8slab.e2e.ts; here the text is checked and pinned.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PROOF_IMAGE, renderProofScript } from "../../components/cni/proof-script";
import { proofPlan } from "../../components/cni/slice";
import { bundleNodeDir, kubeletUnit } from "../../components/kubernetes/bundle";
import { BUNDLE_PROOF_IMAGE } from "../../components/kubernetes/defaults";
import { renderPrerequisites } from "../../components/kubernetes/node-scripts";
import { planOf } from "./fixtures";
import { assertSnapshot } from "./snapshot";

// Scenario D with containerd (its stack file says CRI-O, which the bundle does not hold).
const containerd = () => planOf("d", (r) => (r.kubernetes.runtime = "containerd"));
const bundlePlan = () =>
  planOf("d", (r) => {
    r.kubernetes.runtime = "containerd";
    r.kubernetes.packageSource = "bundle";
    r.kubernetes.cni = { ...r.kubernetes.cni, chart: { path: "/srv/bundle/chart/flannel.tgz" } };
  });

describe("prerequisites from the offline bundle", () => {
  const script = renderPrerequisites(bundlePlan().kubeadm!, "worker");
  const internet = renderPrerequisites(containerd().kubeadm!, "worker");

  it("pins the rendered script (scenario D, bundle)", () => {
    assertSnapshot("prerequisites-d-worker-bundle.sh", script);
  });

  it("is valid POSIX sh", () => {
    const dir = mkdtempSync(join(tmpdir(), "labfabric-sh-"));
    writeFileSync(join(dir, "p.sh"), script);
    const r = spawnSync("sh", ["-n", join(dir, "p.sh")], { encoding: "utf8" });
    assert.equal(r.status, 0, r.stderr);
  });

  it("reaches no network: no repository, key or download", () => {
    assert.doesNotMatch(script, /pkgs\.k8s\.io|download\.|curl |gpg |apt-get update|sources\.list/);
    assert.match(internet, /pkgs\.k8s\.io/);
  });

  it("installs from the bundle at its node path, checked against the manifest", () => {
    assert.equal(bundleNodeDir(), "/opt/labfabric/kubernetes-bundle/v1.32.13");
    assert.match(script, /^bundle='\/opt\/labfabric\/kubernetes-bundle\/v1\.32\.13'$/m);
    assert.match(script, /sha256sum -c --quiet -/);
    assert.match(script, /for b in kubeadm kubelet kubectl crictl; do/);
    assert.match(script, /\[ "\$installed" = 'v1\.32\.13' \]/);
  });

  it("imports every image of the manifest once, before kubeadm asks for them", () => {
    assert.match(script, /s\/\^\\\(image\\\|probe-image\\\) /);
    assert.match(script, /if printf '%s\\n' "\$have" \| grep -qxF "\$ref"; then continue; fi/);
    assert.match(
      script,
      /ctr --address '\/var\/run\/containerd\/containerd\.sock' -n k8s\.io images import "\$file"/,
    );
  });

  it("keeps what a packaged install does: systemd cgroups, the kubelet unit kubeadm drives", () => {
    assert.match(script, /SystemdCgroup = true/);
    assert.match(script, /sandbox_image = /);
    const { unit, dropIn } = kubeletUnit();
    assert.match(unit, /^Restart=always$/m);
    assert.match(dropIn, /^EnvironmentFile=-\/var\/lib\/kubelet\/kubeadm-flags\.env$/m);
    assert.match(dropIn, /^EnvironmentFile=-\/etc\/default\/kubelet$/m);
    assert.match(
      dropIn,
      /^ExecStart=\/usr\/local\/bin\/kubelet \$KUBELET_KUBECONFIG_ARGS \$KUBELET_CONFIG_ARGS \$KUBELET_KUBEADM_ARGS \$KUBELET_EXTRA_ARGS$/m,
    );
    assert.match(script, /systemctl enable kubelet/);
  });

  it("differs from the internet install only in step 5", () => {
    const steps = (s: string) => s.split("\n\n");
    const a = steps(script).filter((x) => !x.startsWith("# 5."));
    const b = steps(internet).filter((x) => !x.startsWith("# 5."));
    assert.deepEqual(a, b);
  });

  it("probes with the bundle's image, the internet's otherwise", () => {
    assert.match(
      renderProofScript(proofPlan(bundlePlan().cniRelease!)),
      new RegExp(`image: ${BUNDLE_PROOF_IMAGE}`),
    );
    assert.match(
      renderProofScript(proofPlan(containerd().cniRelease!)),
      new RegExp(`image: ${PROOF_IMAGE}`),
    );
  });
});
