// The OpenStack provider under Pulumi mocks: credentials stay secrets, and the explicit
// provider reaches every child of the layer.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import type { LabPlan } from "../../components/plan/plan";
import { B, plan } from "./fixtures";
import { T, childrenOf, installMocks, registered, settle, value } from "./mocks";

type ComponentModule = typeof import("../../components/openstack/component");
let mod: ComponentModule;

before(async () => {
  await installMocks();
  mod = await import("../../components/openstack/component");
});

async function build(name: string, p: LabPlan, provider?: import("@pulumi/openstack").Provider) {
  const layer = new mod.OpenstackLayer(name, { plan: p.openstack, provider });
  await Promise.all(layer.instances.map((i) => value(i.instanceId)));
  await settle();
  return layer;
}

const byName = (name: string, resource: string) => {
  const r = registered.find((x) => x.name === resource);
  assert.ok(r, `${resource} registered (layer ${name})`);
  return r;
};

describe("provider and secrets", () => {
  it("wraps the password as a secret and hands the provider to every child", async () => {
    const provider = mod.openstackProvider("os-password", {
      authUrl: "https://keystone.lab:5000/v3",
      region: "RegionOne",
      userName: "admin",
      password: "hunter2",
      tenantName: "k8s",
      userDomainName: "Default",
      projectDomainName: "Default",
    });
    await build("bp", plan(B), provider);
    await settle();
    const reg = byName("bp", "os-password");
    assert.equal(reg.type, T.provider);
    assert.equal(reg.inputs.userName, "admin");
    assert.equal(JSON.stringify(reg.inputs).includes("hunter2"), true); // mocks see plaintext...
    assert.equal(isSecretValue(reg.inputs.password), true); // ...inside a secret envelope
    const children = childrenOf("bp").filter((r) => r.type.startsWith("openstack:"));
    assert.ok(children.length > 0);
    for (const c of children) assert.match(c.provider ?? "", /os-password/, c.name);
  });

  it("marks password and application credential secret as secrets (pulumi.isSecret)", async () => {
    const pw = mod.providerArgs({ authUrl: "https://k:5000/v3", userName: "u", password: "p" });
    assert.equal(await pulumi.isSecret(pw.password as pulumi.Output<string>), true);
    const app = mod.providerArgs({
      cloud: "lab",
      applicationCredentialId: "abc",
      applicationCredentialSecret: pulumi.output("s3cret"),
    });
    assert.equal(
      await pulumi.isSecret(app.applicationCredentialSecret as pulumi.Output<string>),
      true,
    );
    assert.equal(app.applicationCredentialId, "abc");
    assert.deepEqual(mod.providerArgs({ cloud: "lab" }), { cloud: "lab" });
  });

  it("fails when a password and an application credential are both given", () => {
    assert.throws(
      () =>
        mod.providerArgs({
          cloud: "lab",
          password: "p",
          applicationCredentialId: "a",
          applicationCredentialSecret: "s",
        }),
      /both a password and an application credential are set/,
    );
    assert.throws(
      () => mod.providerArgs({ cloud: "lab", applicationCredentialId: "a" }),
      /needs both its id and labfabric:openstackApplicationCredentialSecret/,
    );
  });
});

const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";
function isSecretValue(v: unknown): boolean {
  if (typeof v === "string") {
    try {
      return isSecretValue(JSON.parse(v));
    } catch {
      return false;
    }
  }
  return (
    typeof v === "object" &&
    v !== null &&
    (v as Record<string, unknown>)[SECRET_SIG] === SECRET_VALUE
  );
}
