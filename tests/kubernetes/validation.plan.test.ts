// Every seed failure is refused with its message, before any host is touched; plus the checks
// the cluster layer adds (validate-kubernetes.ts): what kubeadm itself would refuse, pod pools
// too small for the nodes, a CNI's default pool clashing with nodes or services, and routing
// modes that need one L2 segment.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Findings, formatFinding } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { planLab } from "../../components/plan/plan";
import { labSpecSchema } from "../../components/spec/schema";
import { validateKubernetesCluster } from "../../components/validate/kubernetes";
import { LABS, planOf, raw, type Raw, type Scenario } from "./fixtures";

/**
 * Every finding loadLab reports for a scenario bent by `adjust` (it must be refused), but the
 * host-key warning B and D carry by choice (trust-on-first-use, tests/lab/scenarios.plan.test.ts).
 */
function refused(s: Scenario, adjust: (r: Raw) => void): string[] {
  const r = raw(s);
  adjust(r);
  const result = loadLab(r, LABS[s]);
  assert.equal(result.ok, false, "expected the lab to be refused");
  return result.ok
    ? []
    : result.findings.filter((f) => f.path !== "sshHostKeys").map(formatFinding);
}

/** The cluster checks alone, on a scenario bent by `adjust`. */
function clusterFindings(s: Scenario, adjust: (r: Raw) => void): string[] {
  const r = raw(s);
  adjust(r);
  const f = new Findings();
  validateKubernetesCluster(planLab(labSpecSchema.parse(r), LABS[s]), f);
  return f.all.map(formatFinding);
}

describe("seed failures are refused", () => {
  it("fails B's Calico IPIPCrossSubnet on OpenStack with port security (anti-spoofing drops pod IPs)", () => {
    assert.deepEqual(
      refused("b", (r) => {
        r.kubernetes.cni.mode = "IPIPCrossSubnet";
      }),
      [
        'ERROR labfabric:kubernetes.cni.mode = "IPIPCrossSubnet": sends pod IPs unencapsulated between OpenStack instances; Neutron port security drops them (anti-spoofing), so cross-node pod traffic fails. Fix: use mode "IPIP" (Always; labfabric then allows IP protocol 4 from the cluster security group), or set openstack.allowedAddressPairs: true',
      ],
    );
  });

  it("fails C's Cilium native routing with nodes in two L3 subnets (onNativeAcrossSubnets: refuse)", () => {
    assert.deepEqual(
      refused("c", (r) => {
        r.kubernetes.cni.onNativeAcrossSubnets = "refuse";
      }),
      [
        'ERROR labfabric:kubernetes.cni.mode = "native": native routing with nodes in 2 L3 subnets (192.168.10.0/24, 192.168.20.0/24): autoDirectNodeRoutes only reaches nodes on the same L2 segment. Fix: use mode "tunnel-vxlan", or set cni.onNativeAcrossSubnets: "tunnel" to switch automatically',
      ],
    );
  });

  it("switches C to tunnel with a warning when onNativeAcrossSubnets is tunnel (the stack's choice)", () => {
    const plan = planOf("c");
    assert.equal(plan.cni!.mode, "tunnel-vxlan");
    assert.deepEqual(plan.warnings.map(formatFinding), [
      'WARNING labfabric:kubernetes.cni.mode = "native": native routing with nodes in 2 L3 subnets (192.168.10.0/24, 192.168.20.0/24): autoDirectNodeRoutes only reaches nodes on the same L2 segment; switched to tunnel-vxlan. Fix: set mode "tunnel-vxlan" explicitly to silence this',
    ]);
  });

  it("fails D's Flannel without podSubnet ('pod cidr not assigned')", () => {
    assert.deepEqual(
      refused("d", (r) => {
        delete r.kubernetes.podSubnet;
      }),
      [
        "ERROR labfabric:kubernetes.podSubnet = (unset): is required for Flannel: kubeadm must allocate node podCIDRs or Flannel fails with 'pod cidr not assigned'. Fix: set it (Flannel's usual 10.244.0.0/16); labfabric passes the same value to kubeadm and Flannel",
      ],
    );
  });

  it("fails B with kubeadm's default service range, which contains the instance network", () => {
    assert.deepEqual(
      refused("b", (r) => {
        delete r.kubernetes.serviceSubnet;
      }),
      [
        'ERROR labfabric:kubernetes.serviceSubnet = "10.96.0.0/12": overlaps openstack.networks[0].cidr (10.100.200.0/24); openstack and service ranges must not overlap. Fix: give kubernetes.serviceSubnet a range that overlaps no other lab range',
      ],
    );
  });

  it("fails D with a pod subnet over its libvirt NAT network", () => {
    assert.deepEqual(
      refused("d", (r) => {
        r.kubernetes.podSubnet = "172.20.0.0/16";
      }),
      [
        'ERROR labfabric:kubernetes.podSubnet = "172.20.0.0/16": overlaps networks[0].cidr (172.20.112.0/24); libvirt and pod ranges must not overlap. Fix: give kubernetes.podSubnet a range that overlaps no other lab range',
      ],
    );
  });

  it("fails D with a pod subnet over the OpenStack private network", () => {
    assert.deepEqual(
      refused("d", (r) => {
        r.kubernetes.podSubnet = "10.0.0.0/16";
      }),
      [
        'ERROR labfabric:kubernetes.podSubnet = "10.0.0.0/16": overlaps openstack.networks[1].cidr (10.0.0.0/24); openstack and pod ranges must not overlap. Fix: give kubernetes.podSubnet a range that overlaps no other lab range',
      ],
    );
  });
});

