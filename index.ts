// labfabric: stack config -> validated plan -> layers -> outputs. Thin on purpose: the plan is
// in components/plan (validated by components/validate), the layers in components/<layer>, the
// wiring in components/stack.ts.
// An async program: the OpenStack preflight (credentials, images, flavors, networks) and the
// libvirt one (KVM on the hosts) are awaited before any resource is registered, so bad input
// fails the preview with one line per problem.
import { readLabConfig } from "./components/config";
import { libvirtPreflight } from "./components/libvirt";
import { stackCredentials, openstackPreflight } from "./components/openstack/credentials";
import { labOutputs } from "./components/outputs";
import { deployLab } from "./components/stack";

export = async () => {
  const { plan, secrets } = readLabConfig();
  await openstackPreflight(stackCredentials(secrets), plan.spec.openstack);
  await libvirtPreflight(plan.libvirt, secrets.sshPrivateKey);
  const lab = await deployLab(plan, secrets, { hosts: true });
  const out = labOutputs(plan, lab);
  return {
    mtu: out.mtu,
    cni: out.cni,
    hosts: out.hosts,
    vms: out.vms,
    instances: out.instances,
    kubeconfig: out.kubeconfig,
  };
};
