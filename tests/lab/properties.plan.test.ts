// Properties over generated valid labs (fast-check): 2-8 hosts on a private underlay, a VXLAN,
// routed or no fabric, 0-30 VMs on the fabric or on per-host NAT networks, random underlay
// MTUs and a random CNI. Whatever the lab, the plan must hold together.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { generatedMac } from "../../components/plan/addresses";
import * as cidr from "../../components/shared/cidr";
import { formatFinding } from "../../components/spec/findings";
import { isMonotonic } from "../../components/plan/mtu";
import { loadLab } from "../../components/load";
import { planLab, type LabPlan } from "../../components/plan/plan";
import { labSpecSchema, type LabSpecInput } from "../../components/spec/schema";
import { hostKeyLine, IMAGE } from "./helpers";

const LAB = "lab";
const CNIS = [
  ["calico", "IPIP"],
  ["calico", "IPIPCrossSubnet"],
  ["calico", "VXLAN"],
  ["calico", "None"],
  ["cilium", "tunnel-vxlan"],
  ["cilium", "tunnel-geneve"],
  ["cilium", "native"],
  ["flannel", "vxlan"],
  // Not flannel host-gw: it needs every node on one L2 segment, which generated labs (fabric +
  // per-host NAT networks) do not guarantee, so validation rightly refuses most of them. The MTU
  // table covers host-gw.
] as const;

const vmArb = fc.record({
  hostPick: fc.nat(),
  onFabric: fc.boolean(),
  explicitAddress: fc.boolean(),
  mac: fc.constantFrom("generated", "explicit", "next-vm's-generated"),
  worker: fc.boolean(),
});

const labArb = (mtu: { min: number; max: number }) =>
  fc.record({
    mtus: fc.array(fc.integer(mtu), { minLength: 2, maxLength: 8 }),
    mode: fc.constantFrom("vxlan", "routed", "none"),
    vmSubnet: fc.record({
      x: fc.integer({ min: 0, max: 255 }),
      prefix: fc.integer({ min: 16, max: 24 }),
    }),
    dhcp: fc.boolean(),
    vms: fc.array(vmArb, { maxLength: 30 }),
    kubernetes: fc.boolean(),
    cni: fc.constantFrom(...CNIS),
    vmMtuBelowPlan: fc.option(fc.integer({ min: 0, max: 300 })),
  });

type Params = ReturnType<typeof labArb> extends fc.Arbitrary<infer T> ? T : never;

/** Build the raw config of a lab from generated parameters; valid by construction. */
function build(p: Params, withPin = false): LabSpecInput {
  const n = p.mtus.length;
  const vmSubnet = `10.${p.vmSubnet.x}.0.0/${p.vmSubnet.prefix}`;
  const hosts = p.mtus.map((mtu, i) => ({
    name: `h${i + 1}`,
    ssh: { address: `192.168.0.${11 + i}`, hostKey: hostKeyLine(i + 1) },
    underlay: { interface: "eth0", address: `192.168.0.${11 + i}/24`, mtu },
    ...(p.mode === "routed" ? { internalAddress: `10.10.10.${i + 1}/24` } : {}),
  }));
  const networks = hosts.map((h, i) => ({
    name: "nat",
    host: h.name,
    bridge: `virbr${i + 1}`,
    cidr: `172.20.${i + 1}.0/24`,
    ...(p.dhcp ? { dhcp: { start: `172.20.${i + 1}.100`, end: `172.20.${i + 1}.200` } } : {}),
  }));
  const vms = p.vms.map((v, k) => {
    const h = v.hostPick % n;
    const onFabric = p.mode === "vxlan" && v.onFabric;
    const address = onFabric ? cidr.nthAddress(vmSubnet, 200 + k) : `172.20.${h + 1}.${210 + k}`;
    const mac =
      v.mac === "explicit"
        ? `02:00:00:00:00:${k.toString(16).padStart(2, "0")}`
        : v.mac === "generated"
          ? undefined
          : generatedMac(LAB, `vm-${(k + 1) % p.vms.length}`, 0);
    return {
      name: `vm-${k}`,
      host: hosts[h].name,
      role:
        k === 0 ? ("control-plane" as const) : v.worker ? ("worker" as const) : ("none" as const),
      vcpus: 1,
      memoryMiB: 512,
      diskGiB: 10,
      image: "rocky9",
      nics: [
        {
          network: onFabric ? "fabric" : "nat",
          ...(v.explicitAddress ? { address } : {}),
          ...(mac ? { mac } : {}),
        },
      ],
    };
  });
  const planned = Math.min(...p.mtus) - (p.mode === "vxlan" ? 50 : 0);
  return {
    hosts,
    fabric: {
      mode: p.mode,
      ...(p.mode === "vxlan" ? { vmSubnet } : {}),
      ...(withPin && p.vmMtuBelowPlan !== null ? { vmMtu: planned - p.vmMtuBelowPlan } : {}),
    },
    networks,
    libvirt: { images: { rocky9: IMAGE } },
    vms,
    kubernetes: {
      enabled: p.kubernetes && vms.length > 0,
      podSubnet: "172.16.0.0/16",
      serviceSubnet: "172.31.0.0/16",
      cni: { plugin: p.cni[0], mode: p.cni[1], onNativeAcrossSubnets: "tunnel" },
    },
  };
}

