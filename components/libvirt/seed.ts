// The NoCloud seed of a VM as labfabric's own step on its host (instead of terraform-provider-
// libvirt's CloudInitDisk, whose 0.8.3 reads every disk back over go-libvirt's stream right after
// uploading it, and that download can come back empty or hang the host's connection). Pure: the
// step's standard input (the three documents cloud-init.ts renders) and its create and delete
// scripts, run as root on the VM's host over SSH with the host's own virsh (qemu:///system, the
// C client, no stream over SSH). Create builds the ISO (label `cidata`: user-data, meta-data,
// network-config) with the host's genisoimage, xorrisofs or mkisofs, and makes it a raw volume
// in the VM's pool (vol-create-as + vol-upload: any pool type libvirt can upload to). The volume
// name carries a hash of the documents, so a changed seed is a new volume (and a new domain);
// a volume of that name that holds exactly these documents is kept (a re-run adds nothing), one
// that holds anything else can only be an interrupted earlier create of labfabric's and is
// rewritten, saying so. Its one line on stdout is the volume's path, which the domain attaches
// as a CD-ROM. Delete removes exactly that volume, and nothing when it (or the pool) is gone.
import { createHash } from "node:crypto";
import type { LibvirtVmPlan } from "../plan";
import { fail, script, shq } from "../shared";
import { patterns } from "../spec";
import { LOCAL_VIRSH } from "./dhcp-host";

/** First line of the step's standard input: what the rest is, and its version. */
export const SEED_STDIN_MARK = "labfabric-nocloud-seed/1";

/** The ISO's files, in the order of the lines after the mark (one base64 line each). */
export const SEED_FILES = ["user-data", "meta-data", "network-config"] as const;

/** The volume label cloud-init's NoCloud source looks for. */
export const SEED_LABEL = "cidata";

/** The Debian package to install on a host that has no ISO tool. */
export const ISO_TOOL_PACKAGE = "genisoimage";

/** Tools that build the ISO, in order of preference; all take the same mkisofs options. */
export const ISO_TOOLS = ["genisoimage", "xorrisofs", "mkisofs"] as const;

/** What plan.ts names a seed volume (cloud-init.ts seedVolumeName). */
const VOLUME = /^[a-z0-9][a-z0-9-]{0,200}-seed-[0-9a-f]{12}\.iso$/;

export interface SeedTarget {
  /** The libvirt storage pool of the VM's volumes. */
  pool: string;
  /** The seed volume (`LibvirtVmPlan.seedVolumeName`: carries the documents' hash). */
  volume: string;
}

type Docs = Pick<LibvirtVmPlan["cloudInit"], "userData" | "metaData" | "networkConfig">;

const docsInOrder = (d: Docs) => [d.userData, d.metaData, d.networkConfig];
const sha256 = (s: string) => createHash("sha256").update(s).digest("hex");

/** The pool and volume checked again before they enter a script. */
export function seedTargetProblems(t: SeedTarget): string[] {
  return [
    ...(patterns.name.safeParse(t.pool).success ? [] : [`pool ${JSON.stringify(t.pool)}`]),
    ...(VOLUME.test(t.volume) ? [] : [`volume ${JSON.stringify(t.volume)}`]),
  ];
}

function checked(t: SeedTarget): SeedTarget {
  const bad = seedTargetProblems(t);
  if (bad.length > 0)
    throw new Error(`labfabric: NoCloud seed with an invalid value: ${bad.join("; ")}`);
  return t;
}

/** The step's standard input: the mark, then each document as one base64 line. */
export function seedStdin(docs: Docs): string {
  const lines = docsInOrder(docs).map((d) => Buffer.from(d, "utf8").toString("base64"));
  return [SEED_STDIN_MARK, ...lines].join("\n") + "\n";
}

/** The documents back from a step's standard input; undefined for anything else. */
export function parseSeedStdin(stdin: string | undefined): Docs | undefined {
  const lines = (stdin ?? "").split("\n");
  if (lines[0] !== SEED_STDIN_MARK || lines.length < 4) return undefined;
  const b64 = /^[A-Za-z0-9+/]*={0,2}$/;
  if (!lines.slice(1, 4).every((l) => b64.test(l))) return undefined;
  const [userData, metaData, networkConfig] = lines
    .slice(1, 4)
    .map((l) => Buffer.from(l, "base64").toString("utf8"));
  return { userData, metaData, networkConfig };
}

/** Shell lines both scripts start with: virsh on the host, the names, messages on stderr. */
function common(t: SeedTarget): string {
  return [
    LOCAL_VIRSH,
    `pool=${shq(t.pool)}`,
    `vol=${shq(t.volume)}`,
    "# what happened, on stderr: stdout is the volume's path alone",
    `say() { printf '%-8s %s (pool %s)\\n' "$1" "$vol" "$pool" >&2; }`,
  ].join("\n");
}

