// Each plugin reads its own MTU setting back from the values it renders (what the policy pack's
// mtu-consistent checks on registered releases): for every mode and any pod MTU, the node NIC
// it needs is the pod MTU plus the mode's encapsulation, or nothing where the chart takes no MTU.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { CNI_PLUGINS, cniPluginOfChart, modeRule } from "../../components/cni-plugins";
import { cniValues } from "../../components/cni/values";
import { ENCAP_OVERHEAD } from "../../components/spec/defaults";
import { planOf, type Raw } from "../kubernetes/fixtures";

const INPUTS = {
  endpoint: { host: "192.168.10.100", port: 6443 },
  nodeAddresses: ["192.168.10.100", "192.168.10.101", "192.168.10.102"],
};

/** Scenario C on one L2 segment with the plugin and mode: its CNI release slice. */
function sliceOf(plugin: string, mode: string) {
  return planOf("c", (r: Raw) => {
    const nodes = r.kubernetes.nodes as { ssh: { address: string }; address: string }[];
    nodes[2].ssh.address = "192.168.10.102";
    nodes[2].address = "192.168.10.102/24";
    r.kubernetes.cni = { plugin, mode };
  }).cniRelease!;
}

describe("a plugin's MTU setting, read back from its values", () => {
  for (const p of Object.values(CNI_PLUGINS)) {
    for (const m of p.modes) {
      it(`${p.name} ${m.name}: the node NIC needed is pod MTU + ${ENCAP_OVERHEAD[m.encapsulation]}`, () => {
        const slice = sliceOf(p.name, m.name);
        fc.assert(
          fc.property(fc.integer({ min: 1280, max: 9000 }), (podMtu) => {
            const read = p.valuesMtu(cniValues({ ...slice, podMtu }, INPUTS));
            if (p.name === "flannel" && m.name === "host-gw") {
              // host-gw has no MTU knob: pods get the node interface's MTU.
              assert.equal(read, undefined);
              return;
            }
            assert.ok(read, "the values set an MTU");
            assert.equal(
              read.device,
              podMtu + ENCAP_OVERHEAD[modeRule(p.name, m.name)!.encapsulation],
            );
          }),
          { numRuns: 25 },
        );
      });
    }
  }

  it("names the setting as the pack reports it", () => {
    const settings = Object.values(CNI_PLUGINS).map((p) =>
      p.valuesMtu(cniValues({ ...sliceOf(p.name, p.defaultMode), podMtu: 1400 }, INPUTS))!,
    );
    assert.deepEqual(settings, [
      { setting: "installation.calicoNetwork.mtu (pod MTU)", value: 1400, device: 1420 },
      { setting: "MTU (device MTU)", value: 1450, device: 1450 },
      { setting: "flannel.mtu (device MTU)", value: 1450, device: 1450 },
    ]);
  });

  it("reads nothing from values without the setting, or with it unknown", () => {
    for (const p of Object.values(CNI_PLUGINS)) {
      assert.equal(p.valuesMtu({}), undefined, p.name);
      assert.equal(p.valuesMtu({ MTU: "x", flannel: "y", installation: null }), undefined, p.name);
    }
    assert.equal(CNI_PLUGINS.cilium.valuesMtu({ MTU: 0 }), undefined, "0: Cilium detects it");
  });

  it("finds the plugin by the chart a release installs, and none for another chart", () => {
    for (const p of Object.values(CNI_PLUGINS)) assert.equal(cniPluginOfChart(p.chart.chart), p);
    assert.equal(cniPluginOfChart("tigera-operator")?.name, "calico");
    assert.equal(cniPluginOfChart("ingress-nginx"), undefined);
  });
});