function mustLoad(raw: LabSpecInput): LabPlan {
  const r = loadLab(raw, LAB);
  if (!r.ok) assert.fail(`generated lab refused:\n${r.findings.map(formatFinding).join("\n")}`);
  return r.plan;
}

const validLab = labArb({ min: 1380, max: 9000 }).map((p) => build(p));
const RUNS = { numRuns: 150 };

describe("properties of plans for generated valid labs", () => {
  it("plans never overlap: host, gateway and VM addresses are distinct, usable and in their subnet", () => {
    fc.assert(
      fc.property(validLab, (raw) => {
        const plan = mustLoad(raw);
        const spec = plan.spec;
        const taken: string[] = [];
        for (const h of plan.hosts) {
          taken.push(cidr.addressOf(h.underlay.address));
          if (h.vxlan) taken.push(cidr.addressOf(h.vxlan.bridgeAddress));
          if (h.routed) taken.push(cidr.addressOf(h.routed.internalAddress));
          if (h.vxlan)
            assert.ok(
              cidr.isUsableHost(spec.fabric.vmSubnet!, cidr.addressOf(h.vxlan.bridgeAddress)),
            );
        }
        for (const n of spec.networks) taken.push(n.gateway ?? cidr.nthAddress(n.cidr, 1));
        assert.equal(plan.vmNics.length, spec.vms.length);
        for (const nic of plan.vmNics) {
          assert.ok(nic.address, `${nic.vm} has an address`);
          const net = spec.networks.find((x) => x.host === nic.host && x.name === nic.network);
          const subnet = nic.network === "fabric" ? spec.fabric.vmSubnet! : net!.cidr;
          const ip = cidr.addressOf(nic.address);
          assert.equal(nic.address, `${ip}/${cidr.prefixLength(subnet)}`);
          assert.ok(cidr.isUsableHost(subnet, ip), `${nic.address} usable in ${subnet}`);
          if (net?.dhcp && !spec.vms.find((v) => v.name === nic.vm)!.nics[0].address) {
            assert.ok(
              cidr.compareAddresses(net.dhcp.start, ip) <= 0 &&
                cidr.compareAddresses(ip, net.dhcp.end) <= 0,
            );
          }
          const gw =
            nic.network === "fabric"
              ? plan.hosts.find((h) => h.host === nic.host)!.vxlan!.bridgeAddress
              : `${net!.gateway ?? cidr.nthAddress(net!.cidr, 1)}/`;
          assert.equal(nic.gateway, cidr.addressOf(gw));
          taken.push(ip);
        }
        assert.equal(new Set(taken).size, taken.length, `duplicates in ${taken.join(", ")}`);
      }),
      RUNS,
    );
  });

  it("the MTU never grows down a path, and no layer is below 1280", () => {
    fc.assert(
      fc.property(validLab, (raw) => {
        const plan = mustLoad(raw);
        for (const path of plan.mtu.paths) {
          assert.ok(isMonotonic(path), JSON.stringify(path.layers));
          for (const l of path.layers)
            assert.ok(l.mtu >= 1280, `${path.name}: ${l.layer} ${l.mtu}`);
        }
        if (plan.mtu.podMtu !== undefined)
          assert.ok(
            plan.mtu.podMtu <= plan.mtu.vmMtu || plan.nodes.every((x) => x.source !== "vm"),
          );
        assert.ok(plan.mtu.vmMtu <= Math.min(...plan.spec.hosts.map((h) => h.underlay.mtu)));
      }),
      RUNS,
    );
  });

  it("the VXLAN peers never include the host itself and the mesh is symmetric", () => {
    fc.assert(
      fc.property(validLab, (raw) => {
        const plan = mustLoad(raw);
        const vx = plan.hosts.filter((h) => h.vxlan);
        if (plan.spec.fabric.mode !== "vxlan") return assert.equal(vx.length, 0);
        const n = plan.hosts.length;
        for (const h of vx) {
          const self = h.vxlan!.local;
          const peers = h.vxlan!.remote ? [h.vxlan!.remote] : h.vxlan!.fdbPeers;
          assert.equal(peers.length, n - 1);
          assert.equal(new Set(peers).size, n - 1);
          assert.ok(!peers.includes(self));
          assert.equal(h.vxlan!.remote === undefined, n > 2);
          for (const peer of peers) {
            const other = vx.find((x) => x.vxlan!.local === peer)!;
            const back = other.vxlan!.remote ? [other.vxlan!.remote] : other.vxlan!.fdbPeers;
            assert.ok(back.includes(self), `${peer} does not point back at ${self}`);
          }
        }
      }),
      RUNS,
    );
  });

  it("MACs are unique; generated ones are unicast, locally administered 52:54:00", () => {
    fc.assert(
      fc.property(validLab, (raw) => {
        const plan = mustLoad(raw);
        const macs = plan.vmNics.map((x) => x.mac);
        assert.equal(new Set(macs).size, macs.length, `duplicate MAC in ${macs.join(", ")}`);
        for (const nic of plan.vmNics) {
          if (plan.spec.vms.find((v) => v.name === nic.vm)!.nics[nic.index].mac) continue;
          assert.match(nic.mac, /^52:54:00(:[0-9a-f]{2}){3}$/);
          const first = parseInt(nic.mac.slice(0, 2), 16);
          assert.equal(first & 1, 0, "unicast");
          assert.equal(first & 2, 2, "locally administered");
        }
      }),
      RUNS,
    );
  });

  it("planning is deterministic: the same config gives the same plan", () => {
    fc.assert(
      fc.property(validLab, (raw) => {
        assert.deepEqual(mustLoad(structuredClone(raw)), mustLoad(raw));
      }),
      { numRuns: 50 },
    );
  });
});