/** Picks the ISO builder and reader the host has, or stops naming the package to install. */
function tools(): string {
  const none = (what: string) =>
    fail(
      `no ${what} on this host (${ISO_TOOLS.join(", ")} or, to read, isoinfo or xorriso): install the Debian package ${ISO_TOOL_PACKAGE} (apt-get install ${ISO_TOOL_PACKAGE})`,
    );
  return [
    "mk=",
    `for t in ${ISO_TOOLS.join(" ")}; do`,
    '  if command -v "$t" >/dev/null 2>&1; then mk=$t; break; fi',
    "done",
    `[ -n "$mk" ] || ${none("ISO tool")}`,
    "# extract <iso> <file> <out>: one file of an ISO, by its Rock Ridge name",
    "if command -v isoinfo >/dev/null 2>&1; then",
    '  extract() { isoinfo -R -i "$1" -x "/$2" >"$3"; }',
    "elif command -v xorriso >/dev/null 2>&1; then",
    '  extract() { rm -f "$3"; xorriso -osirrox on -indev "$1" -extract "/$2" "$3" >/dev/null 2>&1; }',
    "else",
    `  ${none("ISO reader")}`,
    "fi",
  ].join("\n");
}

/** Reads the documents from stdin into $t/d and checks each against the hash it must have. */
function readDocs(docs: Docs): string {
  const sums = docsInOrder(docs).map(sha256);
  return [
    "IFS= read -r mark || mark=",
    `[ "$mark" = ${shq(SEED_STDIN_MARK)} ] || ${fail(`standard input is not a NoCloud seed (${SEED_STDIN_MARK})`)}`,
    'mkdir "$t/d"',
    ...SEED_FILES.map((f, i) =>
      [
        `IFS= read -r line || ${fail(`standard input ends before ${f}`)}`,
        `printf '%s\\n' "$line" | base64 -d >"$t/d/${f}"`,
        `[ "$(sha256sum <"$t/d/${f}" | cut -d' ' -f1)" = ${shq(sums[i])} ] || ${fail(`${f} on standard input is not the one this step was rendered for`)}`,
      ].join("\n"),
    ),
  ].join("\n");
}

/** The step's create: the ISO, as a volume of the pool, unless exactly it is there already. */
export function renderSeedCreateScript(target: SeedTarget, docs: Docs): string {
  const t = checked(target);
  const files = SEED_FILES.map((f) => `"$t/d/${f}"`).join(" ");
  return script(`NoCloud seed volume ${t.volume} in pool ${t.pool}`, [
    common(t),
    tools(),
    `v pool-info "$pool" >/dev/null 2>&1 || ${fail(`storage pool ${t.pool} does not exist on this host`)}`,
    "t=$(mktemp -d)\ntrap 'rm -rf \"$t\"' EXIT",
    readDocs(docs),
    "# same: the volume holds exactly these three files (ISO bytes differ by build time)",
    "same() {",
    '  v vol-download --pool "$pool" "$vol" "$t/cur.iso" >/dev/null 2>&1 || return 1',
    `  for f in ${SEED_FILES.join(" ")}; do`,
    '    extract "$t/cur.iso" "$f" "$t/x" 2>/dev/null || return 1',
    '    cmp -s "$t/x" "$t/d/$f" || return 1',
    "  done",
    "}",
    'if v vol-info --pool "$pool" "$vol" >/dev/null 2>&1; then',
    "  if same; then",
    "    say present",
    "  else",
    "    # The name carries the documents' hash: other content is an interrupted create of ours.",
    "    say rewrite",
    '    v vol-delete --pool "$pool" "$vol" >/dev/null',
    "  fi",
    "fi",
    'if ! v vol-info --pool "$pool" "$vol" >/dev/null 2>&1; then',
    `  "$mk" -quiet -o "$t/seed.iso" -V ${shq(SEED_LABEL)} -J -R ${files} >&2`,
    '  v vol-create-as "$pool" "$vol" "$(wc -c <"$t/seed.iso")" --format raw >/dev/null',
    '  if ! v vol-upload --pool "$pool" "$vol" "$t/seed.iso" >&2; then',
    '    v vol-delete --pool "$pool" "$vol" >/dev/null 2>&1 || true',
    `    ${fail(`uploading ${t.volume} to pool ${t.pool} failed`)}`,
    "  fi",
    '  say "created ($mk)"',
    "fi",
    'path=$(v vol-path --pool "$pool" "$vol")',
    "# terraform-provider-libvirt attaches a disk `file` as a CD-ROM only when it ends in .iso",
    `case "$path" in *.iso) ;; *) ${fail(`pool ${t.pool} gives ${t.volume} a path that does not end in .iso: use a directory pool`)} ;; esac`,
    "printf '%s\\n' \"$path\"",
  ]);
}

/** The step's delete: exactly that volume, when it is there. */
export function renderSeedDeleteScript(target: SeedTarget): string {
  const t = checked(target);
  return script(`remove NoCloud seed volume ${t.volume} from pool ${t.pool}`, [
    common(t),
    'if v pool-info "$pool" >/dev/null 2>&1 && v vol-info --pool "$pool" "$vol" >/dev/null 2>&1; then',
    '  v vol-delete --pool "$pool" "$vol" >/dev/null',
    "  say removed",
    "else",
    "  say gone",
    "fi",
  ]);
}

/** Everything the step needs: scripts, standard input, and the path from its stdout. */
export function renderSeedStep(target: SeedTarget, docs: Docs) {
  return {
    create: renderSeedCreateScript(target, docs),
    delete: renderSeedDeleteScript(target),
    stdin: seedStdin(docs),
    /** Replaces the step (and so the domain) exactly when the volume changes. */
    triggers: [target.pool, target.volume],
  };
}

/** The volume's path from the step's stdout (its last non-empty line). */
export function seedPathOf(stdout: string): string {
  return stdout.trim().split("\n").pop()?.trim() ?? "";
}
