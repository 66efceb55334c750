// Step 5 of the node prerequisites with kubernetes.packageSource "bundle": the same result as
// packages.ts (containerd configured for kubelet, kubelet/kubeadm/kubectl of the lab's minor, a
// kubelet service kubeadm can drive) but from the offline bundle preloaded on the node
// (BUNDLE_NODE_DIR) instead of pkgs.k8s.io, and every image kubeadm and the CNI chart ask for
// imported into containerd beforehand, so nothing is ever pulled. Only where packages and images
// come from differs: the cgroup driver, the kubelet unit's arguments and kubeadm's steps are
// those of a packaged install.
import { CRI_SOCKETS, type KubeadmPlan } from "../plan";
import { fail, shq, writeFile } from "../shared";
import { KUBERNETES_BUNDLE } from "../spec";
import {
  BUNDLE_BIN_DIR,
  BUNDLE_NODE_DIR,
  POLL_SECONDS,
  RUNTIME_READY_TIMEOUT_SECONDS,
} from "./defaults";

/** The bundle's binaries a node needs (the control plane runs from images). */
export const BUNDLE_NODE_BINARIES = ["kubeadm", "kubelet", "kubectl", "crictl"] as const;
export const CNI_BIN_DIR = "/opt/cni/bin";
export const KUBELET_UNIT = "/etc/systemd/system/kubelet.service";
export const KUBELET_DROPIN = "/etc/systemd/system/kubelet.service.d/10-kubeadm.conf";
export const CONTAINERD_CONFIG = "/etc/containerd/config.toml";

/** Why the offline bundle cannot serve this slice's release and runtime; undefined when it can. */
export function bundleMismatch(plan: Pick<KubeadmPlan, "version" | "runtime">): string | undefined {
  const { version: minor, runtime } = plan;
  return runtime !== KUBERNETES_BUNDLE.runtime || minor !== KUBERNETES_BUNDLE.minor
    ? `the offline bundle holds Kubernetes ${KUBERNETES_BUNDLE.minor} with ${KUBERNETES_BUNDLE.runtime}, not ${minor} with ${runtime}`
    : undefined;
}

/** The release directory of the bundle on every node. */
export function bundleNodeDir(): string {
  return `${BUNDLE_NODE_DIR}/${KUBERNETES_BUNDLE.release}`;
}

/**
 * The kubelet unit and kubeadm's drop-in, as the Kubernetes packages ship them
 * (kubernetes/release cmd/krel/templates), with the binary in BUNDLE_BIN_DIR. kubeadm writes
 * /var/lib/kubelet/kubeadm-flags.env; /etc/default/kubelet is the site's own override.
 */
export function kubeletUnit(): { unit: string; dropIn: string } {
  const kubelet = `${BUNDLE_BIN_DIR}/kubelet`;
  return {
    unit: [
      "[Unit]",
      "Description=kubelet: The Kubernetes Node Agent",
      "Documentation=https://kubernetes.io/docs/",
      "Wants=network-online.target",
      "After=network-online.target",
      "",
      "[Service]",
      `ExecStart=${kubelet}`,
      "Restart=always",
      "StartLimitInterval=0",
      "RestartSec=10",
      "",
      "[Install]",
      "WantedBy=multi-user.target",
    ].join("\n"),
    dropIn: [
      "# labfabric: kubeadm's drop-in for the kubelet from the offline bundle",
      "[Service]",
      'Environment="KUBELET_KUBECONFIG_ARGS=--bootstrap-kubeconfig=/etc/kubernetes/bootstrap-kubelet.conf --kubeconfig=/etc/kubernetes/kubelet.conf"',
      'Environment="KUBELET_CONFIG_ARGS=--config=/var/lib/kubelet/config.yaml"',
      "EnvironmentFile=-/var/lib/kubelet/kubeadm-flags.env",
      "EnvironmentFile=-/etc/default/kubelet",
      "ExecStart=",
      `ExecStart=${kubelet} $KUBELET_KUBECONFIG_ARGS $KUBELET_CONFIG_ARGS $KUBELET_KUBEADM_ARGS $KUBELET_EXTRA_ARGS`,
    ].join("\n"),
  };
}

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n");
}

