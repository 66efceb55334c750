// The offline render: every stack becomes a plan.md with the topology (Mermaid), the MTU
// budget, the fabric and the CNI decision; a broken stack file writes nothing and says why.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { renderLab } from "../../scripts/render";
import { hostKeyLine, REPO, STACKS } from "../lab/helpers";

const scratch = mkdtempSync(join(tmpdir(), "labfabric-render-"));
after(() => rmSync(scratch, { recursive: true, force: true }));
let n = 0;
const freshDir = () => join(scratch, `out-${n++}`);

const PUBLIC_A =
  'WARNING labfabric:fabric.vmSubnet = "12.12.139.0/24": is not a private range: inside the lab it shadows real hosts on the internet. Fix: use a block from 10.0.0.0/8, 172.16.0.0/12, 192.168.0.0/16 or 100.64.0.0/10';
const NATIVE_C =
  'WARNING labfabric:kubernetes.cni.mode = "native": native routing with nodes in 2 L3 subnets (192.168.10.0/24, 192.168.20.0/24): autoDirectNodeRoutes only reaches nodes on the same L2 segment; switched to tunnel-vxlan. Fix: set mode "tunnel-vxlan" explicitly to silence this';

/** Labs with OpenStack instances learn their host keys on first use, by an explicit setting. */
const tofu = (instances: string[]) =>
  `WARNING labfabric:sshHostKeys = "trust-on-first-use": the first connection to ${instances.map((i) => `instance ${i}`).join(", ")} trusts whatever key answers (ssh-keyscan); the key is kept in state and checked from then on. Fix: nothing to pin: an instance's key exists only once it boots (compare it with \`openstack console log show <instance>\`)`;
const TOFU_B = tofu(["k8s-cp", "k8s-w1", "k8s-w2", "k8s-w3"]);
const TOFU_D = tofu(["k8s-worker-1", "k8s-worker-2"]);

/** [stack, the exact report, lines plan.md must contain] */
const CASES: [keyof typeof STACKS, string, string[]][] = [
  [
    "a",
    PUBLIC_A,
    [
      "| host host1, host host2 | underlay ens34f0 |  | 1500 |",
      "|  | host VXLAN (VNI 39) | 50 | 1450 |",
      "|  | VM NIC |  | 1450 |",
      "|  | CNI calico IPIP -> pod | 20 | 1430 |",
      "Fabric overhead 50 bytes; VM NIC MTU **1450**; pod MTU **1430**.",
      "- plugin **calico**, mode **IPIP**, encapsulation ipip",
      "- unicast remote 192.168.0.24 (two hosts)",
      "| IP proto 4 | - | cluster | control-plane, worker | Calico IPIP (IP protocol 4) |",
      `- ${PUBLIC_A}`,
    ],
  ],
  [
    "b",
    TOFU_B,
    [
      "| OpenStack k8s-net | OpenStack network k8s-net |  | 1450 |",
      "|  | instance NIC |  | 1450 |",
      "|  | CNI calico IPIP -> pod | 20 | 1430 |",
      "No bare-metal hosts: no fabric and no VM NICs; pod MTU **1430**.",
      "- plugin **calico**, mode **IPIP**, encapsulation ipip",
      "- pod pool 172.16.0.0/16, service range 10.32.0.0/16, pod MTU **1430**",
      "| IP proto 4 | - | cluster | control-plane, worker | Calico IPIP (IP protocol 4) |",
    ],
  ],
  [
    "c",
    NATIVE_C,
    [
      "| node k8s-ctr, node k8s-w1, node k8s-w0 | node NIC |  | 1500 |",
      "|  | CNI cilium tunnel-vxlan -> pod | 50 | 1450 |",
      "- plugin **cilium**, mode **tunnel-vxlan** (requested native), encapsulation vxlan",
      "| udp | 8472 | cluster | control-plane, worker | Cilium VXLAN |",
      `- ${NATIVE_C}`,
    ],
  ],
  [
    "d",
    TOFU_D,
    [
      "| host kubernetes-host | underlay eno1 |  | 1500 |",
      "|  | VM NIC |  | 1500 |",
      "|  | CNI flannel vxlan -> pod | 50 | 1450 |",
      "Fabric overhead 0 bytes; VM NIC MTU **1500**; pod MTU **1450**.",
      "- plugin **flannel**, mode **vxlan**, encapsulation vxlan",
      "- route 192.168.100.0/24 via 10.10.10.2 (openstack-host)",
      "- route 172.20.112.0/24 via 10.10.10.1 (kubernetes-host)",
      '  int_kubernetes_host -- "route 192.168.100.0/24 via 10.10.10.2" --> int_openstack_host',
      "| udp | 8472 | cluster | control-plane, worker | Flannel VXLAN |",
    ],
  ],
  [
    "dev",
    "",
    [
      "| host lf-h1, host lf-h2, host lf-h3 | underlay eth0 |  | 1500 |",
      "|  | host VXLAN (VNI 42) | 50 | 1450 |",
      "|  | VM NIC |  | 1450 |",
      "Fabric overhead 50 bytes; VM NIC MTU **1450**.",
      "- FDB 00:00:00:00:00:00 dst 10.250.0.12 (head-end replication)",
      "- FDB 00:00:00:00:00:00 dst 10.250.0.13 (head-end replication)",
      "Kubernetes is not enabled in this lab.",
    ],
  ],
];

