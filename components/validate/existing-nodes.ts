// Existing machines (kubernetes.nodes) cabled to a host's libvirt network, as post D's `master`
// sits on `k8snat`: the routed fabric covers them like every subnet behind a host (routes,
// libvirt firewall openings, no masquerade between hosts: plan/fabric.ts), and two things only
// the stack file can get wrong are refused before any host is touched: a static address that
// libvirt's dnsmasq may lease to another machine, and a NIC MTU above the network's.
import * as cidr from "../shared";
import { libvirtDhcpRange, networkOfNode } from "../plan";
import type { PlanCore } from "../plan";
import type { Findings } from "../spec";

export function validateExistingNodes(plan: PlanCore, f: Findings): void {
  const { spec } = plan;
  if (!spec.kubernetes.enabled) return;
  spec.kubernetes.nodes.forEach((n, i) => {
    const net = networkOfNode(spec, n.address);
    if (!net) return;
    const netKey = `networks[${spec.networks.indexOf(net)}]`;
    const ip = cidr.addressOf(n.address);
    const range = libvirtDhcpRange(net);
    if (
      range &&
      cidr.compareAddresses(range.start, ip) <= 0 &&
      cidr.compareAddresses(ip, range.end) <= 0
    ) {
      f.error(
        `kubernetes.nodes[${i}].address`,
        n.address,
        `is inside the DHCP range ${range.start}-${range.end} of ${netKey} (${net.name} on ${net.host}): libvirt's dnsmasq can lease it to another machine while this node holds it statically`,
        net.dhcp
          ? `pick an address of ${net.cidr} outside ${range.start}-${range.end}, or narrow ${netKey}.dhcp`
          : `set ${netKey}.dhcp to a range that leaves it out (libvirt's default hands out the whole subnet), e.g. { start: ${cidr.nthAddress(net.cidr, 100)}, end: ${cidr.nthAddress(net.cidr, 200)} }`,
      );
    }
    const netMtu = plan.mtu.vmMtu;
    if (netMtu > 0 && n.mtu > netMtu) {
      f.error(
        `kubernetes.nodes[${i}].mtu`,
        n.mtu,
        `is above the ${netMtu} bytes ${netKey} (${net.name} on ${net.host}) carries: the node's full-size packets would be dropped on the bridge while small ones pass`,
        `set it to ${netMtu} or lower`,
      );
    }
  });
}
