// The HostFabric component under Pulumi mocks: one remote command per host with the rendered
// scripts, a secret connection, a content-hash trigger, delete-before-replace, planned MTUs.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { renderDownScript, renderUpScript, scriptHash } from "../../components/host-fabric/scripts";
import { hostPlan, stackPlan } from "./fixtures";

interface Registered {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}
const registered: Registered[] = [];
const COMMAND = "command:remote:Command";
/** How the mock runtime hands over a secret input. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

type ComponentModule = typeof import("../../components/host-fabric/component");
let mod: ComponentModule;

before(async () => {
  await pulumi.runtime.setMocks(
    {
      newResource(args) {
        registered.push({ type: args.type, name: args.name, inputs: args.inputs });
        const state: Record<string, unknown> = { ...args.inputs };
        if (args.type === COMMAND) state.stdout = "labfabric: no changes";
        return { id: `${args.name}-id`, state };
      },
      call: () => ({}),
    },
    "labfabric",
    "test",
    false,
  );
  mod = await import("../../components/host-fabric/component");
});

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
const connection = (host: string) =>
  pulumi.secret({ host, user: "root", privateKey: "-----BEGIN OPENSSH PRIVATE KEY-----" });
const commandsOf = (prefix: string) =>
  registered.filter((r) => r.type === COMMAND && r.name.startsWith(`${prefix}-`));

describe("HostFabric under mocks", () => {
  it("registers exactly one remote command per host, with the rendered up/down scripts", async () => {
    const dev = stackPlan("Pulumi.dev.yaml");
    const fabrics = dev.hosts.map(
      (h) => new mod.HostFabric(`dev-${h.host}`, { plan: h, connection: connection(h.host) }),
    );
    await Promise.all(fabrics.map((f) => value(f.stdout)));
    for (const h of dev.hosts) {
      const cmds = commandsOf(`dev-${h.host}`);
      assert.equal(cmds.length, 1, h.host);
      const inputs = cmds[0].inputs;
      assert.equal(inputs.create, renderUpScript(h));
      assert.equal(inputs.delete, renderDownScript(h));
      assert.deepEqual(inputs.triggers, [scriptHash(renderUpScript(h), renderDownScript(h))]);
      assert.equal(inputs.logging, "stdoutAndStderr");
      assert.equal(inputs.addPreviousOutputInEnv, false);
      const conn = inputs.connection as Record<string, unknown>;
      assert.equal(
        conn[SECRET_SIG],
        "1b47061264138c4ac30d75fd1eb44270",
        "the connection is a secret",
      );
      assert.equal((conn.value as { host: string }).host, h.host);
    }
    assert.equal(await value(fabrics[0].stdout), "labfabric: no changes");
  });

  it("sets deleteBeforeReplace on the command (old down.sh runs before the new up.sh)", async () => {
    const h = hostPlan(stackPlan("Pulumi.a-vxlan-stretch.yaml"), "host1");
    const seen: pulumi.ResourceTransformationArgs[] = [];
    const f = new mod.HostFabric(
      "dbr",
      { plan: h, connection: connection("host1") },
      // Component transformations see each child's type, name and resource options.
      { transformations: [(args) => (seen.push(args), undefined)] },
    );
    await value(f.stdout);
    const cmds = seen.filter((t) => t.type === COMMAND);
    assert.equal(cmds.length, 1);
    assert.equal(cmds[0].name, "dbr-fabric");
    assert.equal((cmds[0].opts as pulumi.CustomResourceOptions).deleteBeforeReplace, true);
    assert.equal(cmds[0].opts.parent, f);
  });

  it("changes the trigger only when the script changes (same plan twice: equal; VNI changed: different)", async () => {
    const a = stackPlan("Pulumi.a-vxlan-stretch.yaml");
    const h = hostPlan(a, "host1");
    const f1 = new mod.HostFabric("same1", { plan: h, connection: connection("host1") });
    const f2 = new mod.HostFabric("same2", {
      plan: structuredClone(h),
      connection: connection("host1"),
    });
    const other = { ...h, vxlan: { ...h.vxlan!, vni: 40 } };
    const f3 = new mod.HostFabric("vni40", { plan: other, connection: connection("host1") });
    await Promise.all([f1, f2, f3].map((f) => value(f.stdout)));
    const [h1, h2, h3] = await Promise.all([f1, f2, f3].map((f) => value(f.scriptHash)));
    assert.equal(h1, h2);
    assert.notEqual(h1, h3);
    assert.deepEqual(
      commandsOf("same1")[0].inputs.triggers,
      commandsOf("same2")[0].inputs.triggers,
    );
    assert.notDeepEqual(
      commandsOf("same1")[0].inputs.triggers,
      commandsOf("vni40")[0].inputs.triggers,
    );
  });

  it("outputs the planned MTUs, devices, routes and rules", async () => {
    const a = new mod.HostFabric("outa", {
      plan: hostPlan(stackPlan("Pulumi.a-vxlan-stretch.yaml"), "host2"),
      connection: connection("host2"),
    });
    assert.deepEqual(await value(a.mtu), { underlay: 1500, fabric: 1450, vm: 1450 });
    assert.deepEqual(await value(a.devices), { bridge: "br-vm", vxlan: "vxlan-lf" });
    assert.equal(await value(a.mode), "vxlan");
    assert.ok(
      (await value(a.rules)).includes("nat POSTROUTING: masquerade 12.12.139.0/24 out ens34f0"),
    );
    const d = new mod.HostFabric("outd", {
      plan: hostPlan(stackPlan("Pulumi.d-libvirt-routed.yaml"), "openstack-host"),
      connection: connection("openstack-host"),
    });
    assert.deepEqual(await value(d.mtu), { underlay: 1500, vm: 1500 });
    assert.deepEqual(await value(d.routes), [
      "172.20.112.0/24 via 10.10.10.1 dev eno1 (kubernetes-host)",
    ]);
    assert.equal(await value(d.host), "openstack-host");
  });
});
