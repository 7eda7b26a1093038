// The pack against the real program: index.ts runs under Pulumi mocks with a stack's committed
// config (as test/program.test.ts does), and every registered resource goes through every
// resource policy with its inputs as the engine would send them (secrets still wrapped).
// The dev and prod stacks must pass every mandatory policy; a deliberately insecure config
// that the program's own validation accepts must not.
import { describe, expect, it } from "vitest";
import type { ResourceValidationPolicy } from "@pulumi/policy";
import { policies } from "../../policy/policies";
import { runIndexUnderMocks } from "../support/pulumi-mocks";
import { runResourcePolicy } from "./harness";

async function registeredResources(stack: string, extra: Record<string, string> = {}) {
    return (await runIndexUnderMocks(stack, { extra })).run.resources;
}

interface Finding {
    policy: string;
    level: string;
    resource: string;
    message: string;
}

async function analyze(stack: string, extra: Record<string, string> = {}): Promise<Finding[]> {
    const resources = await registeredResources(stack, extra);
    const findings: Finding[] = [];
    for (const policy of policies) {
        if (!("validateResource" in policy)) {
            continue;
        }
        for (const r of resources) {
            const outcome = await runResourcePolicy(policy as ResourceValidationPolicy, { type: r.type, name: r.name, inputs: r.rawInputs });
            expect(outcome.unknownDuringPreview, `${policy.name} on ${r.name}`).toBeUndefined();
            for (const message of outcome.violations) {
                findings.push({ policy: policy.name, level: policy.enforcementLevel ?? "advisory", resource: r.name, message });
            }
        }
    }
    return findings;
}

describe("the policy pack on the program's resources (Pulumi mocks)", () => {
    it.each(["dev", "prod"])("passes the %s stack without any violation", async (stack) => {
        expect(await analyze(stack)).toEqual([]);
    });

    it("fails an insecure stack config, listing the mandatory violations", async () => {
        const findings = await analyze("prod", {
            dashboardBindAddress: "0.0.0.0",
            databaseRoleConnectionLimit: "500",
            tlsServerValidityDays: "800",
        });
        const mandatory = findings.filter((f) => f.level === "mandatory").map((f) => `${f.policy} (${f.resource})`);
        expect(mandatory).toEqual(["emqx-dashboard-not-public (broker-emqx)", "emqx-db-role-least-privilege (database-acl-schema)"]);
        expect(findings.filter((f) => f.level === "advisory").map((f) => f.policy)).toEqual(["certificate-validity"]);
    });
});
