// `pulumi preview --policy-pack policy`: the labfabric policy pack (policy/README.md).
// Constructing the PolicyPack starts its gRPC server: tests import ./policies instead.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, { policies, enforcementLevel: "mandatory" });
