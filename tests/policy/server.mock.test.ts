// The policy pack as the engine runs it: `run-policy-pack` (the program upstream's Node.js
// language host starts for `pulumi preview --policy-pack policy`) loads policy/index.ts with
// the SDK's ts-node (type-checked), serves the analyzer gRPC API, and this test speaks to it
// as the engine does: GetAnalyzerInfo, then Remediate and Analyze per resource, AnalyzeStack.
// It proves the secret markers travel the real wire format into the remediation pass.
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import * as grpc from "@grpc/grpc-js";
import { AnalyzerClient } from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import {
  AnalyzeRequest,
  type AnalyzeResponse,
  type RemediateResponse,
  AnalyzeStackRequest,
  AnalyzerInfo,
  AnalyzerResource,
  AnalyzerResourceOptions,
  EnforcementLevel,
  type AnalyzeDiagnostic,
} from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";

const REPO = join(__dirname, "..", "..");
const RUN_POLICY_PACK = join(REPO, "node_modules/@pulumi/pulumi/cmd/run-policy-pack");
const SECRET = (value: unknown) => ({
  "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
  value,
});
const KEY = "-----BEGIN OPENSSH PRIVATE KEY-----\nAAAA\n-----END OPENSSH PRIVATE KEY-----\n";

let child: ChildProcess | undefined;
let client: AnalyzerClient;

function startPack(): Promise<number> {
  return new Promise((resolve, reject) => {
    // The engine address is only used for logging; nothing logs unless a policy throws.
    child = spawn(process.execPath, [RUN_POLICY_PACK, "127.0.0.1:1", "."], {
      cwd: join(REPO, "policy"),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    const timer = setTimeout(
      () => reject(new Error(`policy pack did not start:\n${err}`)),
      120_000,
    );
    child.stdout!.on("data", (d: Buffer) => {
      out += d.toString();
      const m = /^(\d+)\s*$/m.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.stderr!.on("data", (d: Buffer) => (err += d.toString()));
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`policy pack exited (${code}):\n${err}`));
    });
  });
}

/** A unary call as a promise. */
function unary<T>(start: (cb: (e: grpc.ServiceError | null, r: T) => void) => unknown): Promise<T> {
  return new Promise((resolve, reject) => start((e, r) => (e ? reject(e) : resolve(r))));
}
const rpc = {
  info: () => unary<AnalyzerInfo>((cb) => client.getAnalyzerInfo(new Empty(), cb)),
  remediate: (req: AnalyzeRequest) => unary<RemediateResponse>((cb) => client.remediate(req, cb)),
  analyze: (req: AnalyzeRequest) => unary<AnalyzeResponse>((cb) => client.analyze(req, cb)),
  analyzeStack: (req: AnalyzeStackRequest) =>
    unary<AnalyzeResponse>((cb) => client.analyzeStack(req, cb)),
};

function options(additionalSecretOutputs: string[] = []): AnalyzerResourceOptions {
  return new AnalyzerResourceOptions()
    .setProtect(false)
    .setIgnorechangesList([])
    .setAliasesList([])
    .setAdditionalsecretoutputsList(additionalSecretOutputs)
    .setCustomtimeouts(new AnalyzerResourceOptions.CustomTimeouts());
}

interface Found {
  policy: string;
  level: EnforcementLevel;
  message: string;
}

const found = (ds: AnalyzeDiagnostic[]): Found[] =>
  ds.map((d) => ({
    policy: d.getPolicyname(),
    level: d.getEnforcementlevel(),
    message: d.getMessage(),
  }));

/** Remediate, then Analyze, as the engine's step generator does for every resource. */
async function analyze(
  type: string,
  name: string,
  props: Record<string, unknown>,
): Promise<Found[]> {
  const req = new AnalyzeRequest()
    .setType(type)
    .setName(name)
    .setUrn(`urn:pulumi:lab::labfabric::${type}::${name}`)
    .setProperties(Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]))
    .setOptions(options());
  const remediated = await rpc.remediate(req);
  assert.deepEqual(
    remediated.getRemediationsList().map((r) => r.getProperties()),
    [],
    "the pack never rewrites inputs",
  );
  return found((await rpc.analyze(req)).getDiagnosticsList());
}

