// The probe matrix of a VM lab, measured from inside the VMs over SSH with the lab key: ping,
// a DF ping of exactly the planned MTU, a DF ping one byte over (must be refused), and in routed
// labs whether the peer sees the VM's own address (UDP datagram, sender printed by the peer).
import type { LibvirtVmPlan } from "../../components/plan";
import { tryRun } from "./kit";
import { inVm, labVms, vmSsh, type VmLabContext, type VmReady } from "./vmlab";

export interface VmProbe {
  from: string;
  to: string;
  ping: boolean;
  fullSize: boolean;
  oversizeRefused: boolean;
  /** Routed labs: the address the peer saw (undefined = not measured). */
  seenAs?: string;
  ownSource?: boolean;
}

const UDP_PORT = 40123;

/** Pairs to probe: every ordered pair of VMs on different hosts, or all pairs (one L2 segment). */
export function probePairs(ctx: VmLabContext): [LibvirtVmPlan, LibvirtVmPlan][] {
  const vms = labVms(ctx);
  const crossHostOnly = ctx.plan.spec.fabric.mode === "routed";
  return vms.flatMap((a) =>
    vms
      .filter((b) => b !== a && (!crossHostOnly || b.host !== a.host))
      .map((b): [LibvirtVmPlan, LibvirtVmPlan] => [a, b]),
  );
}

/** The address `to` sees a UDP datagram from `from` come from (python3 is in the image). */
function sourceSeen(ctx: VmLabContext, from: LibvirtVmPlan, to: LibvirtVmPlan): string {
  const listen = `timeout 15 python3 -c "import socket;s=socket.socket(2,2);s.bind(('',${UDP_PORT}));s.settimeout(12);print(s.recvfrom(64)[1][0])"`;
  const send = `python3 -c "import socket,time;s=socket.socket(2,2);[(s.sendto(b'lf',('${to.address}',${UDP_PORT})),time.sleep(0.5)) for _ in range(10)]"`;
  const q = (argv: string[]) => argv.map((a) => `'${a.replace(/'/g, `'\\''`)}'`).join(" ");
  const script = `${q(vmSsh(ctx, to, listen))} > "$1" & sleep 3; ${q(vmSsh(ctx, from, send))}; wait; cat "$1"`;
  const r = tryRun("bash", ["-c", script, "probe", `/tmp/labfabric-probe-${process.pid}`], 60_000);
  tryRun("rm", ["-f", `/tmp/labfabric-probe-${process.pid}`]);
  return r.out.trim().split("\n").pop() ?? "";
}

export function vmProbeMatrix(ctx: VmLabContext): VmProbe[] {
  const mtu = ctx.plan.mtu.vmMtu;
  const routed = ctx.plan.spec.fabric.mode === "routed";
  return probePairs(ctx).map(([a, b]) => {
    const ping = inVm(ctx, a, `ping -c 2 -i 0.3 -W 3 ${b.address}`).ok;
    const fullSize = inVm(ctx, a, `ping -c 1 -W 3 -M do -s ${mtu - 28} ${b.address}`).ok;
    const oversizeRefused = !inVm(ctx, a, `ping -c 1 -W 3 -M do -s ${mtu - 27} ${b.address}`).ok;
    const probe: VmProbe = { from: a.name, to: b.name, ping, fullSize, oversizeRefused };
    if (routed) {
      probe.seenAs = sourceSeen(ctx, a, b);
      probe.ownSource = probe.seenAs === a.address;
    }
    return probe;
  });
}

export function vmProbesPass(probes: VmProbe[]): boolean {
  return (
    probes.length > 0 &&
    probes.every((p) => p.ping && p.fullSize && p.oversizeRefused && p.ownSource !== false)
  );
}

export function vmLabReport(
  ctx: VmLabContext,
  ready: VmReady[],
  probes: VmProbe[],
  upSeconds: number,
): string {
  const { plan } = ctx;
  const mark = (b: boolean | undefined) => (b === undefined ? "-  " : b ? "ok " : "FAIL");
  const lines = [
    `labfabric dry lab "${plan.lab}": ${plan.hosts.length} hosts with libvirtd, fabric ${plan.spec.fabric.mode}, domain type ${plan.spec.libvirt.domainType}`,
    `  MTU: ${plan.mtu.paths.map((p) => p.layers.map((l) => `${l.layer} ${l.mtu}`).join(" -> ")).join(" | ")}`,
    `  pulumi up: ${upSeconds.toFixed(0)} s`,
    "  VMs (ready = SSH answers and cloud-init is done, counted from the end of up):",
    ...labVms(ctx).map((v) => {
      const r = ready.find((x) => x.vm === v.name);
      return `    ${v.name.padEnd(8)} on ${v.host}  ${v.address.padEnd(13)} ${r?.ready ? `ready after ${r.seconds.toFixed(0)} s` : `NOT READY: ${r?.detail ?? "?"}`}`;
    }),
    `  probe matrix from inside the VMs (ping / DF ${plan.mtu.vmMtu} / DF ${plan.mtu.vmMtu + 1} refused${plan.spec.fabric.mode === "routed" ? " / peer sees own address" : ""}):`,
    ...probes.map(
      (p) =>
        `    ${p.from} -> ${p.to}: ${mark(p.ping)} / ${mark(p.fullSize)} / ${mark(p.oversizeRefused)}${p.ownSource === undefined ? "" : ` / ${mark(p.ownSource)} (seen as ${p.seenAs || "nothing"})`}`,
    ),
  ];
  return lines.join("\n");
}
