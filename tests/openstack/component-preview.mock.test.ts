// The OpenStack layer in preview: the same resources register while cloud-assigned values
// (port addresses, floating IPs) are still unknown.
import assert from "node:assert/strict";
import { before, it } from "node:test";
import { B, D, TEST_PUBLIC_KEY, plan } from "./fixtures";
import { T, childrenOf, installMocks, settle } from "./mocks";

type ComponentModule = typeof import("../../components/openstack/component");
let mod: ComponentModule;

before(async () => {
  await installMocks(true);
  mod = await import("../../components/openstack/component");
});

const counts = (name: string) =>
  Object.fromEntries(Object.entries(T).map(([k, t]) => [k, childrenOf(name, t).length]));

it("registers scenario B's resources in preview", async () => {
  new mod.OpenstackLayer("pb", { plan: plan(B).openstack });
  await settle();
  assert.deepEqual(counts("pb"), {
    flavor: 0,
    keypair: 1,
    instance: 4,
    group: 3,
    rule: 13,
    port: 4,
    fip: 1,
    fipAssoc: 1,
    provider: 0,
  });
});

it("registers scenario D's resources in preview", async () => {
  new mod.OpenstackLayer("pd", {
    plan: plan(D, (raw) => {
      raw.sshPublicKey = TEST_PUBLIC_KEY;
    }).openstack,
  });
  await settle();
  assert.deepEqual(counts("pd"), {
    flavor: 1,
    keypair: 1,
    instance: 2,
    group: 2,
    rule: 10,
    port: 4,
    fip: 2,
    fipAssoc: 2,
    provider: 0,
  });
});
