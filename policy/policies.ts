// The labfabric policy pack's policies, importable without starting the pack (index.ts does).
import type { Policies } from "@pulumi/policy";
import { commandsHaveDelete } from "./commands";
import { noWorldOpenIngress } from "./ingress";
import { mtuConsistent } from "./mtu";
import { noExposedCredentials, secretsStaySecret } from "./secrets";

export const PACK_NAME = "labfabric";

export const policies: Policies = [
  noWorldOpenIngress,
  secretsStaySecret,
  noExposedCredentials,
  commandsHaveDelete,
  mtuConsistent,
];
