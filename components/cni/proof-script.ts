// The post-install proof, rendered from the plan: one probe pod per node, a full-size
// pod-MTU ping with DF set between EVERY ordered pair of nodes, and a service DNS lookup from
// every node. Small packets passing while full-size ones vanish is post A's black hole; this
// is the check no other tool runs. Pure: the script text is tested as a string.
import { stringify } from "yaml";
import { ADMIN_CONF, BUNDLE_PROOF_IMAGE, CLUSTER_DOMAIN } from "../kubernetes";
import { script, shq } from "../shared";
import type { ProofPlan as LabPlan } from "./slice";

/**
 * The probe image needs iputils `ping` (for `-M do`, the DF bit) and `nslookup`. BusyBox's
 * ping has no -M option (its options are -c -s -t -w -W -I -p -i -A -q -4 -6), so busybox
 * cannot run this proof; netshoot (Alpine + iputils + bind-tools) can. Pinned by tag;
 * override with the `image` option (e.g. a mirror for offline labs).
 */
export const PROOF_IMAGE = "docker.io/nicolaka/netshoot:v0.13";
export const PROOF_NAMESPACE = "labfabric-proof";
export const PROOF_NAME = "labfabric-proof";
/** Bounded wait for every node Ready and CoreDNS rolled out. */
export const PROOF_TIMEOUT_SECONDS = 300;
/** Bounded wait for the probe DaemonSet: the first pull of the image on every node included. */
export const PROOF_ROLLOUT_TIMEOUT_SECONDS = 600;
/** IPv4 header (20) + ICMP header (8): ping -s takes the payload, the MTU counts the packet. */
export const ICMP_IPV4_HEADERS = 28;
/** The service every cluster has; its lookup proves pod -> service -> CoreDNS from each node. */
export const PROOF_DNS_NAME = `kubernetes.default.svc.${CLUSTER_DOMAIN}`;

export interface ProofOptions {
  image?: string;
}

/** The namespace and DaemonSet the proof applies, YAML with sorted keys. */
export function proofManifest(image: string): string {
  const labels = { "app.kubernetes.io/name": PROOF_NAME, "app.kubernetes.io/part-of": "labfabric" };
  const docs = [
    {
      apiVersion: "v1",
      kind: "Namespace",
      // NET_RAW (raw ICMP sockets for ping) is beyond the baseline Pod Security level.
      metadata: {
        labels: { ...labels, "pod-security.kubernetes.io/enforce": "privileged" },
        name: PROOF_NAMESPACE,
      },
    },
    {
      apiVersion: "apps/v1",
      kind: "DaemonSet",
      metadata: { labels, name: PROOF_NAME, namespace: PROOF_NAMESPACE },
      spec: {
        selector: { matchLabels: { "app.kubernetes.io/name": PROOF_NAME } },
        template: {
          metadata: { labels },
          spec: {
            automountServiceAccountToken: false,
            containers: [
              {
                command: ["sleep", "3600"],
                image,
                name: "probe",
                resources: { requests: { cpu: "10m", memory: "16Mi" } },
                securityContext: { capabilities: { add: ["NET_RAW"] } },
              },
            ],
            terminationGracePeriodSeconds: 1,
            // Every node, control planes included.
            tolerations: [{ operator: "Exists" }],
          },
        },
      },
    },
  ];
  return docs
    .map((d) => stringify(d, { aliasDuplicateObjects: false, lineWidth: 0, sortMapEntries: true }))
    .join("---\n");
}

