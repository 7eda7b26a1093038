// `npm run render -- <stack> [--out <dir>]`: writes the files the broker container would
// receive for a stack, without deploying anything and without Pulumi state. emqx.conf holds
// no secret, so it is byte-identical to the deployed one; files whose content comes from
// secrets in state are written as labelled placeholders; MANIFEST.txt lists every file with
// its path in the container, owner and mode.
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "fs";
import { join, resolve } from "path";
import YAML from "yaml";
import { BROKER_PATHS, brokerFiles, formatBootstrapUsers, renderApiKeys, renderBrokerConfig, renderBrokerSecrets } from "../components/broker-config";
import { AIIDA_MQTT_USER, BROKER_API_KEY } from "../components/broker";
import { CONFIG_KEYS, ConfigValidationError, PROJECT, RawConfig, validateConfig } from "../components/config";
import { brokerConfigModel } from "../components/stack";

const ROOT = resolve(__dirname, "..");

/** Reads Pulumi.<stack>.yaml into raw strings as the Pulumi engine would pass them. */
export function rawConfigFromStackFile(stack: string, root = ROOT): RawConfig {
    const file = join(root, `Pulumi.${stack}.yaml`);
    if (!existsSync(file)) {
        throw new Error(`no stack file ${file}: name a stack that has a Pulumi.<stack>.yaml`);
    }
    const doc = (YAML.parse(readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
    const values: Record<string, string> = {};
    const secretKeys = new Set<string>();
    for (const [fullKey, value] of Object.entries(doc.config ?? {})) {
        if (!fullKey.startsWith(`${PROJECT}:`)) {
            continue; // provider config such as docker:host
        }
        const key = fullKey.slice(PROJECT.length + 1);
        if (value !== null && typeof value === "object" && !Array.isArray(value) && "secure" in value) {
            secretKeys.add(key);
            values[key] = "encrypted-in-stack-file";
        } else {
            values[key] = typeof value === "string" ? value : JSON.stringify(value);
        }
    }
    return { stack, values, secretKeys };
}

// No ':' inside: the API key file's format is key:secret:role.
const placeholder = (what: string) => `<${what}, written at deploy from the stack's state>`;

export function renderStackFiles(stack: string, outDir: string, root = ROOT): string[] {
    const { settings } = validateConfig(rawConfigFromStackFile(stack, root), { opaqueSecrets: true });
    const files = brokerFiles<string>({
        config: renderBrokerConfig(brokerConfigModel(settings)),
        secretsConfig: renderBrokerSecrets({ nodeCookie: placeholder("node cookie"), dashboardPassword: placeholder("dashboard password") }),
        bootstrapUsers: formatBootstrapUsers([{ userId: AIIDA_MQTT_USER, passwordHash: placeholder("bcrypt hash of the aiida MQTT password"), isSuperuser: true }]),
        apiKeys: renderApiKeys([{ key: BROKER_API_KEY, secret: placeholder("API key secret") }]),
        databasePassword: `${placeholder("emqx role password")}\n`,
        caCert: `${placeholder(settings.tls.mode === "supplied" ? "tlsCaCertificate" : "generated CA certificate")}\n`,
        serverCert: `${placeholder("server certificate for " + settings.tls.dnsNames.concat(settings.tls.ipAddresses).join(", "))}\n`,
        serverKey: `${placeholder("server private key")}\n`,
        databaseCaCert: settings.database.sslMode.startsWith("verify") ? settings.database.sslRootCertPem : undefined,
    });
    const written: string[] = [];
    const exact = (f: (typeof files)[number]) => f.path === BROKER_PATHS.config || f.path === BROKER_PATHS.databaseCaCert;
    const manifest = ["# container path | owner:group | mode | content", ...files.map((f) => `${f.path} | ${f.owner}:${f.owner} | ${f.mode} | ${exact(f) ? "exact" : "placeholder"}`)];
    mkdirSync(outDir, { recursive: true });
    for (const f of files) {
        const target = join(outDir, f.path.replace(/^\/opt\/emqx\//, ""));
        mkdirSync(join(target, ".."), { recursive: true });
        writeFileSync(target, f.content);
        written.push(target);
    }
    writeFileSync(join(outDir, "MANIFEST.txt"), manifest.join("\n") + "\n");
    written.push(join(outDir, "MANIFEST.txt"));
    return written;
}

if (require.main === module) {
    const args = process.argv.slice(2);
    const stack = args.find((a) => !a.startsWith("--"));
    const outIndex = args.indexOf("--out");
    if (!stack) {
        console.error("usage: npm run render -- <stack> [--out <dir>]   (default dir: rendered/<stack>)");
        process.exit(2);
    }
    const outDir = resolve(outIndex >= 0 ? args[outIndex + 1] : join(ROOT, "rendered", stack));
    try {
        for (const file of renderStackFiles(stack, outDir)) {
            console.log(`wrote ${file}`);
        }
        console.log(`(${CONFIG_KEYS.length} config keys validated for stack ${stack}; nothing was deployed)`);
    } catch (err) {
        console.error(err instanceof ConfigValidationError ? err.message : `render failed: ${(err as Error).message}`);
        process.exit(1);
    }
}