describe("renderLab writes plan.md for every stack", () => {
  for (const [stack, report, lines] of CASES) {
    it(`renders ${stack} with ${report ? "exactly its warning" : "no warnings"}`, async () => {
      const out = freshDir();
      const result = await renderLab(STACKS[stack], out, { resources: false });
      assert.deepEqual(
        [result.ok, result.report, result.files[0]],
        [true, report, join(out, "plan.md")],
      );
      // The per-host fabric scripts, exactly what the host-fabric component runs.
      for (const f of result.files.slice(1)) assert.match(f, /\/hosts\/[a-z0-9-]+\/(up|down)\.sh$/);
      const md = readFileSync(join(out, "plan.md"), "utf8");
      assert.match(md, /^# Lab `[a-z0-9-]+`\n/);
      assert.match(md, /\n```mermaid\nflowchart LR\n[\s\S]+?\n```\n/);
      for (const h of [
        "## Topology",
        "## MTU budget",
        "## Host fabric",
        "## CNI decision",
        "## Validation warnings",
      ]) {
        assert.ok(md.includes(`\n${h}\n`), `${stack}: section ${h}`);
      }
      const mdLines = md.split("\n");
      for (const line of lines)
        assert.ok(mdLines.includes(line), `${stack}: plan.md lacks the line\n${line}`);
      if (!report) assert.ok(md.includes("## Validation warnings\n\nNone.\n"));
    });
  }

  it("renders the same plan.md twice (deterministic)", async () => {
    const [x, y] = [freshDir(), freshDir()];
    await renderLab(STACKS.a, x, { resources: false });
    await renderLab(STACKS.a, y, { resources: false });
    assert.equal(
      readFileSync(join(x, "plan.md"), "utf8"),
      readFileSync(join(y, "plan.md"), "utf8"),
    );
  });
});

const BROKEN = `config:
  labfabric:sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----"
  labfabric:hosts:
    - name: h1
      ssh: { address: 192.168.0.11, hostKey: ${hostKeyLine(1)} }
      underlay: { interface: "eth0;touch /tmp/pwned", address: 192.168.0.11/24 }
    - name: h2
      ssh: { address: 192.168.0.12, hostKey: ${hostKeyLine(2)} }
      underlay: { interface: eth0, address: 192.168.0.12/24 }
  labfabric:fabric: { mode: vxlan, vni: 0, vmSubnet: 10.39.0.0/24 }
`;
const IFNAME =
  "must be a Linux interface name: 1-15 of letters, digits, '.', '_', '-' (see `ip link`)";
const BROKEN_REPORT = [
  "ERROR labfabric:sshPrivateKey = (looks like a secret, not shown): is a secret but is stored in plain text in the stack file. Fix: remove it from the file and run: pulumi config set --secret labfabric:sshPrivateKey < file",
  `ERROR labfabric:hosts[0].underlay.interface = "eth0;touch /tmp/pwned": ${IFNAME}. Fix: set hosts[0].underlay.interface to a Linux interface name`,
  "ERROR labfabric:fabric.vni = 0: must be 1..16777215 (24-bit VNI). Fix: set fabric.vni to 1..16777215",
].join("\n");

describe("a broken stack file renders nothing", () => {
  const file = join(scratch, "Pulumi.broken.yaml");
  writeFileSync(file, BROKEN);

  it("fails with a report naming every bad key, and writes nothing", async () => {
    const out = freshDir();
    assert.deepEqual(await renderLab(file, out), { ok: false, report: BROKEN_REPORT, files: [] });
    assert.equal(existsSync(out), false);
  });

  it("fails when only the stack file is wrong (a plaintext secret in an otherwise valid lab)", async () => {
    const devWithKey = `${readFileSync(STACKS.dev, "utf8")}  labfabric:sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----"\n`;
    const leaky = join(scratch, "Pulumi.leaky.yaml");
    writeFileSync(leaky, devWithKey);
    const out = freshDir();
    const result = await renderLab(leaky, out);
    assert.deepEqual([result.ok, result.files], [false, []]);
    assert.equal(result.report, BROKEN_REPORT.split("\n")[0]);
    assert.equal(existsSync(out), false);
  });

  it("the CLI exits non-zero with the report on stderr and nothing on stdout", () => {
    const out = freshDir();
    const run = spawnSync("npm", ["run", "-s", "render", "--", file, "--out", out], {
      cwd: REPO,
      encoding: "utf8",
      timeout: 60_000,
    });
    assert.equal(run.status, 1, run.stderr);
    assert.ok(run.stderr.includes(BROKEN_REPORT), run.stderr);
    assert.ok(run.stderr.includes(`labfabric: ${file} is not a valid lab; nothing was rendered.`));
    assert.equal(run.stdout, "");
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(scratch).filter((f) => f.startsWith("plan")),
      [],
    );
  });
});
