// The aiida-emqx policy pack: `pulumi preview --policy-pack policy` (from the project root).
// Policies and their documentation: ./policies.ts and docs/policies.md.
import { PolicyPack } from "@pulumi/policy";
import { PACK_NAME, policies } from "./policies";

new PolicyPack(PACK_NAME, {
    description: "AIIDA's EMQX broker deployment: TLS, exposure, broker and database least privilege, pinned images, secrets hygiene.",
    enforcementLevel: "advisory",
    policies,
});
