// Step 5 of the node prerequisites: the container runtime (containerd or CRI-O) and
// kubelet/kubeadm/kubectl pinned to the lab's minor from pkgs.k8s.io, for dnf (Rocky/RHEL, as
// in the posts) and apt (Debian/Ubuntu) hosts.
import type { KubeadmPlan } from "../plan";
import { bundlePackages } from "./bundle";
import { CRIO_PACKAGES_URL, DOCKER_RPM_BASE, K8S_PACKAGES_URL } from "./defaults";
import { fail, shq, writeFile } from "../shared";

function dnfRepo(
  id: string,
  name: string,
  baseurl: string,
  gpgkey: string,
  exclude?: string,
): string {
  return [
    `[${id}]`,
    `name=${name}`,
    `baseurl=${baseurl}`,
    "enabled=1",
    "gpgcheck=1",
    `gpgkey=${gpgkey}`,
    ...(exclude ? [`exclude=${exclude}`] : []),
  ].join("\n");
}

const K8S_PACKAGES = "kubelet kubeadm kubectl";

function indent(text: string): string {
  return text
    .split("\n")
    .map((l) => (l ? `  ${l}` : l))
    .join("\n");
}

function dnfPackages(minor: string, runtime: "containerd" | "crio"): string[] {
  const k8s = `${K8S_PACKAGES_URL}/v${minor}`;
  const crio = `${CRIO_PACKAGES_URL}/v${minor}`;
  const kubernetesRepo = dnfRepo(
    "labfabric-kubernetes",
    `Kubernetes ${minor} (labfabric)`,
    `${k8s}/rpm/`,
    `${k8s}/rpm/repodata/repomd.xml.key`,
    `${K8S_PACKAGES} cri-tools kubernetes-cni`,
  );
  const runtimeSteps =
    runtime === "crio"
      ? [
          writeFile(
            "/etc/yum.repos.d/labfabric-cri-o.repo",
            dnfRepo(
              "labfabric-cri-o",
              `CRI-O ${minor} (labfabric)`,
              `${crio}/rpm/`,
              `${crio}/rpm/repodata/repomd.xml.key`,
            ),
          ),
          "rpm -q cri-o >/dev/null 2>&1 || dnf install -y container-selinux cri-o",
        ]
      : [
          "if ! command -v containerd >/dev/null 2>&1; then",
          indent(
            [
              "# Rocky/RHEL ship no containerd; Docker's repository does (containerd.io)",
              writeFile(
                "/etc/yum.repos.d/labfabric-docker-ce.repo",
                dnfRepo(
                  "labfabric-docker-ce",
                  "Docker CE stable, for containerd.io (labfabric)",
                  `${DOCKER_RPM_BASE}/$releasever/$basearch/stable`,
                  `${DOCKER_RPM_BASE}/gpg`,
                ),
              ),
              "dnf install -y containerd.io",
            ].join("\n"),
          ),
          "fi",
        ];
  return [
    writeFile("/etc/yum.repos.d/labfabric-kubernetes.repo", kubernetesRepo),
    ...runtimeSteps,
    "rpm -q conntrack-tools socat >/dev/null 2>&1 || dnf install -y conntrack-tools socat iptables iproute ethtool",
    `rpm -q ${K8S_PACKAGES} >/dev/null 2>&1 || dnf install -y --disableexcludes=labfabric-kubernetes ${K8S_PACKAGES}`,
  ];
}

