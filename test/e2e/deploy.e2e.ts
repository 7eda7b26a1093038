// The dev-shaped stack deployed by the real Pulumi engine onto the real Docker engine, with a
// real PostgreSQL container. The EMQX container runs aiida-test/emqx-standin, which is NOT a
// broker (no EMQX image exists offline): it checks the files a broker needs and answers the
// healthcheck, so this proves the deployment, not MQTT.
import { readFileSync } from "fs";
import { mkdtempSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import bcrypt from "bcryptjs";
import pg from "pg";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BROKER_PATHS } from "../../components/broker-config";
import { renderStackFiles } from "../../scripts/render";
import { docker, dockerInspect, freePort, makeWorkdir, Workdir, dockerProviderAvailable, tlsHandshakes } from "./support";

const STACK = "e2e";
const EMQX_IMAGE = process.env.AIIDA_TEST_EMQX_IMAGE ?? "aiida-test/emqx-standin:5.8.6";
const PG_IMAGE = process.env.AIIDA_TEST_POSTGRES_IMAGE ?? "aiida-test/postgres:15-local";

interface Outputs {
    mqttInternalUrl: string;
    caCertificatePem: string;
    aiidaMqttPassword: string;
    dashboardPassword: string;
    emqxDatabasePassword: string;
    database: { server: string; database: string; username: string };
    networkName: string;
}

const dockerProvider = dockerProviderAvailable();
if (!dockerProvider.available) console.warn(`SKIPPED deploy.e2e.ts: ${dockerProvider.reason}`);

