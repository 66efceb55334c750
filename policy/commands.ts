// Every remote command undoes what it did: `pulumi destroy` runs its `delete`. A command with
// none leaves its changes on the host after destroy, so only commands that change nothing may
// go without: read-only commands, named in the policy config by resource-name suffix.
//
// Why a name suffix: the read-only commands today are KubeadmCluster's `<cluster>-kubeconfig`
// (components/kubernetes/cluster.ts: it only cats admin.conf, so it has no delete on purpose)
// and the `<machine>-host-key` / `host-<host>-vm-host-keys` steps that learn SSH host keys once
// (ssh-keyscan, host-key.ts).
// The name is what a component controls and a reader sees in `pulumi preview`; a new read-only
// command is one line in the policy config, reviewed like any other change.
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { at, snapshot, UNKNOWN } from "./props";

export interface CommandPolicyConfig {
  /** Resource-name suffixes of commands that change nothing on the host. */
  readOnlyCommands?: string[];
}

/**
 * KubeadmCluster's `<cluster>-kubeconfig` reads /etc/kubernetes/admin.conf; `-host-key` and
 * `-host-keys` steps run ssh-keyscan (components/ssh/host-key.ts). None changes anything.
 */
export const DEFAULT_READ_ONLY_COMMANDS: readonly string[] = [
  "-kubeconfig",
  "-host-key",
  "-host-keys",
];

export const COMMAND_TYPES: readonly string[] = ["command:remote:Command", "command:local:Command"];

/** Why this command breaks the rule, or undefined when it does not. */
export function missingDelete(
  args: Pick<ResourceValidationArgs, "type" | "name" | "props">,
  config: CommandPolicyConfig,
): string | undefined {
  if (!COMMAND_TYPES.includes(args.type)) return undefined;
  const props = snapshot(args.props);
  const del = at(props, "delete");
  if (del === UNKNOWN || (typeof del === "string" && del.trim() !== "")) return undefined;
  const readOnly = config.readOnlyCommands ?? DEFAULT_READ_ONLY_COMMANDS;
  if (readOnly.some((suffix) => args.name.endsWith(suffix))) return undefined;
  return (
    `${args.type} ${args.name} has no delete: pulumi destroy would leave what its create did on the host. ` +
    "Give it a delete that undoes the create, or, if it only reads, add a suffix of its name to " +
    "readOnlyCommands in the policy config"
  );
}

export const commandsHaveDelete: ResourceValidationPolicy = {
  name: "remote-commands-have-delete",
  description:
    "Every command has a delete that undoes its create, except read-only commands named in readOnlyCommands.",
  enforcementLevel: "mandatory",
  configSchema: {
    properties: {
      readOnlyCommands: {
        type: "array",
        items: { type: "string" },
        default: [...DEFAULT_READ_ONLY_COMMANDS],
        description: "Resource-name suffixes of read-only commands (no delete needed).",
      },
    },
  },
  validateResource: (args, reportViolation) => {
    const why = missingDelete(args, args.getConfig<CommandPolicyConfig>());
    if (why) reportViolation(why);
  },
};
