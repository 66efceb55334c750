// No security group rule open to the whole internet (0.0.0.0/0 or ::/0, or no remote at all,
// which Neutron reads as "from anywhere"), except the ports the policy config allows.
//
// labfabric opens rules from the cluster's own group, from nodes outside OpenStack and from
// `openstack.adminCidr`. The only way a lab asks for a world-open port is
// `openstack.extraIngress` with cidr 0.0.0.0/0; this policy wants that decision made twice:
// once in the stack config and once in the policy config (`allowedWorldOpen`), so a typo in an
// admin CIDR ("0.0.0.0/0") or an extraIngress entry cannot publish SSH or the API server.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { at, snapshot, UNKNOWN } from "./props";

export interface WorldOpenPort {
  protocol: "tcp" | "udp";
  port: number;
}

export interface IngressPolicyConfig {
  /** Ports that may be open to 0.0.0.0/0 (each also needs an openstack.extraIngress entry). */
  allowedWorldOpen?: WorldOpenPort[];
}

export const SECURITY_GROUP_RULE = "openstack:networking/secGroupRule:SecGroupRule";

/** A CIDR that covers every address: prefix length 0. */
export function isWorld(cidr: string): boolean {
  return /\/0+$/.test(cidr.trim());
}

export function worldOpenRule(
  args: Pick<ResourceValidationArgs, "type" | "name" | "props">,
  config: IngressPolicyConfig,
): string | undefined {
  if (args.type !== SECURITY_GROUP_RULE) return undefined;
  const props = snapshot(args.props);
  const direction = at(props, "direction");
  if (direction !== "ingress") return undefined; // egress, or unknown (never computed here)
  const prefix = at(props, "remoteIpPrefix");
  const group = at(props, "remoteGroupId");
  if (prefix === UNKNOWN || group === UNKNOWN) return undefined;
  const fromGroup = typeof group === "string" && group !== "";
  const hasPrefix = typeof prefix === "string" && prefix !== "";
  if (fromGroup || (hasPrefix && !isWorld(prefix))) return undefined;
  const protocol = at(props, "protocol");
  const min = at(props, "portRangeMin");
  const max = at(props, "portRangeMax");
  const allowed = (config.allowedWorldOpen ?? []).some(
    (a) =>
      a.protocol === protocol &&
      typeof min === "number" &&
      min === a.port &&
      (max === undefined || max === a.port),
  );
  if (allowed) return undefined;
  const ports =
    typeof min !== "number"
      ? "all"
      : typeof max === "number" && max !== min
        ? `${min}-${max}`
        : `${min}`;
  const what = typeof protocol === "string" && protocol !== "" ? protocol : "every protocol";
  const from = hasPrefix ? `from ${prefix}` : "with no remote (Neutron reads it as from anywhere)";
  return (
    `${args.name}: ingress ${what} port ${ports} ${from} opens the lab to the whole internet. ` +
    "Fix: restrict it to labfabric:openstack.adminCidr, or, if this port must be public, keep it in " +
    "openstack.extraIngress and add {protocol, port} to allowedWorldOpen in the policy config"
  );
}

export const noWorldOpenIngress: ResourceValidationPolicy = {
  name: "no-world-open-ingress",
  description:
    "No security group rule admits 0.0.0.0/0 or ::/0 except the ports listed in allowedWorldOpen (default: none).",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      allowedWorldOpen: {
        type: "array",
        default: [],
        items: {
          type: "object",
          properties: {
            protocol: { type: "string", enum: ["tcp", "udp"] },
            port: { type: "integer", minimum: 1, maximum: 65535 },
          },
          required: ["protocol", "port"],
        },
        description:
          "Ports that may be open to the world (each also an openstack.extraIngress entry).",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const why = worldOpenRule(args, args.getConfig<IngressPolicyConfig>());
    if (why) reportViolation(why);
  },
};
