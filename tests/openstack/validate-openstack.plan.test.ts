// validateOpenstack on its own (loadLab runs it too, through validateLab): each failing case
// asserts the finding's key and message.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { planOpenstack } from "../../components/plan/openstack/plan";
import { validateOpenstack } from "../../components/validate/openstack";
import { B, D, load, plan, unvalidatedPlan, type Raw } from "./fixtures";

describe("validateOpenstack", () => {
  // loadLab refuses these labs too (validateLab runs validateOpenstack); test the validator alone.
  const errors = (adjust: (raw: Raw) => void) =>
    validateOpenstack(unvalidatedPlan(B, adjust)).filter((f) => f.severity === "error");

  it("fails without adminCidr (refused by loadLab already)", () => {
    const r = load(B, (raw) => {
      delete raw.openstack.adminCidr;
    });
    assert.equal(r.ok, false);
    assert.deepEqual(!r.ok && r.findings.map((f) => [f.severity, f.path, f.value]), [
      ["error", "openstack.adminCidr", undefined],
      ["warning", "sshHostKeys", "trust-on-first-use"],
    ]);
  });

  it("fails with adminCidr 0.0.0.0/0", () => {
    assert.deepEqual(
      errors((raw) => {
        raw.openstack.adminCidr = "0.0.0.0/0";
      }).map((f) => [f.path, f.value, f.message, f.fix]),
      [
        [
          "openstack.adminCidr",
          "0.0.0.0/0",
          "opens SSH, the API server and NodePorts to every address",
          "name the admins' network; to open one port to everyone, add it to openstack.extraIngress",
        ],
      ],
    );
  });

  it("fails when a NIC asks for a floating IP and no pool is set", () => {
    assert.deepEqual(
      errors((raw) => {
        delete raw.openstack.floatingPool;
      }).map((f) => [f.path, f.message]),
      [
        [
          "openstack.instances[0].nics[0].floatingIp",
          "needs openstack.floatingPool (the external network floating IPs come from)",
        ],
      ],
    );
  });

  it("warns when a routed lab's instance has no NIC on the OpenStack host's networks", () => {
    const p = plan(D, (raw) => {
      const instances = raw.openstack.instances as { nics: unknown[] }[];
      instances[1].nics = [{ network: "private-net", floatingIp: true }];
    });
    const w = validateOpenstack(p).filter((f) => f.path === "openstack.instances[1].nics");
    assert.equal(w.length, 1);
    assert.equal(w[0].severity, "warning");
    assert.deepEqual(planOpenstack(p).instances[1].userData.routes, []);
  });

  it("is silent about scenario B", () => {
    assert.deepEqual(
      validateOpenstack(plan(B)).map((f) => f.path),
      [],
    );
    assert.equal(load(B).ok, true);
  });
});
