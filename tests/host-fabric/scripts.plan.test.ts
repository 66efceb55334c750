// The rendered scripts for the scenario stacks (dev dry lab, A, D): valid POSIX sh, the
// planned values in the right commands, deterministic, and a hash that follows the content.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { describe, it } from "node:test";
import { renderFirewallScript } from "../../components/host-fabric/firewall";
import { renderLibvirtHook, renderSystemdUnit } from "../../components/host-fabric/persist";
import { fabricSummary, iptablesRules } from "../../components/host-fabric/rules";
import {
  renderApplyScript,
  renderDownScript,
  renderHostFabric,
  renderHostScripts,
  renderUpScript,
} from "../../components/host-fabric/scripts";
import { join } from "node:path";
import { readStackFile } from "../../components/spec/stack-file";
import { hostPlan, planLabOrThrow, REPO, stackPlan } from "./fixtures";

const dev = stackPlan("Pulumi.dev.yaml");
const a = stackPlan("Pulumi.a-vxlan-stretch.yaml");
const d = stackPlan("Pulumi.d-libvirt-routed.yaml");
const ALL = [dev, a, d].flatMap((p) => p.hosts);

function parses(script: string): string {
  const r = spawnSync("sh", ["-n"], { input: script, encoding: "utf8" });
  return r.status === 0 ? "" : r.stderr;
}

