import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it, vi } from "vitest";
import { CONFIG_KEYS, ConfigValidationError, PROJECT, validateConfig } from "../components/config";
import { installMocks } from "./support/pulumi-mocks";

// Distinctive secret values: none of them may ever appear in an error message.
const SECRET_A = "S3cr3t-Value-Never-Shown-aaaa";
const SECRET_B = "An0ther-Secret-Never-Shown-bb";

interface BadCase {
    readonly name: string;
    readonly values: Record<string, string>;
    readonly secretKeys?: string[];
    /** The key the error must name, and words of the fix it must give. */
    readonly key: string;
    readonly fix: RegExp;
}

const PEM_KEY_SECRET = `-----BEGIN PRIVATE KEY-----\n${SECRET_A}\n-----END PRIVATE KEY-----`;

const BAD: BadCase[] = [
    { name: "port out of range", values: { mqttTlsPort: "70000" }, key: "mqttTlsPort", fix: /1 to 65535/ },
    { name: "port not a number", values: { dashboardPort: "eighty" }, key: "dashboardPort", fix: /whole number/ },
    { name: "two services on one host port", values: { mqttTlsPort: "18084" }, key: "dashboardPort", fix: /its own number/ },
    { name: "database host port collides", values: { mqttPlainPublishPort: "5433" }, key: "mqttPlainPublishPort", fix: /its own number/ },
    { name: "bind address is a host name", values: { dashboardBindAddress: "localhost" }, key: "dashboardBindAddress", fix: /127\.0\.0\.1/ },
    { name: "broker host name without a dot", values: { brokerHostname: "emqx" }, key: "brokerHostname", fix: /emqx\.aiida\.internal/ },
    { name: "unknown database mode", values: { databaseMode: "cloud" }, key: "databaseMode", fix: /container, external/ },
    { name: "unpinned image", values: { emqxImage: "emqx/emqx:latest" }, key: "emqxImage", fix: /exact tag/ },
    { name: "image without a tag", values: { databaseImage: "timescale/timescaledb" }, key: "databaseImage", fix: /exact tag/ },
    { name: "plaintext password in config", values: { mqttPassword: SECRET_A }, key: "mqttPassword", fix: /--secret/ },
    { name: "short secret password", values: { dashboardPassword: "short" }, secretKeys: ["dashboardPassword"], key: "dashboardPassword", fix: /16-256/ },
    { name: "cookie with characters bin/emqx cannot pass", values: { nodeCookie: `${SECRET_B} x y` }, secretKeys: ["nodeCookie"], key: "nodeCookie", fix: /A-Za-z0-9_-/ },
    { name: "external mode without host", values: { databaseMode: "external", databaseAdminPassword: SECRET_A }, secretKeys: ["databaseAdminPassword"], key: "databaseHost", fix: /required/ },
    { name: "external mode without admin password", values: { databaseMode: "external", databaseHost: "db.example.org" }, key: "databaseAdminPassword", fix: /--secret/ },
    { name: "external-only key in container mode", values: { databaseHost: "db.example.org" }, key: "databaseHost", fix: /databaseMode external/ },
    { name: "verify-full without a CA", values: { databaseMode: "external", databaseHost: "db.example.org", databaseAdminPassword: SECRET_B, databaseSslMode: "verify-full" }, secretKeys: ["databaseAdminPassword"], key: "databaseSslRootCert", fix: /verify-full/ },
    { name: "RSA key too small", values: { tlsKeyAlgorithm: "RSA", tlsRsaBits: "2048" }, key: "tlsRsaBits", fix: /3072 to 8192/ },
    { name: "early renewal after expiry", values: { tlsServerValidityDays: "30", tlsEarlyRenewalDays: "45" }, key: "tlsEarlyRenewalDays", fix: /less than/ },
    { name: "supplied TLS without the key", values: { tlsMode: "supplied", tlsCaCertificate: "-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----", tlsServerCertificate: "-----BEGIN CERTIFICATE-----\ny\n-----END CERTIFICATE-----" }, key: "tlsServerPrivateKey", fix: /required/ },
    { name: "supplied key in plaintext", values: { tlsMode: "supplied", tlsServerPrivateKey: PEM_KEY_SECRET }, key: "tlsServerPrivateKey", fix: /--secret/ },
    { name: "connection limit below the broker's pools", values: { brokerPoolSize: "16", databaseRoleConnectionLimit: "20" }, key: "databaseRoleConnectionLimit", fix: /at least 32/ },
    { name: "SQL name with upper case", values: { databaseRoleName: "EMQX" }, key: "databaseRoleName", fix: /lower-case/ },
    { name: "plain MQTT on all interfaces in production", values: { production: "true", mqttPlainPublishPort: "1884", mqttPlainBindAddress: "0.0.0.0" }, key: "mqttPlainBindAddress", fix: /127\.0\.0\.1/ },
    { name: "DNS name list with an IP", values: { tlsDnsNames: '["mqtt.example.org", "10.0.0.1/8"]' }, key: "tlsDnsNames", fix: /tlsIpAddresses/ },
    { name: "misspelt key", values: { mqttTlsPrt: "8883" }, key: "mqttTlsPrt", fix: /spelling/ },
    { name: "bad duration", values: { authzCacheTtl: "one minute" }, key: "authzCacheTtl", fix: /30s, 1m or 1h/ },
    { name: "default dashboard password", values: { dashboardPassword: "public" }, secretKeys: ["dashboardPassword"], key: "dashboardPassword", fix: /16-256/ },
];

