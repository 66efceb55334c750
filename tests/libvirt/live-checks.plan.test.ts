// The libvirt layer's live checks as pure functions: a base image missing where pulumi runs,
// VMs that need more memory than libvirt reports for their host. Each names the stack key.
import assert from "node:assert/strict";
import { join } from "node:path";
import { describe, it } from "node:test";
import { missingImages, memoryOverHost } from "../../components/libvirt/images";
import { planLibvirt } from "../../components/plan/libvirt/plan";
import { loadScenario, REPO } from "./helpers";

const lab = planLibvirt(loadScenario(join(REPO, "Pulumi.lab-d.yaml")));

describe("live checks of the libvirt layer", () => {
  it("fails on a base image path that does not exist, naming libvirt.images.<name>", () => {
    const errors = missingImages(lab, () => false);
    assert.equal(errors.length, 1);
    assert.match(
      errors[0],
      /^ERROR labfabric:libvirt\.images\.debian12 = \/var\/lib\/labfabric\/images\/debian12-cloudinit\.qcow2: no such file where pulumi runs/,
    );
    assert.deepEqual(
      missingImages(lab, () => true),
      [],
    );
  });

  it("fails when a host's VMs need more memory than libvirt reports, naming each VM's key", () => {
    const h2 = lab.hosts.find((h) => h.host === "ld-h2")!;
    const index = (vm: string) => lab.vmIndex[vm];
    assert.equal(memoryOverHost(h2, index, 1024 * 1024), undefined, "1024 MiB for 2 x 512 MiB");
    const error = memoryOverHost(h2, index, 1023 * 1024);
    assert.match(
      error ?? "",
      /^ERROR labfabric:vms\[1\]\.memoryMiB, labfabric:vms\[2\]\.memoryMiB = 1024 MiB in all on ld-h2: is over the 1023 MiB libvirt reports/,
    );
  });
});
