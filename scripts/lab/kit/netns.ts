// Network-namespace labs on the real kernel: each "machine" (bare-metal host, switch,
// router, VM) is a namespace. A NetnsLab owns every namespace it creates and removes them
// all in cleanup(), so a test calls cleanup() from `after` and leaves nothing behind.
import { must, run, type RunOptions, type RunResult } from "./exec";

const TOOLS = ["ip", "bridge", "iptables", "iptables-save", "nft", "ping", "sh"];

/** Whether a network namespace of this name exists (on the whole machine). */
export function nsExists(ns: string): boolean {
  return run(["ip", "netns", "list"])
    .stdout.split("\n")
    .some((l) => l.split(" ")[0] === ns);
}

/**
 * Why namespace tests cannot run here, or undefined when they can: they need root, a working
 * `ip netns` and the tools the rendered scripts use. Use as `describe(name, { skip }, ...)`.
 */
export function netnsSkipReason(): string | undefined {
  if (process.platform !== "linux") return "network-namespace tests need Linux";
  if (process.getuid?.() !== 0) return "network-namespace tests need root (ip netns add)";
  const missing = TOOLS.filter((t) => run(["sh", "-c", `command -v ${t}`]).code !== 0);
  if (missing.length > 0) return `network-namespace tests need ${missing.join(", ")} on PATH`;
  const probe = `lfprobe${process.pid}`;
  const add = run(["ip", "netns", "add", probe]);
  if (add.code !== 0) return `ip netns is unavailable here: ${add.stderr.trim()}`;
  run(["ip", "netns", "del", probe]);
  return undefined;
}

let labCounter = 0;

export class NetnsLab {
  /** Short, unique per process and lab: namespaces are "<prefix>-<name>"; "" = as named. */
  readonly prefix: string;
  private readonly created: string[] = [];

  constructor(tag = "lf", o: { named?: boolean } = {}) {
    labCounter += 1;
    this.prefix = o.named ? "" : `${tag}${process.pid.toString(36)}${labCounter}`;
  }

  /**
   * A lab whose namespaces carry the machines' own names and outlive this process (the dry
   * lab: `npm run lab` creates them, `npm run lab -- down` removes them by name).
   */
  static named(): NetnsLab {
    return new NetnsLab("", { named: true });
  }

  /** The full namespace name of a machine. */
  ns(name: string): string {
    return this.prefix ? `${this.prefix}-${name}` : name;
  }

  /** Delete a machine's namespace if it exists, whoever created it (a stale lab's). */
  remove(name: string): void {
    const ns = this.ns(name);
    if (nsExists(ns)) run(["ip", "netns", "del", ns]);
    const i = this.created.indexOf(ns);
    if (i >= 0) this.created.splice(i, 1);
  }

  /**
   * Create a namespace with loopback up. IPv6 is off unless asked for: link-local addresses
   * and their multicast FDB entries appear asynchronously and would make snapshots racy.
   */
  add(name: string, o: { ipv6?: boolean } = {}): string {
    const ns = this.ns(name);
    must(["ip", "netns", "add", ns]);
    this.created.push(ns);
    if (!o.ipv6) {
      const off =
        "echo 1 > /proc/sys/net/ipv6/conf/all/disable_ipv6; echo 1 > /proc/sys/net/ipv6/conf/default/disable_ipv6";
      must(["ip", "netns", "exec", ns, "sh", "-c", off]);
    }
    must(["ip", "-n", ns, "link", "set", "lo", "up"]);
    return ns;
  }

  /** `ip -n <ns> ...` */
  ip(name: string, ...args: string[]): string {
    return must(["ip", "-n", this.ns(name), ...args]);
  }

  /** Run argv inside a namespace (ip netns exec), not throwing. */
  exec(name: string, argv: string[], opts: RunOptions = {}): RunResult {
    return run(["ip", "netns", "exec", this.ns(name), ...argv], opts);
  }

  /** Run argv inside a namespace and throw unless it exits 0. */
  mustExec(name: string, argv: string[], opts: RunOptions = {}): string {
    return must(["ip", "netns", "exec", this.ns(name), ...argv], opts);
  }

  /** Run a shell script text as-is inside a namespace: `sh -c <script>`. */
  sh(name: string, script: string, args: string[] = []): RunResult {
    return this.exec(name, ["sh", "-c", script, "sh", ...args], { timeoutMs: 120_000 });
  }

  /** Delete every namespace this lab created (links inside go with them). Safe to repeat. */
  cleanup(): void {
    while (this.created.length > 0) {
      const ns = this.created.pop()!;
      run(["ip", "netns", "del", ns]);
    }
  }
}
