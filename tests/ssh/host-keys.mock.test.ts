// Host keys are always checked, on every SSH path: validation refuses a machine without a key
// unless the lab chose trust-on-first-use (then it warns), and what the program registers never
// connects without one: every command connection and jump carries a hostKey (pinned, or learned
// once by a `-host-key` step), every libvirt URI names a known_hosts file, none says no_verify.
import assert from "node:assert/strict";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { Secret } from "@pulumi/policy";
import { formatFinding } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { type LabPlan } from "../../components/plan/plan";
import type { LabSpecInput } from "../../components/spec/schema";
import { keyscanManyScript, keyscanScript, parseHostKeys } from "../../components/ssh/host-key";
import { captureLab, LEARNED_HOST_KEY, type Captured } from "../policy/harness";
import { scenarioPlan } from "../policy/scenario";
import { host, hostKeyLine, load, routedLab, vxlanLab } from "../lab/helpers";

describe("validation: pinned unless the lab says trust-on-first-use", () => {
  const machine = fc.record({ pinned: fc.boolean(), jump: fc.option(fc.boolean()) });
  it("any machine without a key is an error naming its key and ssh-keyscan; TOFU warns once instead", () => {
    fc.assert(
      fc.property(
        fc.array(machine, { minLength: 2, maxLength: 4 }),
        fc.array(fc.boolean(), { maxLength: 2 }),
        fc.constantFrom("pinned", "trust-on-first-use"),
        (hosts, nodes, policy) => {
          const spec: LabSpecInput = vxlanLab((s) => {
            s.sshHostKeys = policy as "pinned";
            s.hosts = hosts.map((m, i) => {
              const h = host(i + 1);
              if (!m.pinned) delete h.ssh.hostKey;
              if (m.jump !== null)
                h.ssh.jump = {
                  address: "192.168.0.200",
                  ...(m.jump ? { hostKey: hostKeyLine(200) } : {}),
                };
              return h;
            });
            s.vms = [s.vms![0]];
            s.kubernetes!.nodes = nodes.map((pinned, i) => ({
              name: `n${i}`,
              role: "worker" as const,
              ssh: {
                address: `10.39.0.${50 + i}`,
                ...(pinned ? { hostKey: hostKeyLine(50 + i) } : {}),
              },
              address: `10.39.0.${50 + i}/24`,
            }));
          });
          const missing = [
            ...hosts.flatMap((m, i) => [
              ...(m.pinned ? [] : [[`hosts[${i}].ssh.hostKey`, `192.168.0.${11 + i}`]]),
              ...(m.jump === false ? [[`hosts[${i}].ssh.jump.hostKey`, "192.168.0.200"]] : []),
            ]),
            ...nodes.flatMap((pinned, i) =>
              pinned ? [] : [[`kubernetes.nodes[${i}].ssh.hostKey`, `10.39.0.${50 + i}`]],
            ),
          ];
          const r = loadLab(spec, "t");
          const findings = r.ok ? r.plan.warnings : r.findings;
          const keyFindings = findings.filter((f) => /hostKey|sshHostKeys/.test(f.path));
          if (policy === "pinned") {
            assert.deepEqual(
              keyFindings.map((f) => [f.severity, f.path]),
              missing.map(([path]) => ["error", path]),
            );
            keyFindings.forEach((f, i) =>
              assert.ok(formatFinding(f).includes(`ssh-keyscan -t ed25519 ${missing[i][1]}`)),
            );
          } else {
            assert.deepEqual(
              keyFindings.map((f) => [f.severity, f.path]),
              [["warning", "sshHostKeys"]],
            );
          }
        },
      ),
      { numRuns: 80 },
    );
  });

  it("a host's scan of its VMs waits for every sshd, in parallel, and prints one named key line each", () => {
    const s = keyscanManyScript([
      { name: "vm-a", address: "10.0.0.5", port: 22 },
      { name: "vm-b", address: "10.0.0.6", port: 2222 },
    ]);
    assert.match(s, /^  scan 0 '10\.0\.0\.5' '22' &$/m);
    assert.match(s, /^  scan 1 '10\.0\.0\.6' '2222' &$/m);
    assert.match(s, /ssh-keyscan -T 5 -t ed25519 -p "\$3" "\$2"/);
    assert.match(s, /no ed25519 host key from vm-b \(10\.0\.0\.6:2222\) in 600s/);
    assert.match(s, /^printf '%s %s\\n' 'vm-b' "\$\(cat "\$dir\/1"\)"$/m);
    const key = (n: number) => `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAI${n}`;
    assert.deepEqual(parseHostKeys(`vm-b ${key(2)}\nvm-a ${key(1)} \n`, ["vm-a", "vm-b"]), {
      "vm-a": key(1),
      "vm-b": key(2),
    });
    assert.throws(() => parseHostKeys(`vm-a ${key(1)}\n`, ["vm-a", "vm-b"]), /no key for vm-b/);
  });

  it("the learning script waits for sshd and prints only an ed25519 key line", () => {
    const s = keyscanScript("10.0.0.5", 2222);
    assert.match(s, /ssh-keyscan -T 5 -t ed25519 -p 2222 '10\.0\.0\.5'/);
    assert.match(s, /\$2 == "ssh-ed25519" \{ print \$2, \$3; exit \}/);
    assert.match(s, /exit 1\n$/);
  });
});

