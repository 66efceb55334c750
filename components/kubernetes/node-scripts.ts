// The shell steps that turn a machine into a Kubernetes node, rendered from the kubeadm slice
// of the plan (LabPlan.kubeadm). Every step is POSIX sh under `set -eu`, guarded so a re-run
// changes nothing, and every value from the plan is shell-quoted. They run over SSH as root
// (see shell.ts `asRoot`).
//
// Numbered like the steps of post D, where each one was learned the hard way:
//   0 wait for cloud-init (cloud images install packages at first boot)
//   1 swap off now and in /etc/fstab (kubelet refused to start with swap on)
//   2 overlay + br_netfilter, bridge-nf-call-iptables and ip_forward, persisted
//   3 SELinux permissive (RHEL family)
//   4 firewalld: disabled (default) or the planned ports opened — the slice's `firewalld`
//     (DEFAULT_FIREWALLD_POLICY)
//   5 container runtime + kubelet/kubeadm/kubectl pinned to the lab's minor (dnf or apt)
//   6 the kernel modules the CNI's encapsulation needs (vxlan / geneve / ipip)
// then `kubeadm init` (first control plane) or `kubeadm join` (everyone else), and the
// registration step on the first control plane that waits for the node and labels workers.
import type { KubeadmPlan, KubeadmRole, PortRule } from "../plan";
import {
  CLOUD_INIT_TIMEOUT_SECONDS,
  JOIN_TOKEN_TTL,
  KUBE_PROXY_LOCAL_CONFIG,
  KUBEADM_DIR,
  NODE_FILES,
  NODE_REGISTER_TIMEOUT_SECONDS,
  POLL_SECONDS,
} from "./defaults";
import { kubernetesVersionLabel } from "./kubeadm-config";
import { packages } from "./packages";
import { fail, script, shq, writeFile } from "../shared";

export type NodeRole = KubeadmRole;

export const ADMIN_CONF = "/etc/kubernetes/admin.conf";
export const KUBELET_CONF = "/etc/kubernetes/kubelet.conf";
export const INIT_CONFIG = `${KUBEADM_DIR}/init.yaml`;
export const JOIN_CONFIG = `${KUBEADM_DIR}/join.yaml`;

const detectPackageManager = `# Package manager: dnf (Rocky/RHEL/Alma) or apt (Debian/Ubuntu)
if command -v dnf >/dev/null 2>&1; then
  pkg=dnf
elif command -v apt-get >/dev/null 2>&1; then
  pkg=apt
else
  ${fail("neither dnf nor apt-get found; supported: Rocky/RHEL/Alma and Debian/Ubuntu")}
fi`;

const cloudInit = `# 0. Let cloud-init finish first (bounded): it may still hold the package manager's lock
if command -v cloud-init >/dev/null 2>&1; then
  timeout ${CLOUD_INIT_TIMEOUT_SECONDS} cloud-init status --wait >/dev/null 2>&1 || true
fi`;

const SWAP_LINE = "^[^#[:space:]][^[:space:]]*[[:space:]]+[^[:space:]]+[[:space:]]+swap[[:space:]]";

const swapOff = `# 1. Swap off, now and after reboots: kubelet refuses to start with swap on (post D)
swapoff -a
if grep -Eq ${shq(SWAP_LINE)} /etc/fstab; then
  sed -i -E ${shq(`s/(${SWAP_LINE}.*)$/# labfabric (kubelet needs swap off): \\1/`)} /etc/fstab
fi
for unit in $(systemctl list-units --type swap --plain --no-legend 2>/dev/null | awk '{print $1}'); do
  systemctl mask --now "$unit"
done`;

function modulesAndSysctls(): string {
  const sysctls = [
    "net.bridge.bridge-nf-call-ip6tables = 1",
    "net.bridge.bridge-nf-call-iptables = 1",
    "net.ipv4.ip_forward = 1",
  ];
  return [
    "# 2. overlay + br_netfilter and the forwarding sysctls, persisted",
    writeFile(NODE_FILES.modules, "overlay\nbr_netfilter\n"),
    "modprobe overlay",
    "modprobe br_netfilter",
    writeFile(NODE_FILES.sysctl, sysctls.join("\n")),
    "sysctl --system >/dev/null",
    `[ "$(sysctl -n net.ipv4.ip_forward)" = 1 ] || ${fail("net.ipv4.ip_forward is not 1 after sysctl --system (another sysctl.d file overrides it)")}`,
    `[ "$(sysctl -n net.bridge.bridge-nf-call-iptables)" = 1 ] || ${fail("net.bridge.bridge-nf-call-iptables is not 1 after sysctl --system")}`,
  ].join("\n");
}

const selinux = `# 3. SELinux permissive on the RHEL family (post D); a no-op where SELinux is absent
if command -v getenforce >/dev/null 2>&1 && [ "$(getenforce)" = Enforcing ]; then
  setenforce 0