/** The proof script, run as root on the first control plane. */
export function renderProofScript(plan: LabPlan, options: ProofOptions = {}): string {
  const podMtu = plan.mtu.podMtu;
  if (podMtu === undefined || !plan.cni)
    throw new Error("the plan has no Kubernetes nodes to prove");
  const size = podMtu - ICMP_IPV4_HEADERS;
  const nodes = plan.nodes.map((n) => n.name);
  const list = nodes.map(shq).join(" ");
  const width = Math.max(12, ...nodes.map((n) => n.length)) + 2;
  const cni = `${plan.cni.plugin} ${plan.cni.mode}`;
  // Offline labs probe with the bundle's image (iputils ping + busybox), imported on every node.
  const image =
    options.image ?? (plan.packageSource === "bundle" ? BUNDLE_PROOF_IMAGE : PROOF_IMAGE);
  return script(
    `prove pod-to-pod traffic at the full pod MTU (${podMtu}) between every pair of nodes`,
    [
      [
        `export KUBECONFIG=${shq(ADMIN_CONF)}`,
        `ns=${shq(PROOF_NAMESPACE)}`,
        `mtu=${podMtu}`,
        `size=${size} # ping payload: pod MTU - ${ICMP_IPV4_HEADERS} (IPv4 + ICMP headers)`,
        "pods=$(mktemp)",
        'cleanup() { rm -f "$pods"; kubectl delete namespace "$ns" --ignore-not-found --wait=false >/dev/null 2>&1 || true; }',
        "trap cleanup EXIT",
      ].join("\n"),
      [
        "# Bounded waits: every node Ready (the CNI is up), CoreDNS, then one probe pod per node",
        `kubectl wait --for=condition=Ready node --all --timeout=${PROOF_TIMEOUT_SECONDS}s`,
        `printf '%s\\n' ${shq(proofManifest(image).trimEnd())} | kubectl apply -f - >/dev/null`,
        `kubectl -n kube-system rollout status deployment/coredns --timeout=${PROOF_TIMEOUT_SECONDS}s`,
        `kubectl -n "$ns" rollout status daemonset/${PROOF_NAME} --timeout=${PROOF_ROLLOUT_TIMEOUT_SECONDS}s`,
        `kubectl -n "$ns" get pods -l app.kubernetes.io/name=${PROOF_NAME} -o jsonpath='{range .items[*]}{.spec.nodeName}{" "}{.metadata.name}{" "}{.status.podIP}{"\\n"}{end}' > "$pods"`,
        'pod_on() { awk -v n="$1" \'$1 == n { print $2; exit }\' "$pods"; }',
        'ip_on() { awk -v n="$1" \'$1 == n { print $3; exit }\' "$pods"; }',
      ].join("\n"),
      [
        "missing=''",
        `for n in ${list}; do`,
        '  [ -n "$(pod_on "$n")" ] || missing="$missing $n"',
        "done",
        'if [ -n "$missing" ]; then',
        `  echo "labfabric proof FAILED: no probe pod on:$missing (node not registered, NoExecute-tainted, or the CNI is not running there)" >&2`,
        "  exit 1",
        "fi",
        `first=$(pod_on ${shq(nodes[0])})`,
        `if ! kubectl -n "$ns" exec "$first" -- ping -M 'do' -c 1 -s 56 127.0.0.1 >/dev/null 2>&1; then`,
        `  echo ${shq(`labfabric proof FAILED: the probe image (${image}) has no ping that sets DF (-M do); use an image with iputils ping`)} >&2`,
        "  exit 1",
        "fi",
      ].join("\n"),
      [
        `# Every ordered pair: ${size}-byte payload (= ${podMtu}-byte packets) with DF set, and one`,
        "# byte more refused; on failure a small ping tells an MTU black hole (post A) from no",
        "# connectivity at all",
        "failures=''",
        'fail() { failures="$failures\n  $1"; }',
        `printf '%-${width}s' 'from \\ to'`,
        `for to in ${list}; do printf ' %-${width}s' "$to"; done`,
        "printf ' %s\\n' 'DNS'",
        `for from in ${list}; do`,
        '  fpod=$(pod_on "$from")',
        '  fip=$(ip_on "$from")',
        `  row=$(printf '%-${width}s' "$from")`,
        `  for to in ${list}; do`,
        '    if [ "$from" = "$to" ]; then',
        "      cell='-'",
        "    else",
        '      tip=$(ip_on "$to")',
        `      if kubectl -n "$ns" exec "$fpod" -- ping -M 'do' -c 3 -W 2 -s "$size" "$tip" >/dev/null 2>&1; then`,
        "        # One byte more must be refused: the pods' MTU is the planned one, not larger",
        `        if kubectl -n "$ns" exec "$fpod" -- ping -M 'do' -c 1 -W 2 -s "$((size + 1))" "$tip" >/dev/null 2>&1; then`,
        "          cell=BIG",
        `          fail "$from -> $to (pod $fip -> $tip): $((mtu + 1))-byte packets with DF set pass: the pods' MTU is above the planned $mtu (${cni}), so full-size packets from these pods exceed what the plan budgeted for the path"`,
        "        else",
        "          cell=ok",
        "        fi",
        '      elif kubectl -n "$ns" exec "$fpod" -- ping -c 2 -W 2 -s 56 "$tip" >/dev/null 2>&1; then',
        "        cell=MTU",
        `        fail "$from -> $to (pod $fip -> $tip): $mtu-byte packets with DF set are dropped while small packets pass: an MTU black hole, some layer between these nodes carries less than the planned pod MTU $mtu (${cni})"`,
        "      else",
        "        cell=FAIL",
        `        fail "$from -> $to (pod $fip -> $tip): no reply even to small packets: pod traffic between these nodes is blocked (firewall or security group, the ${cni} encapsulation, or routes)"`,
        "      fi",
        "    fi",
        `    row="$row $(printf '%-${width}s' "$cell")"`,
        "  done",
        `  if kubectl -n "$ns" exec "$fpod" -- nslookup ${shq(PROOF_DNS_NAME)} >/dev/null 2>&1; then`,
        "    dns=ok",
        "  else",
        "    dns=FAIL",
        `    fail "$from: DNS lookup of ${PROOF_DNS_NAME} failed: pods on this node cannot reach CoreDNS through its service IP (kube-proxy, or pod traffic to the node running CoreDNS)"`,
        "  fi",
        '  printf \'%s %s\\n\' "$row" "$dns"',
        "done",
      ].join("\n"),
      [
        'if [ -n "$failures" ]; then',
        `  printf 'labfabric proof FAILED (pod MTU %s, DF ping payload %s bytes, ${cni}):%s\\n' "$mtu" "$size" "$failures" >&2`,
        "  exit 1",
        "fi",
        `echo ${shq(`labfabric proof passed: ${nodes.length * (nodes.length - 1)} ordered node pairs carry ${podMtu}-byte DF packets pod to pod and refuse ${podMtu + 1} (${cni}), and ${PROOF_DNS_NAME} resolves on every node`)}`,
      ].join("\n"),
    ],
  );
}