function aptPackages(minor: string, runtime: "containerd" | "crio"): string[] {
  const k8s = `${K8S_PACKAGES_URL}/v${minor}`;
  const crio = `${CRIO_PACKAGES_URL}/v${minor}`;
  const keyring = (name: string) => `/etc/apt/keyrings/labfabric-${name}.gpg`;
  const aptSource = (name: string, url: string) =>
    [
      `curl -fsSL ${shq(`${url}/deb/Release.key`)} -o ${shq(`/tmp/labfabric-${name}.key`)}`,
      `gpg --batch --yes --dearmor -o ${shq(keyring(name))} ${shq(`/tmp/labfabric-${name}.key`)}`,
      `rm -f ${shq(`/tmp/labfabric-${name}.key`)}`,
      writeFile(
        `/etc/apt/sources.list.d/labfabric-${name}.list`,
        `deb [signed-by=${keyring(name)}] ${url}/deb/ /`,
      ),
    ].join("\n");
  // Debian and Ubuntu package containerd themselves; CRI-O comes from its own repository.
  const runtimePackage = runtime === "crio" ? "cri-o" : "containerd";
  return [
    "export DEBIAN_FRONTEND=noninteractive",
    "apt-get update -q >/dev/null",
    "apt-get install -y -q apt-transport-https ca-certificates curl gpg conntrack socat iptables iproute2 ethtool >/dev/null",
    "install -d -m 0755 /etc/apt/keyrings",
    aptSource("kubernetes", k8s),
    ...(runtime === "crio" ? [aptSource("cri-o", crio)] : []),
    "apt-get update -q >/dev/null",
    `apt-get install -y -q ${runtimePackage} ${K8S_PACKAGES} >/dev/null`,
    `apt-mark hold ${K8S_PACKAGES} >/dev/null`,
  ];
}

/** Step 5: the container runtime and kubelet/kubeadm/kubectl pinned to the lab's minor. */
export function packages(plan: KubeadmPlan): string {
  // kubernetes.packageSource "bundle": the same step from the offline bundle (bundle.ts).
  if (plan.packageSource === "bundle") return bundlePackages(plan);
  const { version: minor, runtime } = plan;
  return [
    `# 5. Container runtime (${runtime}) and ${K8S_PACKAGES} pinned to Kubernetes ${minor}:`,
    "#    one pkgs.k8s.io repository per minor, so upgrades never cross to another minor",
    'if [ "$pkg" = dnf ]; then',
    indent(dnfPackages(minor, runtime).join("\n")),
    "else",
    indent(aptPackages(minor, runtime).join("\n")),
    "fi",
    "installed=$(kubeadm version -o short)",
    `case "$installed" in v${minor}.*) ;; *) ${fail(`kubeadm is not Kubernetes ${minor} (kubernetes.version); remove the installed kubeadm/kubelet/kubectl or change the version`)} ;; esac`,
    runtime === "crio" ? crioService() : containerdService(),
    "systemctl enable kubelet >/dev/null 2>&1",
  ].join("\n");
}

function containerdService(): string {
  // containerd.io ships a config with the CRI plugin disabled and Debian's uses cgroupfs:
  // labfabric writes containerd's default config with the systemd cgroup driver kubelet uses.
  // containerd 2.1 leaves SystemdCgroup out of its default config (containerd#12101): then the
  // key is added under the runc options table.
  const tmp = "/etc/containerd/config.toml.labfabric-tmp";
  return [
    "mkdir -p /etc/containerd",
    "if ! grep -q 'SystemdCgroup = true' /etc/containerd/config.toml 2>/dev/null; then",
    indent(
      [
        `containerd config default > ${tmp}`,
        `if grep -q 'SystemdCgroup = ' ${tmp}; then`,
        `  sed -i 's/SystemdCgroup = false/SystemdCgroup = true/' ${tmp}`,
        "else",
        `  sed -i '/containerd\\.runtimes\\.runc\\.options\\]$/a\\            SystemdCgroup = true' ${tmp}`,
        "fi",
        `grep -q 'SystemdCgroup = true' ${tmp} || ${fail("could not set SystemdCgroup = true in containerd's default config")}`,
        `mv -f ${tmp} /etc/containerd/config.toml`,
        "systemctl restart containerd",
      ].join("\n"),
    ),
    "fi",
    "systemctl enable --now containerd",
  ].join("\n");
}

function crioService(): string {
  return "systemctl enable --now crio";
}
