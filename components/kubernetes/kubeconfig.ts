// The admin kubeconfig as Pulumi's Kubernetes provider uses it. kubeadm writes the cluster's
// own endpoint (an address on the lab network); a control plane reached through a floating IP
// (post B) is reachable from outside only there, so the server is rewritten to it (the address
// is in the API server certificate's SANs, see kubeadm-config.ts).
import { parse, stringify } from "yaml";

interface Kubeconfig {
  clusters?: { name?: string; cluster?: { server?: string } }[];
}

/** Point every cluster entry at `server`; the text is returned untouched when nothing changes. */
export function rewriteKubeconfigServer(kubeconfig: string, server: string): string {
  const doc = parse(kubeconfig) as Kubeconfig | null;
  const clusters = doc?.clusters ?? [];
  if (clusters.length === 0) throw new Error("the admin kubeconfig has no clusters entry");
  if (clusters.every((c) => c.cluster?.server === server)) return kubeconfig;
  for (const c of clusters) c.cluster = { ...c.cluster, server };
  return stringify(doc, { lineWidth: 0 });
}
