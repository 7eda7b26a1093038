// The same program in `external` database mode: a PostgreSQL server this test starts on the
// host (not in Docker). The program provisions the role, tables and grants there and runs
// only the broker container (the EMQX stand-in, which is not a broker).
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startPostgres, PostgresServer } from "../support/postgres-server";
import { docker, dockerInspect, freePort, makeWorkdir, Workdir, dockerProviderAvailable } from "./support";

const STACK = "e2e-external";

const dockerProvider = dockerProviderAvailable();
if (!dockerProvider.available) console.warn(`SKIPPED external.e2e.ts: ${dockerProvider.reason}`);

describe.skipIf(!dockerProvider.available)("pulumi up in external database mode against a PostgreSQL on the host", () => {
    let work: Workdir;
    let server: PostgresServer;
    let prefix: string;

    beforeAll(async () => {
        server = await startPostgres();
        work = makeWorkdir("external");
        prefix = `aiida-e2x-${process.pid}`;
        work.writeStackConfig(STACK, {
            "aiida-emqx:resourcePrefix": prefix,
            "aiida-emqx:emqxImage": process.env.AIIDA_TEST_EMQX_IMAGE ?? "aiida-test/emqx-standin:5.8.6",
            "aiida-emqx:databaseMode": "external",
            "aiida-emqx:databaseHost": server.host,
            "aiida-emqx:databasePort": server.port,
            "aiida-emqx:databaseAdminUser": server.superuser,
            "aiida-emqx:databaseSslMode": "disable",
            "aiida-emqx:databaseBrokerServer": `host.docker.internal:${server.port}`,
            "aiida-emqx:mqttTlsPort": await freePort(),
            "aiida-emqx:mqttTlsBindAddress": "127.0.0.1",
            "aiida-emqx:dashboardPort": await freePort(),
            "aiida-emqx:deleteDataOnDestroy": true,
        });
        await work.pulumi(["stack", "init", STACK]);
        await work.pulumi(["config", "set", "--secret", "--stack", STACK, "aiida-emqx:databaseAdminPassword", server.superuserPassword]);
    });

    afterAll(async () => {
        await work?.pulumi(["destroy", "--yes", "--stack", STACK], { allowFailure: true });
        await docker(["volume", "rm", "-f", `${prefix}-emqx-data`]).catch(() => undefined);
        work?.cleanup();
        await server?.stop();
    });

    it("deploys, provisions the host server, and tears down", async () => {
        await work.pulumi(["up", "--yes", "--stack", STACK]);
        const outputs = JSON.parse((await work.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", STACK])).stdout);
        expect(outputs.database).toEqual({ server: `host.docker.internal:${server.port}`, database: "aiida", username: "emqx", sslMode: "disable" });
        expect(await dockerInspect("container", `${prefix}-postgres`)).toBeUndefined();
        expect((await dockerInspect("container", `${prefix}-emqx`)).State.Health.Status).toBe("healthy");

        const client = new pg.Client({ host: server.host, port: server.port, user: "emqx", password: outputs.emqxDatabasePassword, database: "aiida" });
        await client.connect();
        const rows = await client.query("SELECT count(*)::int AS n FROM public.data_source_mqtt_acl");
        await client.end();
        expect(rows.rows[0].n).toBe(0);

        await work.pulumi(["up", "--yes", "--expect-no-changes", "--stack", STACK]);
        await work.pulumi(["destroy", "--yes", "--stack", STACK]);
        const admin = new pg.Client({ host: server.host, port: server.port, user: server.superuser, password: server.superuserPassword, database: "aiida" });
        await admin.connect();
        const role = await admin.query("SELECT 1 FROM pg_roles WHERE rolname = 'emqx'");
        const tables = await admin.query("SELECT to_regclass('public.data_source_mqtt_acl') AS t");
        await admin.end();
        expect(role.rowCount).toBe(0); // the role goes with the stack
        expect(tables.rows[0].t).toBeNull(); // deleteDataOnDestroy: true asked for the tables to go too
    });
});
