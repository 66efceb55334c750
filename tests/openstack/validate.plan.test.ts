// Post B's failure: native routing (Calico CrossSubnet/None, Cilium native, Flannel host-gw)
// on OpenStack with port security on and no address pairs. loadLab refuses it with one
// finding that names both fixes; the accepted variants plan cleanly.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatFinding } from "../../components/spec/findings";
import { B, load, withCni } from "./fixtures";

const MESSAGE =
  "sends pod IPs unencapsulated between OpenStack instances; Neutron port security drops them (anti-spoofing), so cross-node pod traffic fails";
const CALICO_FIX =
  'use mode "IPIP" (Always; labfabric then allows IP protocol 4 from the cluster security group), or set openstack.allowedAddressPairs: true';
// VXLANCrossSubnet's fix is its own always-encapsulated mode, not IPIP.
const CALICO_VXLAN_FIX =
  'use mode "VXLAN" (always encapsulated; labfabric then allows UDP 4789 between the nodes), or set openstack.allowedAddressPairs: true';
const OTHER_FIX =
  "use a tunnel mode, or set openstack.allowedAddressPairs: true for the pod and service CIDRs";

describe("post B: native routing on OpenStack without address pairs", () => {
  const refused: [string, string, string][] = [
    ["calico", "IPIPCrossSubnet", CALICO_FIX],
    ["calico", "VXLANCrossSubnet", CALICO_VXLAN_FIX],
    ["calico", "None", CALICO_FIX],
    ["cilium", "native", OTHER_FIX],
    ["flannel", "host-gw", OTHER_FIX],
  ];
  for (const [plugin, mode, fix] of refused) {
    it(`fails for ${plugin} ${mode} with a message naming both fixes`, () => {
      const r = load(B, withCni(plugin, mode));
      assert.equal(r.ok, false);
      // Scenario B learns its instances' host keys on first use (tests/lab/scenarios.plan.test.ts).
      const findings = !r.ok && r.findings.filter((f) => f.path !== "sshHostKeys");
      assert.deepEqual(findings, [
        { severity: "error", path: "kubernetes.cni.mode", value: mode, message: MESSAGE, fix },
      ]);
      const text = !r.ok ? formatFinding(r.findings[0]) : "";
      assert.match(text, /allowedAddressPairs: true/);
      if (mode === "VXLANCrossSubnet") assert.match(text, /"VXLAN" \(always encapsulated/);
      else if (plugin === "calico") assert.match(text, /"IPIP" \(Always.*IP protocol 4/);
      else assert.match(text, /tunnel mode/);
    });
  }

  it("fails before planning: loadLab returns findings, never a plan", () => {
    const r = load(B, withCni("calico", "IPIPCrossSubnet"));
    assert.equal("plan" in r, false);
  });

  const accepted: [string, string, Record<string, unknown>][] = [
    ["calico", "IPIP", {}],
    ["calico", "IPIPCrossSubnet", { allowedAddressPairs: true }],
    ["calico", "None", { portSecurity: false }],
    ["cilium", "native", { allowedAddressPairs: true }],
    ["flannel", "vxlan", {}],
  ];
  for (const [plugin, mode, extra] of accepted) {
    it(`accepts ${plugin} ${mode} with ${JSON.stringify(extra)}`, () => {
      const r = load(B, withCni(plugin, mode, extra));
      assert.deepEqual(r.ok ? [] : r.findings, []);
    });
  }
});
