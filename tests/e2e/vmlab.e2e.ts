// End-to-end for scenarios A and D in miniature (`npm run lab -- a` / `-- d`): namespace hosts
// each running Debian's libvirtd and sshd, the real engine with the real command and libvirt
// plugins, VMs booted under TCG from the offline image. Up with every VM ready and the probe
// matrix passing from inside the VMs; a second preview with no changes; destroy leaves every host
// as it was (no domain, network, volume, rule, device or file of the lab). Run by
// `npm run test:e2e` (needs root; builds the image once, ~2-3 min, then finds it in the cache).
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import { parse, stringify } from "yaml";
import { hostFootprint, libvirtHost, stopDryLab } from "../../scripts/lab/drylab";
import { inHost, virsh } from "../../scripts/lab/kit";
import {
  inVm,
  labVms,
  prepareVmLab,
  scanVmHostKeys,
  VM_LABS,
  vmLabPulumi,
  vmLabUp,
  waitForVms,
  type VmLabContext,
} from "../../scripts/lab/vmlab";
import { vmLabReport, vmProbeMatrix, vmProbesPass } from "../../scripts/lab/vmprobe";

const isRoot = process.getuid?.() === 0;
const TIMEOUT_MS = 60 * 60_000;

/**
 * libvirt creates its private chains (LIBVIRT_INP/OUT/FWI/FWO/FWX, nat/mangle LIBVIRT_PRT) and
 * the jumps to them when it starts its first network, and keeps them, empty, for as long as the
 * daemon runs: that is libvirt's, on any host that ever ran a network. Dropped here (with tables
 * left with nothing but built-in chains), so every rule or chain labfabric adds or leaves is
 * still seen.
 */
function withoutLibvirtChains(iptablesSave: string): string {
  const tables = iptablesSave.split(/\n(?=\*)/);
  return tables
    .map((t) =>
      t
        .split("\n")
        .filter((l) => !/^:LIBVIRT_\w+ /.test(l) && !/^-A \w+ -j LIBVIRT_\w+$/.test(l))
        .join("\n"),
    )
    .filter((t) => !/^\*/.test(t.trim()) || /^-A /m.test(t) || /^:\S+ - /m.test(t))
    .join("\n");
}

/** Everything of a host labfabric or libvirt could leave behind, as plain text. */
function footprint(ctx: VmLabContext, name: string): string {
  const h = libvirtHost(
    ctx.hosts.find((x) => x.name === name)!,
    ctx.dir,
  );
  const list = (args: string[]) => virsh(h, args).out.trim();
  const files = inHost(h, [
    "sh",
    "-c",
    "find /etc/labfabric /etc/libvirt /etc/sysctl.d /etc/systemd/system /var/lib/libvirt -printf '%p %y\\n' 2>/dev/null | grep -v '^/var/lib/libvirt/dnsmasq/.*\\.status ' | sort",
  ]).out;
  // libvirtd makes these two directories the first time a domain is autostarted or a DHCP
  // network starts, and keeps them (empty) for as long as it is installed: libvirt's, like its
  // chains (withoutLibvirtChains). Anything labfabric left inside them is still listed.
  const libvirtDirs = /^\/(etc\/libvirt\/qemu\/autostart|var\/lib\/libvirt\/dnsmasq) d$/;
  const hostFiles = files
    .split("\n")
    .filter((l) => !libvirtDirs.test(l))
    .flatMap((l) => {
      // <bridge>.macs: libvirt's map of the MACs of the domains on a running network, written
      // the first time a domain attaches and kept until the network is undefined. Listed by
      // its content: one that lists no MAC (every domain of the lab gone) is libvirt's alone.
      const macs = /^(\S+\.macs) f$/.exec(l);
      if (!macs) return [l];
      const content = inHost(h, ["cat", macs[1]]).out.trim();
      return /^\[\s*\]$/.test(content) ? [] : [`${macs[1]} f ${content.replace(/\s+/g, " ")}`];
    })
    .join("\n");
  const [links, ...rest] = hostFootprint(h.ns).split("\n---\n");
  const iptables = rest.pop() ?? "";
  return [
    // iproute2 prints this for other people's namespaces it cannot name: not the host's state.
    links.replace(/^Error: Peer netns reference is invalid\.\n/gm, ""),
    ...rest,
    withoutLibvirtChains(iptables),
    `domains:\n${list(["list", "--all", "--name"])}`,
    `networks:\n${list(["net-list", "--all", "--name"])}`,
    `volumes:\n${list(["vol-list", "default"])}`,
    ...virsh(h, ["net-list", "--all", "--name"])
      .out.split("\n")
      .filter(Boolean)
      .map(
        (n) =>
          `network ${n}:\n${list(["net-dumpxml", "--inactive", n.trim()]).replace(/<uuid>.*<\/uuid>/, "")}`,
      ),
    `files:\n${hostFiles}`,
  ].join("\n---\n");
}

/**
 * Both labs by default (about 4-6 min each under TCG on 2 cores); LABFABRIC_VM_LABS=a or =d
 * narrows the run to one. Each VM's NoCloud seed is labfabric's own step on its host
 * (components/libvirt/seed.ts), so nothing reads a disk back over the provider's libvirt stream
 * any more (0.8.3's CloudInitDisk did, and lost or hung on it now and then: why this test was
 * opt-in until then), and `up` runs once.
 */