/** Runs index.ts under mocks with the given config; returns the error and the resources registered. */
async function deployWith(values: Record<string, string>, secretKeys: string[] = []) {
    pulumi.runtime.setAllConfig(
        Object.fromEntries(Object.entries(values).map(([k, v]) => [`${PROJECT}:${k}`, v])),
        secretKeys.map((k) => `${PROJECT}:${k}`),
    );
    const run = installMocks("dev");
    vi.resetModules();
    let error: unknown;
    try {
        await import("../index");
    } catch (err) {
        error = err;
    }
    await new Promise((r) => setTimeout(r, 20));
    return { error, registered: run.resources.length };
}

describe("bad configuration", () => {
    it("has at least 15 cases", () => {
        expect(BAD.length).toBeGreaterThanOrEqual(15);
    });

    it.each(BAD)("$name: names $key and the fix, hides secrets, registers nothing", async (c) => {
        const { error, registered } = await deployWith(c.values, c.secretKeys);
        // index.ts is re-imported per case, so compare by name rather than class identity.
        expect((error as Error)?.name, String(error)).toBe("ConfigValidationError");
        const message = (error as Error).message;
        const line = message.split("\n").find((l) => l.includes(`${PROJECT}:${c.key}:`));
        expect(line, message).toBeDefined();
        expect(line).toMatch(c.fix);
        for (const key of c.secretKeys ?? []) {
            expect(message).not.toContain(c.values[key]);
        }
        expect(message).not.toContain(SECRET_A);
        expect(message).not.toContain(SECRET_B);
        expect(registered).toBe(0);
    });

    it("reports every problem at once, not just the first", () => {
        try {
            validateConfig({ stack: "dev", values: { mqttTlsPort: "0", databaseMode: "cloud", brokerLogLevel: "loud" }, secretKeys: new Set() });
            expect.unreachable();
        } catch (err) {
            expect(err).toBeInstanceOf(ConfigValidationError);
            expect((err as ConfigValidationError).problems.map((p) => p.split(":")[1]).sort()).toEqual(["brokerLogLevel", "databaseMode", "mqttTlsPort"]);
        }
    });
});

describe("good configuration", () => {
    it("the defaults alone are valid and registers resources", async () => {
        const { error, registered } = await deployWith({});
        expect(error).toBeUndefined();
        expect(registered).toBeGreaterThan(10);
    });

    it("accepts supplied secrets marked secret and uses them instead of generating", () => {
        const { secrets } = validateConfig({ stack: "dev", values: { mqttPassword: SECRET_A, nodeCookie: "Cookie_0123456789abcdef" }, secretKeys: new Set(["mqttPassword", "nodeCookie"]) });
        expect(secrets.mqttPassword).toBe(SECRET_A);
        expect(secrets.nodeCookie).toBe("Cookie_0123456789abcdef");
    });

    it("derives the external-mode defaults: require TLS, broker server from host and port, keep PUBLIC privileges", () => {
        const { settings } = validateConfig({ stack: "prod", values: { databaseMode: "external", databaseHost: "db.example.org", databaseAdminPassword: SECRET_A }, secretKeys: new Set(["databaseAdminPassword"]) });
        expect(settings.database).toMatchObject({ mode: "external", sslMode: "require", brokerServer: "db.example.org:5432", revokePublicPrivileges: false, port: 5432 });
    });

    it("declares every key exactly once", () => {
        const keys = CONFIG_KEYS.map((k) => k.key);
        expect(new Set(keys).size).toBe(keys.length);
    });
});