fi
if [ -f /etc/selinux/config ]; then
  sed -i 's/^SELINUX=enforcing$/SELINUX=permissive/' /etc/selinux/config
fi`;

function firewallCmdRule(r: PortRule): string | undefined {
  if (r.protocol === "icmp") return undefined; // firewalld accepts ICMP unless told otherwise
  if (r.protocol === "4") return "firewall-cmd --permanent --add-protocol=4 >/dev/null";
  const ports = r.from === r.to ? `${r.from}` : `${r.from}-${r.to}`;
  return `firewall-cmd --permanent --add-port=${shq(`${ports}/${r.protocol}`)} >/dev/null`;
}

function firewalld(plan: KubeadmPlan, role: NodeRole): string {
  if (plan.firewalld === "disable") {
    return `# 4. firewalld stopped and disabled (post D): kube-proxy and the CNI program the packet
#    filter themselves, and firewalld's zones drop forwarded pod traffic
if systemctl is-active --quiet firewalld 2>/dev/null || systemctl is-enabled --quiet firewalld 2>/dev/null; then
  systemctl disable --now firewalld
fi`;
  }
  const rules = plan.ports
    .filter((r) => r.roles.includes(role))
    .map(firewallCmdRule)
    .filter((x): x is string => x !== undefined);
  return [
    "# 4. firewalld kept: the planned ports for this role, pod and service ranges trusted",
    "if systemctl is-active --quiet firewalld 2>/dev/null; then",
    ...[...new Set(rules)].map((r) => `  ${r}`),
    `  firewall-cmd --permanent --zone=trusted --add-source=${shq(plan.podSubnet)} >/dev/null`,
    `  firewall-cmd --permanent --zone=trusted --add-source=${shq(plan.serviceSubnet)} >/dev/null`,
    "  firewall-cmd --reload >/dev/null",
    "fi",
  ].join("\n");
}

function cniModules(plan: KubeadmPlan): string {
  const { cni } = plan;
  const { modules } = cni;
  const head = `# 6. Kernel modules for ${cni.plugin} ${cni.mode} (${cni.encapsulation} encapsulation)`;
  if (modules.length === 0) return `${head}: none needed\nrm -f ${shq(NODE_FILES.cniModules)}`;
  return [
    head,
    writeFile(NODE_FILES.cniModules, modules.join("\n")),
    ...modules.map((m) => `modprobe ${shq(m)}`),
  ].join("\n");
}

/** Everything a node needs before kubeadm, for one role (the firewall ports differ by role). */
export function renderPrerequisites(plan: KubeadmPlan, role: NodeRole): string {
  return script(`Kubernetes ${plan.version} node prerequisites (${role})`, [
    detectPackageManager,
    cloudInit,
    swapOff,
    modulesAndSysctls(),
    selinux,
    firewalld(plan, role),
    packages(plan),
    cniModules(plan),
  ]);
}

/**
 * Undoing the prerequisites removes the files labfabric wrote for the kernel. Packages,
 * repositories, swap, SELinux and firewalld are deliberately left as they are: removing
 * packages the machine may have had before, or turning swap and firewalld back on under
 * running workloads, does more harm than leaving them.
 */
export function renderPrerequisitesDelete(): string {
  return script("remove the node prerequisites' kernel settings", [
    `rm -f ${[NODE_FILES.modules, NODE_FILES.cniModules, NODE_FILES.sysctl].map(shq).join(" ")}`,
  ]);
}

