// Renders the files the EMQX container receives, as pure functions of plain data.
//
// Why etc/emqx.conf and not etc/base.hocon: EMQX layers base.hocon < data/configs/cluster.hocon
// (what the dashboard saved) < emqx.conf < env. Writing emqx.conf makes this program's
// authentication, authorization and listeners win at every boot, so a dashboard edit cannot
// silently outlive the next deploy. The price is that emqx.conf must also carry what the
// shipped file sets (node, cluster, the dashboard listener), which this renderer does.
//
// No secret is written into emqx.conf: database passwords are `file://` paths, and the node
// cookie and first-boot dashboard password live in secrets.hocon, pulled in with
// `include required(...)` (a missing file stops the boot instead of falling back to a
// well-known cookie). So emqx.conf is reviewable and byte-identical in `npm run render`.
import { AUTHENTICATION_QUERY, AUTHORIZATION_QUERY } from "./emqx-queries";
import { HoconObject, quoteString, renderHocon } from "./hocon";
import type { LogLevel } from "./config";

/** Where things live inside the container. */
export const BROKER_PATHS = {
    config: "/opt/emqx/etc/emqx.conf",
    secretsConfig: "/opt/emqx/etc/aiida/secrets.hocon",
    bootstrapUsers: "/opt/emqx/etc/aiida/init-user.json",
    apiKeys: "/opt/emqx/etc/aiida/api-keys.txt",
    databasePassword: "/opt/emqx/etc/aiida/emqx-db-password",
    databaseCaCert: "/opt/emqx/etc/aiida/db-ca.pem",
    caCert: "/opt/emqx/etc/certs/aiida/ca.pem",
    serverCert: "/opt/emqx/etc/certs/aiida/server.pem",
    serverKey: "/opt/emqx/etc/certs/aiida/server.key",
    data: "/opt/emqx/data",
    log: "/opt/emqx/log",
} as const;

/** Ports inside the container (EMQX's defaults, which AIIDA's clients expect). */
export const BROKER_PORTS = { mqtt: 1883, mqtts: 8883, dashboard: 18083 } as const;

/** The contents of every file the broker container receives (`T`: a string, or a Pulumi Input). */
export interface BrokerFileContents<T> {
    readonly config: T;
    readonly secretsConfig: T;
    readonly bootstrapUsers: T;
    readonly apiKeys: T;
    readonly databasePassword: T;
    readonly caCert: T;
    readonly serverCert: T;
    readonly serverKey: T;
    /** Only when the broker verifies the database server's certificate. */
    readonly databaseCaCert?: T;
}

/** Which files carry secrets. */
const SECRET_FILES: Record<keyof BrokerFileContents<unknown>, boolean> = {
    config: false,
    secretsConfig: true,
    bootstrapUsers: true,
    apiKeys: true,
    databasePassword: true,
    caCert: false,
    serverCert: false,
    serverKey: true,
    databaseCaCert: false,
};

export interface BrokerFile<T> {
    readonly path: string;
    readonly content: T;
    readonly secret: boolean;
    /** uid and gid of the image's `emqx` user, which must read every file. */
    readonly owner: "1000";
    /** Secrets 0400, the rest 0444. */
    readonly mode: "0400" | "0444";
}

/** Paths, owner and modes of the broker's files: the component uploads these, the render command writes them. */
export function brokerFiles<T>(contents: BrokerFileContents<T>): BrokerFile<T>[] {
    return (Object.keys(SECRET_FILES) as (keyof BrokerFileContents<T>)[])
        .filter((key) => contents[key] !== undefined)
        .map((key) => ({ path: BROKER_PATHS[key], content: contents[key] as T, secret: SECRET_FILES[key], owner: "1000", mode: SECRET_FILES[key] ? "0400" : "0444" }));
}

export interface BrokerConfigModel {
    readonly nodeName: string;
    readonly clusterName: string;
    readonly logLevel: LogLevel;
    readonly database: {
        /** host:port as the broker reaches it. */
        readonly server: string;
        readonly database: string;
        readonly username: string;
        readonly poolSize: number;
        readonly ssl: "disable" | "require" | "verify-ca" | "verify-full";
        /** Host name to verify for verify-full. */
        readonly sslServerName?: string;
    };
    readonly authorization: {
        readonly denyAction: "ignore" | "disconnect";
        readonly cacheMaxSize: number;
        readonly cacheTtl: string;
    };
}

export interface BrokerSecretsModel {
    readonly nodeCookie: string;
    readonly dashboardPassword: string;
}

