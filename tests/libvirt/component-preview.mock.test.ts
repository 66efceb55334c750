// Both scenarios in preview mode: the same resources, inputs and providers as in an update, and
// the node addresses the next layer needs are already known.
import assert from "node:assert/strict";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { before, describe, it } from "node:test";
import { LibvirtLayer } from "../../components/libvirt/component";
import {
  assertProvidersPerHost,
  byName,
  connectionStandIn,
  countByType,
  loadScenario,
  recordRegistrations,
  settle,
  STACK_A,
  STACK_D,
  T,
  valueOf,
  type Registration,
} from "./helpers";

describe("preview: scenarios A and D", () => {
  let registered: Registration[];
  let a: LibvirtLayer;
  let d: LibvirtLayer;

  before(async () => {
    registered = await recordRegistrations(true);
    const knownHostsFile = join(tmpdir(), "lf-preview-known-hosts");
    const hostConnection = connectionStandIn;
    a = new LibvirtLayer("a", {
      plan: loadScenario(STACK_A).libvirt,
      knownHostsFile,
      hostConnection,
    });
    d = new LibvirtLayer("d", {
      plan: loadScenario(STACK_D).libvirt,
      knownHostsFile,
      hostConnection,
    });
    await Promise.all([settle(a), settle(d)]);
  });

  it("registers the same resources as an update (A: 2+2+8+6 seeds+6, D: 1+1+2+1+1)", () => {
    const only = (prefix: string) =>
      countByType(registered.filter((r) => r.name === prefix || r.name.startsWith(`${prefix}-`)));
    for (const [prefix, expected] of [
      ["a", [1, 2, 2, 8, 6, 6]],
      ["d", [1, 1, 1, 2, 1, 1]],
    ] as const) {
      const c = only(prefix);
      assert.deepEqual(
        [T.layer, T.provider, T.network, T.volume, T.command, T.domain].map((t) => c[t]),
        expected,
        `scenario ${prefix}`,
      );
    }
  });

  it("uses the per-host providers in preview too", async () => {
    await assertProvidersPerHost(
      a,
      "a",
      registered.filter((r) => r.name.startsWith("a-")),
    );
    await assertProvidersPerHost(
      d,
      "d",
      registered.filter((r) => r.name.startsWith("d-")),
    );
  });

  it("knows the node addresses and MTUs at preview", async () => {
    assert.deepEqual(await Promise.all(a.nodes.map((n) => valueOf(n.address))), [
      "12.12.139.11",
      "12.12.139.12",
      "12.12.139.21",
      "12.12.139.13",
      "12.12.139.22",
      "12.12.139.23",
    ]);
    assert.deepEqual(
      a.nodes.map((n) => n.mtu),
      [1450, 1450, 1450, 1450, 1450, 1450],
    );
    assert.equal(await valueOf(d.nodes[0].address), "172.20.112.101");
    assert.equal(byName(registered, "d-kubernetes-host-k8snat").inputs.mtu, 1500);
    // Bridge mode: libvirt 9.0 refuses an <mtu> there; br-vm has the fabric's 1450.
    assert.equal(byName(registered, "a-host1-fabric").inputs.mtu, undefined);
  });
});