describe("properties at the 1280-byte floor", () => {
  it("a lab loads exactly when no planned layer is below 1280, and is refused only for that", () => {
    const anyMtu = labArb({ min: 1280, max: 1500 }).map((p) => build(p, true));
    fc.assert(
      fc.property(anyMtu, (raw) => {
        const unchecked = planLab(labSpecSchema.parse(raw), LAB);
        const low = unchecked.mtu.paths.some((p) => p.layers.some((l) => l.mtu < 1280));
        const r = loadLab(raw, LAB);
        assert.equal(r.ok, !low);
        if (!r.ok) {
          const errors = r.findings.filter((f) => f.severity === "error");
          assert.ok(errors.length > 0);
          for (const f of errors) assert.match(f.message, /below the 1280-byte minimum \(IPv6\)$/);
        }
      }),
      { numRuns: 300 },
    );
  });
});

describe("pinned regressions", () => {
  it("two VMs whose MACs hash alike get distinct MACs (lab, vm-5305, vm-5619)", () => {
    assert.equal(generatedMac(LAB, "vm-5305", 0), generatedMac(LAB, "vm-5619", 0));
    const raw = build({
      mtus: [1500, 1500],
      mode: "none",
      vmSubnet: { x: 39, prefix: 24 },
      dhcp: false,
      vms: [],
      kubernetes: false,
      cni: ["calico", "IPIP"],
      vmMtuBelowPlan: null,
    });
    raw.vms = ["vm-5305", "vm-5619"].map((name) => ({
      name,
      host: "h1",
      vcpus: 1,
      memoryMiB: 512,
      diskGiB: 10,
      image: "rocky9",
      nics: [{ network: "nat" }],
    }));
    const macs = mustLoad(raw).vmNics.map((x) => x.mac);
    assert.deepEqual(macs, ["52:54:00:0a:ba:57", "52:54:00:da:86:0e"]);
  });
});