function pinVersion(minor: string, path: string): string {
  return [
    "# The config says stable-<minor>; pin it to the installed kubeadm so the control-plane",
    "# images match the kubelet exactly and nothing is fetched from dl.k8s.io",
    "installed=$(kubeadm version -o short)",
    `case "$installed" in v${minor}.*) ;; *) ${fail(`kubeadm is not Kubernetes ${minor}`)} ;; esac`,
    `sed -i "s/^kubernetesVersion: ${kubernetesVersionLabel(minor).replace(/\./g, "\\.")}\\$/kubernetesVersion: $installed/" ${shq(path)}`,
  ].join("\n");
}

/** `kubeadm init` on the first control plane, once: guarded by admin.conf. */
export function renderInitScript(minor: string, nodeName: string, config: string): string {
  return script(`kubeadm init on ${nodeName}`, [
    `if [ -f ${shq(ADMIN_CONF)} ]; then\n  echo ${shq(`labfabric: ${nodeName} is already initialised (${ADMIN_CONF} exists)`)}\n  exit 0\nfi`,
    writeFile(INIT_CONFIG, config, "0600"),
    pinVersion(minor, INIT_CONFIG),
    [
      "# A KubeProxyConfiguration the site keeps on this node (the program renders none), if any",
      `if [ -f ${shq(KUBE_PROXY_LOCAL_CONFIG)} ]; then`,
      `  grep -q '^kind: KubeProxyConfiguration$' ${shq(KUBE_PROXY_LOCAL_CONFIG)} || ${fail(`${KUBE_PROXY_LOCAL_CONFIG} must hold one KubeProxyConfiguration`)}`,
      `  printf -- '---\\n' >> ${shq(INIT_CONFIG)}`,
      `  cat ${shq(KUBE_PROXY_LOCAL_CONFIG)} >> ${shq(INIT_CONFIG)}`,
      "fi",
    ].join("\n"),
    // The join token and certificate key are fetched by their own, secret step: keep them
    // out of this step's output (stored in plain state).
    `kubeadm init --config ${shq(INIT_CONFIG)} --skip-token-print --skip-certificate-key-print`,
  ]);
}

/**
 * `kubeadm join` on a worker or extra control plane, once: guarded by kubelet.conf. The join
 * configuration (bootstrap token, CA hash, certificate key) arrives on standard input (the
 * step's secret `stdin`), never in the script: the command provider repeats a failed step's
 * whole command line in its error, which the engine prints and keeps in state. kubeadm's output
 * is shown as it runs; when it fails, the step names the node and repeats kubeadm's own error
 * (joinWithReport), and resets what the partial join left so the next `up` starts clean.
 */
export function renderJoinScript(nodeName: string): string {
  const tmp = shq(`${JOIN_CONFIG}.labfabric-tmp`);
  return script(`kubeadm join of ${nodeName}`, [
    `if [ -f ${shq(KUBELET_CONF)} ]; then\n  echo ${shq(`labfabric: ${nodeName} has already joined (${KUBELET_CONF} exists)`)}\n  exit 0\nfi`,
    [
      "# The join configuration, from standard input, readable by root only",
      `mkdir -p "$(dirname ${shq(JOIN_CONFIG)})"`,
      `(umask 077 && cat > ${tmp})`,
      `grep -q '^kind: JoinConfiguration$' ${tmp} || { rm -f ${tmp}; ${fail(`no JoinConfiguration for ${nodeName} on standard input`)}; }`,
      `chmod 0600 ${tmp}`,
      `mv -f ${tmp} ${shq(JOIN_CONFIG)}`,
    ].join("\n"),
    joinWithReport(nodeName),
  ]);
}

/**
 * Run `kubeadm join`, its output shown as it runs and kept (POSIX sh has no pipefail: the
 * status goes through a file). On failure: the node named with kubeadm's own error, then the
 * partial join reset (kubeadm reset, the CNI state and the join config, as renderResetScript)
 * unless the node held kubeadm's files before this join: those belong to another installation
 * or an interrupted run, and resetting a node that may serve another cluster is the operator's
 * call, so the report says so and leaves them.
 */
