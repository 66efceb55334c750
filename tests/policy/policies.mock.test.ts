// Each policy of the pack on fake resources shaped as the engine hands them over: a violation
// for what it exists to stop, none for what labfabric registers. Scenario B and D's real
// resources are in scenario-b.test.ts and scenario-d.test.ts; mtu-consistent in mtu.test.ts.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Secret } from "@pulumi/policy";
import { commandsHaveDelete } from "../../policy/commands";
import { isWorld, noWorldOpenIngress } from "../../policy/ingress";
import { HELM_RELEASE, LIBVIRT_NETWORK } from "../../policy/mtu";
import { policies } from "../../policy/policies";
import { UNKNOWN_SENTINELS } from "../../policy/props";
import { noExposedCredentials, secretsStaySecret } from "../../policy/secrets";
import { resourceArgs, runResourcePolicy, type Captured } from "./harness";

const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const KEY =
  "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----\n";
const TOKEN = "abcdef.0123456789abcdef";

const rule = (props: Record<string, unknown>) =>
  resourceArgs({
    type: "openstack:networking/secGroupRule:SecGroupRule",
    name: "openstack-rule-x",
    props: { direction: "ingress", ethertype: "IPv4", securityGroupId: "sg-1", ...props },
  });

const command = (props: Record<string, unknown>, extra: Partial<Captured> = {}) =>
  resourceArgs({
    type: "command:remote:Command",
    name: "cluster-k8s-w1-join",
    props: {
      connection: new Secret({ host: "10.0.0.11", user: "lab", privateKey: KEY }),
      create: "kubeadm join",
      delete: "kubeadm reset -f",
      ...props,
    },
    ...extra,
  });

async function violations(
  policy: (typeof policies)[number],
  args: ReturnType<typeof resourceArgs>,
): Promise<string[]> {
  assert.ok(!("validateStack" in policy));
  const outcome = await runResourcePolicy(policy, args);
  assert.equal(outcome.notApplicable, undefined);
  return outcome.violations;
}

describe("the policy pack", () => {
  it("has five policies with unique names, all blocking", () => {
    const names = policies.map((p) => p.name);
    assert.deepEqual(names, [
      "no-world-open-ingress",
      "secrets-stay-secret",
      "no-exposed-credentials",
      "remote-commands-have-delete",
      "mtu-consistent",
    ]);
    // "remediate" is reported as mandatory by the SDK (see policy/secrets.ts).
    for (const p of policies) assert.ok(["mandatory", "remediate"].includes(p.enforcementLevel!));
  });

  it("knows the engine's unknown markers", () => {
    assert.ok(UNKNOWN_SENTINELS.has(UNKNOWN_STRING));
    assert.equal(UNKNOWN_SENTINELS.size, 7);
  });
});

