// What a secret looks like, decided once: by the key that holds it (ours and the providers'
// credentials, any key named like one) and by its shape (a private key, a token, a password).
// Every report labfabric prints goes through `shownValue`/`scrub`, so a secret pasted under the
// wrong key is named as such and never printed back (render-plans.sh posts reports on PRs).

/** labfabric's own secret keys: only ever set with `pulumi config set --secret`. */
export const SECRET_KEYS = [
  "sshPrivateKey",
  "openstackPassword",
  "openstackApplicationCredentialSecret",
] as const;

/** Every config key (namespace:key) that holds a credential, ours and the providers'. */
export const SECRET_CONFIG_KEYS: readonly string[] = [
  ...SECRET_KEYS.map((k) => `labfabric:${k}`),
  "openstack:password",
  "openstack:applicationCredentialSecret",
  "openstack:token",
  "kubernetes:kubeconfig",
];

/** Any other key that by its name holds a credential (a provider's, a nested one, a new one). */
export const SECRET_KEY_NAME =
  /(password|passphrase|passwd|secret|token|privatekey|private_key|kubeconfig|credentials?)$/i;

export const PEM_PRIVATE_KEY = /-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----/;
/** base64 of "openssh-key-v1": the body of an OpenSSH private key, headers or not. */
const OPENSSH_KEY_BODY = /b3BlbnNzaC1rZXktdjE/;
export const KUBEADM_TOKEN = /(?<![A-Za-z0-9])[a-z0-9]{6}\.[a-z0-9]{16}(?![A-Za-z0-9])/;
/** Keystone (Fernet) tokens. */
const KEYSTONE_TOKEN = /gAAAAA[A-Za-z0-9_-]{20,}/;
const KUBECONFIG_CREDENTIAL = /(client-key-data|client-certificate-data|token)\s*:\s*\S{8,}/;
const PUBLIC_KEY_TYPE = /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521))$/;

export const HIDDEN = "(looks like a secret, not shown)";
/** A finding's value when it was a secret: the finding never holds the secret itself. */
export const WITHHELD: unique symbol = Symbol("withheld secret");

function classes(s: string): number {
  return [/[a-z]/, /[A-Z]/, /[0-9]/, /[^A-Za-z0-9]/].filter((r) => r.test(s)).length;
}

/**
 * One word that reads like a password (all four character classes, with a symbol no address,
 * path or URL uses) or like a random key (32+ characters of base64 mixing cases and digits).
 */
function secretWord(word: string): boolean {
  const bare = word.replace(/^["'([{]+|["',)\]}.;:]+$/g, "");
  if (bare.length >= 8 && bare.length <= 128 && classes(bare) === 4) {
    const symbols = bare.replace(/[A-Za-z0-9]/g, "");
    if (/[^-._/:,=+[\]()?'"<>]/.test(symbols)) return true;
  }
  return (
    /^[A-Za-z0-9+/=_-]{32,}$/.test(bare) &&
    !bare.startsWith("/") &&
    (bare.match(/\//g) ?? []).length <= 2 &&
    (bare.match(/-/g) ?? []).length <= 4 &&
    /[a-z]/.test(bare) &&
    /[A-Z]/.test(bare) &&
    /[0-9]/.test(bare)
  );
}

/** What kind of secret a string looks like, or undefined. */
export function secretShape(text: string): string | undefined {
  if (PEM_PRIVATE_KEY.test(text) || OPENSSH_KEY_BODY.test(text)) return "a private key";
  if (KUBEADM_TOKEN.test(text)) return "a kubeadm token";
  if (KEYSTONE_TOKEN.test(text)) return "an OpenStack token";
  if (KUBECONFIG_CREDENTIAL.test(text)) return "a kubeconfig credential";
  const words = text.split(/\s+/).filter(Boolean);
  // An SSH public key line is public: its base64 body is not a secret.
  const checked = PUBLIC_KEY_TYPE.test(words[0] ?? "") ? words.slice(2) : words;
  if (checked.some(secretWord)) return "a password or API key";
  return undefined;
}

/** True when a key's name (its last segment) says it holds a credential. */
export function isSecretKeyName(key: string): boolean {
  const last =
    key
      .split(/[:.[\]]/)
      .filter(Boolean)
      .pop() ?? key;
  return SECRET_CONFIG_KEYS.includes(key) || SECRET_KEY_NAME.test(last);
}

/** True when a value, or anything inside it (strings, nested keys' names), is secret-shaped. */
export function looksSecret(value: unknown, key = ""): boolean {
  if (key && isSecretKeyName(key)) return value !== undefined && value !== "";
  if (typeof value === "string") return secretShape(value) !== undefined;
  if (Array.isArray(value)) return value.some((v) => looksSecret(v));
  if (value && typeof value === "object")
    return Object.entries(value).some(([k, v]) => looksSecret(v, k));
  return false;
}

/** A value as a report shows it: JSON, "(unset)", or HIDDEN when it could be a secret. */
export function shownValue(value: unknown, key = ""): string {
  if (value === undefined) return "(unset)";
  if (value === WITHHELD) return HIDDEN;
  return looksSecret(value, key) ? HIDDEN : JSON.stringify(value);
}

/** Free text (a message, a fix) with every secret-shaped part replaced. */
export function scrub(text: string): string {
  if (PEM_PRIVATE_KEY.test(text) || OPENSSH_KEY_BODY.test(text)) return HIDDEN;
  return text
    .split(/(\s+)/)
    .map((w) => (w.trim() && secretShape(w) ? HIDDEN : w))
    .join("");
}