/** containerd's default config with the systemd cgroup driver and the bundle's pause image. */
function containerdConfig(): string {
  const tmp = shq(`${CONTAINERD_CONFIG}.labfabric-tmp`);
  const socket = CRI_SOCKETS.containerd.replace(/^unix:\/\//, "");
  const tries = Math.ceil(RUNTIME_READY_TIMEOUT_SECONDS / POLL_SECONDS);
  return [
    "# containerd's default config, systemd cgroup driver (as kubelet), and the sandbox image the",
    "# bundle holds (containerd 1.6 defaults to pause:3.6, which nothing here provides)",
    `pause=$(sed -n 's#^image \\(registry\\.k8s\\.io/pause:.*\\)$#\\1#p' "$bundle/manifest.txt")`,
    `case "$pause" in registry.k8s.io/pause:[0-9]*) ;; *) ${fail("the bundle's manifest names no registry.k8s.io/pause image")} ;; esac`,
    "mkdir -p /etc/containerd",
    `containerd config default > ${tmp}`,
    `sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' ${tmp}`,
    `sed -i "s#^\\( *\\)sandbox_image = .*#\\1sandbox_image = \\"$pause\\"#" ${tmp}`,
    `grep -q 'SystemdCgroup = true' ${tmp} || ${fail("could not set SystemdCgroup = true in containerd's default config")}`,
    `grep -qF "sandbox_image = \\"$pause\\"" ${tmp} || ${fail("could not set the sandbox image in containerd's default config")}`,
    `if cmp -s ${tmp} ${shq(CONTAINERD_CONFIG)}; then`,
    `  rm -f ${tmp}`,
    "else",
    `  mv -f ${tmp} ${shq(CONTAINERD_CONFIG)}`,
    "  systemctl restart containerd",
    "fi",
    "systemctl enable --now containerd",
    "i=0",
    `until ctr --address ${shq(socket)} version >/dev/null 2>&1; do`,
    "  i=$((i + 1))",
    `  [ "$i" -le ${tries} ] || ${fail(`containerd does not answer on ${socket} within ${RUNTIME_READY_TIMEOUT_SECONDS}s of its start`)}`,
    `  sleep ${POLL_SECONDS}`,
    "done",
  ].join("\n");
}

/** Every image the manifest lists (kubeadm's, the chart's, the proof's), imported once. */
function importImages(): string {
  const socket = CRI_SOCKETS.containerd.replace(/^unix:\/\//, "");
  const ctr = `ctr --address ${shq(socket)} -n k8s.io`;
  return [
    "# Every image of the bundle into containerd's k8s.io namespace (kubelet's), so that kubeadm",
    "# and the CNI chart find them and nothing is pulled; images already there are kept",
    "refs=$(mktemp)",
    `sed -n 's/^\\(image\\|probe-image\\) \\([^ ]*\\)$/\\2/p' "$bundle/manifest.txt" > "$refs"`,
    `have=$(${ctr} images ls -q)`,
    "while read -r ref; do",
    `  if printf '%s\\n' "$have" | grep -qxF "$ref"; then continue; fi`,
    `  archive=$(printf '%s' "$ref" | tr '/:' '__').tar`,
    '  file="$bundle/images/$archive"',
    '  [ -f "$file" ] || file="$bundle/probe/$archive"',
    `  [ -f "$file" ] || { rm -f "$refs"; echo "labfabric: the bundle has no archive for $ref ($archive)" >&2; exit 1; }`,
    `  ${ctr} images import "$file" >/dev/null`,
    '  echo "labfabric: imported $ref"',
    'done < "$refs"',
    'rm -f "$refs"',
  ].join("\n");
}

/** Step 5 from the offline bundle: runtime, binaries, CNI plugins, images, kubelet service. */
export function bundlePackages(plan: KubeadmPlan): string {
  const problem = bundleMismatch(plan);
  // Validation refuses these before any node is touched, and KubeadmCluster refuses such a
  // slice; this guards direct callers.
  if (problem) throw new Error(problem);
  const dir = bundleNodeDir();
  const binaries = BUNDLE_NODE_BINARIES.join("|");
  const { unit, dropIn } = kubeletUnit();
  return [
    `# 5. containerd and kubelet/kubeadm/kubectl ${KUBERNETES_BUNDLE.release} from the offline bundle`,
    `#    (kubernetes.packageSource "bundle"), preloaded on the node at ${dir}`,
    `bundle=${shq(dir)}`,
    `[ -f "$bundle/manifest.txt" ] || ${fail(`no offline bundle at ${dir}: copy the bundle built by scripts/kubernetes-bundle/build.sh there (or mount it read-only), or set kubernetes.packageSource to "internet"`)}`,
    "# containerd and runc are the distribution's (Debian: containerd, runc), from the site's mirror",
    "if ! command -v containerd >/dev/null 2>&1 || ! command -v runc >/dev/null 2>&1; then",
    indent(
      [
        'if [ "$pkg" = apt ]; then',
        "  DEBIAN_FRONTEND=noninteractive apt-get install -y -q containerd runc >/dev/null",
        "else",
        "  dnf install -y containerd.io",
        "fi",
      ].join("\n"),
    ),
    "fi",
    `command -v ctr >/dev/null 2>&1 || ${fail("containerd is installed without ctr, which imports the bundle's images")}`,
    "# What is installed is what the bundle's manifest says (sha256)",
    `(cd "$bundle" && grep -E ' (bin/(${binaries})|cni/[A-Za-z0-9_-]+)$' manifest.txt | sha256sum -c --quiet -) || ${fail(`the bundle at ${dir} does not match its manifest.txt`)}`,
    `for b in ${BUNDLE_NODE_BINARIES.join(" ")}; do`,
    `  cmp -s "$bundle/bin/$b" ${shq(BUNDLE_BIN_DIR)}/"$b" || install -D -m 0755 "$bundle/bin/$b" ${shq(BUNDLE_BIN_DIR)}/"$b"`,
    "done",
    `mkdir -p ${shq(CNI_BIN_DIR)}`,
    'for f in "$bundle"/cni/*; do',
    `  cmp -s "$f" ${shq(CNI_BIN_DIR)}/"$(basename "$f")" || install -m 0755 "$f" ${shq(CNI_BIN_DIR)}/"$(basename "$f")"`,
    "done",
    "installed=$(kubeadm version -o short)",
    `[ "$installed" = ${shq(KUBERNETES_BUNDLE.release)} ] || ${fail(`kubeadm from the bundle reports a version other than ${KUBERNETES_BUNDLE.release}`)}`,
    containerdConfig(),
    importImages(),
    writeFile(
      "/etc/crictl.yaml",
      `runtime-endpoint: ${CRI_SOCKETS.containerd}\nimage-endpoint: ${CRI_SOCKETS.containerd}`,
    ),
    "# The kubelet service, as the packages install it; kubeadm starts it",
    writeFile(KUBELET_UNIT, unit),
    writeFile(KUBELET_DROPIN, dropIn),
    "systemctl daemon-reload",
    "systemctl enable kubelet >/dev/null 2>&1",
  ].join("\n");
}
