// Classes of careless stack files, as properties: a secret-shaped value under any key is never
// printed (only named), a secret of any provider in plain text is refused, and a namespace that
// is a near miss of one the lab reads is refused naming it — nothing is dropped without a word.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { stringify } from "yaml";
import { formatReport } from "../../components/spec/findings";
import { loadLab } from "../../components/load";
import { HIDDEN, secretShape } from "../../components/spec/secrets";
import {
  combineFindings,
  KNOWN_NAMESPACES,
  parseStackConfig,
} from "../../components/spec/stack-file";
import { vxlanLab } from "./helpers";

const b64 = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
const chars = (alphabet: string, min: number, max: number) =>
  fc.array(fc.constantFrom(...alphabet), { minLength: min, maxLength: max }).map((a) => a.join(""));

/** The secret shapes labfabric must recognise: keys, tokens, passwords, API keys. */
const secret = fc.oneof(
  fc
    .tuple(
      fc.constantFrom("OPENSSH ", "RSA ", "EC ", ""),
      fc.array(chars(b64, 64, 64), { minLength: 1, maxLength: 4 }),
    )
    .map(([t, lines]) =>
      [`-----BEGIN ${t}PRIVATE KEY-----`, ...lines, `-----END ${t}PRIVATE KEY-----`].join("\n"),
    ),
  fc
    .tuple(
      chars("abcdefghijklmnopqrstuvwxyz0123456789", 6, 6),
      chars("abcdefghijklmnopqrstuvwxyz0123456789", 16, 16),
    )
    .map(([a, b]) => `${a}.${b}`),
  chars(`${b64.slice(0, 62)}_-`, 40, 160).map((s) => `gAAAAA${s}`),
  fc
    .tuple(
      chars("abcdefghijklmnopqrstuvwxyz", 5, 10),
      chars("ABCDEFGHIJKLMNOPQRSTUVWXYZ", 1, 6),
      chars("0123456789", 1, 6),
      chars("!#$%&*@^~", 1, 4),
    )
    .chain((parts) =>
      fc.shuffledSubarray([...parts.join("")], { minLength: parts.join("").length }),
    )
    .map((a) => a.join("")),
  chars(b64.slice(0, 62), 32, 64).filter((s) => /[a-z]/.test(s) && /[A-Z]/.test(s) && /\d/.test(s)),
);

/** Where a careless user may paste it: a key of ours (any type), an unknown key, a provider's. */
const PLACES: ((config: Record<string, unknown>, s: string) => void)[] = [
  (c, s) => ((c["labfabric:hosts"] as { name: string }[])[0].name = s),
  (c, s) =>
    ((c["labfabric:hosts"] as { underlay: { interface: string } }[])[0].underlay.interface = s),
  (c, s) => ((c["labfabric:hosts"] as { ssh: Record<string, string> }[])[1].ssh.note = s),
  (c, s) => ((c["labfabric:fabric"] as Record<string, unknown>).bridge = s),
  (c, s) => ((c["labfabric:fabric"] as Record<string, unknown>).vni = s),
  (c, s) => ((c["labfabric:fabric"] as Record<string, unknown>).vmSubnet = s),
  (c, s) => (c["labfabric:sshPublicKey"] = s),
  (c, s) => (c["labfabric:notes"] = s),
  (c, s) => ((c["labfabric:libvirt"] as { images: Record<string, string> }).images.rocky9 = s),
  (c, s) => ((c["labfabric:kubernetes"] as { cni: Record<string, string> }).cni.mode = s),
  (c, s) => ((c["labfabric:kubernetes"] as Record<string, unknown>).podSubnet = s),
  (c, s) => (c["labfabrik:hosts"] = [{ name: s }]),
  (c, s) => (c["openstack:region"] = s),
  (c, s) => (c["kubernetes:context"] = s),
  (c, s) => (c["aws:region"] = s),
];

function report(config: Record<string, unknown>): string {
  const stack = parseStackConfig(stringify({ config }), "t");
  const r = loadLab(stack.raw, stack.lab);
  return formatReport(combineFindings(stack, r.ok ? r.plan.warnings : r.findings));
}

