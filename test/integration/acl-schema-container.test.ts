// The database side of the broker's auth path on a real PostgreSQL server, in "container
// mode" (the server is the stack's own: revokePublicPrivileges = true). Everything is created
// by provisionAclSchema, the program's one code path for the role, tables, indexes and grants.
import { DEFAULT_ACL_SPEC } from "../support/acl-spec";
import bcrypt from "bcryptjs";
import { randomBytes, randomUUID } from "crypto";
import { Client } from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { deprovisionAclSchema, provisionAclSchema, ProvisionResult, readAclSchema } from "../../components/acl-schema-provisioner";
import { ACL_TABLES, AclSchemaSpec, emqxGrants } from "../../components/acl-schema-sql";
import { BrokerQueries, brokerQueries } from "../support/broker-queries";
import { bindValues } from "../support/emqx-sql";
import { connect, connectError, describeGrants, privilegesOf, schemaSnapshot, sqlState, tableRows, withClient } from "../support/pg-inspect";
import { PostgresServer, startPostgres } from "../support/postgres-server";

const SPEC: AclSchemaSpec = DEFAULT_ACL_SPEC;
const USERS = `${SPEC.schema}.${ACL_TABLES.users}`;
const ACL = `${SPEC.schema}.${ACL_TABLES.acl}`;

let queries: BrokerQueries;
const DATA_SOURCE = randomUUID();
const DATA_SOURCE_PASSWORD = randomBytes(24).toString("base64url");
const OTHER_SOURCE = randomUUID();

let server: PostgresServer;
let emqxPassword = randomBytes(24).toString("base64url");
let firstRun: ProvisionResult;
let emqx: Client;
let dataSourceHash: string;

async function authenticate(client: Client, username: string) {
    return client.query({ name: "authn", text: queries.authentication.text, values: bindValues(queries.authentication, { username }) });
}

async function authorize(client: Client, username: string) {
    return client.query({ name: "authz", text: queries.authorization.text, values: bindValues(queries.authorization, { username }) });
}

beforeAll(async () => {
    queries = await brokerQueries();
    server = await startPostgres();
    // Cost 12 as AIIDA (MQTT_BCRYPT_SALT_ROUNDS); made once, it takes ~250 ms.
    dataSourceHash = await bcrypt.hash(DATA_SOURCE_PASSWORD, 12);
    firstRun = await provisionAclSchema(server.admin(), SPEC, emqxPassword);
    await withClient(server, SPEC.database, async (admin) => {
        // What AIIDA writes for two data sources.
        await admin.query(`INSERT INTO ${USERS} (password, username) VALUES ($1, $2), ($3, $4)`, [
            dataSourceHash,
            DATA_SOURCE,
            await bcrypt.hash("other", 4),
            OTHER_SOURCE,
        ]);
        await admin.query(
            `INSERT INTO ${ACL} (acl_type, action, topic, username) VALUES
                ('ALLOW', 'ALL', $2, $1), ('ALLOW', 'SUBSCRIBE', $3, $1), ('DENY', 'PUBLISH', '#', $1),
                ('ALLOW', 'ALL', $4, $5)`,
            [DATA_SOURCE, `aiida/${DATA_SOURCE}/data`, `aiida/${DATA_SOURCE}/commands`, `aiida/${OTHER_SOURCE}/data`, OTHER_SOURCE],
        );
        // Tables the role must not see: one beside the ACL tables, one in another schema.
        await admin.query("CREATE TABLE public.aiida_private (id int PRIMARY KEY, secret text)");
        await admin.query("INSERT INTO public.aiida_private VALUES (1, 'not for the broker')");
        await admin.query("CREATE SCHEMA internal");
        await admin.query("CREATE TABLE internal.settings (k text PRIMARY KEY, v text)");
    });
    emqx = await connect(server, SPEC.roleName, emqxPassword, SPEC.database);
});

afterAll(async () => {
    await emqx?.end().catch(() => undefined);
    await server?.stop();
});

