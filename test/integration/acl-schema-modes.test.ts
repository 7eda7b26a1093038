// provisionAclSchema against databases that already hold data: AIIDA's own tables (AIIDA-owned
// mode), tables with rows in program-owned mode, a pre-existing emqx role with more than it
// should have, and a shared server where PUBLIC's defaults are left alone. The tests in this
// file run in order on one server: the shared-server checks come before anything that
// revokes PUBLIC's privileges cluster-wide.
import { randomBytes, randomUUID } from "crypto";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { AclSchemaError, provisionAclSchema, readAclSchema } from "../../components/acl-schema-provisioner";
import { ACL_TABLES, AclSchemaSpec, emqxGrants } from "../../components/acl-schema-sql";
import { BrokerQueries, brokerQueries } from "../support/broker-queries";
import { bindValues } from "../support/emqx-sql";
import { connect, connectError, describeGrants, indexDefinitions, privilegesOf, sqlState, tableRows, withClient } from "../support/pg-inspect";
import { PostgresServer, startPostgres } from "../support/postgres-server";

// These tests only check that the hash comes back unchanged (bcrypt verification itself is
// proven in the container-mode file), so a fixed string in bcrypt's cost-12 shape will do.
const HASH = "$2a$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW";

/** AIIDA's Flyway DDL for the two tables and its username indexes (migration names). */
const AIIDA_MIGRATIONS = [
    `CREATE TABLE public.data_source_mqtt_acl
     (
         id       BIGSERIAL PRIMARY KEY,
         acl_type TEXT NOT NULL CHECK ( LENGTH(acl_type) <= 5 ),
         action   TEXT NOT NULL CHECK ( LENGTH(action) <= 9 ),
         topic    TEXT NOT NULL,
         username TEXT NOT NULL
     )`,
    `CREATE TABLE public.data_source_mqtt_user
     (
         id       BIGSERIAL PRIMARY KEY,
         password TEXT NOT NULL,
         username TEXT NOT NULL
     )`,
    "CREATE INDEX IF NOT EXISTS idx_data_source_mqtt_user__username ON data_source_mqtt_user (username)",
    "CREATE INDEX IF NOT EXISTS idx_data_source_mqtt_acl__username ON data_source_mqtt_acl (username)",
];

/** Rows as AIIDA writes them: one user per data source, ACL rows in upper case. */
async function seedAiidaRows(client: Client, sources: number): Promise<string[]> {
    const ids = Array.from({ length: sources }, () => randomUUID());
    for (const id of ids) {
        await client.query("INSERT INTO public.data_source_mqtt_user (password, username) VALUES ($1, $2)", [HASH, id]);
        await client.query(
            "INSERT INTO public.data_source_mqtt_acl (acl_type, action, topic, username) VALUES ('ALLOW', 'ALL', $2, $1), ('DENY', 'SUBSCRIBE', '#', $1)",
            [id, `aiida/${id}/data`],
        );
    }
    return ids;
}

let queries: BrokerQueries;
const password = () => randomBytes(18).toString("base64url");
let server: PostgresServer;

beforeAll(async () => {
    queries = await brokerQueries();
    server = await startPostgres();
});

afterAll(async () => {
    await server?.stop();
});

