import parseHocon from "@pushcorn/hocon-parser";
import { readFileSync, writeFileSync } from "fs";
import { join } from "path";
import { describe, expect, it } from "vitest";
import {
    BROKER_PATHS,
    brokerConfigDocument,
    renderBootstrapUsers,
    renderBrokerConfig,
    renderBrokerSecrets,
} from "../components/broker-config";
import { AIIDA_MQTT_USER, stableBcryptHash } from "../components/broker";
import { validateConfig } from "../components/config";
import { HoconError, HoconObject, quoteString, renderHocon } from "../components/hocon";
import { brokerConfigModel } from "../components/stack";
import { rawConfigFromStackFile } from "../scripts/render";
import bcrypt from "bcryptjs";

const GOLDEN = join(__dirname, "golden");
const INCLUDE_LINE = `include required("${BROKER_PATHS.secretsConfig}")\n`;

const modelFor = (stack: string) => brokerConfigModel(validateConfig(rawConfigFromStackFile(stack), { opaqueSecrets: true }).settings);

/** Parses HOCON with an independent parser (the include is checked separately: its file lives in the container). */
async function parse(text: string): Promise<unknown> {
    return parseHocon({ text: text.replace(INCLUDE_LINE, ""), strict: true });
}

const NASTY = [
    'q"w\\e${r}#t//y ü',
    "p\"a\\ss${x}#//ü w",
    "${username}",
    "tab\there\nnew line\rcr\bbs\fff",
    "a // not a comment # nor this",
    "Grüße aus Köln – ∑ 🚀",
    "trailing backslash \\",
    '""',
    "",
];

describe("the broker config renderer", () => {
    it.each(["dev", "prod"])("renders the %s stack exactly as the golden file (UPDATE_GOLDEN=1 rewrites it)", (stack) => {
        const rendered = renderBrokerConfig(modelFor(stack));
        const file = join(GOLDEN, `${stack}.emqx.conf`);
        if (process.env.UPDATE_GOLDEN) writeFileSync(file, rendered);
        expect(rendered).toBe(readFileSync(file, "utf8"));
    });

    it.each(["dev", "prod"])("round-trips the %s config through an independent HOCON parser", async (stack) => {
        const model = modelFor(stack);
        const rendered = renderBrokerConfig(model);
        expect(rendered.endsWith(INCLUDE_LINE)).toBe(true);
        expect(await parse(rendered)).toEqual(JSON.parse(JSON.stringify(brokerConfigDocument(model))));
    });

    it("is deterministic: the same model renders the same bytes", () => {
        expect(renderBrokerConfig(modelFor("dev"))).toBe(renderBrokerConfig(modelFor("dev")));
    });

    it("reproduces AIIDA's authentication chain and authorization", async () => {
        const doc = (await parse(renderBrokerConfig(modelFor("dev")))) as any;
        expect(doc.authentication.map((a: any) => a.backend)).toEqual(["postgresql", "built_in_database"]);
        expect(doc.authentication[0].query).toBe("SELECT password AS password_hash FROM public.data_source_mqtt_user WHERE username = ${username} LIMIT 1");
        expect(doc.authentication[0].password_hash_algorithm).toEqual({ name: "bcrypt" });
        expect(doc.authentication[0].password).toBe(`file://${BROKER_PATHS.databasePassword}`);
        expect(doc.authentication[1]).toMatchObject({ bootstrap_type: "hash", bootstrap_file: BROKER_PATHS.bootstrapUsers, user_id_type: "username" });
        expect(doc.authorization).toMatchObject({ no_match: "deny", deny_action: "ignore", cache: { enable: true, max_size: 32, ttl: "1m" } });
        expect(doc.authorization.sources).toHaveLength(1);
        expect(doc.authorization.sources[0].query).toBe("SELECT LOWER(action) AS action, LOWER(acl_type) AS permission, topic FROM public.data_source_mqtt_acl WHERE username = ${username}");
        expect(doc.listeners.ssl.default.ssl_options.certfile).toBe(BROKER_PATHS.serverCert);
        expect(doc.listeners.ws.default.enable).toBe(false);
        expect(doc.node).toEqual({ name: "emqx@emqx.aiida.internal", data_dir: "data" });
    });

    it("uses only keys EMQX 5.8.6's schema accepts (an unknown one stops the boot)", async () => {
        // Leaf paths from emqx-example.conf (checked with 5.8.6's schema) plus the keys read in
        // the 5.8.6 schema modules; array indexes are written as [].
        const known = new Set([
            "node.name", "node.data_dir", "cluster.name", "cluster.discovery_strategy",
            "log.console.enable", "log.console.level", "log.file.enable",
            "dashboard.listeners.http.bind", "dashboard.default_username",
            "listeners.tcp.default.bind", "listeners.tcp.default.enable_authn",
            "listeners.ssl.default.bind", "listeners.ssl.default.enable_authn",
            ...["certfile", "keyfile", "cacertfile", "verify", "versions[]"].map((k) => `listeners.ssl.default.ssl_options.${k}`),
            "listeners.ws.default.enable", "listeners.wss.default.enable",
            ...["mechanism", "backend", "enable", "server", "database", "username", "password", "pool_size", "disable_prepared_statements", "query", "password_hash_algorithm.name", "ssl.enable", "ssl.verify", "ssl.cacertfile", "ssl.server_name_indication", "user_id_type", "password_hash_algorithm.salt_rounds", "bootstrap_file", "bootstrap_type"].map((k) => `authentication[].${k}`),
            "authorization.no_match", "authorization.deny_action", "authorization.cache.enable", "authorization.cache.max_size", "authorization.cache.ttl",
            ...["type", "enable", "server", "database", "username", "password", "pool_size", "query", "ssl.enable", "ssl.verify", "ssl.cacertfile", "ssl.server_name_indication"].map((k) => `authorization.sources[].${k}`),
            "api_key.bootstrap_file",
        ]);
        const leaves = (value: unknown, path: string): string[] =>
            Array.isArray(value)
                ? value.flatMap((v) => leaves(v, `${path}[]`))
                : typeof value === "object" && value !== null
                  ? Object.entries(value).flatMap(([k, v]) => leaves(v, path ? `${path}.${k}` : k))
                  : [path];
        for (const stack of ["dev", "prod"]) {
            const unknown = [...new Set(leaves(await parse(renderBrokerConfig(modelFor(stack))), ""))].filter((p) => !known.has(p));
            expect(unknown).toEqual([]);
        }
    });
});

