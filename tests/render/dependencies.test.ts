// Dependency edges of a mid-size lab (8 hosts, 64 VMs, Kubernetes on, Calico), counted as the
// mock monitor receives them: what a real engine would keep in the state. Each step depends
// on what it needs, so the edges grow linearly with the lab (issue 17; before, every node's
// join and register depended on every VM: 2·V² edges, 2 million at 1000 VMs).
// One evaluation per process: the mock runtime is global.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateLab } from "../../bench/gen-lab";
import { formatReport } from "../../components/lab/findings";
import { loadLab } from "../../components/lab/plan";
import { countDependencies } from "../../scripts/dependencies";
import { registeredResources } from "../../scripts/resources";

const HOSTS = 8;
const VMS = 64;

describe(`dependency edges of a ${HOSTS}-host, ${VMS}-VM lab`, async () => {
  const r = loadLab(generateLab({ hosts: HOSTS, vms: VMS, kubernetes: true }), "edges");
  if (!r.ok) assert.fail(formatReport(r.findings));
  const stop = countDependencies();
  const resources = await registeredResources(r.plan);
  const { edges, widest } = stop();

  it("registers 6 resources per VM and 5 per host, besides the cluster's and the CNI's", () => {
    assert.equal(resources.length, 432);
  });

  it("has 16 edges per VM, 2 per host and 4 more: 1044", () => {
    // Per VM: root volume 1 (base image), domain 4 (volume, cloud-init disk, network, host
    // fabric), prerequisites 1 (its machine), join 4 (prerequisites, token, its machine, the
    // first control plane's machine), register 4 (the same with its join instead of its
    // prerequisites), and the CNI proof and its component, 1 each per node (every node
    // registered before the proof runs); the first control plane has no join or register.
    // Per host: the fabric network waits for the host fabric, the cluster component for it.
    assert.equal(edges, 16 * VMS + 2 * HOSTS + 4);
  });

  it("lets a node's join and register wait for its own machine and the first control plane only", () => {
    assert.equal(widest.get("cluster-vm-N-join"), 4);
    assert.equal(widest.get("cluster-vm-N-register"), 4);
    assert.equal(widest.get("cluster-vm-N-prerequisites"), 1);
  });

  it("lets the CNI release wait for the cluster, not for each node", () => {
    // Its one dependency is the first control plane's machine (the API endpoint in the values);
    // the cluster's kubeconfig arrives through the provider.
    assert.equal(widest.get("cni-calico"), 1);
  });
});
