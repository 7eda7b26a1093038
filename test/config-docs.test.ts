import { readFileSync } from "fs";
import { describe, expect, it } from "vitest";
import YAML from "yaml";
import { CONFIG_KEYS } from "../components/config";
import { projectConfigBlock, PULUMI_YAML, README, withConfigTable } from "../scripts/pulumi-yaml";

describe("generated config documentation (npm run gen:config-docs)", () => {
    it("Pulumi.yaml declares every key that has a default, with the program's type, description and default", () => {
        const declared = YAML.parse(readFileSync(PULUMI_YAML, "utf8")).config;
        expect(declared).toEqual(projectConfigBlock());
        for (const k of CONFIG_KEYS) {
            // A declared key without a default is one the CLI requires on every stack.
            expect(declared[k.key] === undefined, k.key).toBe(k.default === undefined);
            if (declared[k.key]) expect(declared[k.key].default, k.key).toEqual(k.default);
        }
    });

    it("README.md's config table is current", () => {
        const readme = readFileSync(README, "utf8");
        expect(withConfigTable(readme)).toBe(readme);
    });

    it("the stack files set only declared keys", () => {
        const known = new Set(CONFIG_KEYS.map((k) => `aiida-emqx:${k.key}`));
        for (const stack of ["dev", "prod"]) {
            const config = YAML.parse(readFileSync(PULUMI_YAML.replace("Pulumi.yaml", `Pulumi.${stack}.yaml`), "utf8")).config;
            expect(Object.keys(config).filter((k) => k.startsWith("aiida-emqx:") && !known.has(k))).toEqual([]);
        }
    });
});
