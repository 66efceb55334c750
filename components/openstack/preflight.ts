// Preflight of the OpenStack layer, run in preview and up before any OpenStack resource or
// lookup: authenticate against Keystone with the stack's credentials, then check that every
// image, adopted flavor, network and floating pool the plan names exists. Each problem is one
// line naming the config key (`ERROR openstack:password: ...`) raised as a RunError (no stack
// trace), instead of the provider's multi-line diagnostics or a lookup's "no results".
// Secrets are only used in the request body; they never appear in a message.
import type { LabSpec } from "../spec";

export interface PreflightCredentials {
  authUrl: string;
  userName?: string;
  password?: string;
  projectName?: string;
  userDomainName?: string;
  projectDomainName?: string;
  region?: string;
  applicationCredentialId?: string;
  applicationCredentialSecret?: string;
  /** Config keys the values came from, for the messages. */
  keys: { password: string; applicationCredentialSecret: string };
}

export interface Catalog {
  token: string;
  /** Public endpoint URL by service type (image, compute, network), in the chosen region. */
  endpoints: Record<string, string>;
}

type Fetch = typeof fetch;
const TIMEOUT_MS = 15_000;

function line(key: string, value: string | undefined, message: string, fix: string): string {
  return `ERROR ${key}${value === undefined ? "" : ` = ${JSON.stringify(value)}`}: ${message}. Fix: ${fix}`;
}

function authBody(c: PreflightCredentials): unknown {
  if (c.applicationCredentialId) {
    return {
      auth: {
        identity: {
          methods: ["application_credential"],
          application_credential: {
            id: c.applicationCredentialId,
            secret: c.applicationCredentialSecret,
          },
        },
      },
    };
  }
  return {
    auth: {
      identity: {
        methods: ["password"],
        password: {
          user: {
            name: c.userName,
            domain: { name: c.userDomainName ?? "Default" },
            password: c.password,
          },
        },
      },
      scope: {
        project: { name: c.projectName, domain: { name: c.projectDomainName ?? "Default" } },
      },
    },
  };
}

/** Keystone v3 token and the service catalog; throws one line naming the key on failure. */
export async function authenticate(c: PreflightCredentials, f: Fetch = fetch): Promise<Catalog> {
  const base = c.authUrl.replace(/\/+$/, "");
  const url = /\/v3$/.test(base) ? `${base}/auth/tokens` : `${base}/v3/auth/tokens`;
  let res: Response;
  try {
    res = await f(url, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(authBody(c)),
      signal: AbortSignal.timeout(TIMEOUT_MS),
    });
  } catch (e) {
    const cause = (e as { cause?: { code?: string; message?: string } }).cause;
    const why = cause?.code ?? cause?.message ?? (e as Error).message;
    throw new Error(
      line(
        "openstack:authUrl",
        c.authUrl,
        `Keystone is unreachable (${why})`,
        "set openstack:authUrl to the cloud's identity endpoint, e.g. http://<controller>:5000/v3",
      ),
    );
  }
  if (res.status === 401) {
    const appCred = !!c.applicationCredentialId;
    throw new Error(
      appCred
        ? line(
            c.keys.applicationCredentialSecret,
            undefined,
            `Keystone at ${c.authUrl} refused application credential ${c.applicationCredentialId} (401)`,
            `pulumi config set --secret ${c.keys.applicationCredentialSecret} <secret>`,
          )
        : line(
            c.keys.password,
            undefined,
            `Keystone at ${c.authUrl} refused user ${c.userName} in project ${c.projectName} (401)`,
            `pulumi config set --secret ${c.keys.password} <password>, or check openstack:userName and openstack:tenantName`,
          ),
    );
  }
  if (!res.ok) {
    throw new Error(
      line(
        "openstack:authUrl",
        c.authUrl,
        `Keystone answered ${res.status} ${res.statusText}`,
        "check the identity endpoint and the project/domain names",
      ),
    );
  }
  const token = res.headers.get("x-subject-token") ?? "";
  const body = (await res.json()) as {
    token?: {
      catalog?: {
        type: string;
        endpoints: { interface: string; region?: string; url: string }[];
      }[];
    };
  };
  const endpoints: Record<string, string> = {};
  for (const svc of body.token?.catalog ?? []) {
    const ep =
      svc.endpoints.find((e) => e.interface === "public" && (!c.region || e.region === c.region)) ??
      svc.endpoints.find((e) => e.interface === "public");
    if (ep) endpoints[svc.type] = ep.url.replace(/\/+$/, "");
  }
  return { token, endpoints };
}

