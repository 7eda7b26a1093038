// Pure description of the database objects EMQX relies on, and the SQL that creates them.
// Nothing here talks to a server: acl-schema-provisioner.ts executes these statements, and
// both the Pulumi dynamic resource and the integration tests go through that executor.
// `import x = require()` (not `import {}`) so Pulumi's closure serializer, which captures this
// module into the dynamic provider, sees the real built-in module under every loader (vitest too).
import crypto = require("crypto");

/** AIIDA's table names (its Flyway migrations create them under these exact names). */
export const ACL_TABLES = {
    users: "data_source_mqtt_user",
    acl: "data_source_mqtt_acl",
} as const;

export interface AclSchemaSpec {
    /** Database that holds the ACL tables (AIIDA's database). */
    readonly database: string;
    /** Schema of the ACL tables. AIIDA uses `public`. */
    readonly schema: string;
    /** The login role EMQX connects as. */
    readonly roleName: string;
    /** CONNECTION LIMIT of the role: at least the broker's two pools (authn + authz). */
    readonly connectionLimit: number;
    /** When true, AIIDA's migrations own the tables: never create them, only grant on them. */
    readonly tablesOwnedByAiida: boolean;
    /**
     * When true (a server this stack runs itself), revoke what PostgreSQL grants PUBLIC by
     * default: CONNECT and TEMPORARY on every database, CREATE on the schema. Then the role can
     * reach nothing but what it is granted. Off for a shared external server by default,
     * because other applications may rely on PUBLIC's defaults.
     */
    readonly revokePublicPrivileges: boolean;
}

/** The role's attributes, declared as data so policy and tests can read them. */
export interface RoleAttributes {
    readonly name: string;
    readonly login: true;
    readonly superuser: false;
    readonly createDb: false;
    readonly createRole: false;
    readonly replication: false;
    readonly bypassRls: false;
    readonly connectionLimit: number;
}

export type GrantObjectType = "database" | "schema" | "table";

export interface Grant {
    readonly privilege: "CONNECT" | "USAGE" | "SELECT";
    readonly objectType: GrantObjectType;
    /** Database name, schema name, or schema-qualified table name. */
    readonly objectName: string;
}

export function emqxRole(spec: AclSchemaSpec): RoleAttributes {
    return {
        name: spec.roleName,
        login: true,
        superuser: false,
        createDb: false,
        createRole: false,
        replication: false,
        bypassRls: false,
        connectionLimit: spec.connectionLimit,
    };
}

export function qualifiedTable(spec: Pick<AclSchemaSpec, "schema">, table: string): string {
    return `${spec.schema}.${table}`;
}

/** Exactly the privileges the role gets: nothing else survives a provisioning run. */
export function emqxGrants(spec: AclSchemaSpec): Grant[] {
    return [
        { privilege: "CONNECT", objectType: "database", objectName: spec.database },
        { privilege: "USAGE", objectType: "schema", objectName: spec.schema },
        { privilege: "SELECT", objectType: "table", objectName: qualifiedTable(spec, ACL_TABLES.users) },
        { privilege: "SELECT", objectType: "table", objectName: qualifiedTable(spec, ACL_TABLES.acl) },
    ];
}

/** Quotes an SQL identifier (always, so reserved words and mixed case are safe). */
export function quoteIdent(name: string): string {
    if (name.length === 0 || name.includes("\0")) {
        throw new Error("an SQL identifier must be non-empty and contain no NUL character");
    }
    return `"${name.replace(/"/g, '""')}"`;
}

/** Quotes an SQL string literal (standard_conforming_strings = on, the default since 9.1). */
export function quoteLiteral(value: string): string {
    if (value.includes("\0")) {
        throw new Error("an SQL string must not contain a NUL character");
    }
    return `'${value.replace(/'/g, "''")}'`;
}

function quoteQualified(qualified: string): string {
    return qualified.split(".").map(quoteIdent).join(".");
}

