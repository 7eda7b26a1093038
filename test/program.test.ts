import { beforeAll, describe, expect, it } from "vitest";
import { mkdtempSync, readFileSync } from "fs";
import { tmpdir } from "os";
import { join } from "path";
import { BROKER_PATHS } from "../components/broker-config";
import { renderStackFiles } from "../scripts/render";
import { isSecretValue, MOCK_CA_PEM, mockPassword, MockRun, RecordedResource, resolve, runIndexUnderMocks, urnTypeChain } from "./support/pulumi-mocks";

const byType = (resources: RecordedResource[], type: string) => resources.filter((r) => r.type === type);

describe.each(["dev", "prod"])("the whole program on the %s stack", (stack) => {
    let run: MockRun;
    let program: typeof import("../index");

    beforeAll(async () => {
        ({ run, program } = await runIndexUnderMocks(stack));
    });

    it("registers the network, the broker and database containers, and the ACL schema", () => {
        const types = run.resources.map((r) => r.type);
        expect(byType(run.resources, "docker:index/network:Network")).toHaveLength(1);
        expect(byType(run.resources, "docker:index/container:Container").map((r) => r.inputs.name).sort()).toEqual([`aiida-${stack}-emqx`, `aiida-${stack}-postgres`]);
        expect(types).toContain("pulumi-nodejs:dynamic/aiida:EmqxAclSchema");
        expect(types).toContain("pulumi-nodejs:dynamic/aiida:EmqxBuiltinUser");
        expect(byType(run.resources, "random:index/randomPassword:RandomPassword").map((r) => r.name).sort()).toEqual(
            ["credentials-broker-api-secret", "credentials-dashboard-password", "credentials-db-superuser-password", "credentials-emqx-db-password", "credentials-mqtt-password", "credentials-node-cookie"].sort(),
        );
    });

    it("parents every resource to its component", () => {
        const chains = run.urns().map(urnTypeChain);
        expect(chains).toContain("aiida:broker:Broker$docker:index/container:Container");
        expect(chains).toContain("aiida:database:Database$docker:index/container:Container");
        expect(chains).toContain("aiida:database:Database$pulumi-nodejs:dynamic/aiida:EmqxAclSchema");
        expect(chains).toContain("aiida:credentials:Credentials$random:index/randomPassword:RandomPassword");
        expect(chains).toContain("aiida:certificates:Certificates$tls:index/locallySignedCert:LocallySignedCert");
        // Only the network and the four components sit at the top.
        expect(chains.filter((c) => !c.includes("$")).sort()).toEqual(
            ["aiida:broker:Broker", "aiida:certificates:Certificates", "aiida:credentials:Credentials", "aiida:database:Database", "docker:index/network:Network"].sort(),
        );
    });

    it("uploads exactly the files the render command lists, emqx.conf byte for byte, secrets 0400 for uid 1000", () => {
        const broker = byType(run.resources, "docker:index/container:Container").find((r) => r.inputs.name.endsWith("-emqx"))!;
        const out = mkdtempSync(join(tmpdir(), "aiida-render-"));
        renderStackFiles(stack, out);
        const manifest = readFileSync(join(out, "MANIFEST.txt"), "utf8").trim().split("\n").slice(1).map((line) => line.split(" | "));
        expect(broker.inputs.uploads.map((u: any) => [u.file, `${u.owner}:${u.group}`, u.permissions])).toEqual(manifest.map(([path, owner, mode]) => [path, owner, mode]));
        const conf = broker.inputs.uploads.find((u: any) => u.file === BROKER_PATHS.config);
        expect(conf.content).toBe(readFileSync(join(out, "etc", "emqx.conf"), "utf8"));
        for (const file of [BROKER_PATHS.serverKey, BROKER_PATHS.secretsConfig, BROKER_PATHS.bootstrapUsers, BROKER_PATHS.databasePassword, BROKER_PATHS.apiKeys]) {
            expect(broker.inputs.uploads.find((u: any) => u.file === file).permissions, file).toBe("0400");
        }
    });

    it("keeps passwords out of the broker's env and out of the plain config", () => {
        const broker = byType(run.resources, "docker:index/container:Container").find((r) => r.inputs.name.endsWith("-emqx"))!;
        const passwords = byType(run.resources, "random:index/randomPassword:RandomPassword").map((r) => mockPassword(r.name));
        const env = JSON.stringify(broker.inputs.envs);
        const conf = broker.inputs.uploads.find((u: any) => u.file === BROKER_PATHS.config).content as string;
        const bootstrap = broker.inputs.uploads.find((u: any) => u.file === BROKER_PATHS.bootstrapUsers).content as string;
        for (const pw of passwords) {
            expect(env).not.toContain(pw);
            expect(conf).not.toContain(pw);
            expect(bootstrap).not.toContain(pw);
        }
        // Uploads that carry secrets reach the engine (and so the state) encrypted.
        expect(isSecretValue(broker.rawInputs.uploads)).toBe(true);
        const acl = byType(run.resources, "pulumi-nodejs:dynamic/aiida:EmqxAclSchema")[0];
        expect(isSecretValue(acl.rawInputs.rolePassword)).toBe(true);
        expect(isSecretValue(acl.rawInputs.admin)).toBe(true);
        expect(JSON.parse(bootstrap)[0]).toMatchObject({ user_id: "aiida", is_superuser: true });
        expect(JSON.parse(bootstrap)[0].password_hash).toMatch(/^\$2b\$10\$/);
    });

    it("publishes only the intended ports, the dashboard on loopback", () => {
        const broker = byType(run.resources, "docker:index/container:Container").find((r) => r.inputs.name.endsWith("-emqx"))!;
        const ports = broker.inputs.ports as { internal: number; external: number; ip: string }[];
        expect(ports.find((p) => p.internal === 18083)?.ip).toBe("127.0.0.1");
        expect(ports.find((p) => p.internal === 8883)).toBeDefined();
        const plain = ports.find((p) => p.internal === 1883);
        if (stack === "prod") expect(plain).toBeUndefined();
        else expect(plain?.ip).toBe("127.0.0.1");
        const pg = byType(run.resources, "docker:index/container:Container").find((r) => r.inputs.name.endsWith("-postgres"))!;
        expect(pg.inputs.ports).toEqual([expect.objectContaining({ internal: 5432, ip: "127.0.0.1" })]);
    });

    it("gives the broker a stable node name, a data volume, a healthcheck and a restart policy", () => {
        const broker = byType(run.resources, "docker:index/container:Container").find((r) => r.inputs.name.endsWith("-emqx"))!;
        expect(broker.inputs.envs).toContain("EMQX_NODE__NAME=emqx@emqx.aiida.internal");
        expect(broker.inputs.hostname).toBe("emqx.aiida.internal");
        expect(broker.inputs.volumes).toEqual([expect.objectContaining({ containerPath: "/opt/emqx/data", volumeName: `aiida-${stack}-emqx-data` })]);
        expect(broker.inputs.healthcheck.tests).toEqual(["CMD", "/opt/emqx/bin/emqx", "ctl", "status"]);
        expect(broker.inputs.restart).toBe("unless-stopped");
        expect(broker.inputs.wait).toBe(true);
        expect(broker.inputs.networksAdvanced[0].aliases).toContain("emqx.aiida.internal");
    });

    it("exports the URLs and CA in the clear and every credential as a secret", async () => {
        expect(await resolve(program.mqttInternalUrl)).toEqual({ value: "tcp://emqx.aiida.internal:1883", secret: false });
        expect((await resolve(program.caCertificatePem)).value).toBe(MOCK_CA_PEM);
        expect((await resolve(program.caCertificatePem)).secret).toBe(false);
        expect(await resolve(program.aiidaMqttPassword)).toEqual({ value: mockPassword("credentials-mqtt-password"), secret: true });
        expect((await resolve(program.dashboardPassword)).secret).toBe(true);
        expect((await resolve(program.emqxDatabasePassword)).secret).toBe(true);
        const db = await resolve(program.database);
        expect(db.value).toEqual({ server: "postgres:5432", database: "aiida", username: "emqx", sslMode: "disable" });
        expect(JSON.stringify(db.value)).not.toContain("mockpw");
        expect((await resolve(program.mqttExternalUrl)).value).toBe(stack === "prod" ? "ssl://mqtt.aiida.example.org:8883" : "ssl://localhost:8884");
    });

    it("declares the emqx role and exactly its four grants on the ACL schema resource", () => {
        const acl = byType(run.resources, "pulumi-nodejs:dynamic/aiida:EmqxAclSchema")[0];
        expect(acl.inputs.role).toEqual({ name: "emqx", login: true, superuser: false, createDb: false, createRole: false, replication: false, bypassRls: false, connectionLimit: stack === "prod" ? 24 : 20 });
        expect(acl.inputs.grants.map((g: any) => `${g.privilege} ${g.objectType} ${g.objectName}`)).toEqual([
            "CONNECT database aiida",
            "USAGE schema public",
            "SELECT table public.data_source_mqtt_user",
            "SELECT table public.data_source_mqtt_acl",
        ]);
        expect(acl.inputs.spec.tablesOwnedByAiida).toBe(stack === "prod");
    });
});
