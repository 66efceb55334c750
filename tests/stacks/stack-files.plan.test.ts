// Every committed stack file (one per lab) is a valid lab and holds no secret in plain text.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { formatReport } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { labNameFromPath, readStackFile } from "../../components/spec/stack-file";
import { plaintextSecrets, plaintextSecretsInFile, REPO, stackFiles } from "./scan";

const files = stackFiles();

describe("the committed stack files", () => {
  it("are the dry lab and the four scenarios (at least)", () => {
    for (const f of [
      "Pulumi.dev.yaml",
      "Pulumi.a-vxlan-stretch.yaml",
      "Pulumi.b-openstack-calico.yaml",
      "Pulumi.c-cilium-subnets.yaml",
      "Pulumi.d-libvirt-routed.yaml",
    ]) {
      assert.ok(files.includes(f), `${f} is not tracked`);
    }
    assert.ok(!files.includes("Pulumi.yaml"));
  });

  for (const file of files) {
    describe(file, () => {
      const path = join(REPO, file);

      it("is a valid lab (readStackFile + loadLab: no error)", () => {
        const stack = readStackFile(path);
        assert.equal(stack.lab, labNameFromPath(file));
        const result = loadLab(stack.raw, stack.lab);
        const findings = [...stack.findings, ...(result.ok ? [] : result.findings)];
        const errors = findings.filter((f) => f.severity === "error");
        assert.equal(errors.length, 0, formatReport(errors));
        assert.ok(result.ok);
      });

      it("holds no secret in plain text", () => {
        assert.deepEqual(plaintextSecretsInFile(path), []);
      });
    });
  }
});

describe("the plaintext-secret check", () => {
  const KEY = [
    "-----BEGIN OPENSSH PRIVATE KEY-----",
    "b3BlbnNzaC1rZXktdjEAAAAABG5vbmUAAAAEbm9uZQAAAAAAAAABAAAAMwAAAAtzc2gtZW",
    "-----END OPENSSH PRIVATE KEY-----",
  ].join("\n");

  it("fails a stack file with a planted private key, and names the key and the fix", () => {
    const dir = mkdtempSync(join(tmpdir(), "lf-stack-"));
    const file = join(dir, "Pulumi.planted.yaml");
    const text = readFileSync(join(REPO, "Pulumi.a-vxlan-stretch.yaml"), "utf8").replace(
      "config:\n",
      `config:\n  labfabric:sshPrivateKey: |\n${KEY.split("\n")
        .map((l) => `    ${l}`)
        .join("\n")}\n`,
    );
    writeFileSync(file, text);
    assert.deepEqual(plaintextSecretsInFile(file), [
      "labfabric:sshPrivateKey is set in plain text. Fix: pulumi config set --secret labfabric:sshPrivateKey < file",
      "config.labfabric:sshPrivateKey holds a PEM private key",
    ]);
    // readStackFile (what `pulumi up` and `npm run render` use) refuses it too.
    assert.ok(readStackFile(file).findings.some((f) => f.path === "sshPrivateKey"));
  });

  it("fails every secret key in plain text: ours and the providers'", () => {
    const found = plaintextSecrets(
      [
        "config:",
        "  labfabric:openstackPassword: hunter2",
        "  labfabric:openstackApplicationCredentialSecret: s3cr3t",
        "  openstack:password: hunter2",
        "  openstack:token: gAAAA",
        "  kubernetes:kubeconfig: 'apiVersion: v1'",
        "  openstack:cloud: lab",
      ].join("\n"),
    );
    assert.deepEqual(
      found.map((l) => l.split(" ")[0]),
      [
        "labfabric:openstackPassword",
        "labfabric:openstackApplicationCredentialSecret",
        "openstack:password",
        "openstack:token",
        "kubernetes:kubeconfig",
      ],
    );
  });

  it("fails a key or a kubeadm token hidden anywhere in a value", () => {
    const found = plaintextSecrets(
      [
        "config:",
        "  labfabric:kubernetes:",
        "    nodes:",
        "      - { name: n1, note: 'kubeadm join 10.0.0.1:6443 --token abcdef.0123456789abcdef' }",
        "  labfabric:libvirt:",
        `    images: { k: "${KEY.replace(/\n/g, "\\n")}" }`,
      ].join("\n"),
    );
    assert.deepEqual(found, [
      "config.labfabric:kubernetes.nodes[0].note holds a kubeadm token",
      "config.labfabric:libvirt.images.k holds a PEM private key",
    ]);
  });

  it("passes secrets set with --secret (secure: values) and empty defaults", () => {
    assert.deepEqual(
      plaintextSecrets(
        [
          "encryptionsalt: v1:Zm9vYmFy:v1:YWJjZGVm:c2FsdA==",
          "config:",
          "  labfabric:sshPrivateKey:",
          "    secure: v1:AAAABBBBCCCC:abcdef.0123456789abcdef",
          "  openstack:password: { secure: 'v1:xyz' }",
          '  labfabric:openstackPassword: ""',
        ].join("\n"),
      ),
      [],
    );
  });
});
