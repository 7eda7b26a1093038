// The stack configuration: every key declared once (CONFIG_KEYS, from which Pulumi.yaml's
// `config:` block and the README table are checked), and a pure validator that turns raw
// config strings into typed settings or one error naming every bad key and its fix.
// Nothing here touches Pulumi resources, so validation runs before any is registered.
import { isIP } from "net";

export const PROJECT = "aiida-emqx";

export type KeyType = "string" | "integer" | "boolean" | "array";

export interface ConfigKeySpec {
    readonly key: string;
    readonly type: KeyType;
    readonly description: string;
    /** Declared in Pulumi.yaml; absent where no safe default exists. */
    readonly default?: string | number | boolean | readonly string[];
    /** Must be stored with `pulumi config set --secret`; never printed. */
    readonly secret?: boolean;
}

export const SSL_MODES = ["disable", "require", "verify-ca", "verify-full"] as const;
export type SslMode = (typeof SSL_MODES)[number];
export const LOG_LEVELS = ["debug", "info", "notice", "warning", "error", "critical", "alert", "emergency"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export const CONFIG_KEYS: readonly ConfigKeySpec[] = [
    // Stack
    { key: "production", type: "boolean", default: false, description: "Marks a production stack: plain MQTT may then only be published on loopback, and the policy pack applies its production rules." },
    { key: "resourcePrefix", type: "string", description: "Prefix of container, volume and network names. Default: aiida-<stack>." },
    { key: "passwordLength", type: "integer", default: 32, description: "Length of every generated password (24-128); characters are [A-Za-z0-9_-], safe in HOCON, env vars and URLs." },
    { key: "deleteDataOnDestroy", type: "boolean", default: false, description: "When true, `pulumi destroy` also drops the ACL tables this program created and deletes the data volumes. Default false: they are retained." },
    // Broker
    { key: "emqxImage", type: "string", default: "emqx/emqx:5.8.6", description: "EMQX image; the generated config targets 5.8.6. Pin a tag or a digest (name@sha256:...)." },
    { key: "brokerHostname", type: "string", default: "emqx.aiida.internal", description: "Stable host part of the EMQX node name and the broker's alias on the stack network. Must contain a dot." },
    { key: "mqttTlsPort", type: "integer", default: 8884, description: "Host port that publishes the MQTT-over-TLS listener for data sources." },
    { key: "mqttTlsBindAddress", type: "string", default: "0.0.0.0", description: "Host address the TLS listener is published on." },
    { key: "mqttPlainPublishPort", type: "integer", description: "Host port for the plain MQTT listener. Unset (default): plain MQTT is reachable only on the stack's Docker network, as AIIDA uses it." },
    { key: "mqttPlainBindAddress", type: "string", default: "127.0.0.1", description: "Host address plain MQTT is published on when mqttPlainPublishPort is set. A production stack allows only loopback." },
    { key: "dashboardPort", type: "integer", default: 18084, description: "Host port of the EMQX dashboard and REST API." },
    { key: "dashboardBindAddress", type: "string", default: "127.0.0.1", description: "Host address the dashboard is published on." },
    { key: "brokerLogLevel", type: "string", default: "warning", description: `EMQX console log level: ${LOG_LEVELS.join(", ")}.` },
    { key: "brokerPoolSize", type: "integer", default: 8, description: "Connections per PostgreSQL pool (EMQX keeps one for authentication and one for authorization), 1-64." },
    { key: "authzCacheMaxSize", type: "integer", default: 32, description: "Authorization cache entries per client (1-65535)." },
    { key: "authzCacheTtl", type: "string", default: "1m", description: "Authorization cache lifetime, an EMQX duration such as 30s, 1m, 5m." },
    { key: "authzDenyAction", type: "string", default: "ignore", description: "What a denied publish/subscribe does: ignore (drop it, client stays connected) or disconnect." },
    { key: "brokerApiUserSync", type: "boolean", default: true, description: "After each deploy, set the built-in `aiida` user's password through EMQX's REST API (on the published dashboard port), so a rotated mqttPassword takes effect; the bootstrap file alone is insert-only." },
    // Credentials
    { key: "mqttPassword", type: "string", secret: true, description: "Password of the built-in `aiida` MQTT user. Default: generated." },
    { key: "dashboardPassword", type: "string", secret: true, description: "Password of the dashboard's `admin` user. Default: generated." },
    { key: "nodeCookie", type: "string", secret: true, description: "Erlang node cookie. Default: generated." },
    { key: "emqxDatabasePassword", type: "string", secret: true, description: "Password of the `emqx` database role. Default: generated." },
    { key: "databaseSuperuserPassword", type: "string", secret: true, description: "Superuser password of the PostgreSQL container (container mode). Default: generated." },
    // TLS
    { key: "tlsMode", type: "string", default: "generated", description: "generated: a CA and server certificate made by this stack; supplied: tlsCaCertificate, tlsServerCertificate and tlsServerPrivateKey." },
    { key: "tlsDnsNames", type: "array", default: ["localhost"], description: "DNS names data sources use to reach the broker (the server certificate's SANs; brokerHostname is always added)." },
    { key: "tlsIpAddresses", type: "array", default: ["127.0.0.1"], description: "IP addresses in the server certificate's SANs." },
    { key: "tlsKeyAlgorithm", type: "string", default: "ECDSA", description: "Key algorithm of the generated CA and server keys: ECDSA (P-256 or P-384) or RSA (>= 3072 bits)." },
    { key: "tlsEcdsaCurve", type: "string", default: "P256", description: "ECDSA curve: P256 or P384." },
    { key: "tlsRsaBits", type: "integer", default: 3072, description: "RSA key size, 3072-8192." },
    { key: "tlsCaValidityDays", type: "integer", default: 3650, description: "Validity of the generated CA certificate in days." },
    { key: "tlsServerValidityDays", type: "integer", default: 397, description: "Validity of the generated server certificate in days." },
    { key: "tlsEarlyRenewalDays", type: "integer", default: 30, description: "A `pulumi up` this many days before a generated certificate expires renews it." },
    { key: "tlsCaCertificate", type: "string", description: "PEM of the operator's CA certificate (tlsMode=supplied)." },
    { key: "tlsServerCertificate", type: "string", description: "PEM of the operator's server certificate, signed by tlsCaCertificate (tlsMode=supplied)." },
    { key: "tlsServerPrivateKey", type: "string", secret: true, description: "PEM of the server certificate's private key (tlsMode=supplied)." },
    // Database
    { key: "databaseMode", type: "string", default: "container", description: "container: run PostgreSQL on the stack network; external: use an existing server (databaseHost ...)." },
    { key: "databaseName", type: "string", default: "aiida", description: "Database that holds AIIDA's ACL tables." },
    { key: "databaseRoleName", type: "string", default: "emqx", description: "Login role EMQX connects as." },
    { key: "databaseRoleConnectionLimit", type: "integer", default: 20, description: "CONNECTION LIMIT of the role; at least 2 x brokerPoolSize." },
    { key: "databaseTablesOwnedByAiida", type: "boolean", default: false, description: "true when AIIDA's own migrations create the ACL tables: the program then only grants on them and fails with instructions until they exist." },
    { key: "databaseImage", type: "string", default: "timescale/timescaledb:2.17.2-pg17", description: "PostgreSQL image (container mode); TimescaleDB on PostgreSQL 17 like AIIDA." },
    { key: "databaseImageUid", type: "integer", default: 70, description: "uid of the postgres user in databaseImage, which must read the uploaded superuser password file: 70 for TimescaleDB and alpine images, 999 for Debian-based ones." },
    { key: "databaseHostPort", type: "integer", default: 5433, description: "Loopback host port of the PostgreSQL container (container mode); the program provisions the role through it." },
    { key: "databaseHost", type: "string", description: "Host name or IP of the external server, as this program reaches it (external mode, required)." },
    { key: "databasePort", type: "integer", default: 5432, description: "Port of the external server." },
    { key: "databaseAdminUser", type: "string", default: "postgres", description: "Administrator the program provisions with (superuser, or owner of the database with CREATEROLE)." },
    { key: "databaseAdminPassword", type: "string", secret: true, description: "Password of databaseAdminUser (external mode, required)." },
    { key: "databaseSslMode", type: "string", description: "TLS to the external server, for the program and the broker: disable, require, verify-ca, verify-full. Default: disable (container), require (external)." },
    { key: "databaseSslRootCert", type: "string", description: "PEM of the CA of the external server's certificate (verify-ca, verify-full)." },
    { key: "databaseBrokerServer", type: "string", description: "host:port the broker uses to reach the external server, when it differs from databaseHost:databasePort (e.g. from inside Docker)." },
    { key: "databaseRevokePublicPrivileges", type: "boolean", description: "Revoke PUBLIC's default CONNECT/TEMPORARY on databases and CREATE on the schema. Default: true (container), false (external: other applications may rely on them)." },
];

export type RawValues = Readonly<Record<string, string | undefined>>;

/** What the program reads from Pulumi config: raw strings plus which keys are secret. */
export interface RawConfig {
    readonly stack: string;
    readonly values: RawValues;
    readonly secretKeys: ReadonlySet<string>;
}

export interface Settings {
    readonly stack: string;
    readonly prefix: string;
    readonly production: boolean;
    readonly passwordLength: number;
    readonly deleteDataOnDestroy: boolean;
    readonly broker: BrokerSettings;
    readonly tls: TlsSettings;
    readonly database: DatabaseSettings;
}

export interface BrokerSettings {
    readonly image: string;
    readonly hostname: string;
    readonly tlsPort: number;
    readonly tlsBindAddress: string;
    readonly plainPublishPort?: number;
    readonly plainBindAddress: string;
    readonly dashboardPort: number;
    readonly dashboardBindAddress: string;
    readonly logLevel: LogLevel;
    readonly poolSize: number;
    readonly authzCacheMaxSize: number;
    readonly authzCacheTtl: string;
    readonly authzDenyAction: "ignore" | "disconnect";
    readonly apiUserSync: boolean;
}

export interface TlsSettings {
    readonly mode: "generated" | "supplied";
    readonly dnsNames: readonly string[];
    readonly ipAddresses: readonly string[];
    readonly keyAlgorithm: "ECDSA" | "RSA";
    readonly ecdsaCurve: "P256" | "P384";
    readonly rsaBits: number;
    readonly caValidityDays: number;
    readonly serverValidityDays: number;
    readonly earlyRenewalDays: number;
    /** Public PEMs (tlsMode=supplied); the private key is in SuppliedSecrets. */
    readonly caCertificatePem?: string;
    readonly serverCertificatePem?: string;
}

export interface DatabaseSettings {
    readonly mode: "container" | "external";
    readonly name: string;
    readonly schema: "public";
    readonly roleName: string;
    readonly roleConnectionLimit: number;
    readonly tablesOwnedByAiida: boolean;
    readonly image: string;
    readonly imageUid: number;
    readonly hostPort: number;
    /** How this program reaches the server. */
    readonly host: string;
    readonly port: number;
    readonly adminUser: string;
    readonly sslMode: SslMode;
    readonly sslRootCertPem?: string;
    /** host:port the broker uses. */
    readonly brokerServer: string;
    readonly revokePublicPrivileges: boolean;
}

/** Secrets the operator supplied; each absent one is generated by the Credentials component. */
export interface SuppliedSecrets {
    readonly mqttPassword?: string;
    readonly dashboardPassword?: string;
    readonly nodeCookie?: string;
    readonly emqxDatabasePassword?: string;
    readonly databaseSuperuserPassword?: string;
    readonly databaseAdminPassword?: string;
    readonly tlsServerPrivateKey?: string;
}

export interface ValidatedConfig {
    readonly settings: Settings;
    readonly secrets: SuppliedSecrets;
}

export class ConfigValidationError extends Error {
    constructor(readonly problems: readonly string[]) {
        super(`Invalid stack configuration (${problems.length} problem${problems.length === 1 ? "" : "s"}); nothing was deployed:\n` + problems.map((p) => `  - ${p}`).join("\n"));
        this.name = "ConfigValidationError";
    }
}

const SPEC_BY_KEY = new Map(CONFIG_KEYS.map((k) => [k.key, k]));

const fullKey = (key: string) => `${PROJECT}:${key}`;

/** The names this program uses for its own containers, networks and volumes. */
const DOCKER_NAME = /^[a-zA-Z0-9][a-zA-Z0-9_.-]{0,62}$/;
const SQL_NAME = /^[a-z_][a-z0-9_]{0,62}$/;
const DNS_NAME = /^(?=.{1,253}$)([a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)(\.[a-zA-Z0-9]([a-zA-Z0-9-]{0,61}[a-zA-Z0-9])?)*$/;
const IMAGE_REF = /^[a-z0-9]+([._-][a-z0-9]+)*(\/[a-z0-9]+([._-][a-z0-9]+)*)*(:[A-Za-z0-9_][A-Za-z0-9_.-]{0,127})?(@sha256:[a-f0-9]{64})?$/;
const DURATION = /^[1-9][0-9]{0,6}(ms|s|m|h)$/;
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;
const PEM_CERT = /^-----BEGIN CERTIFICATE-----[\s\S]+-----END CERTIFICATE-----\s*$/;
const PEM_KEY = /^-----BEGIN (RSA |EC )?PRIVATE KEY-----[\s\S]+-----END (RSA |EC )?PRIVATE KEY-----\s*$/;

/**
 * Validates every key and returns typed settings, or throws ConfigValidationError listing
 * every problem as `aiida-emqx:<key>: <what is wrong>. <how to fix it>`. Secret values are
 * never included in a message.
 */
export function validateConfig(raw: RawConfig, options: { opaqueSecrets?: boolean } = {}): ValidatedConfig {
    const problems: string[] = [];
    const report = (key: string, problem: string, fix: string) => problems.push(`${fullKey(key)}: ${problem}. ${fix}`);
    // Shows a value in an error message, unless it is (or might be) a secret.
    const show = (key: string, value: string) => (SPEC_BY_KEY.get(key)?.secret || raw.secretKeys.has(key) ? "(value hidden)" : JSON.stringify(value));

    for (const key of Object.keys(raw.values)) {
        if (!SPEC_BY_KEY.has(key) && raw.values[key] !== undefined) {
            report(key, "is not a key this program knows", `Remove it (pulumi config rm ${fullKey(key)}) or fix its spelling; the keys are listed in README.md.`);
        }
    }

    const rawOf = (key: string): string | undefined => {
        const value = raw.values[key];
        if (value !== undefined) {
            return value;
        }
        const d = SPEC_BY_KEY.get(key)?.default;
        if (d === undefined) {
            return undefined;
        }
        return Array.isArray(d) ? JSON.stringify(d) : String(d);
    };

    const str = (key: string): string | undefined => {
        const value = rawOf(key);
        if (value !== undefined && value.trim() === "") {
            report(key, "is empty", `Set a value or remove it with pulumi config rm ${fullKey(key)}.`);
            return undefined;
        }
        return value;
    };

    const int = (key: string, min: number, max: number): number | undefined => {
        const value = rawOf(key);
        if (value === undefined) {
            return undefined;
        }
        if (!/^-?[0-9]+$/.test(value.trim()) || Number(value) < min || Number(value) > max) {
            report(key, `must be a whole number from ${min} to ${max}, got ${show(key, value)}`, `Set it with pulumi config set ${fullKey(key)} <${min}-${max}>.`);
            return undefined;
        }
        return Number(value);
    };

    const bool = (key: string): boolean | undefined => {
        const value = rawOf(key);
        if (value === undefined) {
            return undefined;
        }
        if (value !== "true" && value !== "false") {
            report(key, `must be true or false, got ${show(key, value)}`, `Set it with pulumi config set ${fullKey(key)} true|false.`);
            return undefined;
        }
        return value === "true";
    };

    const oneOf = <T extends string>(key: string, allowed: readonly T[]): T | undefined => {
        const value = rawOf(key);
        if (value === undefined) {
            return undefined;
        }
        if (!(allowed as readonly string[]).includes(value)) {
            report(key, `must be one of ${allowed.join(", ")}, got ${show(key, value)}`, `Set it with pulumi config set ${fullKey(key)} ${allowed[0]}.`);
            return undefined;
        }
        return value as T;
    };

    const list = (key: string): string[] | undefined => {
        const value = rawOf(key);
        if (value === undefined) {
            return undefined;
        }
        try {
            const parsed: unknown = JSON.parse(value);
            if (Array.isArray(parsed) && parsed.every((v) => typeof v === "string")) {
                return parsed as string[];
            }
        } catch {
            // reported below
        }
        report(key, "must be a list of strings", `Set it with pulumi config set --path '${fullKey(key)}[0]' <value> (one entry per index).`);
        return undefined;
    };

    const port = (key: string) => int(key, 1, 65535);

    const bindAddress = (key: string): string | undefined => {
        const value = str(key);
        if (value !== undefined && isIP(value) === 0) {
            report(key, `must be an IP address (Docker publishes ports on addresses, not host names), got ${show(key, value)}`, `Use 127.0.0.1 for this machine only, or 0.0.0.0 for every interface.`);
            return undefined;
        }
        return value;
    };

    const image = (key: string): string | undefined => {
        const value = str(key);
        if (value === undefined) {
            return undefined;
        }
        if (!IMAGE_REF.test(value)) {
            report(key, `is not an image reference, got ${show(key, value)}`, "Use repository:tag or repository:tag@sha256:<digest>, e.g. emqx/emqx:5.8.6.");
            return undefined;
        }
        const tag = value.split("@")[0].split("/").pop()!.split(":")[1];
        if (!value.includes("@sha256:") && (tag === undefined || tag === "latest" || tag.startsWith("latest-"))) {
            report(key, `must pin a version, got ${show(key, value)}`, "Name an exact tag (not latest) or a digest, so every deploy runs the same image.");
            return undefined;
        }
        return value;
    };

    const sqlName = (key: string): string | undefined => {
        const value = str(key);
        if (value !== undefined && !SQL_NAME.test(value)) {
            report(key, `must be a lower-case SQL name ([a-z_][a-z0-9_]*, at most 63 characters), got ${show(key, value)}`, "Pick a name such as aiida or emqx.");
            return undefined;
        }
        return value;
    };

    const pem = (key: string, pattern: RegExp, what: string): string | undefined => {
        const value = str(key);
        if (value !== undefined && !pattern.test(value.trim())) {
            report(key, `is not a PEM ${what}`, `Set it from a file: pulumi config set ${SPEC_BY_KEY.get(key)?.secret ? "--secret " : ""}${fullKey(key)} < file.pem.`);
            return undefined;
        }
        return value;
    };

    const secret = (key: string, opts: { pattern?: RegExp; describe?: string } = {}): string | undefined => {
        const value = raw.values[key];
        if (value === undefined) {
            return undefined;
        }
        if (!raw.secretKeys.has(key)) {
            report(key, "is stored in plaintext in the stack config", `Store it encrypted: pulumi config set --secret ${fullKey(key)} (then remove the plaintext from Pulumi.${raw.stack}.yaml and its history).`);
            return undefined;
        }
        if (options.opaqueSecrets) {
            return value; // encrypted in the stack file (render command): its content is not known here
        }
        const pattern = opts.pattern ?? PRINTABLE_ASCII;
        if (value.length < 16 || value.length > 256 || !pattern.test(value)) {
            report(key, `must be 16-256 characters of ${opts.describe ?? "printable ASCII"} (value hidden)`, `Set a stronger value with pulumi config set --secret ${fullKey(key)}, or remove it to have one generated.`);
            return undefined;
        }
        return value;
    };

    // Stack
    const production = bool("production") ?? false;
    let prefix = str("resourcePrefix") ?? `aiida-${raw.stack}`;
    if (!DOCKER_NAME.test(prefix) || prefix.length > 40) {
        report("resourcePrefix", `must be 1-40 characters of [a-zA-Z0-9_.-] starting with a letter or digit, got ${show("resourcePrefix", prefix)}`, `Set it with pulumi config set ${fullKey("resourcePrefix")} aiida-${raw.stack.toLowerCase().replace(/[^a-z0-9]/g, "-").slice(0, 30)}.`);
        prefix = "invalid";
    }
    const passwordLength = int("passwordLength", 24, 128);
    const deleteDataOnDestroy = bool("deleteDataOnDestroy") ?? false;

    // Broker
    const hostname = str("brokerHostname");
    if (hostname !== undefined && (!DNS_NAME.test(hostname) || !hostname.includes("."))) {
        report("brokerHostname", `must be a DNS name containing a dot (EMQX node names need one), got ${show("brokerHostname", hostname)}`, "Use a name such as emqx.aiida.internal.");
    }
    const tlsPort = port("mqttTlsPort");
    const plainPublishPort = port("mqttPlainPublishPort");
    const dashboardPort = port("dashboardPort");
    const plainBindAddress = bindAddress("mqttPlainBindAddress");
    const tlsBindAddress = bindAddress("mqttTlsBindAddress");
    const dashboardBindAddress = bindAddress("dashboardBindAddress");
    const poolSize = int("brokerPoolSize", 1, 64);
    const authzCacheTtl = str("authzCacheTtl");
    if (authzCacheTtl !== undefined && !DURATION.test(authzCacheTtl)) {
        report("authzCacheTtl", `must be a duration such as 30s, 1m or 1h, got ${show("authzCacheTtl", authzCacheTtl)}`, `Set it with pulumi config set ${fullKey("authzCacheTtl")} 1m.`);
    }
    if (production && plainPublishPort !== undefined && plainBindAddress !== undefined && plainBindAddress !== "127.0.0.1" && plainBindAddress !== "::1") {
        report("mqttPlainBindAddress", `publishes unencrypted MQTT on ${plainBindAddress} in a production stack`, `Use 127.0.0.1, or unset ${fullKey("mqttPlainPublishPort")} so plain MQTT stays on the stack network.`);
    }
    const hostPorts = [
        ["mqttTlsPort", tlsPort],
        ["mqttPlainPublishPort", plainPublishPort],
        ["dashboardPort", dashboardPort],
    ] as const;
    const databaseMode = oneOf("databaseMode", ["container", "external"] as const);
    if (databaseMode === "container") {
        const dbHostPort = port("databaseHostPort");
        for (const [key, value] of hostPorts) {
            if (value !== undefined && value === dbHostPort) {
                report(key, `uses host port ${value}, which databaseHostPort also uses`, "Give every published port its own number.");
            }
        }
    }
    for (let i = 0; i < hostPorts.length; i++) {
        for (let j = i + 1; j < hostPorts.length; j++) {
            if (hostPorts[i][1] !== undefined && hostPorts[i][1] === hostPorts[j][1]) {
                report(hostPorts[j][0], `uses host port ${hostPorts[j][1]}, which ${hostPorts[i][0]} also uses`, "Give every published port its own number.");
            }
        }
    }

    // Credentials
    const secrets: SuppliedSecrets = {
        mqttPassword: secret("mqttPassword"),
        dashboardPassword: secret("dashboardPassword"),
        nodeCookie: secret("nodeCookie", { pattern: /^[A-Za-z0-9_-]+$/, describe: "[A-Za-z0-9_-]" }),
        emqxDatabasePassword: secret("emqxDatabasePassword", { pattern: /^[\x21-\x7e]+$/, describe: "printable ASCII without spaces" }),
        databaseSuperuserPassword: secret("databaseSuperuserPassword"),
        databaseAdminPassword: secret("databaseAdminPassword"),
        tlsServerPrivateKey: undefined,
    };
    if (secrets.dashboardPassword === "public") {
        report("dashboardPassword", "is EMQX's well-known default", "Choose another value or remove it to have one generated.");
    }

    // TLS
    const tlsMode = oneOf("tlsMode", ["generated", "supplied"] as const);
    const dnsNames = list("tlsDnsNames") ?? [];
    dnsNames.forEach((name, i) => {
        if (!DNS_NAME.test(name)) {
            report("tlsDnsNames", `entry ${i} is not a DNS name, got ${show("tlsDnsNames", name)}`, "List host names only; put addresses in tlsIpAddresses.");
        }
    });
    const ipAddresses = list("tlsIpAddresses") ?? [];
    ipAddresses.forEach((ip, i) => {
        if (isIP(ip) === 0) {
            report("tlsIpAddresses", `entry ${i} is not an IP address, got ${show("tlsIpAddresses", ip)}`, "List IPv4 or IPv6 addresses only; put names in tlsDnsNames.");
        }
    });
    const keyAlgorithm = oneOf("tlsKeyAlgorithm", ["ECDSA", "RSA"] as const);
    const ecdsaCurve = oneOf("tlsEcdsaCurve", ["P256", "P384"] as const);
    const rsaBits = int("tlsRsaBits", 3072, 8192);
    const caValidityDays = int("tlsCaValidityDays", 30, 7300);
    const serverValidityDays = int("tlsServerValidityDays", 1, 825);
    const earlyRenewalDays = int("tlsEarlyRenewalDays", 1, 365);
    if (serverValidityDays !== undefined && earlyRenewalDays !== undefined && earlyRenewalDays >= serverValidityDays) {
        report("tlsEarlyRenewalDays", `(${earlyRenewalDays}) must be less than tlsServerValidityDays (${serverValidityDays})`, "Renew a few weeks before expiry, e.g. 30.");
    }
    if (serverValidityDays !== undefined && caValidityDays !== undefined && serverValidityDays > caValidityDays) {
        report("tlsServerValidityDays", `(${serverValidityDays}) must not exceed tlsCaValidityDays (${caValidityDays})`, "A server certificate cannot outlive its CA.");
    }
    const caCertificatePem = pem("tlsCaCertificate", PEM_CERT, "certificate");
    const serverCertificatePem = pem("tlsServerCertificate", PEM_CERT, "certificate");
    let tlsServerPrivateKey: string | undefined;
    if (raw.values.tlsServerPrivateKey !== undefined) {
        if (!raw.secretKeys.has("tlsServerPrivateKey")) {
            report("tlsServerPrivateKey", "is stored in plaintext in the stack config", `Store it encrypted: pulumi config set --secret ${fullKey("tlsServerPrivateKey")} < server.key.`);
        } else if (!options.opaqueSecrets && !PEM_KEY.test(raw.values.tlsServerPrivateKey.trim())) {
            report("tlsServerPrivateKey", "is not a PEM private key (value hidden)", `Set it from the key file: pulumi config set --secret ${fullKey("tlsServerPrivateKey")} < server.key (unencrypted PKCS#1, SEC1 or PKCS#8).`);
        } else {
            tlsServerPrivateKey = raw.values.tlsServerPrivateKey;
        }
    }
    const suppliedTlsKeys = ["tlsCaCertificate", "tlsServerCertificate", "tlsServerPrivateKey"] as const;
    if (tlsMode === "supplied") {
        for (const key of suppliedTlsKeys) {
            if (raw.values[key] === undefined) {
                report(key, "is required when tlsMode is supplied", `Set it (pulumi config set ${key === "tlsServerPrivateKey" ? "--secret " : ""}${fullKey(key)} < file.pem), or use tlsMode generated.`);
            }
        }
    } else if (tlsMode === "generated") {
        for (const key of suppliedTlsKeys) {
            if (raw.values[key] !== undefined) {
                report(key, "is set but tlsMode is generated, so it would be ignored", `Set ${fullKey("tlsMode")} to supplied, or remove ${fullKey(key)}.`);
            }
        }
    }

    // Database
    const dbName = sqlName("databaseName");
    const roleName = sqlName("databaseRoleName");
    const connectionLimit = int("databaseRoleConnectionLimit", 2, 1000);
    if (connectionLimit !== undefined && poolSize !== undefined && connectionLimit < 2 * poolSize) {
        report("databaseRoleConnectionLimit", `(${connectionLimit}) is below 2 x brokerPoolSize (${2 * poolSize}): the broker's two pools could not all connect`, `Set it to at least ${2 * poolSize}.`);
    }
    const externalKeys = ["databaseHost", "databaseAdminPassword", "databaseBrokerServer", "databaseSslRootCert"] as const;
    let database: DatabaseSettings | undefined;
    const sslMode = oneOf("databaseSslMode", SSL_MODES) ?? (databaseMode === "external" ? "require" : "disable");
    const sslRootCertPem = pem("databaseSslRootCert", PEM_CERT, "certificate");
    const revokeSetting = bool("databaseRevokePublicPrivileges");
    const common = {
        name: dbName ?? "",
        schema: "public" as const,
        roleName: roleName ?? "",
        roleConnectionLimit: connectionLimit ?? 0,
        tablesOwnedByAiida: bool("databaseTablesOwnedByAiida") ?? false,
        image: image("databaseImage") ?? "",
        imageUid: int("databaseImageUid", 0, 65535) ?? 70,
        hostPort: port("databaseHostPort") ?? 0,
        adminUser: str("databaseAdminUser") ?? "postgres",
        sslRootCertPem,
    };
    if (databaseMode === "container") {
        for (const key of externalKeys) {
            if (raw.values[key] !== undefined) {
                report(key, "applies only to databaseMode external", `Remove it, or set ${fullKey("databaseMode")} external.`);
            }
        }
        if (raw.values.databaseSslMode !== undefined && sslMode !== "disable") {
            report("databaseSslMode", "must be disable in container mode (the container serves no TLS; traffic stays on the stack network and loopback)", `Remove ${fullKey("databaseSslMode")}.`);
        }
        database = { ...common, mode: "container", host: "127.0.0.1", port: common.hostPort, sslMode: "disable", brokerServer: "postgres:5432", revokePublicPrivileges: revokeSetting ?? true };
    } else if (databaseMode === "external") {
        if (raw.values.databaseSuperuserPassword !== undefined) {
            report("databaseSuperuserPassword", "applies only to databaseMode container", `Use ${fullKey("databaseAdminPassword")} for the external server's administrator.`);
        }
        const host = str("databaseHost");
        if (host === undefined) {
            report("databaseHost", "is required when databaseMode is external", `Set it with pulumi config set ${fullKey("databaseHost")} db.example.org.`);
        } else if (!DNS_NAME.test(host) && isIP(host) === 0) {
            report("databaseHost", `must be a host name or IP address, got ${show("databaseHost", host)}`, "Give the server's name or address without scheme or port.");
        }
        if (raw.values.databaseAdminPassword === undefined) {
            report("databaseAdminPassword", "is required when databaseMode is external", `Set it with pulumi config set --secret ${fullKey("databaseAdminPassword")}.`);
        }
        const dbPort = port("databasePort") ?? 5432;
        const brokerServer = str("databaseBrokerServer") ?? `${host}:${dbPort}`;
        if (!/^[A-Za-z0-9.-]+:[0-9]{1,5}$/.test(brokerServer) || Number(brokerServer.split(":")[1]) > 65535) {
            report("databaseBrokerServer", `must be host:port, got ${show("databaseBrokerServer", brokerServer)}`, "Give the address the broker container uses, e.g. host.docker.internal:5432.");
        }
        if ((sslMode === "verify-ca" || sslMode === "verify-full") && sslRootCertPem === undefined) {
            report("databaseSslRootCert", `is required when databaseSslMode is ${sslMode}`, `Set it with pulumi config set ${fullKey("databaseSslRootCert")} < root.crt, or use databaseSslMode require.`);
        }
        database = { ...common, mode: "external", host: host ?? "", port: dbPort, sslMode, brokerServer, revokePublicPrivileges: revokeSetting ?? false };
    }

    const emqxImage = image("emqxImage");
    const logLevel = oneOf("brokerLogLevel", LOG_LEVELS);
    const authzCacheMaxSize = int("authzCacheMaxSize", 1, 65535);
    const authzDenyAction = oneOf("authzDenyAction", ["ignore", "disconnect"] as const);
    const apiUserSync = bool("brokerApiUserSync") ?? true;

    if (problems.length > 0) {
        throw new ConfigValidationError(problems);
    }
    return {
        settings: {
            stack: raw.stack,
            prefix,
            production,
            passwordLength: passwordLength!,
            deleteDataOnDestroy,
            broker: {
                image: emqxImage!,
                hostname: hostname!,
                tlsPort: tlsPort!,
                tlsBindAddress: tlsBindAddress!,
                plainPublishPort,
                plainBindAddress: plainBindAddress!,
                dashboardPort: dashboardPort!,
                dashboardBindAddress: dashboardBindAddress!,
                logLevel: logLevel!,
                poolSize: poolSize!,
                authzCacheMaxSize: authzCacheMaxSize!,
                authzCacheTtl: authzCacheTtl!,
                authzDenyAction: authzDenyAction!,
                apiUserSync,
            },
            tls: {
                mode: tlsMode!,
                dnsNames: [...new Set([hostname!, ...dnsNames])],
                ipAddresses,
                keyAlgorithm: keyAlgorithm!,
                ecdsaCurve: ecdsaCurve!,
                rsaBits: rsaBits!,
                caValidityDays: caValidityDays!,
                serverValidityDays: serverValidityDays!,
                earlyRenewalDays: earlyRenewalDays!,
                caCertificatePem,
                serverCertificatePem,
            },
            database: database!,
        },
        secrets: { ...secrets, tlsServerPrivateKey },
    };
}
