// deployLab hands the kubeadm layer its slice of the plan (LabPlan.kubeadm) and the layer reads
// nothing else: with the slice changed and the spec changed the other way, every node's
// prerequisites are the slice's. One evaluation per process: the mock runtime is global.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { renderPrerequisites } from "../../components/kubernetes/node-scripts";
import type { LabPlan } from "../../components/plan/plan";
import { asRoot } from "../../components/shared/shell";
import { registeredResources } from "../../scripts/resources";
import { planOf } from "../kubernetes/fixtures";

describe("the kubeadm layer in the whole program (scenario D)", async () => {
  const planned = planOf("d");
  const slice = { ...planned.kubeadm!, firewalld: "open" as const };
  // A spec that would render other scripts, were the layer to read it.
  const spec = {
    ...planned.spec,
    kubernetes: {
      ...planned.spec.kubernetes,
      version: "1.30",
      runtime: "containerd" as const,
      serviceSubnet: "10.200.0.0/16",
    },
  };
  const plan: LabPlan = { ...planned, spec, kubeadm: slice };
  const resources = await registeredResources(plan);
  const create = (name: string) => resources.find((r) => r.name === name)?.inputs.create;

  it("runs the prerequisites the slice renders, on the control plane and the workers", () => {
    assert.equal(
      create("cluster-master-prerequisites"),
      asRoot(planned.libvirt.vmUser, renderPrerequisites(slice, "control-plane")),
    );
    for (const w of ["k8s-worker-1", "k8s-worker-2"]) {
      assert.equal(
        create(`cluster-${w}-prerequisites`),
        asRoot(planned.openstack.sshUser, renderPrerequisites(slice, "worker")),
        w,
      );
    }
    const text = String(create("cluster-master-prerequisites"));
    assert.match(text, /Kubernetes 1\.32 node prerequisites/);
    assert.match(text, /--zone=trusted --add-source=\S*10\.96\.0\.0\/12/);
    assert.doesNotMatch(text, /10\.200\.0\.0\/16|v1\.30/);
  });
});