function joinWithReport(nodeName: string): string {
  const reset = [
    "kubeadm reset -f",
    "rm -rf /etc/cni/net.d/* /var/lib/cni/*",
    `rm -f ${shq(JOIN_CONFIG)}`,
  ];
  return [
    "# kubeadm join; on failure the node and kubeadm's own error are reported, and what this",
    "# join left is reset so that the next run starts clean",
    "held=''",
    `for f in ${JOIN_WRITES.map(shq).join(" ")}; do`,
    '  if [ -e "$f" ]; then held="$held $f"; fi',
    "done",
    "log=$(mktemp) && status=$(mktemp)",
    'trap \'rm -f "$log" "$status"\' EXIT',
    `{ kubeadm join --config ${shq(JOIN_CONFIG)} 2>&1 && echo 0 > "$status" || echo "$?" > "$status"; } | tee "$log"`,
    'rc=$(cat "$status")',
    'if [ "$rc" != 0 ]; then',
    `  err=$(awk '/^To see the stack trace/ { exit } p || /^error/ { p = 1; print }' "$log")`,
    `  [ -n "$err" ] || err=$(tail -n ${JOIN_ERROR_TAIL_LINES} "$log")`,
    `  printf '%s\\n' ${shq(`labfabric: join of ${nodeName} failed (kubeadm join exited `)}"$rc): $err" >&2`,
    // A re-run long after the token step ran (the token lives JOIN_TOKEN_TTL) fails discovery
    // with these: only a new token helps, and the token step makes one when it is replaced.
    `  case "$err" in *"JWS signature in the cluster-info"* | *"invalid for this cluster or it has expired"*)`,
    `    echo ${shq(`labfabric: the join token is no longer valid (a token lives ${JOIN_TOKEN_TTL}): replace the cluster's join-token step, pulumi up --replace <its URN from pulumi stack --show-urns | grep join-token>`)} >&2 ;;`,
    "  esac",
    '  if [ -n "$held" ]; then',
    `    echo ${shq(`labfabric: ${nodeName} held kubeadm's files before this join (left as they are):`)}"$held" >&2`,
    `    echo ${shq(`labfabric: if ${nodeName} serves no other cluster, run kubeadm reset -f on it, then pulumi up again`)} >&2`,
    "  else",
    ...reset.map((l) => `    ${l} >/dev/null 2>&1 || true`),
    `    echo ${shq(`labfabric: what the join left on ${nodeName} was reset (kubeadm reset); fix the cause and run pulumi up again`)} >&2`,
    "  fi",
    "  exit 1",
    "fi",
  ].join("\n");
}

/** Lines a failed join repeats from kubeadm's output when kubeadm printed no "error" line. */
const JOIN_ERROR_TAIL_LINES = 10;

/** Files `kubeadm join` writes on a node; any of them before a join means kubeadm state. */
const JOIN_WRITES = [
  "/etc/kubernetes/bootstrap-kubelet.conf",
  "/etc/kubernetes/pki/ca.crt",
  "/var/lib/kubelet/config.yaml",
];

/** `kubeadm reset`: the delete of init and join. */
export function renderResetScript(nodeName: string): string {
  return script(`kubeadm reset on ${nodeName}`, [
    "if command -v kubeadm >/dev/null 2>&1; then\n  kubeadm reset -f\nfi",
    // kubeadm leaves the CNI configuration behind; a later cluster with another CNI would
    // pick it up. iptables/IPVS rules and CNI interfaces are left (a reboot clears them).
    "rm -rf /etc/cni/net.d/*",
    // The CNI plugins' state (host-local's address reservations, cached results): every pod
    // is gone after the reset, and a later cluster would find addresses still "reserved".
    "rm -rf /var/lib/cni/*",
    `rm -f ${shq(INIT_CONFIG)} ${shq(JOIN_CONFIG)}`,
  ]);
}

/**
 * On the first control plane: a fresh bootstrap token with the CA hash (the join command), and
 * the certificate key when control planes join. Its output is secret.
 */
export function renderJoinTokenScript(withCertificateKey: boolean): string {
  return script("join token and CA certificate hash", [
    `export KUBECONFIG=${shq(ADMIN_CONF)}`,
    `kubeadm token create --ttl ${shq(JOIN_TOKEN_TTL)} --description 'labfabric join' --print-join-command`,
    ...(withCertificateKey
      ? [
          // No pipe: under `set -e` a failing kubeadm must fail the step, not feed tail.
          `out=$(kubeadm init phase upload-certs --upload-certs --config ${shq(INIT_CONFIG)})`,
          `printf 'certificate-key %s\\n' "$(printf '%s\\n' "$out" | tail -n 1)"`,
        ]
      : []),
  ]);
}

/** Undo the join-token step: delete the token it printed, if the provider passed it back. */
export function renderJoinTokenDelete(): string {
  return script("delete the labfabric join token", [
    // PULUMI_COMMAND_STDOUT reaches the host only if sshd accepts it (AcceptEnv); tokens
    // expire after JOIN_TOKEN_TTL anyway.
    `token=$(printf '%s\\n' "\${PULUMI_COMMAND_STDOUT:-}" | sed -n 's/.*--token \\([a-z0-9.]*\\).*/\\1/p')`,
    `if [ -n "$token" ] && [ -f ${shq(ADMIN_CONF)} ]; then\n  kubeadm token delete "$token" --kubeconfig ${shq(ADMIN_CONF)} || true\nfi`,
  ]);
}

/** The label the batch registration puts on every node it registered: `<key>=<cluster>`. */
export const REGISTERED_LABEL = "labfabric/registered";

/**
 * On the first control plane, one step for every node that joins: wait (bounded) until they
 * have all registered, label them `labfabric/registered=<cluster>` and the workers
 * `node-role.kubernetes.io/worker=` (post D did it by hand), then delete the nodes this
 * cluster registered earlier that are no longer listed (removed from the lab). Re-running it
 * changes nothing.
 */
export function renderRegisterNodesScript(
  cluster: string,
  nodes: readonly { name: string; role: NodeRole }[],
): string {
  const tries = Math.ceil(NODE_REGISTER_TIMEOUT_SECONDS / POLL_SECONDS);
  const label = shq(`${REGISTERED_LABEL}=${cluster}`);
  const workers = nodes.filter((n) => n.role === "worker").map((n) => shq(n.name));
  return script(`register ${nodes.length} node(s) of ${cluster}`, [
    `export KUBECONFIG=${shq(ADMIN_CONF)}`,
    `# The nodes this step registers\nset -- ${nodes.map((n) => shq(n.name)).join(" ")}`,
    [
      "i=0",
      "while :; do",
      `  missing=$(kubectl get nodes -o name | awk -v want="$*" 'BEGIN { n = split(want, w, " ") } { have[$0] = 1 } END { for (k = 1; k <= n; k++) if (!(("node/" w[k]) in have)) printf " %s", w[k] }')`,
      '  [ -z "$missing" ] && break',
      "  i=$((i + 1))",
      `  if [ "$i" -gt ${tries} ]; then`,
      `    echo "labfabric: these nodes did not register within ${NODE_REGISTER_TIMEOUT_SECONDS}s of their joins:$missing; see journalctl -u kubelet on them" >&2`,
      "    exit 1",
      "  fi",
      `  sleep ${POLL_SECONDS}`,
      "done",
    ].join("\n"),
    `kubectl label node "$@" ${label} --overwrite >/dev/null`,
    ...(workers.length > 0
      ? [
          `kubectl label node ${workers.join(" ")} node-role.kubernetes.io/worker= --overwrite >/dev/null`,
        ]
      : []),
    [
      "# Nodes registered here before that are no longer listed: removed from the lab",
      `for old in $(kubectl get nodes -l ${label} -o jsonpath='{.items[*].metadata.name}'); do`,
      '  case " $* " in',
      '    *" $old "*) ;;',
      '    *) kubectl delete node "$old" --ignore-not-found --wait=false ;;',
      "  esac",
      "done",
    ].join("\n"),
  ]);
}

/** Undo the registration: the Node objects it labelled go (their kubeadm resets run after). */
export function renderRegisterNodesDelete(cluster: string): string {
  return script(`remove the nodes ${cluster} registered`, [
    `if [ -f ${shq(ADMIN_CONF)} ]; then\n  kubectl --kubeconfig ${shq(ADMIN_CONF)} delete nodes -l ${shq(`${REGISTERED_LABEL}=${cluster}`)} --ignore-not-found --wait=false\nfi`,
  ]);
}

/** Read the admin kubeconfig (secret output). Reading changes nothing, so there is no delete. */
export function renderKubeconfigScript(): string {
  return script("read the admin kubeconfig", [`cat ${shq(ADMIN_CONF)}`]);
}