describe("shared server (revokePublicPrivileges: false)", () => {
    const spec: AclSchemaSpec = { database: "aiida_shared", schema: "public", roleName: "emqx_shared", connectionLimit: 16, tablesOwnedByAiida: false, revokePublicPrivileges: false };
    const secret = password();

    beforeAll(async () => {
        await provisionAclSchema(server.admin(), spec, secret);
    });

    it("grants exactly the four declared privileges", async () => {
        expect(await withClient(server, spec.database, (c) => privilegesOf(c, spec.roleName))).toEqual(describeGrants(emqxGrants(spec)));
    });

    it("leaves PUBLIC's defaults alone, so connection isolation is pg_hba's job on a shared server", async () => {
        const publicConnect = await withClient(server, "postgres", (c) =>
            c.query<{ ok: boolean }>("SELECT has_database_privilege('public', 'postgres', 'CONNECT') AS ok"),
        );
        expect(publicConnect.rows[0].ok).toBe(true);
        // Documented consequence: the role can open a session in another database (where it
        // can read nothing of note); only pg_hba.conf can stop that on a shared server.
        expect(await connectError(server, spec.roleName, secret, "postgres")).toBeUndefined();
    });

    it("still cannot write the tables or create in the schema", async () => {
        const emqx = await connect(server, spec.roleName, secret, spec.database);
        try {
            expect(await sqlState(emqx.query(`DELETE FROM public.${ACL_TABLES.users}`))).toBe("42501");
            expect(await sqlState(emqx.query(`INSERT INTO public.${ACL_TABLES.acl} (acl_type, action, topic, username) VALUES ('ALLOW','ALL','#','x')`))).toBe("42501");
            // PostgreSQL >= 15 no longer grants CREATE on schema public to PUBLIC.
            expect(await sqlState(emqx.query("CREATE TABLE public.emqx_was_here (id int)"))).toBe("42501");
        } finally {
            await emqx.end();
        }
    });
});

describe("program-owned mode on tables that already exist and hold rows", () => {
    const spec: AclSchemaSpec = { database: "aiida_existing", schema: "public", roleName: "emqx_existing", connectionLimit: 16, tablesOwnedByAiida: false, revokePublicPrivileges: false };
    let rowsBefore: Record<string, unknown[]>;
    let indexesBefore: string[];

    beforeAll(async () => {
        await withClient(server, "postgres", (c) => c.query(`CREATE DATABASE ${spec.database}`));
        await withClient(server, spec.database, async (c) => {
            for (const sql of AIIDA_MIGRATIONS) await c.query(sql);
            await seedAiidaRows(c, 3);
            rowsBefore = await tableRows(c, spec);
            indexesBefore = await indexDefinitions(c, spec);
        });
    });

    it("keeps every row, creates nothing that exists, and does not duplicate the username indexes", async () => {
        const result = await provisionAclSchema(server.admin(), spec, password());
        expect(result).toEqual({ roleCreated: true, databaseCreated: false, tablesCreated: false });
        await withClient(server, spec.database, async (c) => {
            expect(await tableRows(c, spec)).toEqual(rowsBefore);
            expect(await indexDefinitions(c, spec)).toEqual(indexesBefore);
        });
    });

    it("keeps every row when run again", async () => {
        await provisionAclSchema(server.admin(), spec, password());
        expect(await withClient(server, spec.database, (c) => tableRows(c, spec))).toEqual(rowsBefore);
    });
});