describe("provisioning a fresh server", () => {
    it("creates the database, the role, both tables and their username indexes", async () => {
        expect(firstRun).toEqual({ roleCreated: true, databaseCreated: true, tablesCreated: true });
        const observed = await readAclSchema(server.admin(), SPEC);
        expect(observed).toEqual({
            roleExists: true,
            role: { login: true, superuser: false, createDb: false, createRole: false, replication: false, bypassRls: false, connectionLimit: 20 },
            tables: { [ACL_TABLES.users]: true, [ACL_TABLES.acl]: true },
            usernameIndexes: { [ACL_TABLES.users]: true, [ACL_TABLES.acl]: true },
        });
    });

    it("grants the role exactly the four declared privileges and nothing else", async () => {
        const held = await withClient(server, SPEC.database, (admin) => privilegesOf(admin, SPEC.roleName));
        expect(held).toEqual(describeGrants(emqxGrants(SPEC)));
        expect(held).toEqual([
            "CONNECT ON database aiida",
            "SELECT ON table public.data_source_mqtt_acl",
            "SELECT ON table public.data_source_mqtt_user",
            "USAGE ON schema public",
        ]);
    });
});

describe("authentication: the broker's query as emqx, over TCP with its password", () => {
    it("the data source's cost-12 bcrypt hash verifies with the right password", async () => {
        const result = await authenticate(emqx, DATA_SOURCE);
        expect(result.rows).toHaveLength(1);
        expect(result.fields.map((f) => f.name)).toEqual(["password_hash"]);
        const hash: string = result.rows[0].password_hash;
        expect(hash).toMatch(/^\$2[aby]\$12\$/);
        expect(bcrypt.getRounds(hash)).toBe(12);
        expect(await bcrypt.compare(DATA_SOURCE_PASSWORD, hash)).toBe(true);
    });

    it("the same hash fails with a wrong password", async () => {
        const hash: string = (await authenticate(emqx, DATA_SOURCE)).rows[0].password_hash;
        expect(await bcrypt.compare(`${DATA_SOURCE_PASSWORD}x`, hash)).toBe(false);
    });

    it("an unknown user returns no row (EMQX then moves to the next authenticator)", async () => {
        expect((await authenticate(emqx, randomUUID())).rowCount).toBe(0);
    });

    it("a username shaped like SQL stays a value (bound parameter, no row)", async () => {
        expect((await authenticate(emqx, "' OR '1'='1")).rowCount).toBe(0);
        expect((await authenticate(emqx, `${DATA_SOURCE}' --`)).rowCount).toBe(0);
    });
});

describe("authorization: the broker's query as emqx", () => {
    it("returns the user's ACL rows in lower case with exactly the columns EMQX reads", async () => {
        const result = await authorize(emqx, DATA_SOURCE);
        expect(result.fields.map((f) => f.name).sort()).toEqual(["action", "permission", "topic"]);
        const rows = result.rows.map((r) => ({ permission: r.permission, action: r.action, topic: r.topic }));
        expect(rows).toHaveLength(3);
        expect(rows).toEqual(
            expect.arrayContaining([
                { permission: "allow", action: "all", topic: `aiida/${DATA_SOURCE}/data` },
                { permission: "allow", action: "subscribe", topic: `aiida/${DATA_SOURCE}/commands` },
                { permission: "deny", action: "publish", topic: "#" },
            ]),
        );
        for (const row of rows) {
            expect(["allow", "deny"]).toContain(row.permission);
            expect(["publish", "subscribe", "all"]).toContain(row.action);
        }
    });

    it("never returns another user's rows, and none for an unknown user", async () => {
        const topics = (await authorize(emqx, DATA_SOURCE)).rows.map((r) => r.topic as string);
        expect(topics.some((t) => t.includes(OTHER_SOURCE))).toBe(false);
        expect((await authorize(emqx, randomUUID())).rowCount).toBe(0);
    });
});

