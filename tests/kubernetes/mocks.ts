// Pulumi mocks for the Kubernetes and CNI component tests: every registered resource is
// recorded with its type and inputs; a transformation records each resource's options
// (dependsOn, provider, secrets). The admin.conf command returns a fake kubeconfig and the
// join-token command a fake join command, as a control plane would.
import * as pulumi from "@pulumi/pulumi";

export const FAKE_TOKEN = "abcdef.0123456789abcdef";
export const FAKE_CA_HASH = `sha256:${"5e".repeat(32)}`;
export const FAKE_CERT_KEY = "c0".repeat(32);

export function fakeKubeconfig(server: string): string {
  return [
    "apiVersion: v1",
    "clusters:",
    "  - cluster:",
    "      certificate-authority-data: Q0E=",
    `      server: ${server}`,
    "    name: lab",
    "contexts:",
    "  - context:",
    "      cluster: lab",
    "      user: kubernetes-admin",
    "    name: kubernetes-admin@lab",
    "current-context: kubernetes-admin@lab",
    "kind: Config",
    "users:",
    "  - name: kubernetes-admin",
    "    user:",
    "      client-certificate-data: Q0VSVA==",
    "      client-key-data: S0VZ",
    "",
  ].join("\n");
}

export interface Recorded {
  type: string;
  name: string;
  inputs: Record<string, unknown>;
}

/** The marker Pulumi wraps secret values in when they cross the (mock) monitor. */
export const SECRET_SIG = "4dabf18193072939515e22adb298388d";

export function isSecretValue(v: unknown): v is { value: unknown } {
  return (
    typeof v === "object" &&
    v !== null &&
    (v as Record<string, unknown>)[SECRET_SIG] === "1b47061264138c4ac30d75fd1eb44270"
  );
}

/** Unwrap secret markers everywhere, for comparing plain values. */
export function reveal(v: unknown): unknown {
  if (isSecretValue(v)) return reveal(v.value);
  if (Array.isArray(v)) return v.map(reveal);
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, reveal(x)]));
  }
  return v;
}

export class Recorder {
  readonly resources: Recorded[] = [];
  readonly options = new Map<string, pulumi.CustomResourceOptions>();
  readonly objects = new Map<string, pulumi.Resource>();
  /** Server the fake admin.conf names (the cluster's own endpoint), by component name prefix. */
  readonly servers = new Map<string, string>();

  async install(preview = false): Promise<void> {
    await pulumi.runtime.setMocks(
      {
        newResource: (args: pulumi.runtime.MockResourceArgs) => {
          this.resources.push({ type: args.type, name: args.name, inputs: args.inputs });
          const state: Record<string, unknown> = { ...args.inputs };
          if (args.type === "command:remote:Command" && !preview) {
            state.stderr = "";
            state.stdout = args.name.endsWith("-kubeconfig")
              ? fakeKubeconfig(
                  this.servers.get(args.name.split("-")[0]) ?? "https://127.0.0.1:6443",
                )
              : args.name.endsWith("-join-token")
                ? `kubeadm join 10.0.0.1:6443 --token ${FAKE_TOKEN} --discovery-token-ca-cert-hash ${FAKE_CA_HASH} \ncertificate-key ${FAKE_CERT_KEY}\n`
                : "";
          }
          return { id: `${args.name}-id`, state };
        },
        call: (args: pulumi.runtime.MockCallArgs) => args.inputs,
      },
      "labfabric",
      "test",
      preview,
    );
  }

  /** A transformation for a component's options: it applies to the component's children too. */
  readonly transformation: pulumi.ResourceTransformation = (a) => {
    this.options.set(a.name, a.opts);
    this.objects.set(a.name, a.resource);
    return undefined;
  };

  /** Wait until every recorded object has been registered with the mock monitor. */
  async settle(): Promise<void> {
    let n = -1;
    while (n !== this.objects.size) {
      n = this.objects.size;
      await Promise.all([...this.objects.values()].map((r) => valueOf(r.urn)));
    }
  }

  one(name: string): Recorded {
    const found = this.resources.filter((r) => r.name === name);
    if (found.length !== 1) throw new Error(`expected one resource ${name}, found ${found.length}`);
    return found[0];
  }

  /** Names of the resources a resource explicitly depends on. */
  async dependsOn(name: string): Promise<string[]> {
    const d = this.options.get(name)?.dependsOn;
    const list = (d === undefined ? [] : Array.isArray(d) ? d : [d]) as pulumi.Resource[];
    const urns = await Promise.all(list.map((r) => valueOf(r.urn)));
    return urns.map((urn) => urn.split("::").pop()!).sort();
  }
}

export function valueOf<T>(o: pulumi.Output<T> | pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** The script inside an `asRoot` command line (`sh -c '...'` or `sudo -n sh -c '...'`). */
export function scriptOf(commandLine: unknown): string {
  const text = String(reveal(commandLine));
  const m = /^(?:sudo -n )?sh -c '([\s\S]*)'$/.exec(text);
  if (!m) throw new Error(`not an asRoot command line: ${text.slice(0, 40)}`);
  return m[1].replace(/'\\''/g, "'");
}
