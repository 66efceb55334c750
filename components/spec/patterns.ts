// Strict patterns for every value that ends up inside a shell script, a config file or a
// resource name. Anything outside them is refused before a host is touched, so no value can
// break out of the quoting in a rendered script.
import { z } from "zod";
import { Address4 } from "ip-address";

const dnsLabel = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/;
const ifName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,14}$/;
const unixUser = /^[a-z_][a-z0-9_-]{0,31}$/;
// Each path segment starts with its own '/': no nested quantifier can backtrack
// exponentially on a bad character (the old `(seg\/?)*` form hung on a trailing space).
const absPath = /^(\/|(\/[A-Za-z0-9._-]+)+\/?)$/;
const mac = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const sshPublicKey =
  /^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)) [A-Za-z0-9+/]+={0,3}( [A-Za-z0-9@._-]+)?$/;
const dottedQuad = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;
const hostname =
  /^(?=.{1,253}$)[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*$/;
// URL characters minus the shell-active ones (' $ ( ) ; ! *): a URL can then never end a quoted
// word or start a substitution, even if a script quotes it carelessly.
const urlBody = "[A-Za-z0-9._~:/?#@&+,=%-]+";
const imageSource = new RegExp(`^((https?|file)://${urlBody}|(/[A-Za-z0-9._-]+)+/?)$`);

export const name = z
  .string()
  .regex(
    dnsLabel,
    "must be a DNS label: lowercase letters, digits and '-', 1-63 characters, e.g. \"node-1\"",
  );

export const interfaceName = z
  .string()
  .regex(
    ifName,
    "must be a Linux interface name: 1-15 of letters, digits, '.', '_', '-' (see `ip link`)",
  )
  .refine((v) => v !== "." && v !== "..", "must be a Linux interface name, not '.' or '..'");

export const unixUserName = z
  .string()
  .regex(unixUser, "must be a Unix user name: lowercase letter or '_' then up to 31 of [a-z0-9_-]");

export const absolutePath = z
  .string()
  .regex(absPath, "must be an absolute path of letters, digits, '.', '_', '-' and '/'")
  .refine((v) => !v.split("/").includes(".."), "must not contain '..'");

export const macAddress = z
  .string()
  .regex(mac, "must be a lowercase MAC address like 52:54:00:12:34:56")
  .refine(
    (v) => (parseInt(v.slice(0, 2), 16) & 1) === 0,
    "must be a unicast MAC (first octet even), e.g. 52:54:00:...",
  );

export const publicKey = z
  .string()
  .regex(sshPublicKey, "must be one OpenSSH public key line: '<type> <base64> [comment]'");

export const ipv4 = z.string().regex(dottedQuad, "must be an IPv4 address like 192.168.0.23");

/** An address with its prefix, as the interface carries it: "192.168.0.23/24". */
export const ipv4Interface = z
  .string()
  .refine(
    (v) => /^[0-9.]+\/\d{1,2}$/.test(v) && dottedQuad.test(v.split("/")[0]) && Address4.isValid(v),
    "must be an IPv4 address with prefix length, like 192.168.0.23/24",
  );

/** A network in CIDR form with no host bits set: "10.39.0.0/24". */
export const ipv4Cidr = z
  .string()
  .refine(
    (v) => /^[0-9.]+\/\d{1,2}$/.test(v) && dottedQuad.test(v.split("/")[0]) && Address4.isValid(v),
    "must be an IPv4 network in CIDR form, like 10.39.0.0/24",
  )
  .refine(
    (v) => !Address4.isValid(v) || new Address4(v).startAddress().correctForm() === v.split("/")[0],
    {
      // Phrased as the rule (the generic fix reads "set <key> to <the rule's noun>") and naming
      // the network the value was meant to be.
      error: (issue) => {
        const v = String(issue.input);
        return `must be a network address without host bits, like ${new Address4(v).startAddress().correctForm()}/${v.split("/")[1]}`;
      },
    },
  );

export const hostOrIp = z
  .string()
  .refine(
    (v) => dottedQuad.test(v) || hostname.test(v),
    "must be an IPv4 address or a DNS hostname",
  );

export const port = z
  .number()
  .int("must be a whole number")
  .min(1, "must be 1..65535")
  .max(65535, "must be 1..65535");

export const mtu = z
  .number()
  .int("must be a whole number")
  .min(576, "must be 576..9216")
  .max(9216, "must be 576..9216");

export const imageRef = z
  .string()
  .regex(
    imageSource,
    "must be an http(s):// or file:// URL or an absolute local path to a qcow2/raw image",
  );

/** Kubernetes minor version, e.g. "1.32" (kubeadm/kubelet are pinned to it). */
export const k8sMinor = z
  .string()
  .regex(/^1\.(2[6-9]|3[0-9])$/, 'must be a Kubernetes minor version 1.26..1.39, like "1.32"');

export const chartVersion = z
  .string()
  .regex(/^v?\d+\.\d+\.\d+(-[0-9A-Za-z.-]+)?$/, "must be a chart version like 1.17.4");

export const url = z.string().regex(new RegExp(`^https?://${urlBody}$`), "must be an http(s) URL");
