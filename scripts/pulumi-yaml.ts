// Pulumi.yaml's `config:` block is generated from CONFIG_KEYS (components/config.ts), so the
// declared types, descriptions and defaults cannot drift from what the program validates.
// `npm run gen:pulumi-yaml` rewrites it; test/pulumi-yaml.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import YAML from "yaml";
import { CONFIG_KEYS } from "../components/config";

export const PULUMI_YAML = join(__dirname, "..", "Pulumi.yaml");

export function projectConfigBlock(): Record<string, unknown> {
    return Object.fromEntries(
        CONFIG_KEYS.map((k) => [
            k.key,
            {
                type: k.type,
                ...(k.type === "array" ? { items: { type: "string" } } : {}),
                description: k.description,
                ...(k.default !== undefined ? { default: k.default } : {}),
                ...(k.secret ? { secret: true } : {}),
            },
        ]),
    );
}

if (require.main === module) {
    const doc = YAML.parseDocument(readFileSync(PULUMI_YAML, "utf8"));
    doc.set("config", projectConfigBlock());
    writeFileSync(PULUMI_YAML, doc.toString({ lineWidth: 0 }));
    console.log(`wrote the config block of ${PULUMI_YAML} (${CONFIG_KEYS.length} keys)`);
}
