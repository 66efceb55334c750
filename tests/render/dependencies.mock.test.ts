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

  it("registers 5 resources per VM and 6 per host, besides the cluster's and the CNI's", () => {
    // Per VM: root volume, NoCloud seed step, domain, prerequisites, join (the first control
    // plane has no join). Per host: provider, fabric component and command, base image, fabric
    // network, and the one step that learns the host keys of all its VMs (issue 17: one per
    // host, not one per VM). Once: the node registration (one step for every node, not one per
    // node), the cluster's init, token, kubeconfig, provider and component, the layers'
    // components, the CNI.
    assert.equal(resources.length, 5 * VMS + 6 * HOSTS + 10);
  });

  it("has 14 edges per VM, 3 per host and 17 more: 937", () => {
    // Per VM: root volume 1 (the base image), seed step 0 (its host's connection only), domain
    // 4 (root volume, seed step, network, host fabric; no order between VMs since the seed left
    // CloudInitDisk's read-back: components/libvirt/component.ts); its host's host-key step 1
    // (its machine), prerequisites 2 (its machine, its host's host-key step), join 5
    // (prerequisites, token, its machine, its host's host-key step, the first control plane's
    // machine), the registration 1 (its join). Per host: the host-key step and the fabric
    // network wait for the host fabric, the cluster component for it. The rest: init, token,
    // kubeconfig 3 each, provider 2, registration 3 (token, the first control plane's machine
    // and host-key step), the CNI release 1, the proof and its component 5 and 3 (the release,
    // init and the one registration: every node has joined), less the first control plane's
    // join and registration (6).
    assert.equal(edges, 14 * VMS + 3 * HOSTS + 17);
  });

  it("lets a node's join wait for its own machine and the first control plane only", () => {
    assert.equal(widest.get("cluster-vm-N-join"), 5);
    assert.equal(widest.get("cluster-vm-N-prerequisites"), 2);
    // A host's scan waits for its VMs and its fabric: the VMs of one host, not of the lab.
    assert.equal(widest.get("host-hN-vm-host-keys"), VMS / HOSTS + 1);
  });

  it("lets the CNI release wait for the cluster, not for each node", () => {
    // Its one dependency is the first control plane's machine (the API endpoint in the values);
    // the cluster's kubeconfig arrives through the provider.
    assert.equal(widest.get("cni-calico"), 1);
    // The proof waits for the one registration step, which waits for every join.
    assert.equal(widest.get("cni-proof-run"), 5);
    assert.equal(widest.get("cluster-register"), VMS - 1 + 3);
  });
});