describe.skipIf(!dockerProvider.available)("pulumi up of the dev-shaped stack on the local Docker engine", () => {
    let work: Workdir;
    let prefix: string;
    let ports: { tls: number; dashboard: number; plain: number; db: number };
    let config: Record<string, unknown>;
    let outputs: Outputs;

    const outputsOf = async (): Promise<Outputs> => JSON.parse((await work.pulumi(["stack", "output", "--json", "--show-secrets", "--stack", STACK])).stdout);
    const emqxClient = async () => {
        const client = new pg.Client({ host: "127.0.0.1", port: ports.db, user: "emqx", password: outputs.emqxDatabasePassword, database: "aiida" });
        await client.connect();
        return client;
    };
    const superuserClient = async () => {
        // The superuser password is not an output: read it the way an operator would, from state.
        const state = JSON.parse((await work.pulumi(["stack", "export", "--show-secrets", "--stack", STACK])).stdout);
        const res = state.deployment.resources.find((r: any) => r.urn.endsWith("::credentials-db-superuser-password"));
        const client = new pg.Client({ host: "127.0.0.1", port: ports.db, user: "postgres", password: res.outputs.result.plaintext ? JSON.parse(res.outputs.result.plaintext) : res.outputs.result, database: "aiida" });
        await client.connect();
        return client;
    };

    beforeAll(async () => {
        work = makeWorkdir("dev");
        prefix = `aiida-e2e-${process.pid}`;
        ports = { tls: await freePort(), dashboard: await freePort(), plain: await freePort(), db: await freePort() };
        config = {
            "aiida-emqx:resourcePrefix": prefix,
            "aiida-emqx:emqxImage": EMQX_IMAGE,
            "aiida-emqx:databaseImage": PG_IMAGE,
            "aiida-emqx:mqttTlsPort": ports.tls,
            "aiida-emqx:mqttTlsBindAddress": "127.0.0.1",
            "aiida-emqx:dashboardPort": ports.dashboard,
            "aiida-emqx:mqttPlainPublishPort": ports.plain,
            "aiida-emqx:databaseHostPort": ports.db,
            "aiida-emqx:tlsDnsNames": ["localhost", "mqtt.e2e.test"],
            "aiida-emqx:tlsIpAddresses": ["127.0.0.1"],
            "aiida-emqx:brokerLogLevel": "info",
        };
        work.writeStackConfig(STACK, config);
        await work.pulumi(["stack", "init", STACK]);
    });

    afterAll(async () => {
        // Whatever a failed run left behind: the stack, then the retained volumes.
        await work.pulumi(["destroy", "--yes", "--stack", STACK], { allowFailure: true });
        for (const volume of [`${prefix}-pgdata`, `${prefix}-emqx-data`]) {
            await docker(["volume", "rm", "-f", volume]).catch(() => undefined);
        }
        work.cleanup();
    });

    it("1. previews and deploys; both containers run healthy on the stack network", async () => {
        await work.pulumi(["preview", "--stack", STACK]);
        await work.pulumi(["up", "--yes", "--stack", STACK]);
        outputs = await outputsOf();
        expect(outputs.mqttInternalUrl).toBe("tcp://emqx.aiida.internal:1883");

        const broker = await dockerInspect("container", `${prefix}-emqx`);
        const db = await dockerInspect("container", `${prefix}-postgres`);
        for (const c of [broker, db]) {
            expect(c.State.Running).toBe(true);
            expect(c.State.Health.Status).toBe("healthy");
        }
        expect(broker.NetworkSettings.Networks[prefix].Aliases).toEqual(expect.arrayContaining(["emqx.aiida.internal", "emqx"]));
        expect(db.NetworkSettings.Networks[prefix].Aliases).toEqual(expect.arrayContaining(["postgres"]));
        const published = broker.HostConfig.PortBindings;
        expect(published["8883/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: String(ports.tls) }]);
        expect(published["18083/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: String(ports.dashboard) }]);
        expect(published["1883/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: String(ports.plain) }]);
        expect(db.HostConfig.PortBindings["5432/tcp"]).toEqual([{ HostIp: "127.0.0.1", HostPort: String(ports.db) }]);
        expect(broker.Config.Env).toContain("EMQX_NODE__NAME=emqx@emqx.aiida.internal");
        expect(broker.Config.Env.join("\n")).not.toContain(outputs.aiidaMqttPassword);
    });

    it("2a. the emqx role logs in with the output password and has the tables, indexes and exact grants", async () => {
        const client = await emqxClient();
        try {
            const tables = await client.query("SELECT count(*)::int AS n FROM public.data_source_mqtt_user");
            expect(tables.rows[0].n).toBe(0);
            const privileges = await client.query(
                `SELECT t, has_table_privilege('emqx', t, 'SELECT') AS sel, has_table_privilege('emqx', t, 'INSERT') AS ins
                 FROM unnest(ARRAY['public.data_source_mqtt_user', 'public.data_source_mqtt_acl']) AS t`,
            );
            expect(privileges.rows.every((r) => r.sel && !r.ins)).toBe(true);
            const indexes = await client.query("SELECT tablename FROM pg_indexes WHERE schemaname = 'public' AND indexdef LIKE '%(username)%' ORDER BY 1");
            expect(indexes.rows.map((r) => r.tablename)).toEqual(["data_source_mqtt_acl", "data_source_mqtt_user"]);
            await expect(client.query("INSERT INTO public.data_source_mqtt_acl (acl_type, action, topic, username) VALUES ('ALLOW','ALL','x','y')")).rejects.toThrow(/permission denied/);
        } finally {
            await client.end();
        }
    });

    it("2b. the broker's files equal the render command's, are readable by uid 1000 and hold no plaintext password", async () => {
        const rendered = mkdtempSync(join(tmpdir(), "aiida-render-"));
        renderStackFiles(STACK, rendered, work.dir);
        const inContainer = async (path: string) => docker(["exec", "-u", "1000", `${prefix}-emqx`, "cat", path]);
        expect(await inContainer(BROKER_PATHS.config)).toBe(readFileSync(join(rendered, "etc/emqx.conf"), "utf8"));

        const bootstrap = JSON.parse(await inContainer(BROKER_PATHS.bootstrapUsers));
        const placeholder = JSON.parse(readFileSync(join(rendered, "etc/aiida/init-user.json"), "utf8"));
        // Same entry as rendered, with the placeholder replaced by a hash of the output password.
        expect(bootstrap.map((u: any) => ({ ...u, password_hash: "" }))).toEqual(placeholder.map((u: any) => ({ ...u, password_hash: "" })));
        expect(bcrypt.compareSync(outputs.aiidaMqttPassword, bootstrap[0].password_hash)).toBe(true);

        const secrets = [outputs.aiidaMqttPassword, outputs.dashboardPassword, outputs.emqxDatabasePassword];
        for (const file of [BROKER_PATHS.config, BROKER_PATHS.bootstrapUsers, BROKER_PATHS.serverCert, BROKER_PATHS.caCert]) {
            const text = await inContainer(file);
            for (const secret of secrets) expect(text, file).not.toContain(secret);
        }
        // The only file holding the role password is its own 0400 file, which EMQX reads via file://.
        expect((await inContainer(BROKER_PATHS.databasePassword)).trim()).toBe(outputs.emqxDatabasePassword);
        const modes = await docker(["exec", `${prefix}-emqx`, "stat", "-c", "%n %u %a", BROKER_PATHS.serverKey, BROKER_PATHS.secretsConfig, BROKER_PATHS.config]);
        expect(modes.trim().split("\n")).toEqual([`${BROKER_PATHS.serverKey} 1000 400`, `${BROKER_PATHS.secretsConfig} 1000 400`, `${BROKER_PATHS.config} 1000 444`]);
    });

    it("2c. the server certificate verifies against the exported CA for every configured name in a real TLS handshake", async () => {
        const cert = await docker(["exec", "-u", "1000", `${prefix}-emqx`, "cat", BROKER_PATHS.serverCert]);
        const key = await docker(["exec", "-u", "1000", `${prefix}-emqx`, "cat", BROKER_PATHS.serverKey]);
        const results = await tlsHandshakes(cert, key, outputs.caCertificatePem, ["localhost", "mqtt.e2e.test", "emqx.aiida.internal", undefined, "not-in-the-certificate.example"]);
        expect(results.slice(0, 4)).toEqual(Array(4).fill({ status: "fulfilled", value: true })); // undefined: the IP SAN 127.0.0.1
        expect(results[4].status).toBe("rejected");
    });

    it("3. a second up, and a refresh then preview, change nothing", async () => {
        await work.pulumi(["up", "--yes", "--expect-no-changes", "--stack", STACK]);
        await work.pulumi(["refresh", "--yes", "--stack", STACK]);
        await work.pulumi(["preview", "--expect-no-changes", "--stack", STACK]);
    });

    it("4. changing a broker setting replaces the container without a port collision; volume and rows survive", async () => {
        const before = await dockerInspect("container", `${prefix}-emqx`);
        await docker(["exec", `${prefix}-emqx`, "sh", "-c", "echo kept > /opt/emqx/data/e2e-marker"]);
        const su = await superuserClient();
        await su.query("INSERT INTO public.data_source_mqtt_user (password, username) VALUES ('$2a$12$abcdefghijklmnopqrstuuabcdefghijklmnopqrstuvwxyzABCDE', 'e2e-source')");
        await su.end();

        work.writeStackConfig(STACK, { ...config, "aiida-emqx:brokerLogLevel": "warning" });
        await work.pulumi(["up", "--yes", "--stack", STACK]);
        const after = await dockerInspect("container", `${prefix}-emqx`);
        expect(after.Id).not.toBe(before.Id);
        expect(after.State.Health.Status).toBe("healthy");
        expect((await docker(["exec", `${prefix}-emqx`, "cat", "/opt/emqx/data/e2e-marker"])).trim()).toBe("kept");
        const client = await emqxClient();
        const rows = await client.query("SELECT username FROM public.data_source_mqtt_user");
        await client.end();
        expect(rows.rows.map((r) => r.username)).toEqual(["e2e-source"]);
    });

    it("5. the exported state holds no generated password or private key in plaintext", async () => {
        const exported = (await work.pulumi(["stack", "export", "--show-secrets=false", "--stack", STACK])).stdout;
        const key = await docker(["exec", "-u", "1000", `${prefix}-emqx`, "cat", BROKER_PATHS.serverKey]);
        const keyBody = key.split("\n").slice(1, 3).join("");
        for (const secret of [outputs.aiidaMqttPassword, outputs.dashboardPassword, outputs.emqxDatabasePassword, keyBody]) {
            expect(exported).not.toContain(secret);
        }
        expect(exported).not.toContain("PRIVATE KEY-----\\n");
    });

    it("6. destroy removes what the stack created and keeps the retained volumes", async () => {
        await work.pulumi(["destroy", "--yes", "--stack", STACK]);
        expect(await dockerInspect("container", `${prefix}-emqx`)).toBeUndefined();
        expect(await dockerInspect("container", `${prefix}-postgres`)).toBeUndefined();
        expect(await dockerInspect("network", prefix)).toBeUndefined();
        expect(await dockerInspect("volume", `${prefix}-pgdata`)).toBeDefined();
        expect(await dockerInspect("volume", `${prefix}-emqx-data`)).toBeDefined();
    });
});
