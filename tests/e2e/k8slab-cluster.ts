// What the lab-k e2e (k8slab.e2e.ts) reads from and does to the live cluster, the hosts and the
// machine: kubectl that must succeed, Flannel's net-conf.json (read, replaced), a bounded poll,
// probe pods, a node's cluster state, a host's network and file state, the API-port fault of the
// failing join, the control plane's bootstrap tokens, and what the lab could leave on the machine.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { libvirtHost } from "../../scripts/lab/drylab";
import { inNode, kubectl, type K8sLabContext } from "../../scripts/lab/k8slab";
import { inHost, virsh } from "../../scripts/lab/kit";

/** kubectl's namespace arguments for Flannel's objects. */
export const FLANNEL = ["-n", "kube-flannel"];

export function mustKubectl(ctx: K8sLabContext, args: string[], timeoutMs = 60_000): string {
  const r = kubectl(ctx, args, timeoutMs);
  assert.ok(r.ok, `kubectl ${args.join(" ")}: ${r.out}`);
  return r.out;
}

/** Flannel's net-conf.json as the release wrote it. */
export function netConf(ctx: K8sLabContext): string {
  return mustKubectl(ctx, [
    ...FLANNEL,
    "get",
    "configmap",
    "kube-flannel-cfg",
    "-o",
    "jsonpath={.data.net-conf\\.json}",
  ]);
}

/** Replace Flannel's net-conf.json and restart its pods (they read it at start). */
export function setNetConf(ctx: K8sLabContext, json: string): void {
  const patch = JSON.stringify({ data: { "net-conf.json": json } });
  mustKubectl(ctx, [
    ...FLANNEL,
    "patch",
    "configmap",
    "kube-flannel-cfg",
    "--type",
    "merge",
    "-p",
    patch,
  ]);
  mustKubectl(ctx, [...FLANNEL, "delete", "pod", "-l", "app=flannel", "--wait=true"], 120_000);
}

export function waitFlannel(ctx: K8sLabContext): void {
  mustKubectl(ctx, [...FLANNEL, "rollout", "status", "daemonset", "--timeout=180s"], 200_000);
}

/** Polls (bounded) until `check` holds; returns the last output. */
export function until(
  what: string,
  timeoutMs: number,
  probe: () => string,
  check: (o: string) => boolean,
): string {
  const deadline = Date.now() + timeoutMs;
  let out = probe();
  while (!check(out)) {
    assert.ok(Date.now() < deadline, `${what} within ${timeoutMs / 1000} s; last:\n${out}`);
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, 3000);
    out = probe();
  }
  return out;
}

/**
 * What a node holds of a cluster: files kubeadm, kubelet, the CNI and labfabric write, the
 * containers and pods in its containerd, and whether kubelet runs.
 */
export function clusterState(ctx: K8sLabContext, node: string): string {
  const r = inNode(ctx.dir, node, [
    "sh",
    "-c",
    [
      "find /etc/kubernetes /var/lib/etcd /var/lib/kubelet /etc/cni/net.d /var/lib/cni /etc/labfabric /etc/sysctl.d /etc/modules-load.d -type f 2>/dev/null | sort",
      "echo containers: $(crictl ps -aq 2>/dev/null | wc -l) pods: $(crictl pods -q 2>/dev/null | wc -l)",
      "echo kubelet: $(systemctl is-active kubelet)",
    ].join("; "),
  ]);
  return r.out.trim();
}

/**
 * The fault of the failing join, in scenario D's shape: the control plane's host runs a site
 * firewall of its own (an nftables table beside libvirt's and labfabric's rules, as firewalld
 * keeps one) whose forward filter refuses the API server's port to the worker's subnet the way
 * firewalld's default zone does (reject, icmp host-prohibited). "add" creates it, "delete"
 * removes it.
 */
export function apiFirewall(ctx: K8sLabContext, worker: string, op: "add" | "delete"): void {
  const cp = ctx.nodes.find((n) => n.name === controlPlane(ctx))!;
  const from = ctx.plan.nodes.find((n) => n.name === worker)!.subnet;
  const table = "inet lf-site-firewall";
  const script =
    op === "add"
      ? [
          `add table ${table}`,
          `add chain ${table} forward { type filter hook forward priority -10 ; }`,
          `add rule ${table} forward ip saddr ${from} ip daddr ${cp.address.split("/")[0]} tcp dport 6443 reject with icmp type host-prohibited`,
        ].join("\n")
      : `delete table ${table}`;
  const r = spawnSync("ip", ["netns", "exec", cp.host, "nft", "-f", "-"], {
    input: `${script}\n`,
    encoding: "utf8",
  });
  assert.equal(r.status, 0, `nft ${op} on ${cp.host}: ${r.stderr}`);
}

export function controlPlane(ctx: K8sLabContext): string {
  return ctx.plan.nodes.find((n) => n.role === "control-plane")!.name;
}