describe("the policy pack over the analyzer gRPC API", { timeout: 180_000 }, () => {
  before(async () => {
    const port = await startPack();
    client = new AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  });
  after(() => {
    client?.close();
    child?.kill();
  });

  it("loads and describes its five policies", async () => {
    const info: AnalyzerInfo = await rpc.info();
    assert.equal(info.getName(), "labfabric");
    const levels = Object.fromEntries(
      info.getPoliciesList().map((p) => [p.getName(), p.getEnforcementlevel()]),
    );
    assert.deepEqual(levels, {
      "no-world-open-ingress": EnforcementLevel.MANDATORY,
      "secrets-stay-secret": EnforcementLevel.REMEDIATE,
      "no-exposed-credentials": EnforcementLevel.MANDATORY,
      "remote-commands-have-delete": EnforcementLevel.MANDATORY,
      "mtu-consistent": EnforcementLevel.MANDATORY,
    });
  });

  it("reports a plain-text connection key as a mandatory violation, and passes a secret one", async () => {
    const plain = await analyze("command:remote:Command", "fabric-h1-fabric", {
      connection: { host: "10.0.0.1", user: "root", privateKey: KEY },
      create: "up.sh",
      delete: "down.sh",
    });
    assert.deepEqual(
      plain.map((f) => [f.policy, f.level]),
      [
        ["secrets-stay-secret", EnforcementLevel.MANDATORY],
        ["secrets-stay-secret", EnforcementLevel.MANDATORY],
      ],
    );
    assert.match(plain[0].message, /connection\.privateKey is stored in plain text/);
    const secret = await analyze("command:remote:Command", "fabric-h2-fabric", {
      connection: SECRET({ host: "10.0.0.2", user: "root", privateKey: KEY }),
      create: "up.sh",
      delete: "down.sh",
    });
    assert.deepEqual(secret, []);
  });

  it("reports a world-open rule and a command without delete", async () => {
    const rule = await analyze("openstack:networking/secGroupRule:SecGroupRule", "rule-ssh", {
      direction: "ingress",
      protocol: "tcp",
      portRangeMin: 22,
      portRangeMax: 22,
      remoteIpPrefix: "0.0.0.0/0",
    });
    assert.deepEqual(
      rule.map((f) => f.policy),
      ["no-world-open-ingress"],
    );
    const cmd = await analyze("command:remote:Command", "lab-tweak", {
      connection: SECRET({ host: "h", privateKey: KEY }),
      create: "sysctl -w x=1",
    });
    assert.deepEqual(
      cmd.map((f) => f.policy),
      ["remote-commands-have-delete"],
    );
  });

  it("checks the MTU across the stack's resources", async () => {
    const resource = (type: string, name: string, props: object) =>
      new AnalyzerResource()
        .setType(type)
        .setName(name)
        .setUrn(`urn:pulumi:lab::labfabric::${type}::${name}`)
        .setProperties(Struct.fromJavaScript(props as Parameters<typeof Struct.fromJavaScript>[0]))
        .setOptions(options());
    const req = new AnalyzeStackRequest().setResourcesList([
      resource("labfabric:host-fabric:HostFabric", "fabric-h1", {
        host: "h1",
        mode: "vxlan",
        devices: { bridge: "br-vm" },
        mtu: { underlay: 1500, fabric: 1450, vm: 1450 },
      }),
      resource("libvirt:index/network:Network", "libvirt-h1-fabric", {
        name: "fabric",
        bridge: "br-vm",
        mtu: 1500,
      }),
    ]);
    const ds = found((await rpc.analyzeStack(req)).getDiagnosticsList());
    assert.deepEqual(
      ds.map((f) => f.policy),
      ["mtu-consistent"],
    );
    assert.match(ds[0].message, /on the fabric bridge br-vm has MTU 1500, the fabric carries 1450/);
  });
});
