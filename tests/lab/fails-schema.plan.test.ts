// Failing cases for the schema and its strict patterns: every value that ends up in a shell
// script, a file or a resource name is refused with the key, the value, the rule and the fix.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import * as p from "../../components/spec/patterns";
import { assertFails, load, vxlanLab } from "./helpers";

const IFNAME =
  "must be a Linux interface name: 1-15 of letters, digits, '.', '_', '-' (see `ip link`)";
const DNS_LABEL =
  "must be a DNS label: lowercase letters, digits and '-', 1-63 characters, e.g. \"node-1\"";
/** The fix a broken rule gets, in plain words: "must be a DNS label: ..." -> "set <key> to a DNS label". */
function plainFix(key: string, message: string): string {
  const head = message.split(/: | \(/)[0];
  if (head.startsWith("must be ")) return `set ${key} to ${head.slice("must be ".length)}`;
  if (head.startsWith("must not contain ")) return `remove ${head.slice(17)} from ${key}`;
  if (head.startsWith("must have ")) return `give ${key} ${head.slice("must have ".length)}`;
  return `${head.replace(/^must /, "")} in ${key}`;
}
const rule = (key: string, value: string, message: string) =>
  `ERROR labfabric:${key} = ${value}: ${message}. Fix: ${plainFix(key, message)}`;

describe("hostile values that could break out of a rendered script", () => {
  it("fails when an underlay interface carries a shell command (eth0;touch /tmp/pwned)", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![0].underlay.interface = "eth0;touch /tmp/pwned")),
      [rule("hosts[0].underlay.interface", '"eth0;touch /tmp/pwned"', IFNAME)],
    );
  });

  it("fails when the fabric bridge is a command substitution (br$(id))", () => {
    assertFails(
      vxlanLab((s) => (s.fabric!.bridge = "br$(id)")),
      [rule("fabric.bridge", '"br$(id)"', IFNAME)],
    );
  });

  it("fails when an interface name is longer than IFNAMSIZ allows", () => {
    assertFails(
      vxlanLab((s) => (s.fabric!.vxlanDevice = "vxlan-labfabric0")),
      [rule("fabric.vxlanDevice", '"vxlan-labfabric0"', IFNAME)],
    );
  });

  it("fails when a host name contains a quote", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![1].name = "h2'")),
      [rule("hosts[1].name", `"h2'"`, DNS_LABEL)],
    );
  });

  it("fails when a path climbs out with '..'", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![0].root = "/run/../etc")),
      [rule("hosts[0].root", '"/run/../etc"', "must not contain '..'")],
    );
  });

  it("fails when an SSH address is not an address or hostname", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![0].ssh.address = "host;rm -rf /")),
      [
        rule(
          "hosts[0].ssh.address",
          '"host;rm -rf /"',
          "must be an IPv4 address or a DNS hostname",
        ),
      ],
    );
  });

  it("fails when an SSH user carries a command substitution", () => {
    const msg = "must be a Unix user name: lowercase letter or '_' then up to 31 of [a-z0-9_-]";
    assertFails(
      vxlanLab((s) => (s.hosts![0].ssh.user = "root$(id)")),
      [rule("hosts[0].ssh.user", '"root$(id)"', msg)],
    );
  });

  it("fails when the public key smuggles a second line", () => {
    const msg = "must be one OpenSSH public key line: '<type> <base64> [comment]'";
    assertFails(
      vxlanLab((s) => (s.sshPublicKey = "ssh-ed25519 AAAA\nrm -rf /")),
      [rule("sshPublicKey", '"ssh-ed25519 AAAA\\nrm -rf /"', msg)],
    );
  });

  it("fails fast when an image path ends in a space (no catastrophic backtracking)", () => {
    const path = "/var/lib/libvirt/images/Rocky-9-GenericCloud-Base.latest.x86_64.qcow2 ";
    const msg =
      "must be an http(s):// or file:// URL or an absolute local path to a qcow2/raw image";
    const started = Date.now();
    assertFails(
      vxlanLab((s) => (s.libvirt!.images = { rocky9: path })),
      [rule("libvirt.images.rocky9", JSON.stringify(path), msg)],
    );
    assert.ok(Date.now() - started < 1000, "the pattern must not backtrack exponentially");
  });
  it("fails when an image URL closes its quotes and substitutes a command", () => {
    const url = "https://example.org/r9.qcow2'$(reboot)'";
    const msg =
      "must be an http(s):// or file:// URL or an absolute local path to a qcow2/raw image";
    assertFails(
      vxlanLab((s) => (s.libvirt!.images = { rocky9: url })),
      [rule("libvirt.images.rocky9", JSON.stringify(url), msg)],
    );
  });

  it("fails when a chart repository URL carries a command", () => {
    const repo = "https://helm.example.org/';reboot;'";
    assertFails(
      vxlanLab((s) => (s.kubernetes!.cni!.chart = { repo })),
      [rule("kubernetes.cni.chart.repo", JSON.stringify(repo), "must be an http(s) URL")],
    );
  });
});

