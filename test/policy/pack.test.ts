// The pack as a whole: names, enforcement levels and configSchemas as the CLI will see them.
import * as fs from "fs";
import * as path from "path";
import * as protoutilModule from "@pulumi/policy/protoutil";
import type { PolicyPackArgs } from "@pulumi/policy";
import { describe, expect, it } from "vitest";
import { parse as parseYaml } from "yaml";
import { PACK_NAME, policies } from "../../policy/policies";
import { validateAgainst } from "./harness";

const protoutil = protoutilModule as unknown as {
    makeAnalyzerInfo(name: string, version: string, level: string, args: PolicyPackArgs, initialConfig?: object): { toObject(): unknown };
};

describe("the policy pack", () => {
    it("has unique, valid policy names and a valid pack name", () => {
        const names = policies.map((p) => p.name);
        expect(new Set(names).size).toBe(names.length);
        for (const n of [...names, PACK_NAME]) {
            expect(n).toMatch(/^[a-zA-Z0-9-_.]{1,100}$/);
        }
        expect(names).not.toContain("all");
    });
    it("sets an explicit enforcement level on every policy: mandatory for leaks, advisory for hygiene", () => {
        const levels = Object.fromEntries(policies.map((p) => [p.name, p.enforcementLevel]));
        expect(Object.values(levels).every((l) => l === "mandatory" || l === "advisory")).toBe(true);
        expect(levels["docker-image-pinned"]).toBe("advisory");
        expect(levels["container-healthcheck"]).toBe("advisory");
        expect(levels["emqx-node-cookie-not-default"]).toBe("mandatory");
        expect(levels["stack-config-no-plaintext-secrets"]).toBe("mandatory");
    });
    it("has a configSchema on every policy whose defaults validate against it", () => {
        for (const p of policies) {
            expect(p.configSchema, p.name).toBeDefined();
            const props = p.configSchema!.properties;
            expect(Object.keys(props)).not.toContain("enforcementLevel");
            for (const [key, schema] of Object.entries(props)) {
                expect(schema.description, `${p.name}.${key}`).toBeTruthy();
                if (schema.default !== undefined) {
                    expect(validateAgainst(schema as never, schema.default, `${p.name}.${key}`)).toEqual([]);
                }
            }
            for (const r of p.configSchema!.required ?? []) {
                expect(Object.keys(props)).toContain(r);
            }
        }
    });
    it("serializes into the AnalyzerInfo the CLI reads (GetAnalyzerInfo)", () => {
        const info = protoutil.makeAnalyzerInfo(PACK_NAME, "0.1.0", "advisory", { policies }).toObject() as { policiesList: { name: string; configschema?: unknown }[] };
        expect(info.policiesList.map((p) => p.name)).toEqual(policies.map((p) => p.name));
        expect(info.policiesList.every((p) => p.configschema !== undefined)).toBe(true);
    });
    it("has the files `pulumi preview --policy-pack policy` needs", () => {
        const dir = path.join(__dirname, "../../policy");
        const manifest = parseYaml(fs.readFileSync(path.join(dir, "PulumiPolicy.yaml"), "utf8")) as { runtime: { name: string } };
        expect(manifest.runtime.name).toBe("nodejs");
        const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as { version: string; dependencies?: object };
        expect(pkg.version).toMatch(/^\d+\.\d+\.\d+$/);
        expect(pkg.dependencies).toBeUndefined();
    });
    it("ships an example config that validates against the schemas", () => {
        const example = JSON.parse(fs.readFileSync(path.join(__dirname, "../../policy/config.example.json"), "utf8")) as Record<string, Record<string, unknown>>;
        for (const [policyName, config] of Object.entries(example)) {
            const p = policies.find((x) => x.name === policyName);
            expect(p, policyName).toBeDefined();
            for (const [key, value] of Object.entries(config)) {
                if (key === "enforcementLevel") {
                    expect(["advisory", "mandatory", "disabled"]).toContain(value);
                    continue;
                }
                const schema = p!.configSchema!.properties[key];
                expect(schema, `${policyName}.${key}`).toBeDefined();
                expect(validateAgainst(schema as never, value, `${policyName}.${key}`)).toEqual([]);
            }
        }
    });
});