describe("no-world-open-ingress", () => {
  it("fails a rule open to 0.0.0.0/0", async () => {
    const v = await violations(
      noWorldOpenIngress,
      rule({ protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "0.0.0.0/0" }),
    );
    assert.equal(v.length, 1);
    assert.match(
      v[0],
      /ingress tcp port 22 from 0\.0\.0\.0\/0 opens the lab to the whole internet/,
    );
    assert.match(v[0], /allowedWorldOpen/);
  });

  it("fails ::/0, and a rule with no remote at all (Neutron: from anywhere)", async () => {
    assert.equal(
      (
        await violations(
          noWorldOpenIngress,
          rule({ protocol: "tcp", portRangeMin: 6443, portRangeMax: 6443, remoteIpPrefix: "::/0" }),
        )
      ).length,
      1,
    );
    const v = await violations(noWorldOpenIngress, rule({ protocol: "udp" }));
    assert.match(v[0], /ingress udp port all with no remote/);
  });

  it("passes the admin CIDR, the cluster group, egress and values unknown in preview", async () => {
    for (const props of [
      { protocol: "tcp", portRangeMin: 22, portRangeMax: 22, remoteIpPrefix: "192.168.0.0/24" },
      { protocol: "4", remoteGroupId: "sg-cluster" },
      { direction: "egress", remoteIpPrefix: "0.0.0.0/0" },
      { protocol: "tcp", remoteGroupId: UNKNOWN_STRING },
    ]) {
      assert.deepEqual(
        await violations(noWorldOpenIngress, rule(props)),
        [],
        JSON.stringify(props),
      );
    }
  });

  it("passes a world-open port only when the policy config allows exactly that port", async () => {
    const open = {
      protocol: "tcp",
      portRangeMin: 443,
      portRangeMax: 443,
      remoteIpPrefix: "0.0.0.0/0",
    };
    const allowed = { allowedWorldOpen: [{ protocol: "tcp", port: 443 }] };
    const args = resourceArgs(
      {
        type: "openstack:networking/secGroupRule:SecGroupRule",
        name: "r",
        props: { direction: "ingress", ...open },
      },
      allowed,
    );
    assert.deepEqual(await violations(noWorldOpenIngress, args), []);
    const other = resourceArgs(
      {
        type: "openstack:networking/secGroupRule:SecGroupRule",
        name: "r",
        props: { direction: "ingress", ...open, portRangeMin: 22, portRangeMax: 22 },
      },
      allowed,
    );
    assert.equal((await violations(noWorldOpenIngress, other)).length, 1);
  });

  it("reads only prefix length 0 as the world", () => {
    assert.ok(isWorld("0.0.0.0/0") && isWorld("::/0"));
    assert.ok(!isWorld("10.0.0.0/8") && !isWorld("192.168.0.0/24"));
  });
});

describe("secrets-stay-secret", () => {
  it("fails an SSH private key in a plain-text connection", async () => {
    const v = await violations(
      secretsStaySecret,
      command({ connection: { host: "10.0.0.11", user: "lab", privateKey: KEY } }),
    );
    assert.deepEqual(v, [
      "command:remote:Command cluster-k8s-w1-join: connection.privateKey is stored in plain text.",
      "command:remote:Command cluster-k8s-w1-join: connection.privateKey holds a PEM private key in plain text.",
    ]);
  });

  it("fails the jump host's key too, and passes when the connection is a secret", async () => {
    const plainJump = command({
      connection: {
        host: "10.0.0.11",
        privateKey: new Secret(KEY),
        proxy: { host: "j", privateKey: "k" },
      },
    });
    assert.deepEqual(await violations(secretsStaySecret, plainJump), [
      "command:remote:Command cluster-k8s-w1-join: connection.proxy.privateKey is stored in plain text.",
    ]);
    assert.deepEqual(await violations(secretsStaySecret, command({})), []);
  });

  it("fails a plain kubeconfig on the Kubernetes provider and plain OpenStack credentials", async () => {
    const k8s = resourceArgs({
      type: "pulumi:providers:kubernetes",
      name: "cluster-provider",
      props: { kubeconfig: "apiVersion: v1\nkind: Config\n" },
    });
    assert.deepEqual(await violations(secretsStaySecret, k8s), [
      "pulumi:providers:kubernetes cluster-provider: kubeconfig is stored in plain text.",
    ]);
    const os = resourceArgs({
      type: "pulumi:providers:openstack",
      name: "openstack",
      props: { cloud: "lab", password: "hunter2", applicationCredentialSecret: new Secret("s") },
    });
    assert.deepEqual(await violations(secretsStaySecret, os), [
      "pulumi:providers:openstack openstack: password is stored in plain text.",
    ]);
  });

  it("fails a kubeadm token or a private key in any plain value, and passes them as secrets", async () => {
    const plain = command({ create: `kubeadm join 10.0.0.1:6443 --token ${TOKEN}` });
    assert.deepEqual(await violations(secretsStaySecret, plain), [
      "command:remote:Command cluster-k8s-w1-join: create holds a kubeadm bootstrap token in plain text.",
    ]);
    const values = resourceArgs({
      type: HELM_RELEASE,
      name: "cni-calico",
      props: { values: { certs: [{ key: KEY }] } },
    });
    assert.deepEqual(await violations(secretsStaySecret, values), [
      `${HELM_RELEASE} cni-calico: values.certs[0].key holds a PEM private key in plain text.`,
    ]);
    const secret = command({ create: new Secret(`kubeadm join --token ${TOKEN}`) });
    assert.deepEqual(await violations(secretsStaySecret, secret), []);
  });

  it("does not guess about values unknown during preview", async () => {
    const k8s = resourceArgs({
      type: "pulumi:providers:kubernetes",
      name: "cluster-provider",
      props: { kubeconfig: UNKNOWN_STRING },
    });
    assert.deepEqual(await violations(secretsStaySecret, k8s), []);
  });

  it("declares itself not applicable when no remediation ran (enforcement level changed)", async () => {
    const args = command({ connection: { host: "h", privateKey: KEY } });
    const checks = secretsStaySecret.validateResource;
    assert.ok(typeof checks === "function");
    assert.throws(() => checks(args, () => assert.fail("no violation expected")), /remediate/);
  });
});