describe("rendered scripts for the scenario stacks", () => {
  it("render for every host of dev, A and D as valid POSIX sh (up, down, apply, firewall)", () => {
    assert.equal(ALL.length, 7);
    for (const h of ALL) {
      for (const [what, s] of Object.entries({
        up: renderUpScript(h),
        down: renderDownScript(h),
        apply: renderApplyScript(h),
        firewall: renderFirewallScript(h),
      })) {
        assert.equal(parses(s), "", `${h.lab}/${h.host} ${what}.sh`);
        assert.ok(s.startsWith("#!/bin/sh\n"), what);
        assert.match(s, /^set -eu$/m, what);
        assert.ok(!s.includes("\\${"), `${what}: a template escape leaked into the script`);
      }
    }
  });

  it("are deterministic, and the hash changes only with the scripts", () => {
    const h = hostPlan(a, "host1");
    assert.deepEqual(renderHostFabric(h), renderHostFabric(structuredClone(h)));
    const s = readStackFile(join(REPO, "Pulumi.a-vxlan-stretch.yaml"));
    const vni40 = planLabOrThrow(
      { ...s.raw, fabric: { ...(s.raw.fabric as object), vni: 40 } },
      s.lab,
    );
    assert.notEqual(renderHostFabric(hostPlan(vni40, "host1")).hash, renderHostFabric(h).hash);
  });

  it("writes hosts/<host>/up.sh and down.sh for npm run render", () => {
    const files = renderHostScripts(hostPlan(dev, "lf-h2"));
    assert.deepEqual(
      files.map((f) => f.path),
      ["hosts/lf-h2/up.sh", "hosts/lf-h2/down.sh"],
    );
    assert.equal(files[0].content, renderUpScript(hostPlan(dev, "lf-h2")));
  });

  it("scenario A: a unicast remote (two hosts), MTU 1450, masquerade scoped to the VM subnet", () => {
    const up = renderUpScript(hostPlan(a, "host1"));
    assert.ok(
      up.includes(
        "ip link add 'vxlan-lf' type vxlan id '39' remote '192.168.0.24' local '192.168.0.23' dev 'ens34f0' dstport '4789' nolearning",
      ),
    );
    assert.ok(up.includes("lf_ensure_mtu 'br-vm' '1450'"));
    assert.ok(up.includes("lf_ensure_mtu 'vxlan-lf' '1450'"));
    assert.ok(up.includes("lf_ensure_addr '12.12.139.1/24' 'br-vm'"));
    assert.ok(!up.includes("lf_ensure_fdb '"), "two hosts: no flood entries");
    assert.ok(up.includes("lf_prune_fdb 'vxlan-lf' '192.168.0.24'"), "the remote's entry is kept");
    assert.ok(
      up.includes(
        `lf_ipt nat POSTROUTING append '-s' '12.12.139.0/24' '-o' 'ens34f0' -m comment --comment "$LF_TAG" -j MASQUERADE`,
      ),
    );
    assert.ok(
      up.includes(
        `lf_ipt filter FORWARD top '-d' '12.12.139.0/24' '-i' 'ens34f0' '-o' 'br-vm' '-m' 'conntrack' '--ctstate' 'RELATED,ESTABLISHED' -m comment --comment "$LF_TAG" -j ACCEPT`,
      ),
    );
    // Never a blanket ACCEPT: every rule is scoped by interfaces and/or the VM subnet.
    for (const r of iptablesRules(hostPlan(a, "host1")))
      assert.ok(r.match.length >= 4, r.description);
    for (const key of ["all", "default", "ens34f0", "br-vm", "vxlan-lf"]) {
      assert.ok(up.includes(`lf_sysctl 'net/ipv4/conf/${key}/rp_filter' '0'`), key);
    }
    assert.ok(up.includes("net/ipv4/conf/vxlan-lf/rp_filter = 0"), "the sysctl.d file");
  });

  it("the dev lab (three hosts): one flood entry per peer, no remote, files under the host's root", () => {
    const up = renderUpScript(hostPlan(dev, "lf-h1"));
    assert.ok(up.includes("lf_ensure_fdb 'vxlan-lf' '10.250.0.12'"));
    assert.ok(up.includes("lf_ensure_fdb 'vxlan-lf' '10.250.0.13'"));
    assert.ok(up.includes("lf_prune_fdb 'vxlan-lf' '10.250.0.12' '10.250.0.13'"));
    assert.ok(!up.includes(" remote '"));
    assert.ok(up.includes("LF_STATE='/run/labfabric-lab/lf-h1/etc/labfabric/dev'"));
    assert.ok(
      up.includes(
        "lf_install '/run/labfabric-lab/lf-h1/etc/systemd/system/labfabric-dev.service' 0644",
      ),
    );
  });

  it("scenario D: internal address, route via the peer, libvirt openings in both backends", () => {
    const up = renderApplyScript(hostPlan(d, "kubernetes-host"));
    assert.ok(up.includes("lf_ensure_addr '10.10.10.1/24' 'eno1'"));
    assert.ok(up.includes("lf_ensure_route '192.168.100.0/24' '10.10.10.2' 'eno1'"));
    assert.ok(up.includes(`LF_CHAIN='LF-d-libvirt-routed'`));
    assert.ok(up.includes(`lf_ipt_chain filter "$LF_CHAIN" FORWARD`));
    assert.ok(up.includes(`lf_ipt_chain nat "$LF_CHAIN" POSTROUTING`));
    const inChain = (t: string, s: string, d: string) =>
      `lf_ipt ${t} "$LF_CHAIN" append '-s' '${s}' '-d' '${d}' -m comment --comment "$LF_TAG" -j ACCEPT`;
    assert.ok(up.includes(inChain("filter", "10.10.10.0/24", "172.20.112.0/24")));
    assert.ok(up.includes(inChain("filter", "172.20.112.0/24", "10.10.10.0/24")));
    assert.ok(up.includes(inChain("nat", "172.20.112.0/24", "192.168.100.0/24")));
    assert.ok(
      up.includes(
        "lf_nft_first guest_input reject 'ip saddr 10.10.10.0/24 ip daddr 172.20.112.0/24 accept'",
      ),
    );
    assert.ok(
      up.includes(
        "lf_nft_first guest_nat masquerade 'ip saddr 172.20.112.0/24 ip daddr 192.168.100.0/24 return'",
      ),
    );
    assert.ok(!up.includes("lf_ensure_bridge '"), "routed mode makes no bridge");
  });

  it("persistence: a oneshot unit after libvirt, and a hook that acts on the events libvirt sends", () => {
    const h = hostPlan(d, "openstack-host");
    const unit = renderSystemdUnit(h);
    assert.match(unit, /^Type=oneshot$/m);
    assert.match(unit, /^RemainAfterExit=yes$/m);
    assert.match(unit, /^After=network-online\.target libvirtd\.service virtnetworkd\.service$/m);
    assert.match(unit, /^ExecStart=\/bin\/sh \/etc\/labfabric\/d-libvirt-routed\/apply\.sh$/m);
    const hook = renderLibvirtHook(h);
    assert.match(hook, /^ {2}started\) lf_reattach "\$1" "\$\(cat\)" \|\| true ;;$/m);
    assert.match(hook, /^ {2}port-created \| updated \| reconnect\) ;;$/m);
    assert.match(hook, /^ {2}\*\) exit 0 ;;$/m);
    assert.ok(hook.includes("/bin/sh '/etc/labfabric/d-libvirt-routed/firewall.sh'"));
    assert.doesNotMatch(hook, /virsh/);
    assert.equal(parses(hook), "");
  });

  it("summarises devices, routes, rules and the MTU per layer", () => {
    assert.deepEqual(fabricSummary(hostPlan(a, "host2")).mtu, {
      underlay: 1500,
      fabric: 1450,
      vm: 1450,
    });
    assert.deepEqual(fabricSummary(hostPlan(a, "host2")).devices, {
      bridge: "br-vm",
      vxlan: "vxlan-lf",
    });
    const dk = fabricSummary(hostPlan(d, "kubernetes-host"));
    assert.deepEqual(dk.mtu, { underlay: 1500, vm: 1500 });
    assert.deepEqual(dk.routes, ["192.168.100.0/24 via 10.10.10.2 dev eno1 (openstack-host)"]);
    assert.deepEqual(dk.rules, [
      "libvirt input (FORWARD -> LF-d-libvirt-routed | guest_input): accept 10.10.10.0/24 -> 172.20.112.0/24",
      "libvirt input (FORWARD -> LF-d-libvirt-routed | guest_input): accept 192.168.100.0/24 -> 172.20.112.0/24",
      "libvirt output (FORWARD -> LF-d-libvirt-routed | guest_output): accept 172.20.112.0/24 -> 10.10.10.0/24",
      "libvirt output (FORWARD -> LF-d-libvirt-routed | guest_output): accept 172.20.112.0/24 -> 192.168.100.0/24",
      "libvirt nat (POSTROUTING -> LF-d-libvirt-routed | guest_nat): no masquerade 172.20.112.0/24 -> 192.168.100.0/24",
    ]);
  });
});