const baseConfig = () =>
  Object.fromEntries(Object.entries(vxlanLab()).map(([k, v]) => [`labfabric:${k}`, v]));

describe("a secret-shaped value under any key is never printed", () => {
  it("every generated secret is recognised as one", () => {
    fc.assert(fc.property(secret, (s) => assert.ok(secretShape(s), s)));
  });

  it("is never shown wherever it is pasted; where a key is reported, it says the value is hidden", () => {
    fc.assert(
      fc.property(secret, fc.nat(PLACES.length - 1), (s, i) => {
        const config = baseConfig();
        PLACES[i](config, s);
        const text = report(config);
        const parts = [s, ...s.split("\n").filter((l) => l.length >= 8 && !l.startsWith("-----"))];
        for (const p of parts) assert.ok(!text.includes(p), `printed:\n${text}`);
        // Every reported value is either shown (and then not this secret) or hidden.
        for (const line of text.split("\n").filter(Boolean))
          assert.match(line, / = (\(unset\)|\(looks like a secret, not shown\)|[^(].*?): /);
      }),
      { numRuns: 150 },
    );
  });
});

describe("a provider's secret in plain text is refused, like ours", () => {
  const KEYS = [
    "labfabric:sshPrivateKey",
    "labfabric:openstackPassword",
    "labfabric:openstackApplicationCredentialSecret",
    "openstack:password",
    "openstack:applicationCredentialSecret",
    "openstack:token",
    "kubernetes:kubeconfig",
    "command:privateKey",
    "openstack:userPassword",
  ];
  for (const key of KEYS) {
    it(`fails when ${key} is in plain text, naming it and never its value`, () => {
      const text = report({ ...baseConfig(), [key]: "hunter2" });
      assert.ok(
        text.includes(
          `ERROR ${key} = ${HIDDEN}: is a secret but is stored in plain text in the stack file. Fix: remove it from the file and run: pulumi config set --secret ${key} < file`,
        ),
        text,
      );
      assert.ok(!text.includes("hunter2"));
      assert.equal(report({ ...baseConfig(), [key]: { secure: "v1:abc" } }), "");
    });
  }
});

describe("a namespace that is a near miss is refused, naming the closest known one", () => {
  const edit = fc.record({
    op: fc.constantFrom("insert", "delete", "substitute", "dash", "case"),
    at: fc.nat(),
    c: fc.constantFrom(..."abcdefghijklmnopqrstuvwxyz"),
  });
  it("any one edit of a known namespace is an error that names it", () => {
    fc.assert(
      fc.property(fc.constantFrom(...KNOWN_NAMESPACES), edit, (ns, e) => {
        const at = e.at % (ns.length + 1);
        const typo = {
          insert: ns.slice(0, at) + e.c + ns.slice(at),
          delete:
            ns.slice(0, Math.min(at, ns.length - 1)) + ns.slice(Math.min(at, ns.length - 1) + 1),
          substitute: ns.slice(0, at % ns.length) + e.c + ns.slice((at % ns.length) + 1),
          dash: `${ns.slice(0, Math.max(1, at))}-${ns.slice(Math.max(1, at))}`,
          case: ns.toUpperCase(),
        }[e.op];
        fc.pre(typo !== ns && !KNOWN_NAMESPACES.includes(typo));
        const stack = parseStackConfig(stringify({ config: { [`${typo}:hosts`]: [] } }), "t");
        assert.deepEqual(
          stack.findings.map((f) => [f.severity, f.namespace, f.path]),
          [["error", typo, "hosts"]],
        );
        assert.match(stack.findings[0].message, new RegExp(`did you mean ${ns}:\\?`));
        assert.equal(stack.findings[0].fix, `rename it to ${ns}:hosts`);
      }),
      { numRuns: 200 },
    );
  });

  it("a namespace far from every known one is a warning: it is not silently dropped", () => {
    const stack = parseStackConfig(stringify({ config: { "aws:region": "eu-west-1" } }), "t");
    assert.deepEqual(
      stack.findings.map((f) => [f.severity, f.namespace, f.path]),
      [["warning", "aws", "region"]],
    );
  });
});
