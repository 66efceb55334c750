// Failing cases for validate.ts's Kubernetes and CNI rules (posts B, C, D): exact reports.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  assertFails,
  E,
  load,
  routedLab,
  TOFU_OS,
  vxlanLab,
  W,
  warningsOf,
  withOpenstack,
} from "./helpers";

describe("Kubernetes and the CNI", () => {
  it("fails when the CNI mode belongs to another plugin", () => {
    assertFails(
      vxlanLab((s) => (s.kubernetes!.cni = { plugin: "cilium", mode: "IPIP" })),
      [
        E(
          "kubernetes.cni.mode",
          '"IPIP"',
          "is not a cilium mode (allowed: tunnel-vxlan, tunnel-geneve, native)",
          "use one of tunnel-vxlan, tunnel-geneve, native",
        ),
      ],
    );
  });

  it("fails when no node is a control plane", () => {
    assertFails(
      vxlanLab((s) => (s.vms![0].role = "worker")),
      [
        E(
          "kubernetes.enabled",
          "true",
          "but no VM, instance or node has role control-plane",
          'give one node role: "control-plane"',
        ),
      ],
    );
  });

  const evenEtcd = W(
    "kubernetes",
    '"2 control planes"',
    "an even etcd member count tolerates no more failures than one less",
    "use 1, 3 or 5 control planes",
  );

  it("fails when several control planes have no endpoint (and warns about an even count)", () => {
    assertFails(
      vxlanLab((s) => (s.vms![1].role = "control-plane")),
      [
        E(
          "kubernetes.controlPlaneEndpoint",
          "(unset)",
          "is required with 2 control planes (HA needs one endpoint)",
          "set a load-balanced host:port",
        ),
        evenEtcd,
      ],
    );
  });

  it("warns when the control planes are an even number", () => {
    const plan = load(
      vxlanLab(
        (s) => (
          (s.vms![1].role = "control-plane"),
          (s.kubernetes!.controlPlaneEndpoint = "10.39.0.5:6443")
        ),
      ),
    );
    assert.deepEqual(warningsOf(plan), [evenEtcd]);
  });

  it("fails when Flannel runs without a podSubnet", () => {
    assertFails(
      vxlanLab(
        (s) => ((s.kubernetes!.cni = { plugin: "flannel" }), delete s.kubernetes!.podSubnet),
      ),
      [
        E(
          "kubernetes.podSubnet",
          "(unset)",
          "is required for Flannel: kubeadm must allocate node podCIDRs or Flannel fails with 'pod cidr not assigned'",
          "set it (Flannel's usual 10.244.0.0/16); labfabric passes the same value to kubeadm and Flannel",
        ),
      ],
    );
  });

  const nativeMsg =
    "native routing with nodes in 2 L3 subnets (172.20.112.0/24, 172.20.113.0/24): autoDirectNodeRoutes only reaches nodes on the same L2 segment";

  it("fails when Cilium native routing spans subnets (onNativeAcrossSubnets: refuse)", () => {
    assertFails(
      routedLab((s) => (s.kubernetes!.cni = { plugin: "cilium", mode: "native" })),
      [
        E(
          "kubernetes.cni.mode",
          '"native"',
          nativeMsg,
          'use mode "tunnel-vxlan", or set cni.onNativeAcrossSubnets: "tunnel" to switch automatically',
        ),
      ],
    );
  });

  it("warns and tunnels when Cilium native routing spans subnets (onNativeAcrossSubnets: tunnel)", () => {
    const plan = load(
      routedLab(
        (s) =>
          (s.kubernetes!.cni = {
            plugin: "cilium",
            mode: "native",
            onNativeAcrossSubnets: "tunnel",
          }),
      ),
    );
    assert.deepEqual(warningsOf(plan), [
      W(
        "kubernetes.cni.mode",
        '"native"',
        `${nativeMsg}; switched to tunnel-vxlan`,
        'set mode "tunnel-vxlan" explicitly to silence this',
      ),
    ]);
    assert.deepEqual(
      [plan.cni?.requestedMode, plan.cni?.mode, plan.mtu.podMtu],
      ["native", "tunnel-vxlan", 1450],
    );
  });

  const antiSpoof =
    "sends pod IPs unencapsulated between OpenStack instances; Neutron port security drops them (anti-spoofing), so cross-node pod traffic fails";

  it("fails when Calico CrossSubnet runs on OpenStack with port security and no address pairs", () => {
    assertFails(
      vxlanLab(
        (s) => (
          withOpenstack(s),
          (s.kubernetes!.cni = { plugin: "calico", mode: "IPIPCrossSubnet" })
        ),
      ),
      [
        E(
          "kubernetes.cni.mode",
          '"IPIPCrossSubnet"',
          antiSpoof,
          'use mode "IPIP" (Always; labfabric then allows IP protocol 4 from the cluster security group), or set openstack.allowedAddressPairs: true',
        ),
        TOFU_OS,
      ],
    );
  });

  it("fails when Cilium native runs on OpenStack with port security and no address pairs", () => {
    const lab = vxlanLab((s) => {
      withOpenstack(s);
      s.vms = [];
      s.openstack!.instances![0].role = "control-plane";
      s.kubernetes!.cni = { plugin: "cilium", mode: "native" };
    });
    assertFails(lab, [
      E(
        "kubernetes.cni.mode",
        '"native"',
        antiSpoof,
        "use a tunnel mode, or set openstack.allowedAddressPairs: true for the pod and service CIDRs",
      ),
      TOFU_OS,
    ]);
  });

  it("accepts native routing on OpenStack with allowed-address-pairs, or without port security", () => {
    for (const fix of [{ allowedAddressPairs: true }, { portSecurity: false }]) {
      const plan = load(
        vxlanLab(
          (s) => (
            withOpenstack(s),
            Object.assign(s.openstack!, fix),
            (s.kubernetes!.cni = { plugin: "calico", mode: "IPIPCrossSubnet" })
          ),
        ),
      );
      assert.equal(plan.cni?.native, true);
    }
  });

  const pool = (plugin: string, cidr: string, clash: string) =>
    W(
      "kubernetes.podSubnet",
      "(unset)",
      `is unset, so ${plugin}'s default pool ${cidr} would be used and it collides with ${clash}`,
      "set kubernetes.podSubnet to a private range no node network uses, e.g. 172.16.0.0/16",
    );

  it("warns when Calico's default pool covers libvirt's 192.168.122.0/24 and the underlay", () => {
    const plan = load(vxlanLab((s) => delete s.kubernetes!.podSubnet));
    assert.deepEqual(warningsOf(plan), [
      pool("calico", "192.168.0.0/16", "192.168.122.0/24, 192.168.0.0/24"),
    ]);
  });

  it("fails when Cilium's default pool covers the 10.x node subnet and the service range", () => {
    // The warning names every range the default pool swallows; the cluster check refuses it
    // because node and service addresses would be shadowed (validate-kubernetes.ts).
    assertFails(
      vxlanLab((s) => ((s.kubernetes!.cni = { plugin: "cilium" }), delete s.kubernetes!.podSubnet)),
      [
        pool("cilium", "10.0.0.0/8", "10.39.0.0/24, 10.96.0.0/12"),
        E(
          "kubernetes.podSubnet",
          "(unset)",
          "is unset, and cilium's default pool 10.0.0.0/8 overlaps node network 10.39.0.0/24 (cp-0, w-0) and kubernetes.serviceSubnet 10.96.0.0/12: pod addresses would shadow nodes or services",
          "set kubernetes.podSubnet to a private range no node network uses, e.g. 172.16.0.0/16",
        ),
      ],
    );
  });

  const holds =
    'is not in the offline bundle: kubernetes.packageSource "bundle" holds Kubernetes v1.32.13, containerd and flannel only';

  it("fails when the offline bundle does not hold the Kubernetes version, runtime or CNI", () => {
    assertFails(
      vxlanLab((s) => {
        s.kubernetes = {
          ...s.kubernetes,
          packageSource: "bundle",
          version: "1.31",
          runtime: "crio",
        };
        s.kubernetes.cni = { plugin: "calico" };
      }),
      [
        E(
          "kubernetes.version",
          '"1.31"',
          holds,
          'use "1.32", or set kubernetes.packageSource to "internet"',
        ),
        E(
          "kubernetes.runtime",
          '"crio"',
          holds,
          'use "containerd", or set kubernetes.packageSource to "internet"',
        ),
        E(
          "kubernetes.cni.plugin",
          '"calico"',
          'has no images in the offline bundle: kubernetes.packageSource "bundle" holds Kubernetes v1.32.13, containerd and flannel only',
          'use "flannel", or set kubernetes.packageSource to "internet"',
        ),
      ],
    );
  });

  it("accepts what the offline bundle holds, without a warning (the node scripts install from it)", () => {
    const plan = load(
      vxlanLab((s) => {
        s.kubernetes = { ...s.kubernetes, packageSource: "bundle", version: "1.32" };
        s.kubernetes.cni = { plugin: "flannel", chart: { path: "/srv/bundle/chart/flannel.tgz" } };
      }),
    );
    assert.deepEqual(warningsOf(plan), []);
  });

  it("fails when an offline lab has no local chart for its CNI", () => {
    assertFails(
      vxlanLab((s) => {
        s.kubernetes = { ...s.kubernetes, packageSource: "bundle", version: "1.32" };
        s.kubernetes.cni = { plugin: "flannel" };
      }),
      [
        E(
          "kubernetes.cni.chart.path",
          "(unset)",
          'is unset, and kubernetes.packageSource "bundle" is an offline lab: the flannel chart would be fetched from its repository',
          'set it to the bundle\'s chart (<bundle>/chart/*.tgz, scripts/kubernetes-bundle/build.sh), or set kubernetes.packageSource to "internet"',
        ),
      ],
    );
  });

  it("leaves packageSource at internet by default", () => {
    assert.equal(load(vxlanLab()).spec.kubernetes.packageSource, "internet");
  });
});
