// The text of labfabric's NoCloud seed step (components/libvirt/seed.ts) and what the plan and
// the domain make of it: the documents travel on stdin and come back unchanged; the scripts are
// valid sh with every value quoted, refuse a pool or volume outside their patterns, and name the
// package when the host has no ISO tool; the volume name follows the documents; the domain
// attaches the seed as a `file` ending in .iso (0.8's CD-ROM) and has no `cloudinit`.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { domainArgs } from "../../components/libvirt/domain-args";
import {
  parseSeedStdin,
  renderSeedCreateScript,
  renderSeedDeleteScript,
  renderSeedStep,
  SEED_STDIN_MARK,
  seedPathOf,
  seedStdin,
} from "../../components/libvirt/seed";
import { seedVolumeName } from "../../components/plan/libvirt/cloud-init";
import { checkShell } from "../shared/check-shell";
import { loadScenario, REPO } from "./helpers";

const DOCS = {
  userData: "#cloud-config\nhostname: vm1\n",
  metaData: "instance-id: lab-vm1-0\nlocal-hostname: vm1\n",
  networkConfig: "version: 2\nethernets: {}\n",
};
const VOLUME = seedVolumeName("lab", "vm1", DOCS);
const TARGET = { pool: "default", volume: VOLUME };

describe("the seed step's standard input", () => {
  it("is the mark and one base64 line per document, and reads back to the same documents", () => {
    const stdin = seedStdin(DOCS);
    const lines = stdin.trimEnd().split("\n");
    assert.equal(lines.length, 4);
    assert.equal(lines[0], SEED_STDIN_MARK);
    assert.ok(lines.slice(1).every((l) => /^[A-Za-z0-9+/]+=*$/.test(l)));
    assert.deepEqual(parseSeedStdin(stdin), DOCS);
  });

  it("anything else is not a seed", () => {
    for (const s of [
      undefined,
      "",
      "hello\n",
      `${SEED_STDIN_MARK}\nAAAA\n`,
      `x${seedStdin(DOCS)}`,
    ]) {
      assert.equal(parseSeedStdin(s), undefined, JSON.stringify(s));
    }
  });
});

describe("the seed volume's name", () => {
  it("carries a hash of the documents: any change is a new volume, the same ones the same", () => {
    assert.match(VOLUME, /^lab-vm1-seed-[0-9a-f]{12}\.iso$/);
    assert.equal(seedVolumeName("lab", "vm1", { ...DOCS }), VOLUME);
    for (const k of ["userData", "metaData", "networkConfig"] as const) {
      assert.notEqual(seedVolumeName("lab", "vm1", { ...DOCS, [k]: `${DOCS[k]}#\n` }), VOLUME, k);
    }
  });

  it("is what lab-d's plan names each VM's seed", () => {
    const plan = loadScenario(join(REPO, "Pulumi.lab-d.yaml"));
    for (const vm of plan.libvirt.hosts.flatMap((h) => h.vms)) {
      assert.equal(vm.seedVolumeName, seedVolumeName(plan.libvirt.lab, vm.name, vm.cloudInit));
    }
  });
});

describe("the seed step's scripts", () => {
  const create = renderSeedCreateScript(TARGET, DOCS);
  const del = renderSeedDeleteScript(TARGET);

  it("are valid sh (and pass shellcheck when installed)", () => {
    checkShell("seed-create.sh", create);
    checkShell("seed-delete.sh", del);
  });

  it("quote the pool and volume, and use the host's own libvirtd", () => {
    for (const s of [create, del]) {
      assert.match(s, /^#!\/bin\/sh\n# labfabric: .*\nset -eu\n/);
      assert.ok(s.includes(`pool='default'\nvol='${VOLUME}'`), s);
      assert.ok(s.includes(`v() { virsh -q -c 'qemu:///system' "$@"; }`));
    }
    assert.ok(
      create.includes(`v vol-create-as "$pool" "$vol" "$(wc -c <"$t/seed.iso")" --format raw`),
    );
    assert.ok(create.includes(`v vol-upload --pool "$pool" "$vol" "$t/seed.iso"`));
    assert.ok(
      create.includes(`-V 'cidata' -J -R "$t/d/user-data" "$t/d/meta-data" "$t/d/network-config"`),
    );
    assert.ok(del.includes(`v vol-delete --pool "$pool" "$vol"`));
    assert.ok(!del.includes("vol-create") && !del.includes("vol-upload"));
  });

  it("create holds each document's hash, not the document (it comes on stdin)", () => {
    assert.ok(!create.includes("hostname: vm1"));
    assert.equal(create.match(/= '[0-9a-f]{64}' \]/g)?.length, 3);
    assert.notEqual(renderSeedCreateScript(TARGET, { ...DOCS, userData: "x\n" }), create);
  });

  it("create names the package when the host has no ISO tool", () => {
    assert.ok(create.includes("for t in genisoimage xorrisofs mkisofs; do"));
    assert.match(create, /install the Debian package genisoimage \(apt-get install genisoimage\)/);
  });

  it("refuse a pool or volume outside their patterns, naming it", () => {
    for (const [edit, named] of [
      [{ pool: "default'; reboot; '" }, `pool "default'; reboot; '"`],
      [{ pool: "$(reboot)" }, `pool "$(reboot)"`],
      [{ volume: "lab-vm1-seed-0123.iso" }, `volume "lab-vm1-seed-0123.iso"`],
      [{ volume: `../${VOLUME}` }, `volume "../${VOLUME}"`],
      [
        { volume: VOLUME.replace(".iso", ".qcow2") },
        `volume "${VOLUME.replace(".iso", ".qcow2")}"`,
      ],
    ] as const) {
      const message = `labfabric: NoCloud seed with an invalid value: ${named}`;
      assert.throws(() => renderSeedCreateScript({ ...TARGET, ...edit }, DOCS), new Error(message));
      assert.throws(() => renderSeedDeleteScript({ ...TARGET, ...edit }), new Error(message));
    }
  });

  it("the step is replaced exactly when the pool or the volume (the documents) change", () => {
    assert.deepEqual(renderSeedStep(TARGET, DOCS).triggers, ["default", VOLUME]);
  });

  it("the path is the last line of stdout", () => {
    assert.equal(seedPathOf("/var/lib/libvirt/images/x.iso\n"), "/var/lib/libvirt/images/x.iso");
    assert.equal(seedPathOf("a\n/p/x.iso\n\n"), "/p/x.iso");
  });
});

describe("the domain's seed disk", () => {
  const plan = loadScenario(join(REPO, "Pulumi.lab-d.yaml"));
  const vm = plan.libvirt.hosts[0].vms[0];
  const args = domainArgs(plan.libvirt, vm, {
    rootVolumeId: "root",
    seedPath: "/var/lib/libvirt/images/s.iso",
    networkIds: new Map(),
  });

  it("is a second disk given by file (0.8 makes a .iso file a CD-ROM); no cloudinit", () => {
    assert.deepEqual(args.disks, [{ volumeId: "root" }, { file: "/var/lib/libvirt/images/s.iso" }]);
    assert.equal(args.cloudinit, undefined);
  });
});
