// Live check of the libvirt layer's base images, kept apart from the static validation (which
// must pass on any machine: CI renders every lab offline). Pure but for the injected `exists`.
import type { LibvirtHostPlan, LibvirtPlan } from "../plan";

/**
 * Base images given as a local path or file:// URL are read where `pulumi` runs: one that is not
 * there is refused at preview, naming the key, instead of failing halfway through `up`.
 */
export function missingImages(plan: LibvirtPlan, exists: (path: string) => boolean): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const img of plan.hosts.flatMap((h) => h.images)) {
    if (seen.has(img.image)) continue;
    seen.add(img.image);
    const local = img.source.startsWith("file://")
      ? decodeURIComponent(img.source.slice("file://".length))
      : img.source.startsWith("/")
        ? img.source
        : undefined;
    if (local !== undefined && !exists(local)) {
      out.push(
        `ERROR labfabric:libvirt.images.${img.image} = ${img.source}: no such file where pulumi runs (the provider reads the image here and uploads it to each host). Fix: build or copy the image there (dry lab: scripts/lab/image/build.sh), or point the key at an http(s) URL`,
      );
    }
  }
  return out;
}

/**
 * Live check at preview (libvirt's node info of the host, read through its provider): the VMs
 * planned on a host must fit in its memory. Returns the error line, naming the keys, or undefined.
 */
export function memoryOverHost(
  host: LibvirtHostPlan,
  vmIndex: (vm: string) => number,
  memoryTotalKb: number,
): string | undefined {
  const planned = host.vms.reduce((sum, v) => sum + v.memoryMiB, 0);
  const total = Math.floor(memoryTotalKb / 1024);
  if (planned <= total) return undefined;
  const keys = host.vms.map((v) => `labfabric:vms[${vmIndex(v.name)}].memoryMiB`).join(", ");
  return `ERROR ${keys} = ${planned} MiB in all on ${host.host}: is over the ${total} MiB libvirt reports for that host, so a domain would fail to start or the host would swap. Fix: lower memoryMiB or move VMs to another host`;
}
