// Failing cases for validate-mtu.ts, the stack file reader and the stack name, and labs with
// many mistakes that must all be reported in one run.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { formatFinding } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { parseStackConfig } from "../../components/spec/stack-file";
import {
  assertFails,
  E,
  findingsOf,
  host,
  routedLab,
  TOFU_OS,
  vxlanLab,
  withOpenstack,
} from "./helpers";

describe("MTU", () => {
  it("fails when fabric.vmMtu is above what the fabric carries (post A's black hole)", () => {
    assertFails(
      vxlanLab((s) => (s.fabric!.vmMtu = 1500)),
      [
        E(
          "fabric.vmMtu",
          "1500",
          "is above the 1450 bytes the fabric carries (smallest underlay minus vxlan overhead): full-size packets would be black-holed while small pings pass",
          "remove it (labfabric plans 1450) or set it lower",
        ),
      ],
    );
  });

  it("fails when kubernetes.cni.mtu is above what the CNI can carry", () => {
    assertFails(
      vxlanLab((s) => (s.kubernetes!.cni!.mtu = 1450)),
      [
        E(
          "kubernetes.cni.mtu",
          "1450",
          "is above the 1430 bytes a calico IPIP packet can carry over the smallest node NIC",
          "remove it (labfabric plans 1430) or set it lower",
        ),
      ],
    );
  });

  // One error per key that is too small, naming every layer and path it leaves below 1280.
  const below = (key: string, value: number, layers: string, paths: string, pin = false) =>
    E(
      key,
      String(value),
      `leaves ${layers} bytes (${paths}), below the 1280-byte minimum (IPv6)`,
      pin
        ? "remove it or set it so every layer stays at 1280 or more"
        : "raise the underlay/network MTU or use fewer stacked encapsulations",
    );

  it("fails when a small underlay leaves layers below 1280", () => {
    assertFails(
      vxlanLab((s) => (s.hosts = [host(1, 9000), host(2, 1300)])),
      [
        below(
          "hosts[1].underlay.mtu",
          1300,
          "host VXLAN (VNI 42) at 1250, VM NIC at 1250, CNI calico IPIP -> pod at 1230",
          "host h1, host h2",
        ),
      ],
    );
  });

  it("fails when a node-less small host drags the pods on another host below 1280", () => {
    const lab = vxlanLab(
      (s) => ((s.hosts = [host(1, 9000), host(2, 1330)]), (s.vms = [s.vms![0]])),
    );
    assertFails(lab, [
      below("hosts[1].underlay.mtu", 1330, "CNI calico IPIP -> pod at 1260", "host h1"),
    ]);
  });

  it("fails when a pinned fabric.vmMtu leaves the pods below 1280 (blamed on the pin)", () => {
    assertFails(
      vxlanLab((s) => (s.fabric!.vmMtu = 1290)),
      [below("fabric.vmMtu", 1290, "CNI calico IPIP -> pod at 1270", "host h1, host h2", true)],
    );
  });

  it("fails when kubernetes.cni.mtu is pinned below 1280 (blamed on the pin)", () => {
    assertFails(
      vxlanLab((s) => (s.kubernetes!.cni!.mtu = 1000)),
      [
        below(
          "kubernetes.cni.mtu",
          1000,
          "CNI calico IPIP -> pod at 1000",
          "host h1, host h2",
          true,
        ),
      ],
    );
  });

  it("fails when an OpenStack network leaves its pods below 1280 (only its own path is blamed)", () => {
    assertFails(
      vxlanLab((s) => (withOpenstack(s), (s.openstack!.networks![0].mtu = 1290))),
      [
        below(
          "openstack.networks[0].mtu",
          1290,
          "CNI calico IPIP -> pod at 1270",
          "OpenStack k8s-net",
        ),
        TOFU_OS,
      ],
    );
  });
});

describe("stack file and stack name", () => {
  it("fails when labfabric:sshPrivateKey is in plain text", () => {
    const sf = parseStackConfig(
      'config:\n  labfabric:sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----"\n',
      "x",
    );
    assert.deepEqual(sf.findings.map(formatFinding), [
      E(
        "sshPrivateKey",
        "(looks like a secret, not shown)",
        "is a secret but is stored in plain text in the stack file",
        "remove it from the file and run: pulumi config set --secret labfabric:sshPrivateKey < file",
      ),
    ]);
    assert.equal(
      JSON.stringify(sf).includes("BEGIN OPENSSH"),
      false,
      "the secret never leaves the reader",
    );
  });

  it("fails when a non-secret key is set as secure", () => {
    const sf = parseStackConfig(
      "config:\n  labfabric:fabric:\n    secure: AAABAxyz\n  labfabric:openstackPassword:\n    secure: v1:abc\n",
      "x",
    );
    assert.deepEqual(sf.findings.map(formatFinding), [
      E(
        "fabric",
        '"(secret)"',
        "is set as a secret but labfabric reads it as plain config",
        "set it without --secret (secrets are: sshPrivateKey, openstackPassword, openstackApplicationCredentialSecret)",
      ),
    ]);
    assert.deepEqual(sf.secrets, ["openstackPassword"]);
  });

  it("fails when the stack name is not a DNS label", () => {
    const r = loadLab(vxlanLab(), "Bad_Name");
    assert.deepEqual(r.ok ? [] : r.findings.map(formatFinding), [
      E(
        "(stack name)",
        '"Bad_Name"',
        "must be a DNS label of up to 32 characters",
        "rename the stack",
      ),
    ]);
  });
});

describe("every mistake is reported in one run", () => {
  it("fails with all cross-key errors at once, in check order", () => {
    const lab = routedLab((s) => {
      s.fabric!.rpFilter = 1;
      s.vms![0].image = "debian12";
      s.hosts![1].capacity = { vcpus: 1, memoryMiB: 512 };
      s.networks![0].gateway = "172.20.113.1";
      delete s.kubernetes!.podSubnet;
    });
    const found = findingsOf(lab).map((f) => f.split(":")[1].split(" = ")[0]);
    assert.deepEqual(found, [
      "vms[0].image",
      "fabric.rpFilter",
      "hosts[1].capacity.vcpus",
      "hosts[1].capacity.memoryMiB",
      "networks[0].gateway",
      "networks[1].gateway",
      "kubernetes.podSubnet",
    ]);
  });

  it("fails with all schema errors at once", () => {
    const lab = vxlanLab((s) => {
      s.hosts![0].underlay.interface = "eth0;touch /tmp/pwned";
      s.fabric!.vni = 0;
      s.fabric!.port = 65536;
      s.vms![0].nics[0].mac = "01:00:5e:00:00:01";
      Object.assign(s.fabric!, { vnii: 7 });
    });
    const found = findingsOf(lab).map((f) => f.split(":")[1].split(" = ")[0]);
    assert.deepEqual(found.sort(), [
      "fabric.port",
      "fabric.vni",
      "fabric.vnii",
      "hosts[0].underlay.interface",
      "vms[0].nics[0].mac",
    ]);
  });
});
