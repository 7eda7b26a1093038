import { describe, expect, it } from "vitest";
import { DEFAULT_ACL_SPEC } from "../support/acl-spec";
import { emqxGrants, emqxRole, type AclSchemaSpec } from "../../components/acl-schema-sql";
import { ACL_SCHEMA_TYPE, databasePortPolicy, grantsPolicy, rolePolicy } from "../../policy/database";
import { brokerContainer, databaseContainer } from "./fixtures";
import { UNKNOWN_INPUT, runResourcePolicy, secret } from "./harness";

const spec: AclSchemaSpec = DEFAULT_ACL_SPEC;

/** The dynamic resource's inputs as the program builds them (from the same functions). */
function aclSchema(role: unknown = emqxRole(spec), grants: unknown = emqxGrants(spec)) {
    return { type: ACL_SCHEMA_TYPE, name: "acl-schema", inputs: { role, grants, adminPassword: secret("admin-password"), __provider: "exports.handler = ..." } };
}

describe("emqx-db-role-least-privilege", () => {
    it("passes the role the program declares", async () => {
        expect((await runResourcePolicy(rolePolicy, aclSchema())).violations).toEqual([]);
    });
    it("flags superuser-like attributes", async () => {
        const outcome = await runResourcePolicy(rolePolicy, aclSchema({ ...emqxRole(spec), superuser: true, createRole: true, replication: true }));
        expect(outcome.violations).toEqual([
            expect.stringMatching(/superuser must be false/),
            expect.stringMatching(/createRole must be false/),
            expect.stringMatching(/replication must be false/),
        ]);
    });
    it("flags an unlimited or too large connection limit", async () => {
        expect((await runResourcePolicy(rolePolicy, aclSchema({ ...emqxRole(spec), connectionLimit: -1 }))).violations).toEqual([expect.stringMatching(/positive integer/)]);
        expect((await runResourcePolicy(rolePolicy, aclSchema(), { maxConnectionLimit: 10 })).violations).toEqual([expect.stringMatching(/exceeds the allowed 10/)]);
    });
    it("waits for `pulumi up` when the role is not known", async () => {
        expect((await runResourcePolicy(rolePolicy, aclSchema(UNKNOWN_INPUT))).unknownDuringPreview).toBeDefined();
    });
});

describe("emqx-db-grants-exact", () => {
    it("passes exactly CONNECT, USAGE and SELECT on the two tables", async () => {
        expect((await runResourcePolicy(grantsPolicy, aclSchema())).violations).toEqual([]);
    });
    it("flags write privileges and other tables", async () => {
        const grants = [
            ...emqxGrants(spec),
            { privilege: "INSERT", objectType: "table", objectName: "public.data_source_mqtt_user" },
            { privilege: "SELECT", objectType: "table", objectName: "public.data_source" },
            { privilege: "CREATE", objectType: "schema", objectName: "public" },
        ];
        const outcome = await runResourcePolicy(grantsPolicy, aclSchema(emqxRole(spec), grants));
        expect(outcome.violations).toEqual([
            expect.stringMatching(/INSERT on table .* is not allowed/),
            expect.stringMatching(/SELECT on table public\.data_source: the role may only read/),
            expect.stringMatching(/CREATE on schema public is not allowed/),
        ]);
    });
    it("flags a missing table grant and a table outside the granted schema", async () => {
        const grants = emqxGrants(spec).filter((g) => !g.objectName.endsWith("data_source_mqtt_acl"));
        grants.push({ privilege: "SELECT", objectType: "table", objectName: "other.data_source_mqtt_acl" });
        const outcome = await runResourcePolicy(grantsPolicy, aclSchema(emqxRole(spec), grants));
        expect(outcome.violations).toEqual([expect.stringMatching(/outside the granted schema public/)]);
        const missing = await runResourcePolicy(grantsPolicy, aclSchema(emqxRole(spec), emqxGrants(spec).slice(0, 3)));
        expect(missing.violations).toEqual([expect.stringMatching(/No SELECT on data_source_mqtt_acl/)]);
    });
    it("does not apply to other resources", async () => {
        expect((await runResourcePolicy(grantsPolicy, { type: "docker:index/network:Network", inputs: {} })).notApplicable).toBeDefined();
    });
});

describe("database-port-not-public", () => {
    it("passes a database published on loopback or not at all", async () => {
        expect((await runResourcePolicy(databasePortPolicy, databaseContainer({ ports: [{ internal: 5432, external: 5433, ip: "127.0.0.1", protocol: "tcp" }] }))).violations).toEqual([]);
        expect((await runResourcePolicy(databasePortPolicy, databaseContainer())).violations).toEqual([]);
        expect((await runResourcePolicy(databasePortPolicy, brokerContainer())).notApplicable).toMatch(/not the database container/);
    });
    it("flags PostgreSQL published on every interface", async () => {
        const outcome = await runResourcePolicy(databasePortPolicy, databaseContainer({ ports: [{ internal: 5432, external: 5433 }] }));
        expect(outcome.violations).toEqual([expect.stringMatching(/published on 0\.0\.0\.0:5433/)]);
    });
});