describe("cluster checks (validate-kubernetes.ts)", () => {
  it("passes scenarios B, C and D as written", () => {
    for (const s of ["b", "c", "d"] as const)
      assert.deepEqual(
        clusterFindings(s, () => {}),
        [],
        s,
      );
  });

  it("fails a pod subnet narrower than a node's /24", () => {
    assert.deepEqual(
      clusterFindings("c", (r) => {
        r.kubernetes.podSubnet = "172.20.0.0/25";
      }),
      [
        'ERROR labfabric:kubernetes.podSubnet = "172.20.0.0/25": is a /25: kubeadm gives every node a /24 of the pod subnet, so it must be /24 or wider (kubeadm init refuses it). Fix: use a /16 (256 nodes), e.g. 172.16.0.0/16',
      ],
    );
  });

  it("fails a pod subnet more than 16 bits wider than the node mask", () => {
    assert.deepEqual(
      clusterFindings("c", (r) => {
        r.kubernetes.podSubnet = "172.0.0.0/7";
      }),
      [
        'ERROR labfabric:kubernetes.podSubnet = "172.0.0.0/7": is a /7: kubeadm allows a pod subnet at most 16 bits wider than the /24 per node (/8). Fix: use a /8 or narrower, e.g. 172.16.0.0/16',
      ],
    );
  });

  it("fails a pod subnet with fewer /24s than nodes", () => {
    assert.deepEqual(
      clusterFindings("c", (r) => {
        r.kubernetes.podSubnet = "172.20.0.0/23";
      }),
      [
        'ERROR labfabric:kubernetes.podSubnet = "172.20.0.0/23": holds 2 node pod ranges (/24 each) but the lab has 3 nodes. Fix: widen it to at least a /22',
      ],
    );
  });

  it("fails a service subnet wider than /12", () => {
    assert.deepEqual(
      clusterFindings("c", (r) => {
        r.kubernetes.serviceSubnet = "10.64.0.0/11";
      }),
      [
        'ERROR labfabric:kubernetes.serviceSubnet = "10.64.0.0/11": is a /11: kubeadm refuses service subnets wider than /12. Fix: use a /12 to /24, e.g. 10.96.0.0/12',
      ],
    );
  });

  it("fails Cilium's default 10.0.0.0/8 pool over kubeadm's default service range", () => {
    assert.deepEqual(
      clusterFindings("c", (r) => {
        delete r.kubernetes.podSubnet;
      }),
      [
        "ERROR labfabric:kubernetes.podSubnet = (unset): is unset, and cilium's default pool 10.0.0.0/8 overlaps kubernetes.serviceSubnet 10.96.0.0/12: pod addresses would shadow nodes or services. Fix: set kubernetes.podSubnet to a private range no node network uses, e.g. 172.16.0.0/16",
      ],
    );
  });

  it("fails Cilium's default pool over B's 10.100.200.0/24 instance network", () => {
    assert.deepEqual(
      clusterFindings("b", (r) => {
        delete r.kubernetes.podSubnet;
        r.kubernetes.cni = { plugin: "cilium", mode: "tunnel-vxlan" };
      }),
      [
        "ERROR labfabric:kubernetes.podSubnet = (unset): is unset, and cilium's default pool 10.0.0.0/8 overlaps node network 10.100.200.0/24 (k8s-cp, k8s-w1, k8s-w2, k8s-w3) and kubernetes.serviceSubnet 10.32.0.0/16: pod addresses would shadow nodes or services. Fix: set kubernetes.podSubnet to a private range no node network uses, e.g. 172.16.0.0/16",
      ],
    );
  });

  it("fails Flannel host-gw with nodes in two subnets (next hops must be on-link)", () => {
    assert.deepEqual(
      clusterFindings("c", (r) => {
        r.kubernetes.cni = { plugin: "flannel", mode: "host-gw" };
      }),
      [
        'ERROR labfabric:kubernetes.cni.mode = "host-gw": routes pods via each node\'s address as next hop, which only works on one L2 segment; the nodes span 2 subnets (192.168.10.0/24, 192.168.20.0/24). Fix: use mode "vxlan" (UDP 8472 between nodes)',
      ],
    );
  });

  it("warns about Calico None across subnets (the routers must learn pod routes)", () => {
    assert.deepEqual(
      clusterFindings("c", (r) => {
        r.kubernetes.cni = { plugin: "calico", mode: "None" };
      }),
      [
        'WARNING labfabric:kubernetes.cni.mode = "None": sends pod traffic unencapsulated and the nodes span 2 subnets (192.168.10.0/24, 192.168.20.0/24): the routers between them must learn the pod routes (BGP peering with Calico). Fix: use "IPIPCrossSubnet" or "VXLANCrossSubnet" to encapsulate only across subnets, or peer the routers with Calico',
      ],
    );
  });
});
