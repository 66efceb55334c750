// What the lab-k e2e (k8slab.e2e.ts) reads from and does to the live cluster and the machine:
// kubectl that must succeed, Flannel's net-conf.json (read, replaced), a bounded poll, a node's
// cluster state, the API-port fault of the failing join, the control plane's bootstrap tokens,
// and what the nodes could leave on the machine.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { inNode, kubectl, type K8sLabContext } from "../../scripts/lab/k8slab";

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
 * The fault of the failing join: the control plane's firewall refuses the API server's port to
 * the worker the way firewalld's default zone does (REJECT, icmp-host-prohibited). `-I` adds the
 * rule, `-D` removes it.
 */
export function apiFirewall(ctx: K8sLabContext, worker: string, op: "-I" | "-D"): void {
  const cp = ctx.plan.nodes.find((n) => n.role === "control-plane")!;
  const from = ctx.plan.nodes.find((n) => n.name === worker)!.address!;
  const rule = [op, "INPUT", "-s", from, "-p", "tcp", "--dport", "6443", "-j", "REJECT"];
  const r = inNode(ctx.dir, cp.name, [
    "iptables",
    ...rule,
    "--reject-with",
    "icmp-host-prohibited",
  ]);
  assert.ok(r.ok, `iptables ${op} on ${cp.name}: ${r.out}`);
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
  return [...dirs, ...netns, ...cgroups].join("\n");
}