describe("no-exposed-credentials", () => {
  it("fails an OpenStack key pair without the lab's public key (a generated private key in state)", async () => {
    const kp = resourceArgs({
      type: "openstack:compute/keypair:Keypair",
      name: "openstack-keypair",
      props: { name: "lab" },
    });
    const v = await violations(noExposedCredentials, kp);
    assert.equal(v.length, 1);
    assert.match(v[0], /has no publicKey: OpenStack would generate the key pair/);
    const withKey = resourceArgs({
      type: "openstack:compute/keypair:Keypair",
      name: "openstack-keypair",
      props: { name: "lab", publicKey: "ssh-ed25519 AAAA lab", privateKey: new Secret(KEY) },
    });
    assert.match((await violations(noExposedCredentials, withKey))[0], /carries a privateKey/);
  });

  it("fails a command that hides its output (logging none) without secret stdout/stderr", async () => {
    const v = await violations(
      noExposedCredentials,
      command({ logging: "none" }, { additionalSecretOutputs: ["stdout"] }),
    );
    assert.equal(v.length, 1);
    assert.match(
      v[0],
      /has logging "none" \(it prints a secret\) but stderr is not in additionalSecretOutputs/,
    );
    const ok = command({ logging: "none" }, { additionalSecretOutputs: ["stdout", "stderr"] });
    assert.deepEqual(await violations(noExposedCredentials, ok), []);
  });
});

describe("remote-commands-have-delete", () => {
  it("fails a command without delete", async () => {
    const v = await violations(commandsHaveDelete, command({ delete: undefined }));
    assert.equal(v.length, 1);
    assert.match(
      v[0],
      /cluster-k8s-w1-join has no delete: pulumi destroy would leave what its create did/,
    );
    assert.equal((await violations(commandsHaveDelete, command({ delete: "  " }))).length, 1);
  });

  it("passes the read-only kubeconfig command by its name suffix, and the config can name others", async () => {
    const kubeconfig = resourceArgs({
      type: "command:remote:Command",
      name: "cluster-kubeconfig",
      props: { connection: new Secret({ host: "h" }), create: "cat admin.conf" },
    });
    assert.deepEqual(await violations(commandsHaveDelete, kubeconfig), []);
    const probe = (config: object) =>
      resourceArgs(
        { type: "command:remote:Command", name: "lab-probe", props: { create: "ip -d link" } },
        config,
      );
    assert.equal((await violations(commandsHaveDelete, probe({}))).length, 1);
    assert.deepEqual(
      await violations(commandsHaveDelete, probe({ readOnlyCommands: ["-probe"] })),
      [],
    );
  });

  it("passes a delete unknown during preview, and leaves other resource types alone", async () => {
    assert.deepEqual(await violations(commandsHaveDelete, command({ delete: UNKNOWN_STRING })), []);
    const net = resourceArgs({ type: LIBVIRT_NETWORK, name: "n", props: {} });
    assert.deepEqual(await violations(commandsHaveDelete, net), []);
  });
});
