// Dependency edges of a mid-size lab (8 hosts, 64 VMs, Kubernetes on, Calico), counted as the
// mock monitor receives them: what a real engine would keep in the state. Each step depends
// on what it needs, so the edges grow linearly with the lab (issue 17; before, every node's
// join and register depended on every VM: 2·V² edges, 2 million at 1000 VMs).
// One evaluation per process: the mock runtime is global.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { generateLab } from "../../bench/gen-lab";
import { formatReport } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
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

  it("registers 7 resources per VM and 5 per host, besides the cluster's and the CNI's", () => {
    // Per VM: root volume, domain, the step that learns its SSH host key (over its host, whose
    // key is pinned), prerequisites, join, register, and its share of the proof.
    assert.equal(resources.length, 7 * VMS + 5 * HOSTS + 8);
  });

  it("has 21 edges per VM, 2 per host and 6 more: 1366", () => {
    // Per VM: root volume 1 (base image), domain 4 (volume, cloud-init disk, network, host
    // fabric), host-key step 2 (its machine, its host), prerequisites 2 (its machine, its host
    // key), join 5 (prerequisites, token, its machine, its host key, the first control plane's
    // machine), register 5 (the same with its join instead of its prerequisites), and the CNI
    // proof and its component, 1 each per node (every node registered before the proof runs);
    // the first control plane has no join or register (its 10 are in the constant).
    // Per host: the fabric network waits for the host fabric, the cluster component for it.
    assert.equal(edges, 21 * VMS + 2 * HOSTS + 6);
  });

  it("lets a node's join and register wait for its own machine and the first control plane only", () => {
    assert.equal(widest.get("cluster-vm-N-join"), 5);
    assert.equal(widest.get("cluster-vm-N-register"), 5);
    assert.equal(widest.get("cluster-vm-N-prerequisites"), 2);
  });

  it("lets the CNI release wait for the cluster, not for each node", () => {
    // Its one dependency is the first control plane's machine (the API endpoint in the values);
    // the cluster's kubeconfig arrives through the provider.
    assert.equal(widest.get("cni-calico"), 1);
  });
});
