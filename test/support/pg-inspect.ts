// Catalog inspection and connection helpers shared by the integration tests and the benchmark.
import { Client } from "pg";
import type { AclSchemaSpec, Grant } from "../../components/acl-schema-sql";
import { ACL_TABLES } from "../../components/acl-schema-sql";
import type { PostgresServer } from "./postgres-server";

export async function connect(server: Pick<PostgresServer, "host" | "port">, user: string, password: string, database: string): Promise<Client> {
    const client = new Client({ host: server.host, port: server.port, user, password, database, connectionTimeoutMillis: 10_000 });
    try {
        await client.connect();
    } catch (err) {
        await client.end().catch(() => undefined);
        throw err;
    }
    return client;
}

export async function withClient<T>(server: PostgresServer, database: string, work: (client: Client) => Promise<T>): Promise<T> {
    const client = await connect(server, server.superuser, server.superuserPassword, database);
    try {
        return await work(client);
    } finally {
        await client.end();
    }
}

/** The SQLSTATE a promise rejects with, or undefined when it resolves. */
export async function sqlState(work: Promise<unknown>): Promise<string | undefined> {
    try {
        await work;
        return undefined;
    } catch (err) {
        return (err as { code?: string }).code ?? `no SQLSTATE: ${(err as Error).message}`;
    }
}

/** What a role can try to connect to, and which error it gets (undefined = connected). */
export async function connectError(server: PostgresServer, user: string, password: string, database: string): Promise<string | undefined> {
    return sqlState(connect(server, user, password, database).then((c) => c.end()));
}

/** `PRIVILEGE ON kind name` for every privilege granted to the role, as declared grants read. */
export function describeGrants(grants: readonly Grant[]): string[] {
    return grants.map((g) => `${g.privilege} ON ${g.objectType} ${g.objectName}`).sort();
}

/**
 * Everything the role holds that is visible from `client`'s database: explicit ACL entries on
 * databases, schemas, tables, sequences, columns, functions and default ACLs, role
 * memberships, and ownership. PUBLIC's privileges are not the role's and are not listed.
 */
export async function privilegesOf(client: Client, role: string): Promise<string[]> {
    const rows = await client.query<{ entry: string }>(
        `WITH r AS (SELECT oid FROM pg_roles WHERE rolname = $1)
         SELECT a.privilege_type || ' ON database ' || d.datname AS entry
           FROM pg_database d CROSS JOIN LATERAL aclexplode(d.datacl) a, r WHERE a.grantee = r.oid
         UNION ALL
         SELECT a.privilege_type || ' ON schema ' || n.nspname
           FROM pg_namespace n CROSS JOIN LATERAL aclexplode(n.nspacl) a, r WHERE a.grantee = r.oid
         UNION ALL
         SELECT a.privilege_type || CASE c.relkind WHEN 'S' THEN ' ON sequence ' ELSE ' ON table ' END || n.nspname || '.' || c.relname
           FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace CROSS JOIN LATERAL aclexplode(c.relacl) a, r WHERE a.grantee = r.oid
         UNION ALL
         SELECT a.privilege_type || ' ON column ' || c.relname || '.' || att.attname
           FROM pg_attribute att JOIN pg_class c ON c.oid = att.attrelid CROSS JOIN LATERAL aclexplode(att.attacl) a, r WHERE a.grantee = r.oid
         UNION ALL
         SELECT a.privilege_type || ' ON function ' || p.oid::regprocedure::text
           FROM pg_proc p CROSS JOIN LATERAL aclexplode(p.proacl) a, r WHERE a.grantee = r.oid
         UNION ALL
         SELECT a.privilege_type || ' ON default-acl ' || da.defaclobjtype::text
           FROM pg_default_acl da CROSS JOIN LATERAL aclexplode(da.defaclacl) a, r WHERE a.grantee = r.oid
         UNION ALL
         SELECT 'MEMBER OF ' || m.roleid::regrole::text FROM pg_auth_members m, r WHERE m.member = r.oid
         UNION ALL
         SELECT 'OWNER OF relation ' || c.relname FROM pg_class c, r WHERE c.relowner = r.oid
         UNION ALL
         SELECT 'OWNER OF schema ' || n.nspname FROM pg_namespace n, r WHERE n.nspowner = r.oid
         UNION ALL
         SELECT 'OWNER OF database ' || d.datname FROM pg_database d, r WHERE d.datdba = r.oid
         ORDER BY 1`,
        [role],
    );
    return rows.rows.map((r) => r.entry);
}

export async function tableRows(client: Client, spec: Pick<AclSchemaSpec, "schema">): Promise<Record<string, unknown[]>> {
    const out: Record<string, unknown[]> = {};
    for (const table of Object.values(ACL_TABLES)) {
        const rows = await client.query(`SELECT * FROM ${spec.schema}.${table} ORDER BY id`);
        out[table] = rows.rows;
    }
    return out;
}

export async function indexDefinitions(client: Client, spec: Pick<AclSchemaSpec, "schema">): Promise<string[]> {
    const rows = await client.query<{ indexdef: string }>(
        "SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = ANY($2::text[]) ORDER BY indexname",
        [spec.schema, Object.values(ACL_TABLES)],
    );
    return rows.rows.map((r) => r.indexdef);
}

/**
 * Everything a provisioning run could change, except the password verifier (re-salted on
 * every run by design: same password, new salt): role attributes, every ACL in the cluster's
 * databases and in this database's schemas and tables, table identities, indexes, and rows.
 */
export async function schemaSnapshot(client: Client, spec: AclSchemaSpec): Promise<unknown> {
    const q = async (sql: string, params: unknown[] = []) => (await client.query(sql, params)).rows;
    return {
        role: await q(
            `SELECT oid, rolsuper, rolinherit, rolcreaterole, rolcreatedb, rolcanlogin, rolreplication, rolconnlimit, rolvaliduntil, rolbypassrls, rolconfig
             FROM pg_roles WHERE rolname = $1`,
            [spec.roleName],
        ),
        // NULL ACLs (the built-in defaults) are compared as what they mean: REVOKE ... ON ALL
        // TABLES writes the owner's default entry out explicitly on tables that had NULL, which
        // changes the catalog text but no privilege.
        databases: await q("SELECT oid, datname, datdba, coalesce(datacl, acldefault('d', datdba))::text AS acl FROM pg_database ORDER BY datname"),
        schemas: await q("SELECT oid, nspname, nspowner, coalesce(nspacl, acldefault('n', nspowner))::text AS acl FROM pg_namespace ORDER BY nspname"),
        relations: await q(
            `SELECT c.oid, c.relname, c.relkind, c.relowner,
                    coalesce(c.relacl, acldefault(CASE c.relkind WHEN 'S' THEN 's' ELSE 'r' END::"char", c.relowner))::text AS acl
             FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = $1 ORDER BY c.relname`,
            [spec.schema],
        ),
        memberships: await q("SELECT roleid, member FROM pg_auth_members ORDER BY 1, 2"),
        indexes: await indexDefinitions(client, spec),
        rows: await tableRows(client, spec),
    };
}
