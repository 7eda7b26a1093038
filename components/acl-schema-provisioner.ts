// Executes the statements of acl-schema-sql.ts against a real server. This is the one code
// path that creates the role, tables, indexes and grants: the dynamic resource in
// database.ts calls it, and so do the integration tests.
// `import x = require()` for the reason given in acl-schema-sql.ts.
import pg = require("pg");
import {
    ACL_TABLES,
    AclSchemaSpec,
    createTableSql,
    createUsernameIndexSql,
    dropRoleSql,
    dropTablesSql,
    emqxGrants,
    emqxRole,
    grantsSql,
    quoteIdent,
    revokePublicSql,
    revokeStraySql,
    StrayPrivileges,
    scramSha256Verifier,
    upsertRoleSql,
} from "./acl-schema-sql";

export type SslMode = "disable" | "require" | "verify-ca" | "verify-full";

/** How the provisioner reaches the server as an administrator (superuser or owner with CREATEROLE). */
export interface AdminConnection {
    readonly host: string;
    readonly port: number;
    readonly user: string;
    readonly password: string;
    readonly sslMode: SslMode;
    /** PEM of the CA that signed the server certificate, for verify-ca / verify-full. */
    readonly sslRootCert?: string;
    /** Database used to create the target database when it is missing. */
    readonly maintenanceDatabase?: string;
}

/** What a provisioning run found and did; recorded as the dynamic resource's outputs. */
export interface ProvisionResult {
    readonly roleCreated: boolean;
    readonly databaseCreated: boolean;
    readonly tablesCreated: boolean;
}

/** The live state of the objects, read back for refresh and for tests. */
export interface ObservedAclSchema {
    readonly roleExists: boolean;
    readonly role?: {
        readonly login: boolean;
        readonly superuser: boolean;
        readonly createDb: boolean;
        readonly createRole: boolean;
        readonly replication: boolean;
        readonly bypassRls: boolean;
        readonly connectionLimit: number;
    };
    readonly tables: Record<string, boolean>;
    readonly usernameIndexes: Record<string, boolean>;
}

export class AclSchemaError extends Error {}

export function clientConfig(admin: AdminConnection, database: string): pg.ClientConfig {
    const ssl =
        admin.sslMode === "disable"
            ? false
            : admin.sslMode === "require"
              ? { rejectUnauthorized: false }
              : {
                    rejectUnauthorized: true,
                    ca: admin.sslRootCert,
                    // verify-ca checks the chain but not the host name, as libpq does.
                    ...(admin.sslMode === "verify-ca" ? { checkServerIdentity: () => undefined } : {}),
                };
    return {
        host: admin.host,
        port: admin.port,
        user: admin.user,
        password: admin.password,
        database,
        ssl,
        connectionTimeoutMillis: 15_000,
        application_name: "aiida-emqx-provisioner",
    };
}

/** A server that was just started may refuse connections for a few seconds: retry those only. */
const TRANSIENT = /ECONNREFUSED|ECONNRESET|starting up|shutting down|Connection terminated/;

async function connectWithRetry(admin: AdminConnection, database: string, deadlineMs = 60_000): Promise<pg.Client> {
    const started = Date.now();
    for (;;) {
        const client = new pg.Client(clientConfig(admin, database));
        try {
            await client.connect();
            return client;
        } catch (err) {
            await client.end().catch(() => undefined);
            const message = (err as Error).message;
            if (!TRANSIENT.test(message) || Date.now() - started > deadlineMs) {
                // The pg error names host, port, user and database only; never the password.
                throw new AclSchemaError(`cannot connect to PostgreSQL at ${admin.host}:${admin.port} as ${admin.user} (database ${database}): ${message}`);
            }
            await new Promise((resolve) => setTimeout(resolve, 1000));
        }
    }
}

async function withClient<T>(admin: AdminConnection, database: string, work: (client: pg.Client) => Promise<T>): Promise<T> {
    const client = await connectWithRetry(admin, database);
    try {
        return await work(client);
    } finally {
        await client.end();
    }
}

async function inTransaction<T>(client: pg.Client, work: () => Promise<T>): Promise<T> {
    await client.query("BEGIN");
    try {
        const result = await work();
        await client.query("COMMIT");
        return result;
    } catch (err) {
        await client.query("ROLLBACK");
        throw err;
    }
}

