// The Helm release's values show everything the plan knows: only a leaf that depends on an
// address assigned at creation is an Output, and once resolved the whole equals cniValues.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as pulumi from "@pulumi/pulumi";
import { allKnown, knownValues, plannedInputs } from "../../components/cni/known-values";
import { cniValues, type Values } from "../../components/cni/values";
import { planCniRelease, type CniReleasePlan } from "../../components/plan/cni-release";
import { planKubeadm } from "../../components/plan/kubeadm/plan";
import { planOf } from "../kubernetes/fixtures";

/** Paths of every Output inside a value. */
function outputPaths(v: unknown, path = ""): string[] {
  if (pulumi.Output.isInstance(v)) return [path];
  if (Array.isArray(v)) return v.flatMap((x, i) => outputPaths(x, `${path}[${i}]`));
  if (v && typeof v === "object")
    return Object.entries(v).flatMap(([k, x]) => outputPaths(x, path ? `${path}.${k}` : k));
  return [];
}

async function resolve(v: unknown): Promise<unknown> {
  if (pulumi.Output.isInstance(v)) return new Promise((r) => v.apply(r));
  if (Array.isArray(v)) return Promise.all(v.map(resolve));
  if (v && typeof v === "object")
    return Object.fromEntries(
      await Promise.all(Object.entries(v).map(async ([k, x]) => [k, await resolve(x)])),
    );
  return v;
}

/** Scenario C's CNI slice with the given plugin; `unknown` node indexes lose their planned address. */
function planWith(plugin: string, mode: string, unknown: number[]): CniReleasePlan {
  const plan = planOf("c", (r) => {
    const nodes = r.kubernetes.nodes as { ssh: { address: string }; address: string }[];
    nodes[2].ssh.address = "192.168.10.102";
    nodes[2].address = "192.168.10.102/24";
    r.kubernetes.cni = { plugin, mode };
  });
  const core = {
    ...plan,
    nodes: plan.nodes.map((n, i) => (unknown.includes(i) ? { ...n, address: undefined } : n)),
  };
  return planCniRelease(core, planKubeadm(core))!;
}

const REAL = {
  endpoint: { host: "192.168.10.100", port: 6443 },
  nodeAddresses: ["192.168.10.100", "192.168.10.101", "192.168.10.102"],
};

/** Where an unknown may show, by plugin: the API host (calico, cilium), the node list (flannel). */
const MAY_BE_UNKNOWN: Record<string, string[]> = {
  calico: ["kubernetesServiceEndpoint.host"],
  cilium: ["k8sServiceHost"],
  flannel: ["flannel.args"],
};

describe("the release's values: plain where the plan knows them", () => {
  const cases: [string, string][] = [
    ["calico", "IPIP"],
    ["calico", "VXLAN"],
    ["cilium", "tunnel-vxlan"],
    ["cilium", "native"],
    ["flannel", "vxlan"],
    ["flannel", "host-gw"],
  ];
  for (const [plugin, mode] of cases) {
    for (const unknown of [[], [0], [1], [0, 2]]) {
      it(`${plugin} ${mode}, nodes ${JSON.stringify(unknown)} unknown: only the dependent leaf waits`, async () => {
        const plan = planWith(plugin, mode, unknown);
        const planned = plannedInputs(plan);
        const expected = cniValues(plan, REAL) as Values;
        const shown = knownValues(plan, planned, pulumi.output(expected));
        const waiting = outputPaths(shown);
        if (allKnown(planned)) assert.deepEqual(waiting, []);
        for (const p of waiting) assert.ok(MAY_BE_UNKNOWN[plugin].includes(p), `${p} waits`);
        // Pool, MTU, mode and ports are never among them.
        assert.deepEqual(await resolve(shown), expected);
      });
    }
  }

  it("scenario B's endpoint and addresses come from the plan: values are plain", () => {
    const plan = planOf("b").cniRelease!;
    assert.equal(allKnown(plannedInputs(plan)), true);
  });

  it("scenario D waits only for its instances' addresses (Flannel's --iface list)", () => {
    const plan = planOf("d").cniRelease!;
    const planned = plannedInputs(plan);
    const shown = knownValues(plan, planned, pulumi.output({}));
    assert.deepEqual(outputPaths(shown), ["flannel.args"]);
  });
});
