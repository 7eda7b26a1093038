// Every policy of the pack, in one list: index.ts serves them, the tests import them from here
// (importing index.ts would start the pack's gRPC server).
import type { Policies } from "@pulumi/policy";
import { brokerPolicies } from "./broker";
import { containerPolicies } from "./containers";
import { databasePolicies } from "./database";
import { imagePolicies } from "./images";
import { secretPolicies } from "./secrets";
import { stackPolicies } from "./stack";

export const PACK_NAME = "aiida-emqx";

export const policies: Policies = [...brokerPolicies, ...imagePolicies, ...containerPolicies, ...databasePolicies, ...secretPolicies, ...stackPolicies];
