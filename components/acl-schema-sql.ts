// Pure description of the database objects EMQX relies on, and the SQL that creates them.
// Nothing here talks to a server: acl-schema-provisioner.ts executes these statements, and
// both the Pulumi dynamic resource and the integration tests go through that executor.
import { createHash, createHmac, pbkdf2Sync, randomBytes } from "crypto";

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

/**
 * The DDL of AIIDA's two tables and their username indexes, idempotent. Column names and
 * types follow AIIDA's migrations; the index names are ours (IF NOT EXISTS keys on them).
 */
export function createTablesSql(spec: Pick<AclSchemaSpec, "schema">): string[] {
    const users = quoteQualified(qualifiedTable(spec, ACL_TABLES.users));
    const acl = quoteQualified(qualifiedTable(spec, ACL_TABLES.acl));
    return [
        `CREATE TABLE IF NOT EXISTS ${users} (id BIGSERIAL PRIMARY KEY, password TEXT NOT NULL, username TEXT NOT NULL)`,
        `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${ACL_TABLES.users}_username_idx`)} ON ${users} (username)`,
        `CREATE TABLE IF NOT EXISTS ${acl} (id BIGSERIAL PRIMARY KEY, acl_type TEXT NOT NULL, action TEXT NOT NULL, topic TEXT NOT NULL, username TEXT NOT NULL)`,
        `CREATE INDEX IF NOT EXISTS ${quoteIdent(`${ACL_TABLES.acl}_username_idx`)} ON ${acl} (username)`,
    ];
}

/**
 * A SCRAM-SHA-256 verifier in PostgreSQL's stored format. Sending this instead of the
 * password means the plaintext never reaches the server, its logs or pg_stat_statements.
 * PostgreSQL SASLprep-normalises passwords; the config validation restricts supplied
 * passwords to printable ASCII, for which SASLprep is the identity.
 */
export function scramSha256Verifier(password: string, salt: Buffer = randomBytes(16), iterations = 4096): string {
    const salted = pbkdf2Sync(Buffer.from(password, "utf8"), salt, iterations, 32, "sha256");
    const clientKey = createHmac("sha256", salted).update("Client Key").digest();
    const storedKey = createHash("sha256").update(clientKey).digest();
    const serverKey = createHmac("sha256", salted).update("Server Key").digest();
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