describe("a pre-existing emqx role that holds more than it should", () => {
    const spec: AclSchemaSpec = { database: "aiida_legacy", schema: "public", roleName: "emqx_legacy", connectionLimit: 16, tablesOwnedByAiida: false, revokePublicPrivileges: false };
    const secret = password();

    beforeAll(async () => {
        await withClient(server, "postgres", async (c) => {
            await c.query(`CREATE DATABASE ${spec.database}`);
            await c.query(`CREATE ROLE ${spec.roleName} LOGIN CREATEDB PASSWORD '${password()}'`);
        });
        await withClient(server, spec.database, async (c) => {
            for (const sql of AIIDA_MIGRATIONS) await c.query(sql);
            // What an old init script or an old AIIDA migration may have left behind.
            await c.query("CREATE TABLE public.data_source (id uuid PRIMARY KEY, name text)");
            await c.query("CREATE SCHEMA internal");
            await c.query("CREATE TABLE internal.settings (k text PRIMARY KEY, v text)");
            await c.query(`GRANT SELECT ON public.data_source TO ${spec.roleName}`);
            await c.query(`GRANT INSERT, UPDATE, DELETE, TRUNCATE ON public.${ACL_TABLES.users}, public.${ACL_TABLES.acl} TO ${spec.roleName}`);
            await c.query(`GRANT CREATE ON SCHEMA public TO ${spec.roleName}`);
            await c.query(`GRANT TEMPORARY, CREATE ON DATABASE ${spec.database} TO ${spec.roleName}`);
            await c.query(`GRANT USAGE ON SCHEMA internal TO ${spec.roleName}`);
            await c.query(`GRANT SELECT ON internal.settings TO ${spec.roleName}`);
            await c.query(`GRANT pg_read_all_data TO ${spec.roleName}`);
            // A group role whose name needs quoting.
            await c.query(`CREATE ROLE "Legacy Readers" NOLOGIN`);
            await c.query(`GRANT SELECT ON public.data_source TO "Legacy Readers"`);
            await c.query(`GRANT "Legacy Readers" TO ${spec.roleName}`);
            await c.query(`GRANT CONNECT ON DATABASE postgres TO ${spec.roleName}`);
            await c.query(`ALTER DEFAULT PRIVILEGES IN SCHEMA public GRANT SELECT ON TABLES TO ${spec.roleName}`);
            await c.query(`ALTER DEFAULT PRIVILEGES GRANT USAGE ON SEQUENCES TO ${spec.roleName}`);
        });
        await provisionAclSchema(server.admin(), spec, secret);
    });

    it("resets the role's attributes", async () => {
        const observed = await readAclSchema(server.admin(), spec);
        expect(observed.role).toEqual({ login: true, superuser: false, createDb: false, createRole: false, replication: false, bypassRls: false, connectionLimit: 16 });
    });

    it("leaves exactly the four declared privileges (grants, schemas and role memberships)", async () => {
        expect(await withClient(server, spec.database, (c) => privilegesOf(c, spec.roleName))).toEqual(describeGrants(emqxGrants(spec)));
    });

    it("future tables do not become readable through default privileges", async () => {
        await withClient(server, spec.database, (c) => c.query("CREATE TABLE public.created_later (id int)"));
        const emqx = await connect(server, spec.roleName, secret, spec.database);
        try {
            expect(await sqlState(emqx.query("SELECT * FROM public.created_later"))).toBe("42501");
        } finally {
            await emqx.end();
        }
    });

    it("can no longer read, write or create anything else", async () => {
        const emqx = await connect(server, spec.roleName, secret, spec.database);
        try {
            expect(await sqlState(emqx.query("SELECT * FROM public.data_source"))).toBe("42501");
            expect(await sqlState(emqx.query("SELECT * FROM internal.settings"))).toBe("42501");
            expect(await sqlState(emqx.query(`DELETE FROM public.${ACL_TABLES.users}`))).toBe("42501");
            expect(await sqlState(emqx.query("CREATE TABLE public.emqx_was_here (id int)"))).toBe("42501");
            expect(await sqlState(emqx.query("CREATE SCHEMA emqx_schema"))).toBe("42501");
        } finally {
            await emqx.end();
        }
    });
});

describe("AIIDA-owned mode before AIIDA has created its tables", () => {
    const spec: AclSchemaSpec = { database: "aiida_not_migrated", schema: "public", roleName: "emqx_early", connectionLimit: 16, tablesOwnedByAiida: true, revokePublicPrivileges: false };

    it("refuses with an actionable error and creates neither the role nor the tables", async () => {
        await expect(provisionAclSchema(server.admin(), spec, password())).rejects.toThrow(AclSchemaError);
        await expect(provisionAclSchema(server.admin(), spec, password())).rejects.toThrow(/databaseTablesOwnedByAiida/);
        const observed = await readAclSchema(server.admin(), spec);
        expect(observed.roleExists).toBe(false);
        expect(observed.tables).toEqual({ [ACL_TABLES.users]: false, [ACL_TABLES.acl]: false });
    });
});