/** CREATE TABLE IF NOT EXISTS for one of AIIDA's two tables (columns and types as its migrations). */
export function createTableSql(spec: Pick<AclSchemaSpec, "schema">, table: (typeof ACL_TABLES)[keyof typeof ACL_TABLES]): string {
    const name = quoteQualified(qualifiedTable(spec, table));
    return table === ACL_TABLES.users
        ? `CREATE TABLE IF NOT EXISTS ${name} (id BIGSERIAL PRIMARY KEY, password TEXT NOT NULL, username TEXT NOT NULL)`
        : `CREATE TABLE IF NOT EXISTS ${name} (id BIGSERIAL PRIMARY KEY, acl_type TEXT NOT NULL, action TEXT NOT NULL, topic TEXT NOT NULL, username TEXT NOT NULL)`;
}

/**
 * The username index of one table, under our name. IF NOT EXISTS keys on the name only, so the
 * provisioner runs this only when the table has no index on username yet (AIIDA's migrations
 * name theirs idx_<table>__username).
 */
export function createUsernameIndexSql(spec: Pick<AclSchemaSpec, "schema">, table: (typeof ACL_TABLES)[keyof typeof ACL_TABLES]): string {
    return `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${table}_username_idx`)} ON ${quoteQualified(qualifiedTable(spec, table))} (username)`;
}

/**
 * The DDL of AIIDA's two tables and their username indexes, idempotent. Column names and
 * types follow AIIDA's migrations; the index names are ours (IF NOT EXISTS keys on them).
 */
export function createTablesSql(spec: Pick<AclSchemaSpec, "schema">): string[] {
    return [ACL_TABLES.users, ACL_TABLES.acl].flatMap((table) => [createTableSql(spec, table), createUsernameIndexSql(spec, table)]);
}

/**
 * A SCRAM-SHA-256 verifier in PostgreSQL's stored format. Sending this instead of the
 * password means the plaintext never reaches the server, its logs or pg_stat_statements.
 * PostgreSQL SASLprep-normalises passwords; the config validation restricts supplied
 * passwords to printable ASCII, for which SASLprep is the identity.
 */
export function scramSha256Verifier(password: string, salt: Buffer = crypto.randomBytes(16), iterations = 4096): string {
    const salted = crypto.pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
    const clientKey = crypto.createHmac("sha256", salted).update("Client Key").digest();
    const storedKey = crypto.createHash("sha256").update(clientKey).digest();
    const serverKey = crypto.createHmac("sha256", salted).update("Server Key").digest();
    return `SCRAM-SHA-256$${iterations}:${salt.toString("base64")}$${storedKey.toString("base64")}:${serverKey.toString("base64")}`;
}

function roleOptionsSql(role: RoleAttributes): string {
    return [
        "LOGIN",
        "NOSUPERUSER",
        "NOCREATEDB",
        "NOCREATEROLE",
        "NOREPLICATION",
        "NOBYPASSRLS",
        "INHERIT",
        `CONNECTION LIMIT ${Math.trunc(role.connectionLimit)}`,
    ].join(" ");
}

/** CREATE ROLE when missing, else ALTER ROLE to the declared attributes (and password). */
export function upsertRoleSql(role: RoleAttributes, exists: boolean, passwordVerifier?: string): string {
    const verb = exists ? "ALTER ROLE" : "CREATE ROLE";
    const password = passwordVerifier === undefined ? "" : ` PASSWORD ${quoteLiteral(passwordVerifier)}`;
    return `${verb} ${quoteIdent(role.name)} WITH ${roleOptionsSql(role)}${password}`;
}

/**
 * Brings the role's privileges to exactly `grants`: first revokes everything it could hold
 * in this database's schema and on the database, then grants the declared set. Run in one
 * transaction, so EMQX never sees the role without its privileges.
 */
export function grantsSql(spec: AclSchemaSpec, grants: readonly Grant[]): string[] {
    const role = quoteIdent(spec.roleName);
    const schema = quoteIdent(spec.schema);
    const statements = [
        `REVOKE ALL ON DATABASE ${quoteIdent(spec.database)} FROM ${role}`,
        `REVOKE ALL ON SCHEMA ${schema} FROM ${role}`,
        `REVOKE ALL ON ALL TABLES IN SCHEMA ${schema} FROM ${role}`,
        `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${schema} FROM ${role}`,
        `REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${schema} FROM ${role}`,
    ];
    for (const grant of grants) {
        const target =
            grant.objectType === "table" ? `TABLE ${quoteQualified(grant.objectName)}` : `${grant.objectType.toUpperCase()} ${quoteIdent(grant.objectName)}`;
        statements.push(`GRANT ${grant.privilege} ON ${target} TO ${role}`);
    }
    return statements;
}

/** Privileges the role holds beyond this database's target schema, read from the catalogs. */
export interface StrayPrivileges {
    /** Roles it is a member of, with the grantor of each membership (PostgreSQL 16+ revokes per grantor). */
    readonly memberships: readonly { readonly role: string; readonly grantor: string | null }[];
    /** Databases (any in the cluster) on which it holds an explicit privilege. */
    readonly databases: readonly string[];
    /** Other schemas of this database in which it holds a privilege on the schema or an object in it. */
    readonly schemas: readonly string[];
    /** ALTER DEFAULT PRIVILEGES entries that grant it something on future objects. */
    readonly defaultAcls: readonly { readonly owner: string; readonly schema: string | null; readonly objectType: string }[];
}

const DEFAULT_ACL_KINDS: Record<string, string> = { r: "TABLES", S: "SEQUENCES", f: "FUNCTIONS", T: "TYPES", n: "SCHEMAS" };

/**
 * Revokes what a pre-existing role may hold outside what grantsSql resets: role memberships
 * (pg_read_all_data would defeat every table grant), explicit privileges on other databases
 * and on other schemas of this database, and default privileges on future objects.
 */
export function revokeStraySql(spec: Pick<AclSchemaSpec, "roleName">, stray: StrayPrivileges): string[] {
    const role = quoteIdent(spec.roleName);
    const statements: string[] = [];
    for (const m of stray.memberships) {
        const grantedBy = m.grantor === null ? "" : ` GRANTED BY ${quoteIdent(m.grantor)}`;
        statements.push(`REVOKE ${quoteIdent(m.role)} FROM ${role}${grantedBy}`);
    }
    for (const db of stray.databases) {
        statements.push(`REVOKE ALL ON DATABASE ${quoteIdent(db)} FROM ${role}`);
    }
    for (const schema of stray.schemas) {
        const s = quoteIdent(schema);
        statements.push(
            `REVOKE ALL ON SCHEMA ${s} FROM ${role}`,
            `REVOKE ALL ON ALL TABLES IN SCHEMA ${s} FROM ${role}`,
            `REVOKE ALL ON ALL SEQUENCES IN SCHEMA ${s} FROM ${role}`,
            `REVOKE ALL ON ALL FUNCTIONS IN SCHEMA ${s} FROM ${role}`,
        );
    }
    for (const d of stray.defaultAcls) {
        const kind = DEFAULT_ACL_KINDS[d.objectType];
        if (kind === undefined) continue;
        const inSchema = d.schema === null ? "" : ` IN SCHEMA ${quoteIdent(d.schema)}`;
        statements.push(`ALTER DEFAULT PRIVILEGES FOR ROLE ${quoteIdent(d.owner)}${inSchema} REVOKE ALL ON ${kind} FROM ${role}`);
    }
    return statements;
}

/** Hardening for a server the stack owns: PUBLIC keeps no way into any database or schema. */
export function revokePublicSql(spec: AclSchemaSpec, allDatabases: readonly string[]): string[] {
    return [
        ...allDatabases.map((db) => `REVOKE CONNECT, TEMPORARY ON DATABASE ${quoteIdent(db)} FROM PUBLIC`),
        `REVOKE CREATE ON SCHEMA ${quoteIdent(spec.schema)} FROM PUBLIC`,
    ];
}

/** Removes the role and everything granted to it in this database (tables stay). */
export function dropRoleSql(spec: Pick<AclSchemaSpec, "roleName">): string[] {
    const role = quoteIdent(spec.roleName);
    return [`DROP OWNED BY ${role}`, `DROP ROLE ${role}`];
}

/** Drops the two tables: only on an explicit operator request, never by default. */
export function dropTablesSql(spec: Pick<AclSchemaSpec, "schema">): string[] {
    return [ACL_TABLES.acl, ACL_TABLES.users].map((t) => `DROP TABLE IF EXISTS ${quoteQualified(qualifiedTable(spec, t))}`);
}
