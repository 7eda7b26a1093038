// The real Pulumi engine (CLI, Node.js language host, random and tls providers built offline)
// running the program's foundation against a real PostgreSQL on the host: Credentials,
// Certificates and the Database component in external mode, whose EmqxAclSchema dynamic
// provider is serialised, stored in state and re-run by the engine. No Docker provider is
// involved (none can be built here; see scripts/toolchain/README.md).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { PostgresServer, startPostgres } from "../support/postgres-server";
import { makeWorkdir, tlsHandshakes, Workdir } from "./support";

const STACK = "engine";

describe("the real engine on the program's foundation (external database on the host)", () => {
    let server: PostgresServer;
    let work: Workdir;
    let config: Record<string, unknown>;
    let outputs: Record<string, string>;

    const outputsOf = async () => JSON.parse((await work.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", STACK])).stdout);
    const login = async (password: string) => {
        const client = new pg.Client({ host: server.host, port: server.port, user: "emqx", password, database: "aiida" });
        try {
            await client.connect();
            return (await client.query("SELECT count(*)::int AS n FROM public.data_source_mqtt_user")).rows[0].n as number;
        } finally {
            await client.end().catch(() => undefined);
        }
    };
    const admin = async <T>(work: (c: pg.Client) => Promise<T>) => {
        const client = new pg.Client({ host: server.host, port: server.port, user: server.superuser, password: server.superuserPassword, database: "aiida" });
        await client.connect();
        try {
            return await work(client);
        } finally {
            await client.end();
        }
    };

    beforeAll(async () => {
        server = await startPostgres();
        work = makeWorkdir("engine", { main: "test/e2e/fixtures/foundation-program.ts" });
        config = {
            "aiida-emqx:databaseMode": "external",
            "aiida-emqx:databaseHost": server.host,
            "aiida-emqx:databasePort": server.port,
            "aiida-emqx:databaseAdminUser": server.superuser,
            "aiida-emqx:databaseSslMode": "disable",
            "aiida-emqx:databaseRevokePublicPrivileges": true,
            "aiida-emqx:tlsDnsNames": ["localhost", "mqtt.e2e.test"],
            "aiida-emqx:tlsIpAddresses": ["127.0.0.1"],
        };
        work.writeStackConfig(STACK, config);
        await work.pulumi(["stack", "init", STACK]);
        await work.pulumi(["config", "set", "--secret", "--stack", STACK, "aiida-emqx:databaseAdminPassword", server.superuserPassword]);
    });

    afterAll(async () => {
        await work?.pulumi(["destroy", "--yes", "--stack", STACK], { allowFailure: true });
        work?.cleanup();
        await server?.stop();
    });

    it("previews, then deploys: the emqx role logs in with the output password and has exactly its grants", async () => {
        await work.pulumi(["preview", "--stack", STACK]);
        await work.pulumi(["up", "--yes", "--stack", STACK]);
        outputs = await outputsOf();
        expect(await login(outputs.emqxDatabasePassword)).toBe(0);
        const grants = await admin((c) =>
            c.query(
                `SELECT has_table_privilege('emqx', 'public.data_source_mqtt_user', 'SELECT') AS sel_user,
                        has_table_privilege('emqx', 'public.data_source_mqtt_acl', 'SELECT') AS sel_acl,
                        has_table_privilege('emqx', 'public.data_source_mqtt_acl', 'INSERT') AS ins_acl,
                        has_database_privilege('emqx', 'postgres', 'CONNECT') AS other_db,
                        (SELECT rolsuper OR rolcreatedb OR rolcreaterole OR rolreplication FROM pg_roles WHERE rolname = 'emqx') AS powerful,
                        (SELECT rolconnlimit FROM pg_roles WHERE rolname = 'emqx') AS connlimit`,
            ),
        );
        expect(grants.rows[0]).toEqual({ sel_user: true, sel_acl: true, ins_acl: false, other_db: false, powerful: false, connlimit: 20 });
    });

    it("issues a server certificate that verifies against the exported CA for every name in a real TLS handshake", async () => {
        const [localhost, named, brokerHost, ip, elsewhere] = await tlsHandshakes(outputs.serverCertificatePem, outputs.serverPrivateKeyPem, outputs.caCertificatePem, [
            "localhost",
            "mqtt.e2e.test",
            "emqx.aiida.internal",
            undefined, // the IP SAN 127.0.0.1
            "elsewhere.example",
        ]);
        for (const result of [localhost, named, brokerHost, ip]) expect(result).toEqual({ status: "fulfilled", value: true });
        expect(elsewhere.status).toBe("rejected");
    });

    it("converges: a second up, and a refresh then preview, change nothing", async () => {
        await work.pulumi(["up", "--yes", "--expect-no-changes", "--stack", STACK]);
        await work.pulumi(["refresh", "--yes", "--stack", STACK]);
        await work.pulumi(["preview", "--expect-no-changes", "--stack", STACK]);
    });

    it("repairs drift found by refresh: a role made superuser behind Pulumi's back is reconverged", async () => {
        await admin((c) => c.query("ALTER ROLE emqx SUPERUSER"));
        await work.pulumi(["refresh", "--yes", "--stack", STACK]);
        const preview = await work.pulumi(["preview", "--expect-no-changes", "--stack", STACK], { allowFailure: true });
        expect(preview.code).not.toBe(0);
        await work.pulumi(["up", "--yes", "--stack", STACK]);
        expect((await admin((c) => c.query("SELECT rolsuper FROM pg_roles WHERE rolname = 'emqx'"))).rows[0].rolsuper).toBe(false);
    });

    it("rotates the emqx password: the new one logs in, the old one is refused, rows are kept", async () => {
        await admin((c) => c.query("INSERT INTO public.data_source_mqtt_user (password, username) VALUES ('$2a$12$x', 'kept-row')"));
        const old = outputs.emqxDatabasePassword;
        await work.pulumi(["config", "set", "--secret", "--stack", STACK, "aiida-emqx:emqxDatabasePassword", "Rotated-Password-0123456789"]);
        await work.pulumi(["up", "--yes", "--stack", STACK]);
        outputs = await outputsOf();
        expect(outputs.emqxDatabasePassword).toBe("Rotated-Password-0123456789");
        expect(await login(outputs.emqxDatabasePassword)).toBe(1);
        await expect(login(old)).rejects.toThrow(/password authentication failed/);
    });

    it("runs the policy pack on previews: this stack passes, an insecure one fails on its mandatory violations", async () => {
        const secure = await work.pulumi(["preview", "--stack", STACK, "--policy-pack", "policy"], { allowFailure: true });
        expect(secure.code, secure.stdout + secure.stderr).toBe(0);
        expect(secure.stdout + secure.stderr).not.toMatch(/\[mandatory\]/);

        work.writeStackConfig("insecure", { ...config, "aiida-emqx:databaseRoleConnectionLimit": 500, "aiida-emqx:tlsServerValidityDays": 800 });
        await work.pulumi(["stack", "init", "insecure"]);
        await work.pulumi(["config", "set", "--secret", "--stack", "insecure", "aiida-emqx:databaseAdminPassword", server.superuserPassword]);
        const insecure = await work.pulumi(["preview", "--stack", "insecure", "--policy-pack", "policy"], { allowFailure: true });
        const text = insecure.stdout + insecure.stderr;
        expect(insecure.code, text).not.toBe(0);
        expect(text).toMatch(/\[mandatory\][^\n]*emqx-db-role-least-privilege/);
        expect(text).toMatch(/\[advisory\][^\n]*certificate-validity/);
        await work.pulumi(["stack", "rm", "--yes", "insecure"]);
    });

    it("keeps every generated password and private key out of the exported state", async () => {
        const exported = (await work.pulumi(["stack", "export", "--show-secrets=false", "--stack", STACK])).stdout;
        const keyBody = outputs.serverPrivateKeyPem.split("\n").slice(1, -2).join("");
        for (const secret of [outputs.emqxDatabasePassword, outputs.aiidaMqttPassword, server.superuserPassword, keyBody.slice(0, 40)]) {
            expect(exported).not.toContain(secret);
        }
        expect(exported).not.toMatch(/BEGIN (EC |RSA )?PRIVATE KEY/);
    });

    it("destroys the role but keeps the tables and their rows (deleteDataOnDestroy is false)", async () => {
        await work.pulumi(["destroy", "--yes", "--stack", STACK]);
        const after = await admin(async (c) => ({
            role: (await c.query("SELECT 1 FROM pg_roles WHERE rolname = 'emqx'")).rowCount,
            rows: (await c.query("SELECT username FROM public.data_source_mqtt_user")).rows.map((r) => r.username),
        }));
        expect(after).toEqual({ role: 0, rows: ["kept-row"] });
    });
});