async function getJson(cat: Catalog, url: string, f: Fetch): Promise<unknown> {
  const res = await f(url, {
    headers: { "x-auth-token": cat.token },
    signal: AbortSignal.timeout(TIMEOUT_MS),
  });
  if (!res.ok) throw new Error(`GET ${url}: ${res.status} ${res.statusText}`);
  return res.json();
}

/** Names the plan expects to exist in the cloud, with the config key each came from. */
export interface ExpectedNames {
  images: { key: string; name: string }[];
  flavors: { key: string; name: string }[];
  networks: { key: string; name: string }[];
}

export function expectedNames(os: LabSpec["openstack"]): ExpectedNames {
  const created = new Set(os.flavors.filter((f) => !f.adopt).map((f) => f.name));
  const used = new Set(os.instances.flatMap((i) => i.nics.map((n) => n.network)));
  const firstImage = new Map<string, number>();
  os.instances.forEach((inst, i) => {
    if (!firstImage.has(inst.image)) firstImage.set(inst.image, i);
  });
  return {
    images: [...firstImage].map(([name, i]) => ({
      key: `labfabric:openstack.instances[${i}].image`,
      name,
    })),
    flavors: os.flavors
      .map((f, i) => ({
        key: `labfabric:openstack.flavors[${i}].name`,
        name: f.name,
        adopt: f.adopt,
      }))
      .filter((f) => f.adopt && !created.has(f.name))
      .map(({ key, name }) => ({ key, name })),
    networks: [
      ...os.networks
        .map((n, i) => ({ key: `labfabric:openstack.networks[${i}].name`, name: n.name }))
        .filter((n) => used.has(n.name)),
      ...(os.floatingPool
        ? [{ key: "labfabric:openstack.floatingPool", name: os.floatingPool }]
        : []),
    ],
  };
}

/** Every missing image, flavor or network as one line each (empty when all exist). */
export async function missingNames(
  cat: Catalog,
  want: ExpectedNames,
  f: Fetch = fetch,
): Promise<string[]> {
  const out: string[] = [];
  const need = (type: string) => {
    const url = cat.endpoints[type];
    if (!url) throw new Error(`the service catalog has no public ${type} endpoint`);
    return url;
  };
  if (want.images.length) {
    const base = need("image");
    for (const img of want.images) {
      const r = (await getJson(
        cat,
        `${base}/v2/images?name=${encodeURIComponent(img.name)}`,
        f,
      )) as {
        images: unknown[];
      };
      if (r.images.length === 0)
        out.push(
          line(
            img.key,
            img.name,
            "no such image is visible to the project",
            "upload it to glance or name an existing image",
          ),
        );
    }
  }
  if (want.flavors.length) {
    const r = (await getJson(cat, `${need("compute")}/flavors`, f)) as {
      flavors: { name: string }[];
    };
    const have = new Set(r.flavors.map((x) => x.name));
    for (const fl of want.flavors) {
      if (!have.has(fl.name))
        out.push(
          line(
            fl.key,
            fl.name,
            "is adopted but no such flavor exists",
            "create it, or set adopt: false so labfabric creates it",
          ),
        );
    }
  }
  if (want.networks.length) {
    const base = need("network");
    for (const n of want.networks) {
      const r = (await getJson(
        cat,
        `${base}/v2.0/networks?name=${encodeURIComponent(n.name)}`,
        f,
      )) as {
        networks: unknown[];
      };
      if (r.networks.length === 0)
        out.push(
          line(
            n.key,
            n.name,
            "no such network is visible to the project",
            "create it or name an existing network",
          ),
        );
    }
  }
  return out;
}

/** The whole preflight: resolves when everything is in place, else rejects with its lines. */
export async function preflight(
  c: PreflightCredentials,
  os: LabSpec["openstack"],
  f: Fetch = fetch,
): Promise<void> {
  const cat = await authenticate(c, f);
  const missing = await missingNames(cat, expectedNames(os), f);
  if (missing.length) throw new Error(missing.join("\n"));
}