describe("HOCON quoting", () => {
    it.each(NASTY.map((s) => [s]))("round-trips %j as a value and as a key", async (value) => {
        const doc: HoconObject = { outer: { value, list: [value, "x"] }, [value || "empty"]: value };
        expect(await parse(renderHocon(doc))).toEqual(JSON.parse(JSON.stringify(doc)));
    });

    it("round-trips secrets with quotes, backslashes, ${, #, // and non-ASCII in secrets.hocon", async () => {
        const secrets = { nodeCookie: "Cookie_0123456789", dashboardPassword: NASTY[0] };
        expect(await parse(renderBrokerSecrets(secrets))).toEqual({ node: { cookie: secrets.nodeCookie }, dashboard: { default_password: secrets.dashboardPassword } });
    });

    it("keeps ${...} literal inside quotes instead of making it a substitution", () => {
        expect(renderHocon({ q: "${username}" })).toBe('q = "${username}"\n');
    });

    it.each([["\u0001"], ["\u2028"], ["\u2029"], ["\u007f"]])("refuses %j, which EMQX's parser cannot carry, without echoing the value", (ch) => {
        expect(() => quoteString(`secret${ch}`, "dashboard.default_password")).toThrowError(HoconError);
        expect(() => quoteString(`secret${ch}`, "dashboard.default_password")).toThrowError(/dashboard\.default_password/);
        try {
            quoteString(`secret${ch}`, "x");
        } catch (err) {
            expect((err as Error).message).not.toContain("secret");
        }
    });

    it("quotes keys that are not plain words", () => {
        expect(renderHocon({ "a.b": 1, plain_key: 2 })).toBe('"a.b" = 1\nplain_key = 2\n');
    });
});

describe("the bootstrap file", () => {
    const salt = "00112233445566778899aabbccddeeff";

    it("holds a bcrypt hash that verifies, never the password", () => {
        const password = "correct-horse-battery-staple";
        const text = renderBootstrapUsers([{ userId: AIIDA_MQTT_USER, passwordHash: stableBcryptHash(password, salt), isSuperuser: true }]);
        expect(text).not.toContain(password);
        const [entry] = JSON.parse(text);
        expect(Object.keys(entry).sort()).toEqual(["is_superuser", "password_hash", "user_id"]);
        expect(bcrypt.compareSync(password, entry.password_hash)).toBe(true);
        expect(bcrypt.compareSync("wrong", entry.password_hash)).toBe(false);
    });

    it("is stable for the same password and salt, and changes with either", () => {
        expect(stableBcryptHash("pw-one-000000000", salt)).toBe(stableBcryptHash("pw-one-000000000", salt));
        expect(stableBcryptHash("pw-two-000000000", salt)).not.toBe(stableBcryptHash("pw-one-000000000", salt));
        expect(stableBcryptHash("pw-one-000000000", "ffeeddccbbaa99887766554433221100")).not.toBe(stableBcryptHash("pw-one-000000000", salt));
    });

    it("refuses anything but a bcrypt hash", () => {
        expect(() => renderBootstrapUsers([{ userId: "aiida", passwordHash: "plaintext", isSuperuser: true }])).toThrowError(/not a bcrypt hash/);
    });
});