function databaseConnection(model: BrokerConfigModel): HoconObject {
    const db = model.database;
    const ssl: HoconObject =
        db.ssl === "disable"
            ? { enable: false }
            : db.ssl === "require"
              ? { enable: true, verify: "verify_none" }
              : {
                    enable: true,
                    verify: "verify_peer",
                    cacertfile: BROKER_PATHS.databaseCaCert,
                    server_name_indication: db.ssl === "verify-full" && db.sslServerName ? db.sslServerName : "disable",
                };
    return {
        enable: true,
        server: db.server,
        database: db.database,
        username: db.username,
        password: `file://${BROKER_PATHS.databasePassword}`,
        pool_size: db.poolSize,
        ssl,
    };
}

/** The document behind etc/emqx.conf, before rendering (also what tests compare against). */
export function brokerConfigDocument(model: BrokerConfigModel): HoconObject {
    const connection = databaseConnection(model);
    return {
        node: { name: model.nodeName, data_dir: "data" },
        cluster: { name: model.clusterName, discovery_strategy: "manual" },
        log: { console: { enable: true, level: model.logLevel }, file: { enable: false } },
        dashboard: {
            listeners: { http: { bind: `0.0.0.0:${BROKER_PORTS.dashboard}` } },
            default_username: "admin",
        },
        listeners: {
            tcp: { default: { bind: `0.0.0.0:${BROKER_PORTS.mqtt}`, enable_authn: true } },
            ssl: {
                default: {
                    bind: `0.0.0.0:${BROKER_PORTS.mqtts}`,
                    enable_authn: true,
                    ssl_options: {
                        certfile: BROKER_PATHS.serverCert,
                        keyfile: BROKER_PATHS.serverKey,
                        cacertfile: BROKER_PATHS.caCert,
                        verify: "verify_none",
                        versions: ["tlsv1.3", "tlsv1.2"],
                    },
                },
            },
            ws: { default: { enable: false } },
            wss: { default: { enable: false } },
        },
        authentication: [
            {
                mechanism: "password_based",
                backend: "postgresql",
                ...connection,
                // The authz source's schema is not known to take this key: authn only, as AIIDA has it.
                disable_prepared_statements: false,
                query: AUTHENTICATION_QUERY,
                password_hash_algorithm: { name: "bcrypt" },
            },
            {
                mechanism: "password_based",
                backend: "built_in_database",
                user_id_type: "username",
                password_hash_algorithm: { name: "bcrypt", salt_rounds: 10 },
                bootstrap_file: BROKER_PATHS.bootstrapUsers,
                bootstrap_type: "hash",
            },
        ],
        authorization: {
            no_match: "deny",
            deny_action: model.authorization.denyAction,
            cache: { enable: true, max_size: model.authorization.cacheMaxSize, ttl: model.authorization.cacheTtl },
            sources: [{ type: "postgresql", ...connection, query: AUTHORIZATION_QUERY }],
        },
        api_key: { bootstrap_file: BROKER_PATHS.apiKeys },
    };
}

const GENERATED_HEADER = [
    "Generated by the aiida-emqx Pulumi program; edits are overwritten by the next deploy.",
    "Secrets are not in this file: see the include below and the file:// passwords.",
];

/** etc/emqx.conf: no secrets, so it is safe to review, diff and render without state. */
export function renderBrokerConfig(model: BrokerConfigModel): string {
    return renderHocon(brokerConfigDocument(model), GENERATED_HEADER) + `include required(${quoteString(BROKER_PATHS.secretsConfig)})\n`;
}

/** The secrets EMQX must read from its config (not `file://`-capable in 5.8.6). */
export function renderBrokerSecrets(secrets: BrokerSecretsModel): string {
    return renderHocon({
        node: { cookie: secrets.nodeCookie },
        // Applies on the first boot of an empty node database only; see README "Rotation".
        dashboard: { default_password: secrets.dashboardPassword },
    });
}

export interface BootstrapUser {
    readonly userId: string;
    /** A bcrypt hash ($2a$/$2b$/$2y$); the plaintext never reaches the container. */
    readonly passwordHash: string;
    readonly isSuperuser: boolean;
}

/** The built-in database's bootstrap file, bootstrap_type = hash. */
export function renderBootstrapUsers(users: readonly BootstrapUser[]): string {
    for (const u of users) {
        if (!/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/.test(u.passwordHash)) {
            throw new Error(`the bootstrap entry for ${u.userId} is not a bcrypt hash`);
        }
    }
    return formatBootstrapUsers(users);
}

/** The file's JSON without checking the hashes (the render command puts placeholders there). */
export function formatBootstrapUsers(users: readonly BootstrapUser[]): string {
    return JSON.stringify(users.map((u) => ({ user_id: u.userId, password_hash: u.passwordHash, is_superuser: u.isSuperuser })), null, 2) + "\n";
}

/** api_key.bootstrap_file: `key:secret:role`, re-read at every boot (CE accepts only administrator). */
export function renderApiKeys(keys: readonly { key: string; secret: string }[]): string {
    return keys.map((k) => `${k.key}:${k.secret}:administrator`).join("\n") + "\n";
}
