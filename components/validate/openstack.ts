// OpenStack checks beyond the address and CNI checks: a world-open admin CIDR, floating IPs
// without a pool, port security off, address pairs without effect, a missing lab key, routed
// labs whose instances cannot reach the host network. Run by validateLab and by the layer.
import * as cidr from "../shared";
import type { Finding, Findings } from "../spec";
import type { PlanCore } from "../plan";

/**
 * OpenStack checks that validate.ts does not make. Errors stop the layer before it creates
 * anything; warnings are logged.
 */
export function validateOpenstack(plan: Pick<PlanCore, "spec" | "cni">): Finding[] {
  const { spec } = plan;
  const os = spec.openstack;
  const out: Finding[] = [];
  if (!os.enabled || os.instances.length === 0) return out;
  const err = (path: string, value: unknown, message: string, fix: string) =>
    out.push({ severity: "error", path, value, message, fix });
  const warn = (path: string, value: unknown, message: string, fix: string) =>
    out.push({ severity: "warning", path, value, message, fix });
  // A missing adminCidr is refused by validateLab (validate-addresses.ts).
  if (os.adminCidr && cidr.prefixLength(os.adminCidr) === 0) {
    err(
      "openstack.adminCidr",
      os.adminCidr,
      "opens SSH, the API server and NodePorts to every address",
      "name the admins' network; to open one port to everyone, add it to openstack.extraIngress",
    );
  }
  os.instances.forEach((inst, i) => {
    inst.nics.forEach((nic, j) => {
      if (nic.floatingIp && !os.floatingPool) {
        err(
          `openstack.instances[${i}].nics[${j}].floatingIp`,
          true,
          "needs openstack.floatingPool (the external network floating IPs come from)",
          "set openstack.floatingPool, e.g. ext-net",
        );
      }
    });
  });
  if (!os.portSecurity) {
    warn(
      "openstack.portSecurity",
      false,
      "turns off security groups and anti-spoofing on every instance port: instances accept any traffic",
      "leave it true (the default) unless the cloud has no port security extension",
    );
  }
  if (os.allowedAddressPairs && plan.cni && !plan.cni.native) {
    warn(
      "openstack.allowedAddressPairs",
      true,
      `has no effect: ${plan.cni.plugin} ${plan.cni.mode} encapsulates pod traffic, so pod IPs never reach Neutron ports`,
      "remove it, or choose a native-routing CNI mode",
    );
  }
  if (!spec.sshPublicKey) {
    warn(
      "sshPublicKey",
      undefined,
      `is unset: instances get the existing keypair ${os.keypair} for the image's default user and no ${spec.libvirt.vmUser} login user is created`,
      "set labfabric:sshPublicKey so labfabric can log in as its own user",
    );
  }
  if (spec.fabric.mode === "routed" && os.host) {
    const hostNets = spec.networks
      .filter((n) => n.host === os.host)
      .map((n) => cidr.network(n.cidr));
    os.instances.forEach((inst, i) => {
      const onHost = inst.nics.some((nic) => {
        const net = os.networks.find((n) => n.name === nic.network);
        return net && hostNets.includes(cidr.network(net.cidr));
      });
      if (!onHost && inst.role !== "none") {
        warn(
          `openstack.instances[${i}].nics`,
          inst.nics.map((n) => n.network),
          `no NIC is on a libvirt network of ${os.host}, so no routes to the peer hosts' subnets are added`,
          `attach the instance to the OpenStack network that shares a CIDR with a libvirt network of ${os.host}`,
        );
      }
    });
  }
  return out;
}

/** validateLab's entry: the checks read the planned CNI decision. */
export function validateOpenstackSpec(plan: PlanCore, f: Findings): void {
  if (!plan.spec.openstack.enabled) return;
  for (const x of validateOpenstack(plan)) f.all.push(x);
}