describe("numbers out of range", () => {
  const VNI = "must be 1..16777215 (24-bit VNI)";
  for (const vni of [0, 16777216]) {
    it(`fails when the VNI is ${vni}`, () => {
      assertFails(
        vxlanLab((s) => (s.fabric!.vni = vni)),
        [rule("fabric.vni", String(vni), VNI)],
      );
    });
  }

  it("fails when the VNI is not a whole number", () => {
    assertFails(
      vxlanLab((s) => (s.fabric!.vni = 1.5)),
      [
        "ERROR labfabric:fabric.vni = 1.5: must be a whole number. Fix: give fabric.vni a whole number",
      ],
    );
  });

  it("fails when the VXLAN port is 0", () => {
    assertFails(
      vxlanLab((s) => (s.fabric!.port = 0)),
      [rule("fabric.port", "0", "must be 1..65535")],
    );
  });

  it("fails when an SSH port is 65536", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![0].ssh.port = 65536)),
      [rule("hosts[0].ssh.port", "65536", "must be 1..65535")],
    );
  });

  it("fails when an MTU is 100", () => {
    assertFails(
      vxlanLab((s) => (s.hosts![0].underlay.mtu = 100)),
      [rule("hosts[0].underlay.mtu", "100", "must be 576..9216")],
    );
  });

  it("fails when the control-plane endpoint's port is 99999", () => {
    const msg = "must have a port 1..65535, like 172.20.112.101:6443";
    assertFails(
      vxlanLab((s) => (s.kubernetes!.controlPlaneEndpoint = "10.39.0.5:99999")),
      [rule("kubernetes.controlPlaneEndpoint", '"10.39.0.5:99999"', msg)],
    );
  });

  it("fails when rp_filter is not 0, 1 or 2", () => {
    assertFails(
      vxlanLab((s) => Object.assign(s.fabric!, { rpFilter: 3 })),
      ["ERROR labfabric:fabric.rpFilter = 3: must be one of 0, 1, 2. Fix: use one of 0, 1, 2"],
    );
  });
});

describe("addresses and MACs", () => {
  it("fails when a MAC is multicast", () => {
    const msg = "must be a unicast MAC (first octet even), e.g. 52:54:00:...";
    assertFails(
      vxlanLab((s) => (s.vms![0].nics[0].mac = "01:00:5e:00:00:01")),
      [rule("vms[0].nics[0].mac", '"01:00:5e:00:00:01"', msg)],
    );
  });

  it("fails when a MAC is upper-case", () => {
    const msg = "must be a lowercase MAC address like 52:54:00:12:34:56";
    assertFails(
      vxlanLab((s) => (s.vms![0].nics[0].mac = "52:54:00:AB:CD:EF")),
      [rule("vms[0].nics[0].mac", '"52:54:00:AB:CD:EF"', msg)],
    );
  });

  it("fails when a CIDR has host bits set, naming the network it meant", () => {
    const msg = "must be a network address without host bits, like 10.39.0.0/24";
    assertFails(
      vxlanLab((s) => (s.fabric!.vmSubnet = "10.39.0.5/24")),
      [rule("fabric.vmSubnet", '"10.39.0.5/24"', msg)],
    );
  });

  it("fails when a CIDR has a command appended", () => {
    const msg = "must be an IPv4 network in CIDR form, like 10.39.0.0/24";
    assertFails(
      vxlanLab((s) => (s.fabric!.vmSubnet = "10.39.0.0/24; reboot")),
      [rule("fabric.vmSubnet", '"10.39.0.0/24; reboot"', msg)],
    );
  });

  it("fails when an interface address has an octet above 255", () => {
    const msg = "must be an IPv4 address with prefix length, like 192.168.0.23/24";
    assertFails(
      vxlanLab((s) => (s.hosts![0].underlay.address = "192.168.0.300/24")),
      [rule("hosts[0].underlay.address", '"192.168.0.300/24"', msg)],
    );
  });
});

