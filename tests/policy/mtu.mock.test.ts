// mtu-consistent on fake stacks shaped as the engine hands them over: fabric, libvirt networks,
// VM NICs and CNI values must agree; values unknown at preview are skipped.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { seedStdin } from "../../components/libvirt/seed";
import {
  HELM_RELEASE,
  HOST_FABRIC,
  LIBVIRT_DOMAIN,
  LIBVIRT_NETWORK,
  mtuConsistent,
  OPENSTACK_INSTANCE,
  REMOTE_COMMAND,
} from "../../policy/mtu";
import { runStackPolicy, stackArgs, type Captured } from "./harness";

const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";

describe("mtu-consistent", () => {
  const urn = (type: string, name: string) => `urn:pulumi:t::labfabric::${type}::${name}`;
  const res = (
    type: string,
    name: string,
    props: Record<string, unknown>,
    deps: string[] = [],
  ): Captured => ({
    type,
    name,
    urn: urn(type, name),
    custom: type !== HOST_FABRIC,
    props,
    dependencies: deps,
    additionalSecretOutputs: [],
  });
  const fabric = (vm: number, underlay = 1500) =>
    res(HOST_FABRIC, "fabric-host1", {
      host: "host1",
      mode: "vxlan",
      devices: { bridge: "br-vm", vxlan: "vxlan-lab" },
      mtu: { underlay, fabric: vm, vm },
    });
  const network = (mtu: number, bridge = "br-vm") =>
    res(LIBVIRT_NETWORK, "libvirt-host1-fabric", { name: "fabric", bridge, mode: "bridge", mtu });
  const networkConfig = (nicMtu: number) =>
    `version: 2\nethernets:\n  nic0:\n    match:\n      macaddress: 52:54:00:00:00:01\n    mtu: ${nicMtu}\n`;
  /** The VM's seed step (components/libvirt/seed.ts), by any name, and its domain. */
  const vm = (nicMtu: number, stepName = "libvirt-w1-seed") => [
    res(REMOTE_COMMAND, stepName, {
      create: "sh -c '...'",
      stdin: seedStdin({
        userData: "#cloud-config\n",
        metaData: "",
        networkConfig: networkConfig(nicMtu),
      }),
    }),
    // Another remote step the domain waits for (the DHCP host entry): not a seed.
    res(REMOTE_COMMAND, "libvirt-w1-dhcp-host", { create: "sh -c '...'" }),
    res(LIBVIRT_DOMAIN, "libvirt-w1", { name: "w1" }, [
      urn(REMOTE_COMMAND, "libvirt-w1-dhcp-host"),
      urn(REMOTE_COMMAND, stepName),
      urn(LIBVIRT_NETWORK, "libvirt-host1-fabric"),
    ]),
  ];
  const release = (chart: string, values: Record<string, unknown>) =>
    res(HELM_RELEASE, `cni-${chart}`, { chart, values });
  const calico = (mtu: number, encapsulation = "IPIP") =>
    release("tigera-operator", {
      installation: { calicoNetwork: { mtu, ipPools: [{ cidr: "172.16.0.0/16", encapsulation }] } },
    });
  const check = async (resources: Captured[]) =>
    (await runStackPolicy(mtuConsistent, stackArgs(resources))).violations;

  it("passes a consistent vxlan lab: 1500 underlay, 1450 fabric, network and NIC, Calico IPIP 1430", async () => {
    assert.deepEqual(await check([fabric(1450), network(1450), ...vm(1450), calico(1430)]), []);
  });

  it("fails a fabric VM MTU that does not fit the underlay minus VXLAN (post A)", async () => {
    const v = await check([fabric(1500, 1500)]);
    assert.equal(v.length, 1);
    assert.match(
      v[0],
      /host host1: VM MTU 1500 does not fit the underlay MTU 1500 minus 50 bytes of VXLAN/,
    );
  });

  it("fails a libvirt network on the fabric bridge whose MTU differs from the fabric's", async () => {
    const v = await check([fabric(1450), network(1500), ...vm(1500)]);
    assert.equal(v.length, 1);
    assert.match(
      v[0],
      /libvirt network fabric on the fabric bridge br-vm has MTU 1500, the fabric carries 1450/,
    );
  });

  it("fails another libvirt network bigger than the fabric's VM MTU", async () => {
    const v = await check([fabric(1450), network(9000, "virbr10")]);
    assert.match(v[0], /libvirt network fabric has MTU 9000, above the fabric's VM MTU 1450/);
  });

  it("fails a VM NIC whose MTU differs from its network's, the seed step found by its stdin", async () => {
    for (const name of ["libvirt-w1-seed", "renamed-step"]) {
      const v = await check([fabric(1450), network(1450), ...vm(1500, name)]);
      assert.equal(v.length, 1, name);
      assert.match(
        v[0],
        /VM w1: NIC 0 has MTU 1500 in its cloud-init network-config, its libvirt network has 1450/,
      );
    }
  });

  it("reads no NIC from a remote step whose stdin is not a seed", async () => {
    const [step, ...rest] = vm(1500);
    const notSeed = { ...step, props: { ...step.props, stdin: networkConfig(1500) } };
    assert.deepEqual(await check([fabric(1450), network(1450), notSeed, ...rest]), []);
  });

  it("fails Calico's pod MTU plus IPIP above the node NIC (Calico takes the POD MTU)", async () => {
    const v = await check([fabric(1450), network(1450), ...vm(1450), calico(1450)]);
    assert.equal(v.length, 1);
    assert.match(
      v[0],
      /tigera-operator installation\.calicoNetwork\.mtu \(pod MTU\) = 1450 needs a node NIC of 1470 bytes, the smallest node NIC has 1450/,
    );
    assert.equal((await check([...vm(1450), calico(1400, "VXLAN")])).length, 0);
    assert.equal((await check([...vm(1450), calico(1420, "VXLAN")])).length, 1);
  });

  it("fails Cilium's and Flannel's DEVICE MTU above the node NIC, and passes pod + 50 = NIC", async () => {
    const instance = res(OPENSTACK_INSTANCE, "openstack-instance-w1", {
      metadata: { "labfabric-role": "worker" },
      userData:
        'write_files:\n  - content: |\n      ip link set dev "$dev" mtu 1450 || failed=1\n      ip link set dev "$dev" mtu 1500 || failed=1\n',
    });
    assert.deepEqual(await check([instance, release("cilium", { MTU: 1450 })]), []);
    assert.deepEqual(await check([instance, release("flannel", { flannel: { mtu: 1450 } })]), []);
    const cilium = await check([instance, release("cilium", { MTU: 1500 })]);
    assert.match(
      cilium[0],
      /cilium MTU \(device MTU\) = 1500 needs a node NIC of 1500 bytes, the smallest node NIC has 1450/,
    );
    const flannel = await check([instance, release("flannel", { flannel: { mtu: 1500 } })]);
    assert.match(flannel[0], /flannel flannel\.mtu \(device MTU\) = 1500/);
  });

  it("skips values unknown during preview and labs whose nodes are no resources", async () => {
    assert.deepEqual(
      await check([
        ...vm(1450),
        res(HELM_RELEASE, "cni-cilium", { chart: "cilium", values: UNKNOWN_STRING }),
      ]),
      [],
    );
    assert.deepEqual(await check([release("cilium", { MTU: 9000 })]), []);
  });
});