const selected = (process.env.LABFABRIC_VM_LABS || "a,d").split(",").filter(Boolean);
if (!selected.some((x) => x === "a" || x === "d"))
  describe("lab-a / lab-d with real libvirtd and TCG VMs", {
    skip: `LABFABRIC_VM_LABS=${process.env.LABFABRIC_VM_LABS} names neither a nor d`,
  });

for (const id of (["d", "a"] as const).filter((x) => selected.includes(x))) {
  const def = VM_LABS[id];
  describe(
    `${def.stack}: scenario ${id.toUpperCase()} in miniature with the real engine and libvirtd`,
    { skip: isRoot ? false : "needs root for network namespaces", timeout: TIMEOUT_MS },
    () => {
      let ctx: VmLabContext;
      /** Every VM came up: the scan would otherwise wait its full 10 min for VMs that are not there. */
      let vmsUp = false;
      const before_: Record<string, string> = {};

      before(() => {
        ctx = prepareVmLab(def);
        for (const h of ctx.hosts) before_[h.name] = footprint(ctx, h.name);
      });

      after(() => {
        if (!ctx) return;
        vmLabPulumi(ctx, ["destroy", "--yes", "--skip-preview"]);
        stopDryLab(ctx.hosts, ctx.dir, def.net);
      });

      test("up: every VM boots and runs cloud-init; the probe matrix passes from inside the VMs", () => {
        const t0 = Date.now();
        vmLabUp(ctx, false);
        const upSeconds = (Date.now() - t0) / 1000;
        const ready = waitForVms(ctx);
        const probes = ready.every((r) => r.ready) ? vmProbeMatrix(ctx) : [];
        const report = vmLabReport(ctx, ready, probes, upSeconds);
        console.log(report);
        assert.ok(
          ready.every((r) => r.ready),
          report,
        );
        vmsUp = ready.every((r) => r.ready);
        assert.ok(vmProbesPass(probes), report);
      });

      test("the per-host VM host-key step's scan learns each VM's own key through its host", (t) => {
        if (!vmsUp) return t.skip("the VMs did not come up");
        // What `host-<host>-vm-host-keys` runs on the host (components/ssh/host-key.ts) when a
        // lab with Kubernetes on these VMs learns their keys: run here over the same SSH hop
        // (root on the host, the lab key), its output parsed as the step's is.
        for (const h of ctx.hosts) {
          const vms = labVms(ctx).filter((v) => v.host === h.name);
          if (vms.length === 0) continue;
          const keys = scanVmHostKeys(ctx, h.name, vms);
          for (const vm of vms) {
            const own = inVm(ctx, vm, "cat /etc/ssh/ssh_host_ed25519_key.pub");
            assert.ok(own.ok, own.out);
            assert.equal(keys[vm.name], own.out.trim().split(/\s+/).slice(0, 2).join(" "), vm.name);
          }
        }
      });

      test("a second preview has nothing to do", () => {
        const r = vmLabPulumi(ctx, ["preview", "--expect-no-changes"]);
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
      });

      test("a changed seed replaces each VM's seed step and its domain, and nothing else", () => {
        // Another VM user: every VM's user-data changes, so every seed volume gets a new name.
        const config = parse(readFileSync(ctx.configFile, "utf8")) as {
          config: Record<string, Record<string, unknown>>;
        };
        config.config["labfabric:libvirt"].vmUser = "seedcheck";
        const changed = ctx.configFile.replace(/\.yaml$/, ".seed-changed.yaml");
        writeFileSync(changed, stringify(config));
        const r = vmLabPulumi({ ...ctx, configFile: changed }, ["preview", "--json"]);
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        const out = JSON.parse(r.stdout) as {
          steps: { op: string; urn: string }[];
          changeSummary: Record<string, number>;
        };
        const vms = labVms(ctx).map((v) => v.name);
        const replaced = out.steps
          .filter((x) => x.op === "replace")
          .map((x) => x.urn.split("::").pop())
          .sort();
        assert.deepEqual(
          replaced,
          vms.flatMap((vm) => [`libvirt-${vm}`, `libvirt-${vm}-seed`]).sort(),
          r.stdout,
        );
        assert.deepEqual(
          Object.keys(out.changeSummary).sort(),
          ["replace", "same"],
          JSON.stringify(out.changeSummary),
        );
      });

      test("destroy leaves every host as it was: no domain, network, volume, rule or file", () => {
        const r = vmLabPulumi(ctx, ["destroy", "--yes", "--skip-preview"]);
        assert.equal(r.code, 0, `${r.stdout}\n${r.stderr}`);
        for (const h of ctx.hosts) {
          const was = before_[h.name].split("\n");
          const now = footprint(ctx, h.name).split("\n");
          const diff = [
            ...was.filter((l) => !now.includes(l)).map((l) => `- ${l}`),
            ...now.filter((l) => !was.includes(l)).map((l) => `+ ${l}`),
          ];
          assert.deepEqual(diff, [], `${h.name} differs after destroy`);
        }
      });
    },
  );
}