async function ensureDatabase(admin: AdminConnection, database: string): Promise<boolean> {
    return withClient(admin, admin.maintenanceDatabase ?? "postgres", async (client) => {
        const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [database]);
        if (found.rowCount) {
            return false;
        }
        await client.query(`CREATE DATABASE ${quoteIdent(database)}`);
        return true;
    });
}

async function tablesPresent(client: pg.Client, schema: string): Promise<Record<string, boolean>> {
    const rows = await client.query<{ name: string; present: boolean }>(
        "SELECT t.name, to_regclass(format('%I.%I', $1::text, t.name)) IS NOT NULL AS present FROM unnest($2::text[]) AS t(name)",
        [schema, Object.values(ACL_TABLES)],
    );
    return Object.fromEntries(rows.rows.map((r) => [r.name, r.present]));
}

async function usernameIndexesPresent(client: pg.Client, schema: string): Promise<Record<string, boolean>> {
    const rows = await client.query<{ name: string; present: boolean }>(
        `SELECT t.name, EXISTS (
             SELECT 1 FROM pg_index i
             JOIN pg_class c ON c.oid = i.indrelid
             JOIN pg_namespace n ON n.oid = c.relnamespace
             JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum = i.indkey[0]
             WHERE n.nspname = $1 AND c.relname = t.name AND a.attname = 'username'
         ) AS present
         FROM unnest($2::text[]) AS t(name)`,
        [schema, Object.values(ACL_TABLES)],
    );
    return Object.fromEntries(rows.rows.map((r) => [r.name, r.present]));
}

/**
 * What a pre-existing role holds that grantsSql (which resets the target schema and database)
 * would not touch: memberships, privileges on other databases and other schemas, default ACLs.
 */
async function strayPrivileges(client: pg.Client, spec: AclSchemaSpec): Promise<StrayPrivileges> {
    const roleOid = "(SELECT oid FROM pg_roles WHERE rolname = $1)";
    const memberships = await client.query<{ role: string; grantor: string | null }>(
        `SELECT r.rolname AS role, g.rolname AS grantor
         FROM pg_auth_members m JOIN pg_roles r ON r.oid = m.roleid LEFT JOIN pg_roles g ON g.oid = m.grantor
         WHERE m.member = ${roleOid} ORDER BY 1`,
        [spec.roleName],
    );
    const databases = await client.query<{ datname: string }>(
        `SELECT DISTINCT d.datname FROM pg_database d, aclexplode(d.datacl) a
         WHERE a.grantee = ${roleOid} AND d.datname <> $2 ORDER BY 1`,
        [spec.roleName, spec.database],
    );
    const schemas = await client.query<{ nspname: string }>(
        `SELECT nspname FROM (
             SELECT n.nspname FROM pg_namespace n, aclexplode(n.nspacl) a WHERE a.grantee = ${roleOid}
             UNION
             SELECT n.nspname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace, aclexplode(c.relacl) a WHERE a.grantee = ${roleOid}
             UNION
             SELECT n.nspname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace, aclexplode(p.proacl) a WHERE a.grantee = ${roleOid}
         ) s WHERE nspname <> $2 ORDER BY 1`,
        [spec.roleName, spec.schema],
    );
    const defaultAcls = await client.query<{ owner: string; schema: string | null; objecttype: string }>(
        `SELECT DISTINCT pg_get_userbyid(d.defaclrole) AS owner, n.nspname AS schema, d.defaclobjtype::text AS objecttype
         FROM pg_default_acl d LEFT JOIN pg_namespace n ON n.oid = d.defaclnamespace, aclexplode(d.defaclacl) a
         WHERE a.grantee = ${roleOid} ORDER BY 1, 2, 3`,
        [spec.roleName],
    );
    return {
        memberships: memberships.rows,
        databases: databases.rows.map((r) => r.datname),
        schemas: schemas.rows.map((r) => r.nspname),
        defaultAcls: defaultAcls.rows.map((r) => ({ owner: r.owner, schema: r.schema, objectType: r.objecttype })),
    };
}

/**
 * Creates or converges the database, the role (with `rolePassword`), the tables and
 * indexes (unless AIIDA owns them) and exactly the declared grants. Idempotent: running it
 * twice changes nothing, and existing rows are never touched.
 */
