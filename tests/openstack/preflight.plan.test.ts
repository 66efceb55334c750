// The OpenStack preflight against a fake Keystone/Glance/Nova/Neutron (a fetch stand-in):
// each failure is one line naming the config key, and no secret appears in it.
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { labSpecSchema } from "../../components/spec/schema";
import {
  authenticate,
  expectedNames,
  preflight,
  type PreflightCredentials,
} from "../../components/openstack/preflight";

const creds: PreflightCredentials = {
  authUrl: "http://10.252.0.2:5000/v3",
  userName: "labfabric",
  password: "s3cret-Pa55",
  projectName: "labfabric",
  region: "RegionOne",
  keys: {
    password: "openstack:password",
    applicationCredentialSecret: "openstack:applicationCredentialSecret",
  },
};

const spec = labSpecSchema.parse({
  openstack: {
    enabled: true,
    floatingPool: "public",
    networks: [{ name: "k8s-net", cidr: "10.100.200.0/24" }],
    flavors: [
      { name: "lf.tiny", vcpus: 1, ramMiB: 768, diskGiB: 1 },
      { name: "m1.large", vcpus: 4, ramMiB: 8192, diskGiB: 40, adopt: true },
    ],
    instances: [
      { name: "a", flavor: "lf.tiny", image: "debian12", nics: [{ network: "k8s-net" }] },
      { name: "b", flavor: "m1.large", image: "debian12", nics: [{ network: "k8s-net" }] },
    ],
  },
}).openstack;

const catalog = {
  token: {
    catalog: [
      {
        type: "image",
        endpoints: [{ interface: "public", region: "RegionOne", url: "http://g:9292" }],
      },
      {
        type: "compute",
        endpoints: [{ interface: "public", region: "RegionOne", url: "http://n:8774/v2.1" }],
      },
      {
        type: "network",
        endpoints: [{ interface: "public", region: "RegionOne", url: "http://q:9696" }],
      },
    ],
  },
};

interface Cloud {
  password: string;
  images: string[];
  flavors: string[];
  networks: string[];
}

function fakeFetch(cloud: Cloud, seen: string[] = []): typeof fetch {
  return (async (input: string | URL, init?: RequestInit) => {
    const url = String(input);
    seen.push(url);
    const json = (status: number, body: unknown, headers: Record<string, string> = {}) =>
      new Response(JSON.stringify(body), {
        status,
        headers: { "content-type": "application/json", ...headers },
      });
    if (url.endsWith("/v3/auth/tokens")) {
      const body = JSON.parse(String(init?.body)) as {
        auth: { identity: { password?: { user: { password: string } } } };
      };
      if (body.auth.identity.password?.user.password !== cloud.password)
        return json(401, { error: {} });
      return json(201, catalog, { "x-subject-token": "tok" });
    }
    const name = decodeURIComponent(new URL(url).searchParams.get("name") ?? "");
    if (url.startsWith("http://g:9292/v2/images"))
      return json(200, { images: cloud.images.filter((i) => i === name) });
    if (url === "http://n:8774/v2.1/flavors")
      return json(200, { flavors: cloud.flavors.map((n) => ({ name: n })) });
    if (url.startsWith("http://q:9696/v2.0/networks"))
      return json(200, { networks: cloud.networks.filter((n) => n === name) });
    return json(404, {});
  }) as typeof fetch;
}

const good: Cloud = {
  password: "s3cret-Pa55",
  images: ["debian12"],
  flavors: ["m1.large"],
  networks: ["k8s-net", "public"],
};

describe("OpenStack preflight", () => {
  test("a complete cloud passes, and only adopted flavors are looked up", async () => {
    assert.deepEqual(expectedNames(spec).flavors, [
      { key: "labfabric:openstack.flavors[1].name", name: "m1.large" },
    ]);
    const seen: string[] = [];
    await preflight(creds, spec, fakeFetch(good, seen));
    assert.ok(seen.some((u) => u.includes("images?name=debian12")));
  });

  test("a wrong password is one line naming openstack:password, without the password", async () => {
    const err = await preflight({ ...creds, password: "wrong-one" }, spec, fakeFetch(good)).catch(
      (e: Error) => e,
    );
    assert.ok(err instanceof Error);
    assert.match(
      err.message,
      /^ERROR openstack:password: Keystone at http:\/\/10\.252\.0\.2:5000\/v3 refused user labfabric in project labfabric \(401\)\. Fix: /,
    );
    assert.equal(err.message.split("\n").length, 1);
    assert.ok(!err.message.includes("wrong-one"));
  });

  test("a refused application credential names its secret key", async () => {
    const app = {
      ...creds,
      password: undefined,
      applicationCredentialId: "abc123",
      applicationCredentialSecret: "app-secret-value",
      keys: {
        ...creds.keys,
        applicationCredentialSecret: "labfabric:openstackApplicationCredentialSecret",
      },
    };
    const err = await authenticate(app, fakeFetch(good)).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.match(
      err.message,
      /^ERROR labfabric:openstackApplicationCredentialSecret: .*abc123 \(401\)/,
    );
    assert.ok(!err.message.includes("app-secret-value"));
  });

  test("an unreachable endpoint is one line naming openstack:authUrl", async () => {
    const refused = (async () => {
      throw Object.assign(new TypeError("fetch failed"), { cause: { code: "ECONNREFUSED" } });
    }) as unknown as typeof fetch;
    const err = await authenticate(creds, refused).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    assert.equal(
      err.message,
      'ERROR openstack:authUrl = "http://10.252.0.2:5000/v3": Keystone is unreachable (ECONNREFUSED). Fix: set openstack:authUrl to the cloud\'s identity endpoint, e.g. http://<controller>:5000/v3',
    );
  });

  test("a missing image, adopted flavor and network are each named", async () => {
    const err = await preflight(
      creds,
      spec,
      fakeFetch({ ...good, images: [], flavors: [], networks: ["public"] }),
    ).catch((e: Error) => e);
    assert.ok(err instanceof Error);
    const lines = err.message.split("\n");
    assert.deepEqual(
      lines.map((l) => l.split(":").slice(0, 2).join(":")),
      [
        'ERROR labfabric:openstack.instances[0].image = "debian12"',
        'ERROR labfabric:openstack.flavors[1].name = "m1.large"',
        'ERROR labfabric:openstack.networks[0].name = "k8s-net"',
      ],
    );
  });
});