/** `ip netns exec <host> argv`: a host's network state (routes, rules) as its kernel has it. */
export function inHostNet(host: string, argv: string[]): string {
  const r = spawnSync("ip", ["netns", "exec", host, ...argv], { encoding: "utf8" });
  assert.equal(r.status, 0, `${argv.join(" ")} on ${host}: ${r.stderr}`);
  return r.stdout;
}

/**
 * What labfabric or libvirt could leave on a host: links, addresses, routes, firewall rules
 * (libvirt's own chains, which it keeps once made, left out), libvirt networks, and the files
 * under the places the fabric and libvirt write.
 */
export function hostState(ctx: K8sLabContext, name: string): string {
  const h = libvirtHost(
    ctx.hosts.find((x) => x.name === name)!,
    ctx.dir,
  );
  const rules = inHostNet(name, ["iptables-save"])
    .split("\n")
    .filter((l) => /^-A /.test(l) && !/ -j LIBVIRT_\w+$/.test(l) && !/^-A LIBVIRT_/.test(l))
    .join("\n");
  const files = inHost(h, [
    "sh",
    "-c",
    "find /etc/labfabric /etc/sysctl.d /etc/systemd/system /etc/libvirt/hooks /etc/libvirt/qemu/networks -printf '%p %y\\n' 2>/dev/null | sort",
  ]).out;
  return [
    inHostNet(name, ["ip", "-o", "link", "show"])
      .replace(/^\d+: /gm, "")
      .replace(/^Error: Peer netns reference is invalid\.\n/gm, ""),
    inHostNet(name, ["ip", "-o", "addr", "show"]).replace(/^\d+: /gm, ""),
    inHostNet(name, ["ip", "route", "show", "table", "all"]),
    rules,
    `networks:\n${virsh(h, ["net-list", "--all", "--name"]).out.trim()}`,
    `files:\n${files}`,
  ].join("\n---\n");
}

/** One probe pod per node (the proof's image, NET_RAW for ping), Ready; returns their names. */
export function probePods(ctx: K8sLabContext, prefix: string): string[] {
  const nodes = ctx.plan.nodes.map((n) => n.name);
  const pods = nodes.map((n) => `${prefix}-${n}`);
  for (const [i, node] of nodes.entries()) {
    const overrides = {
      spec: {
        nodeName: node,
        containers: [
          {
            name: "probe",
            image: "labfabric.local/proof:1",
            command: ["sleep", "600"],
            securityContext: { capabilities: { add: ["NET_RAW"] } },
          },
        ],
      },
    };
    mustKubectl(ctx, [
      "run",
      pods[i],
      "--image=labfabric.local/proof:1",
      "--restart=Never",
      `--overrides=${JSON.stringify(overrides)}`,
    ]);
  }
  mustKubectl(
    ctx,
    ["wait", "--for=condition=Ready", ...pods.map((p) => `pod/${p}`), "--timeout=120s"],
    150_000,
  );
  return pods;
}

/** Every bootstrap token the control plane holds ("<id>.<secret>"). */
export function joinTokens(ctx: K8sLabContext): string[] {
  const cp = ctx.plan.nodes.find((n) => n.role === "control-plane")!;
  const r = inNode(ctx.dir, cp.name, [
    "kubeadm",
    "token",
    "list",
    "--kubeconfig",
    "/etc/kubernetes/admin.conf",
  ]);
  assert.ok(r.ok, `kubeadm token list: ${r.out}`);
  return r.out
    .split("\n")
    .map((l) => l.split(/\s+/)[0])
    .filter((t) => /^[a-z0-9]{6}\.[a-z0-9]{16}$/.test(t));
}

/** What the nodes could leave on the machine: mount points, namespaces, cgroups. */
export function machineState(): string {
  const dirs = [
    "/var/lib/kubelet",
    "/var/lib/etcd",
    "/var/lib/containerd",
    "/var/lib/cni",
    "/var/log/pods",
    "/var/log/containers",
    "/run/containerd",
    "/run/flannel",
    "/run/labfabric-node",
    "/usr/lib/modules",
    "/opt/labfabric",
  ].filter((d) => existsSync(d));
  const netns = spawnSync("ip", ["netns", "list"], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => /^lk-/.test(l));
  const cgroups = readdirSync("/sys/fs/cgroup").flatMap((c) =>
    existsSync(`/sys/fs/cgroup/${c}`) && statSync(`/sys/fs/cgroup/${c}`).isDirectory()
      ? readdirSync(`/sys/fs/cgroup/${c}`).filter((x) => x.startsWith("lf-lk-"))
      : [],
  );
  // This machine's own routes and addresses towards the lab (routeFromHere): gone with its veth.
  const routes = spawnSync("ip", ["-o", "route", "show"], { encoding: "utf8" })
    .stdout.split("\n")
    .filter((l) => /lk-root|10\.25[02]\.3\d\./.test(l));
  return [...dirs, ...netns, ...cgroups, ...routes].join("\n");
}