export async function provisionAclSchema(admin: AdminConnection, spec: AclSchemaSpec, rolePassword: string): Promise<ProvisionResult> {
    const databaseCreated = await ensureDatabase(admin, spec.database);
    return withClient(admin, spec.database, (client) =>
        inTransaction(client, async () => {
            const tablesBefore = await tablesPresent(client, spec.schema);
            const missing = Object.entries(tablesBefore).filter(([, present]) => !present).map(([name]) => `${spec.schema}.${name}`);
            if (spec.tablesOwnedByAiida && missing.length > 0) {
                throw new AclSchemaError(
                    `databaseTablesOwnedByAiida is true but ${missing.join(" and ")} do not exist yet in database ${spec.database}. ` +
                        "Start AIIDA against this database once so its migrations create them, then run `pulumi up` again " +
                        "(or set aiida-emqx:databaseTablesOwnedByAiida to false to let this program create them).",
                );
            }
            // Serialises concurrent runs against one server (two stacks, or a retry).
            await client.query("SELECT pg_advisory_xact_lock(hashtext($1))", [`aiida-emqx:${spec.roleName}`]);
            const role = emqxRole(spec);
            const existing = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [spec.roleName]);
            const roleExists = (existing.rowCount ?? 0) > 0;
            await client.query(upsertRoleSql(role, roleExists, scramSha256Verifier(rolePassword)));
            if (!spec.tablesOwnedByAiida) {
                for (const table of Object.values(ACL_TABLES)) {
                    await client.query(createTableSql(spec, table));
                }
                // Tables AIIDA's migrations made already carry its own username indexes: add ours
                // only where no index on username exists, never a duplicate.
                const indexed = await usernameIndexesPresent(client, spec.schema);
                for (const table of Object.values(ACL_TABLES)) {
                    if (!indexed[table]) {
                        await client.query(createUsernameIndexSql(spec, table));
                    }
                }
            }
            if (spec.revokePublicPrivileges) {
                const dbs = await client.query<{ datname: string }>("SELECT datname FROM pg_database WHERE datallowconn ORDER BY datname");
                for (const sql of revokePublicSql(spec, dbs.rows.map((r) => r.datname))) {
                    await client.query(sql);
                }
            }
            if (roleExists) {
                for (const sql of revokeStraySql(spec, await strayPrivileges(client, spec))) {
                    await client.query(sql);
                }
            }
            for (const sql of grantsSql(spec, emqxGrants(spec))) {
                await client.query(sql);
            }
            return { roleCreated: !roleExists, databaseCreated, tablesCreated: !spec.tablesOwnedByAiida && missing.length > 0 };
        }),
    );
}

/** Reads the live role attributes, tables and indexes (no secrets). */
export async function readAclSchema(admin: AdminConnection, spec: AclSchemaSpec): Promise<ObservedAclSchema> {
    return withClient(admin, spec.database, async (client) => {
        const role = await client.query(
            `SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls, rolconnlimit
             FROM pg_roles WHERE rolname = $1`,
            [spec.roleName],
        );
        const r = role.rows[0];
        return {
            roleExists: r !== undefined,
            role: r && {
                login: r.rolcanlogin,
                superuser: r.rolsuper,
                createDb: r.rolcreatedb,
                createRole: r.rolcreaterole,
                replication: r.rolreplication,
                bypassRls: r.rolbypassrls,
                connectionLimit: r.rolconnlimit,
            },
            tables: await tablesPresent(client, spec.schema),
            usernameIndexes: await usernameIndexesPresent(client, spec.schema),
        };
    });
}

/**
 * Removes the role and its grants. The tables are dropped only when `dropTables` is set
 * explicitly and this program created them (never when AIIDA owns them).
 */
export async function deprovisionAclSchema(admin: AdminConnection, spec: AclSchemaSpec, options: { dropTables: boolean }): Promise<void> {
    const databaseExists = await withClient(admin, admin.maintenanceDatabase ?? "postgres", async (client) => {
        const found = await client.query("SELECT 1 FROM pg_database WHERE datname = $1", [spec.database]);
        return (found.rowCount ?? 0) > 0;
    });
    if (!databaseExists) {
        return;
    }
    await withClient(admin, spec.database, (client) =>
        inTransaction(client, async () => {
            const existing = await client.query("SELECT 1 FROM pg_roles WHERE rolname = $1", [spec.roleName]);
            if (existing.rowCount) {
                for (const sql of dropRoleSql(spec)) {
                    await client.query(sql);
                }
            }
            if (options.dropTables && !spec.tablesOwnedByAiida) {
                for (const sql of dropTablesSql(spec)) {
                    await client.query(sql);
                }
            }
        }),
    );
}