describe("AIIDA-owned mode: AIIDA's migrations made the tables, the stack owns the server", () => {
    const spec: AclSchemaSpec = { database: "aiida_owned", schema: "public", roleName: "emqx_aiida", connectionLimit: 16, tablesOwnedByAiida: true, revokePublicPrivileges: true };
    const aiidaPassword = password();
    const emqxPassword = password();
    let aiida: Client;
    let sources: string[];
    let rowsBefore: Record<string, unknown[]>;
    let indexesBefore: string[];

    beforeAll(async () => {
        await withClient(server, "postgres", async (c) => {
            await c.query(`CREATE ROLE aiida LOGIN PASSWORD '${aiidaPassword}'`);
            await c.query(`CREATE DATABASE ${spec.database} OWNER aiida`);
        });
        // AIIDA (Spring + Flyway) runs its migrations as its own database user.
        aiida = await connect(server, "aiida", aiidaPassword, spec.database);
        for (const sql of AIIDA_MIGRATIONS) await aiida.query(sql);
        sources = await seedAiidaRows(aiida, 5);
        rowsBefore = await tableRows(aiida, spec);
        indexesBefore = await indexDefinitions(aiida, spec);
        expect(indexesBefore.filter((d) => d.includes("(username)"))).toHaveLength(2);
    });

    afterAll(async () => {
        await aiida?.end().catch(() => undefined);
    });

    it("grants exactly the four declared privileges on AIIDA's tables", async () => {
        const result = await provisionAclSchema(server.admin(), spec, emqxPassword);
        expect(result).toEqual({ roleCreated: true, databaseCreated: false, tablesCreated: false });
        expect(await withClient(server, spec.database, (c) => privilegesOf(c, spec.roleName))).toEqual(describeGrants(emqxGrants(spec)));
    });

    it("keeps every row, AIIDA's indexes, constraints and table ownership", async () => {
        expect(await tableRows(aiida, spec)).toEqual(rowsBefore);
        expect(await indexDefinitions(aiida, spec)).toEqual(indexesBefore);
        const owners = await aiida.query<{ relname: string; owner: string }>(
            "SELECT relname, pg_get_userbyid(relowner) AS owner FROM pg_class WHERE relname = ANY($1::text[]) ORDER BY relname",
            [Object.values(ACL_TABLES)],
        );
        expect(owners.rows.map((r) => r.owner)).toEqual(["aiida", "aiida"]);
        expect(await sqlState(aiida.query("INSERT INTO public.data_source_mqtt_acl (acl_type, action, topic, username) VALUES ('ALLOW!', 'ALL', '#', 'x')"))).toBe("23514");
    });

    it("the broker reads what AIIDA writes, and AIIDA (the database owner) still connects and writes", async () => {
        const fresh = (await seedAiidaRows(aiida, 1))[0];
        const emqx = await connect(server, spec.roleName, emqxPassword, spec.database);
        try {
            for (const username of [sources[0], fresh]) {
                const authn = await emqx.query({ name: "authn", text: queries.authentication.text, values: bindValues(queries.authentication, { username }) });
                expect(authn.rows).toEqual([{ password_hash: HASH }]);
                const authz = await emqx.query({ name: "authz", text: queries.authorization.text, values: bindValues(queries.authorization, { username }) });
                expect(authz.rows).toEqual(
                    expect.arrayContaining([
                        { action: "all", permission: "allow", topic: `aiida/${username}/data` },
                        { action: "subscribe", permission: "deny", topic: "#" },
                    ]),
                );
            }
            expect(await sqlState(emqx.query("UPDATE public.data_source_mqtt_user SET password = 'x'"))).toBe("42501");
        } finally {
            await emqx.end();
        }
        expect(await connectError(server, "aiida", aiidaPassword, spec.database)).toBeUndefined();
    });

    it("container mode closes every other database to the role", async () => {
        for (const db of ["postgres", "aiida_shared", "aiida_existing"]) {
            expect(await connectError(server, spec.roleName, emqxPassword, db)).toBe("42501");
        }
    });
});
