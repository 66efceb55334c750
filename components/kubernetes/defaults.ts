// Defaults of the Kubernetes layer, each with the reason it was chosen. Lab-wide defaults
// (versions, subnets, ports, charts) stay in ../spec/defaults.ts, what the planner decides for
// the nodes (CRI sockets, firewalld policy, CNI kernel modules) in ../plan/kubeadm/defaults.ts;
// these only concern how kubeadm, the runtime and the packages are put on a node.
import { HOST_STATE_DIR } from "../spec";

/** Where the rendered kubeadm configs are written on a node (kept for `kubeadm upgrade`/debugging). */
export const KUBEADM_DIR = `${HOST_STATE_DIR}/kubeadm`;

/** Files labfabric owns on a node; the prerequisites' delete removes exactly these. */
export const NODE_FILES = {
  modules: "/etc/modules-load.d/labfabric-kubernetes.conf",
  cniModules: "/etc/modules-load.d/labfabric-cni.conf",
  sysctl: "/etc/sysctl.d/99-labfabric-kubernetes.conf",
} as const;

/**
 * Kubernetes packages: the community repositories, one per minor release, so the installed
 * kubelet/kubeadm/kubectl can never drift to another minor (post D used v1.32 from here).
 */
export const K8S_PACKAGES_URL = "https://pkgs.k8s.io/core:/stable:";

/**
 * CRI-O packages. CRI-O moved from pkgs.k8s.io/addons:/cri-o to openSUSE's isv:cri-o project
 * (cri-o/packaging README, Feb 2025); its stream is chosen to match the Kubernetes minor.
 * Post D installed `prerelease:/main` and got CRI-O 1.33 under Kubernetes 1.32.
 */
export const CRIO_PACKAGES_URL = "https://download.opensuse.org/repositories/isv:/cri-o:/stable:";

/**
 * containerd on RHEL-family hosts: Rocky/RHEL ship no containerd package, Docker's repository
 * does (containerd.io; the `centos` tree serves RHEL 8/9 rebuilds). Debian and Ubuntu install
 * `containerd` from their own archive.
 */
export const DOCKER_RPM_BASE = "https://download.docker.com/linux/centos";

/** kubeadm bootstrap tokens live long enough for every join of one `pulumi up`, then expire. */
export const JOIN_TOKEN_TTL = "2h0m0s";

/** Cloud images may still run cloud-init (and hold the dnf/apt lock) when SSH comes up. */
export const CLOUD_INIT_TIMEOUT_SECONDS = 900;

/** Bounded waits on nodes: a node must register this many seconds after its join. */
export const NODE_REGISTER_TIMEOUT_SECONDS = 300;

/** Poll interval of every bounded wait loop in the node scripts. */
export const POLL_SECONDS = 5;

/**
 * kubernetes.packageSource "bundle": where the offline bundle (scripts/kubernetes-bundle) is on
 * every node, one directory per release. The bundle is preloaded there (copied, or mounted
 * read-only from a share) before `up`, the way an air-gapped site stages installation media;
 * the node scripts install from it and never reach the network. Kept apart from HOST_STATE_DIR:
 * it is read-only input, not labfabric's state.
 */
export const BUNDLE_NODE_DIR = "/opt/labfabric/kubernetes-bundle";

/** Where the bundle's binaries are installed (kubeadm's "without a package manager" layout). */
export const BUNDLE_BIN_DIR = "/usr/local/bin";

/** The proof's probe image in the bundle (scripts/kubernetes-bundle/versions.env PROBE_IMAGE). */
export const BUNDLE_PROOF_IMAGE = "labfabric.local/proof:1";

/**
 * A KubeProxyConfiguration the site keeps on the first control plane, appended to the init
 * config when present (the program renders none). Real labs leave it absent; the dry lab's
 * namespace nodes use it (scripts/lab/k8s-node-host.sh), see renderInitScript.
 */
export const KUBE_PROXY_LOCAL_CONFIG = `${KUBEADM_DIR}/kube-proxy.local.yaml`;

/** Bounded wait for the container runtime's socket after (re)starting it. */
export const RUNTIME_READY_TIMEOUT_SECONDS = 60;