describe("least privilege as emqx", () => {
    const writes = (table: string) => ({
        INSERT: `INSERT INTO ${table} SELECT * FROM ${table} LIMIT 1`,
        UPDATE: `UPDATE ${table} SET username = username`,
        DELETE: `DELETE FROM ${table}`,
        TRUNCATE: `TRUNCATE ${table}`,
    });
    const cases = [USERS, ACL].flatMap((table) => Object.entries(writes(table)).map(([verb, sql]) => ({ verb, table, sql })));

    it.each(cases)("$verb on $table is denied", async ({ sql }) => {
        expect(await sqlState(emqx.query(sql))).toBe("42501");
    });

    it("the tables still hold every row after those attempts", async () => {
        const rows = await withClient(server, SPEC.database, (admin) => tableRows(admin, SPEC));
        expect(rows[ACL_TABLES.users]).toHaveLength(2);
        expect(rows[ACL_TABLES.acl]).toHaveLength(4);
    });

    it("reading another table in the same schema is denied", async () => {
        expect(await sqlState(emqx.query("SELECT * FROM public.aiida_private"))).toBe("42501");
    });

    it("reading a table in another schema is denied", async () => {
        expect(await sqlState(emqx.query("SELECT * FROM internal.settings"))).toBe("42501");
    });

    it("using the tables' id sequences is denied", async () => {
        expect(await sqlState(emqx.query(`SELECT nextval('${USERS}_id_seq')`))).toBe("42501");
    });

    it("CREATE in the schema is denied", async () => {
        expect(await sqlState(emqx.query("CREATE TABLE public.emqx_was_here (id int)"))).toBe("42501");
    });

    it("creating a schema or a temporary table is denied", async () => {
        expect(await sqlState(emqx.query("CREATE SCHEMA emqx_schema"))).toBe("42501");
        expect(await sqlState(emqx.query("CREATE TEMP TABLE emqx_tmp (id int)"))).toBe("42501");
    });

    it("connecting to another database is denied", async () => {
        expect(await connectError(server, SPEC.roleName, emqxPassword, "postgres")).toBe("42501");
        expect(await connectError(server, SPEC.roleName, emqxPassword, "template1")).toBe("42501");
    });
});

describe("idempotency", () => {
    it("provisioning again reports nothing created, raises nothing and changes nothing", async () => {
        const before = await withClient(server, SPEC.database, (admin) => schemaSnapshot(admin, SPEC));
        const again = await provisionAclSchema(server.admin(), SPEC, emqxPassword);
        expect(again).toEqual({ roleCreated: false, databaseCreated: false, tablesCreated: false });
        const after = await withClient(server, SPEC.database, (admin) => schemaSnapshot(admin, SPEC));
        expect(after).toEqual(before);
        // Same password still logs in (the verifier is re-salted, the password is the same).
        expect(await connectError(server, SPEC.roleName, emqxPassword, SPEC.database)).toBeUndefined();
    });
});

describe("password rotation", () => {
    it("a new emqx password lets the new one in and keeps the old one out", async () => {
        const oldPassword = emqxPassword;
        emqxPassword = randomBytes(24).toString("base64url");
        await provisionAclSchema(server.admin(), SPEC, emqxPassword);
        expect(await connectError(server, SPEC.roleName, emqxPassword, SPEC.database)).toBeUndefined();
        expect(await connectError(server, SPEC.roleName, oldPassword, SPEC.database)).toBe("28P01");
        // A session opened before the rotation keeps working (PostgreSQL checks passwords at
        // login only): the broker's pools move to the new password as they reconnect.
        expect((await authenticate(emqx, DATA_SOURCE)).rowCount).toBe(1);
    });
});

describe("deprovisioning", () => {
    it("drops the role and keeps the tables and their rows", async () => {
        await emqx.end();
        const before = await withClient(server, SPEC.database, (admin) => tableRows(admin, SPEC));
        await deprovisionAclSchema(server.admin(), SPEC, { dropTables: false });
        const observed = await readAclSchema(server.admin(), SPEC);
        expect(observed.roleExists).toBe(false);
        expect(observed.tables).toEqual({ [ACL_TABLES.users]: true, [ACL_TABLES.acl]: true });
        expect(await withClient(server, SPEC.database, (admin) => tableRows(admin, SPEC))).toEqual(before);
        expect(await connectError(server, SPEC.roleName, emqxPassword, SPEC.database)).toBe("28P01");
    });
});