/** A connection as the policy server sees it (a Secret around the object). */
function reveal(v: unknown): Record<string, unknown> | undefined {
  const x = v instanceof Secret ? v.value : v;
  return x && typeof x === "object" ? (x as Record<string, unknown>) : undefined;
}

const KEY_LINE = /^ssh-ed25519 [A-Za-z0-9+/]+={0,3}$/;

/** Every SSH path in what the program registers checks a host key. */
function assertAllChecked(lab: string, captured: Captured[]) {
  for (const c of captured) {
    if (c.type === "command:remote:Command") {
      const conn = reveal(c.props.connection);
      assert.ok(conn, `${lab}: ${c.name} has no connection`);
      assert.match(String(conn.hostKey), KEY_LINE, `${lab}: ${c.name} does not check the host key`);
      const proxy = reveal(conn.proxy);
      if (proxy) assert.match(String(proxy.hostKey), KEY_LINE, `${lab}: ${c.name}'s jump host`);
    }
    if (c.type === "pulumi:providers:libvirt") {
      const uri = String(c.props.uri);
      assert.match(uri, /[?&]knownhosts=/, `${lab}: ${c.name}`);
      assert.doesNotMatch(uri, /no_verify/, `${lab}: ${c.name}`);
    }
  }
}

describe("what the program registers checks every host key (mocks, update mode)", () => {
  const labs: [string, () => LabPlan][] = [
    ["a", () => scenarioPlan("Pulumi.a-vxlan-stretch.yaml")],
    ["b", () => scenarioPlan("Pulumi.b-openstack-calico.yaml")],
    ["c", () => scenarioPlan("Pulumi.c-cilium-subnets.yaml")],
    ["d", () => scenarioPlan("Pulumi.d-libvirt-routed.yaml")],
    ["dev", () => scenarioPlan("Pulumi.dev.yaml")],
    ["lab-k: nodes behind their hosts (ssh.jump), pinned", () => scenarioPlan("Pulumi.lab-k.yaml")],
    [
      "tofu: existing nodes behind their hosts (ssh.jump)",
      () =>
        load(
          routedLab((s) => {
            s.sshHostKeys = "trust-on-first-use";
            s.vms = [];
            delete s.libvirt;
            s.networks!.forEach(
              (n) =>
                (n.dhcp = {
                  start: n.cidr.replace(/0\/24$/, "100"),
                  end: n.cidr.replace(/0\/24$/, "200"),
                }),
            );
            s.kubernetes!.nodes = [
              {
                name: "cp",
                role: "control-plane",
                address: "172.20.112.11/24",
                ssh: { address: "172.20.112.11", jump: { address: "192.168.0.11" } },
              },
              {
                name: "w",
                role: "worker",
                address: "172.20.113.11/24",
                ssh: {
                  address: "172.20.113.11",
                  jump: { address: "192.168.0.12", hostKey: hostKeyLine(2) },
                },
              },
            ];
          }),
          "tofu-nodes",
        ),
    ],
    [
      "tofu: unpinned hosts, one behind a jump host",
      () =>
        load(
          vxlanLab((s) => {
            s.sshHostKeys = "trust-on-first-use";
            s.hosts!.forEach((h) => delete h.ssh.hostKey);
            s.hosts![1].ssh.jump = { address: "192.168.0.200" };
          }),
          "tofu",
        ),
    ],
  ];
  const captured: Record<string, Captured[]> = {};
  before(async () => {
    for (const [name, plan] of labs) captured[name] = await captureLab(plan(), false);
  });

  for (const [name] of labs) {
    it(`${name}: every remote command, jump and libvirt provider checks the server's key`, () =>
      assertAllChecked(name, captured[name]));
  }

  it("lab-k: every step on a node goes through its host, both keys pinned", () => {
    const plan = scenarioPlan("Pulumi.lab-k.yaml");
    const nodes = plan.spec.kubernetes.nodes;
    const onNodes = captured["lab-k: nodes behind their hosts (ssh.jump), pinned"].filter(
      (c) => c.type === "command:remote:Command" && /^cluster-|^cni-proof/.test(c.name),
    );
    assert.ok(onNodes.length >= 6);
    for (const c of onNodes) {
      const conn = reveal(c.props.connection)!;
      const node = nodes.find((n) => n.ssh.address === conn.host)!;
      assert.ok(node, `${c.name} connects to ${String(conn.host)}, no node's address`);
      assert.equal(conn.hostKey, node.ssh.hostKey, c.name);
      const proxy = reveal(conn.proxy);
      assert.ok(node.ssh.jump && proxy, `${c.name} does not go through its host`);
      assert.deepEqual(
        [proxy.host, proxy.hostKey],
        [node.ssh.jump.address, node.ssh.jump.hostKey],
        `${c.name} -> ${node.name}`,
      );
    }
  });

  it("pinned machines get no learning step; unpinned ones are learned once, a host's VMs together", () => {
    const steps = (lab: string) =>
      captured[lab].filter((c) => /-host-keys?$/.test(c.name)).map((c) => `${c.type} ${c.name}`);
    // A: hosts pinned; the VMs of each host are learned in one step through that (checked) host.
    assert.deepEqual(steps("a"), [
      "command:remote:Command host-host1-vm-host-keys",
      "command:remote:Command host-host2-vm-host-keys",
    ]);
    assert.deepEqual(steps("c"), []);
    assert.deepEqual(steps("dev"), []);
    assert.deepEqual(steps("tofu: unpinned hosts, one behind a jump host").sort(), [
      "command:local:Command host-h1-host-key",
      "command:local:Command host-h2-jump-host-key",
      "command:remote:Command host-h1-vm-host-keys",
      "command:remote:Command host-h2-host-key",
      "command:remote:Command host-h2-vm-host-keys",
    ]);
    // Existing nodes behind their hosts: pinned, nothing is learned; unpinned, the jump's key
    // is learned from here and the node's own key through the (checked) jump.
    assert.deepEqual(steps("lab-k: nodes behind their hosts (ssh.jump), pinned"), []);
    assert.deepEqual(steps("tofu: existing nodes behind their hosts (ssh.jump)").sort(), [
      "command:local:Command node-cp-jump-host-key",
      "command:remote:Command node-cp-host-key",
      "command:remote:Command node-w-host-key",
    ]);
    const learnW = captured["tofu: existing nodes behind their hosts (ssh.jump)"].find(
      (c) => c.name === "node-w-host-key",
    )!;
    assert.equal(reveal(learnW.props.connection)!.host, "192.168.0.12");
    assert.equal(reveal(learnW.props.connection)!.hostKey, hostKeyLine(2));
    const fabric = captured["tofu: unpinned hosts, one behind a jump host"].find(
      (c) => c.name === "fabric-h1-fabric",
    )!;
    assert.equal(reveal(fabric.props.connection)!.hostKey, LEARNED_HOST_KEY);
  });
});