describe("shape: unknown keys, types, enums, required keys", () => {
  it("fails when a key is misspelt (fabric.vnii)", () => {
    assertFails(
      vxlanLab((s) => Object.assign(s.fabric!, { vnii: 7 })),
      [
        "ERROR labfabric:fabric.vnii = 7: is not a known key (did you mean fabric.vni?). Fix: rename it to fabric.vni",
      ],
    );
  });

  it("fails when a top-level key is misspelt (labfabric:host)", () => {
    assertFails(
      vxlanLab((s) => Object.assign(s, { host: [] })),
      [
        "ERROR labfabric:host = []: is not a known key (did you mean hosts?). Fix: rename it to hosts",
      ],
    );
  });

  it("fails when a number is given as a string", () => {
    assertFails(
      vxlanLab((s) => Object.assign(s.fabric!, { vni: "39" })),
      ['ERROR labfabric:fabric.vni = "39": must be of type number. Fix: give fabric.vni a number'],
    );
  });

  it("fails when the fabric mode is not one of the modes", () => {
    assertFails(
      vxlanLab((s) => Object.assign(s.fabric!, { mode: "gre" })),
      [
        'ERROR labfabric:fabric.mode = "gre": must be one of "vxlan", "routed", "none". Fix: use one of "vxlan", "routed", "none"',
      ],
    );
  });

  it("fails when a required key is missing", () => {
    assertFails(
      vxlanLab((s) => Object.assign(s.hosts![0], { underlay: { address: "192.168.0.11/24" } })),
      [
        "ERROR labfabric:hosts[0].underlay.interface = (unset): is required (string). Fix: set hosts[0].underlay.interface",
      ],
    );
  });

  it("fails when a VM has no NIC", () => {
    assertFails(
      vxlanLab((s) => (s.vms![0].nics = [])),
      [rule("vms[0].nics", "[]", "must list at least one NIC (a VM needs one)")],
    );
  });
});

describe("patterns accept what real labs use", () => {
  const good: [string, { safeParse: (v: unknown) => { success: boolean } }, string[]][] = [
    ["interface names", p.interfaceName, ["eth0", "ens34f0", "br-vm", "eth0.100", "vxlan_lf"]],
    ["absolute paths", p.absolutePath, ["/", "/run/labfabric-lab/lf-h1", "/var/lib/", "/a.b/c_d"]],
    [
      "image references",
      p.imageRef,
      [
        "/var/lib/libvirt/images/r9.qcow2",
        "https://example.org/r9.qcow2",
        "file:///srv/r9.img",
        "https://bucket.example.org/r9.qcow2?X-Sig=ab%2F&X-Date=20250101T000000Z",
      ],
    ],
    ["MACs", p.macAddress, ["52:54:00:6b:3c:58", "02:00:00:00:00:01"]],
  ];
  for (const [name, schema, values] of good) {
    it(`accepts ${name}`, () => {
      for (const v of values) assert.equal(schema.safeParse(v).success, true, v);
    });
  }

  it("refuses the near misses", () => {
    for (const [schema, v] of [
      [p.absolutePath, "relative/path"],
      [p.absolutePath, "//double"],
      [p.imageRef, "/"],
      [p.interfaceName, ".."],
      [p.ipv4Cidr, "10.0.0.0/33"],
    ] as const) {
      assert.equal(schema.safeParse(v).success, false, v);
    }
  });

  it("the base lab itself loads with no findings", () => {
    assert.deepEqual(load(vxlanLab()).warnings, []);
  });
});
