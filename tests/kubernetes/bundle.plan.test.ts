// The offline Kubernetes bundle (scripts/kubernetes-bundle): images.txt must list exactly the
// images kubeadm asks for and the Flannel chart names, with the versions versions.env pins, and
// every image must have a recipe in images.sh. Where the bundle has been built, its own kubeadm
// and its manifest are checked too; where the chart tarball is at hand, its values and checksum.
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { KUBERNETES_BUNDLE } from "../../components/spec/defaults";

const DIR = join(__dirname, "../../scripts/kubernetes-bundle");

function readEnv(file: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of readFileSync(file, "utf8").split("\n")) {
    const m = /^([A-Z0-9_]+)=("([^"]*)"|(\S*))/.exec(line);
    if (m) env[m[1]] = m[3] ?? m[4];
  }
  return env;
}

const env = readEnv(join(DIR, "versions.env"));
const images = readFileSync(join(DIR, "images.txt"), "utf8")
  .split("\n")
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith("#"));
const moduleVersion = (key: string) => env[key].split("@")[1];

/** What `kubeadm config images list` prints for the pinned versions (kubeadm's constants). */
function kubeadmImages(): string[] {
  const k8s = env.K8S_VERSION;
  return [
    ...["kube-apiserver", "kube-controller-manager", "kube-scheduler", "kube-proxy"].map(
      (c) => `registry.k8s.io/${c}:${k8s}`,
    ),
    `registry.k8s.io/coredns/coredns:${moduleVersion("COREDNS_MODULE")}`,
    `registry.k8s.io/pause:${env.PAUSE_VERSION}`,
    `registry.k8s.io/etcd:${env.ETCD_IMAGE_TAG}`,
  ];
}

function chartFile(): string | undefined {
  // Where toolchain/lib.sh's upstream_dir looks, in the same order.
  const dirs = [
    process.env.LABFABRIC_UPSTREAM_DIR,
    join(DIR, "../../../shared/upstream"),
    "/work/shared/upstream",
  ];
  return dirs
    .filter((d): d is string => !!d)
    .map((d) => join(d, env.FLANNEL_CHART))
    .find((f) => existsSync(f));
}

const bundle = join(
  process.env.LABFABRIC_CACHE ?? join(homedir(), ".cache/labfabric"),
  "kubernetes-bundle",
  env.K8S_VERSION,
);
const kubeadm = join(bundle, "bin/kubeadm");

describe("offline Kubernetes bundle: images", () => {
  it("lists kubeadm's images for the pinned versions, then the Flannel chart's, nothing else", () => {
    const flannel = moduleVersion("FLANNEL_MODULE");
    assert.deepEqual(images, [
      ...kubeadmImages(),
      `ghcr.io/flannel-io/flannel:${flannel}`,
      `ghcr.io/flannel-io/flannel-cni-plugin:${env.FLANNEL_CNI_IMAGE_TAG}`,
    ]);
  });

  it('is what kubernetes.packageSource "bundle" validates against (KUBERNETES_BUNDLE)', () => {
    assert.equal(KUBERNETES_BUNDLE.release, env.K8S_VERSION);
    assert.equal(`v${KUBERNETES_BUNDLE.minor}.`, env.K8S_VERSION.replace(/\d+$/, ""));
    assert.ok(images.some((r) => r.includes(`/${KUBERNETES_BUNDLE.cni}-io/`)));
  });

  it("pins etcd's image tag to the etcd module it builds", () => {
    assert.equal(env.ETCD_IMAGE_TAG.replace(/-\d+$/, ""), env.ETCD_VERSION);
    assert.equal(moduleVersion("ETCD_MODULE"), `v${env.ETCD_VERSION}`);
  });

  it("has a recipe in images.sh for every image", () => {
    const script = readFileSync(join(DIR, "images.sh"), "utf8");
    const recipes = new Set(
      [...script.matchAll(/^ {4}([a-z| -]+)\)/gm)]
        .flatMap((m) => m[1].split("|"))
        .map((s) => s.trim()),
    );
    for (const ref of images) {
      const name = ref.replace(/:[^:/]+$/, "").replace(/^.*\//, "");
      assert.ok(recipes.has(name), `images.sh has no recipe for ${ref} (recipes: ${[...recipes]})`);
    }
  });

  const chart = chartFile();
  it(
    "matches the Flannel chart's values.yaml and its pinned sha256",
    { skip: chart ? false : `${env.FLANNEL_CHART} not found (set LABFABRIC_UPSTREAM_DIR)` },
    () => {
      const data = readFileSync(chart!);
      assert.equal(createHash("sha256").update(data).digest("hex"), env.FLANNEL_CHART_SHA256);
      const values = parse(
        execFileSync("tar", ["-xzOf", chart!, "kube-flannel/values.yaml"], { encoding: "utf8" }),
      ) as { flannel: Record<"image" | "image_cni", { repository: string; tag: string }> };
      const fromChart = (["image", "image_cni"] as const).map(
        (k) => `${values.flannel[k].repository}:${values.flannel[k].tag}`,
      );
      assert.deepEqual(images.slice(-2), fromChart);
    },
  );

  it(
    "equals what the bundle's own kubeadm lists",
    { skip: existsSync(kubeadm) ? false : `no built bundle at ${bundle}` },
    () => {
      const out = execFileSync(
        kubeadm,
        ["config", "images", "list", "--kubernetes-version", env.K8S_VERSION],
        { encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] },
      );
      assert.deepEqual(out.trim().split("\n"), kubeadmImages());
    },
  );

  it(
    "has an archive for every image in the built bundle's manifest, and no other",
    { skip: existsSync(join(bundle, "manifest.txt")) ? false : `no built bundle at ${bundle}` },
    () => {
      const manifest = readFileSync(join(bundle, "manifest.txt"), "utf8").split("\n");
      const listed = manifest.filter((l) => l.startsWith("image ")).map((l) => l.slice(6));
      assert.deepEqual(listed, images);
      const archives = manifest
        .filter((l) => / images\//.test(l))
        .map((l) => l.split("images/")[1]);
      assert.deepEqual(archives.sort(), images.map((r) => `${r.replace(/[/:]/g, "_")}.tar`).sort());
    },
  );
});
