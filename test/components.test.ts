import * as pulumi from "@pulumi/pulumi";
import { beforeEach, describe, expect, it } from "vitest";
import { Certificates } from "../components/certificates";
import { PROJECT, validateConfig } from "../components/config";
import { Credentials } from "../components/credentials";
import { Database } from "../components/database";
import { installMocks, MockRun, resolve } from "./support/pulumi-mocks";

let run: MockRun;
beforeEach(() => {
    pulumi.runtime.setAllConfig({}, []);
    run = installMocks("unit");
});
const settle = () => new Promise((r) => setTimeout(r, 50));
const types = () => run.resources.map((r) => r.type);

describe("Credentials", () => {
    it("generates every password as a secret, with HOCON/env/URL-safe characters", async () => {
        const c = new Credentials("c", { passwordLength: 40 });
        expect((await resolve(c.mqttPassword)).secret).toBe(true);
        expect((await resolve(c.nodeCookie)).secret).toBe(true);
        await settle();
        const passwords = run.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword");
        expect(passwords.map((p) => p.name).sort()).toEqual(["c-broker-api-secret", "c-dashboard-password", "c-db-superuser-password", "c-emqx-db-password", "c-mqtt-password", "c-node-cookie"]);
        for (const p of passwords) {
            expect(p.inputs.length).toBe(40);
            expect(p.inputs.special ? p.inputs.overrideSpecial : "").toMatch(/^[-_]*$/);
        }
        expect(passwords.find((p) => p.name === "c-node-cookie")!.inputs.special).toBe(false);
        expect(types()).toContain("random:index/randomBytes:RandomBytes");
    });

    it("uses a supplied value instead of generating one, still as a secret", async () => {
        const c = new Credentials("c", { mqttPassword: "supplied-password-123", needsDatabaseSuperuser: false });
        expect(await resolve(c.mqttPassword)).toEqual({ value: "supplied-password-123", secret: true });
        expect(c.databaseSuperuserPassword).toBeUndefined();
        await settle();
        const names = run.resources.filter((r) => r.type === "random:index/randomPassword:RandomPassword").map((r) => r.name);
        expect(names).not.toContain("c-mqtt-password");
        expect(names).not.toContain("c-db-superuser-password");
    });
});

describe("Certificates", () => {
    it("generates an ECDSA P-256 CA and a server certificate with the SANs, validity and early renewal", async () => {
        const c = new Certificates("t", { commonName: "emqx.aiida.internal", dnsNames: ["emqx.aiida.internal", "localhost"], ipAddresses: ["127.0.0.1"], serverValidityDays: 90, earlyRenewalDays: 20 });
        expect((await resolve(c.serverPrivateKeyPem)).secret).toBe(true);
        expect((await resolve(c.caCertificatePem)).secret).toBe(false);
        await settle();
        const keys = run.resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey");
        expect(keys.map((k) => k.inputs)).toEqual([expect.objectContaining({ algorithm: "ECDSA", ecdsaCurve: "P256" }), expect.objectContaining({ algorithm: "ECDSA", ecdsaCurve: "P256" })]);
        const ca = run.resources.find((r) => r.type === "tls:index/selfSignedCert:SelfSignedCert")!;
        expect(ca.inputs).toMatchObject({ isCaCertificate: true, validityPeriodHours: 3650 * 24, earlyRenewalHours: 20 * 24 });
        const csr = run.resources.find((r) => r.type === "tls:index/certRequest:CertRequest")!;
        expect(csr.inputs).toMatchObject({ dnsNames: ["emqx.aiida.internal", "localhost"], ipAddresses: ["127.0.0.1"] });
        const server = run.resources.find((r) => r.type === "tls:index/locallySignedCert:LocallySignedCert")!;
        expect(server.inputs).toMatchObject({ validityPeriodHours: 90 * 24, earlyRenewalHours: 20 * 24, allowedUses: expect.arrayContaining(["server_auth"]) });
    });

    it("uses RSA keys of the configured size", async () => {
        new Certificates("t", { commonName: "x.y", dnsNames: ["x.y"], keyAlgorithm: "RSA", rsaBits: 4096 });
        await settle();
        expect(run.resources.filter((r) => r.type === "tls:index/privateKey:PrivateKey").map((k) => k.inputs.rsaBits)).toEqual([4096, 4096]);
    });

    it("passes supplied PEMs through and generates nothing", async () => {
        const c = new Certificates("t", { mode: "supplied", commonName: "x.y", dnsNames: [], suppliedCaCertificatePem: "CA", suppliedServerCertificatePem: "CERT", suppliedServerPrivateKeyPem: "KEY" });
        expect(await resolve(c.serverPrivateKeyPem)).toEqual({ value: "KEY", secret: true });
        expect((await resolve(c.caCertificatePem)).value).toBe("CA");
        await settle();
        expect(types().filter((t) => t.startsWith("tls:"))).toEqual([]);
    });
});

describe("Database", () => {
    const settingsFor = (values: Record<string, string>, secretKeys: string[] = []) => validateConfig({ stack: "unit", values, secretKeys: new Set(secretKeys) }).settings;

    it("container mode: a pinned image, a retained volume, a healthchecked container on loopback, then the ACL schema", async () => {
        const s = settingsFor({});
        const db = new Database("db", { settings: s.database, prefix: "aiida-unit", networkName: "net", adminPassword: "admin-pw-0000000000", emqxPassword: "emqx-pw-00000000000" });
        expect((await resolve(db.brokerServer)).value).toBe("postgres:5432");
        await settle();
        const container = run.resources.find((r) => r.type === "docker:index/container:Container")!;
        expect(container.inputs.envs).toContain("POSTGRES_PASSWORD_FILE=/run/secrets/postgres-password");
        expect(JSON.stringify(container.inputs.envs)).not.toContain("admin-pw");
        expect(container.inputs.uploads[0]).toMatchObject({ file: "/run/secrets/postgres-password", permissions: "0400", owner: "70" });
        expect(container.inputs.networksAdvanced).toEqual([{ name: "net", aliases: ["postgres"] }]);
        expect(container.inputs.healthcheck.tests[0]).toBe("CMD-SHELL");
        expect(run.resources.find((r) => r.type === "docker:index/remoteImage:RemoteImage")!.inputs.name).toBe("timescale/timescaledb:2.17.2-pg17");
        const acl = run.resources.find((r) => r.type === "pulumi-nodejs:dynamic/aiida:EmqxAclSchema")!;
        expect(acl.inputs.admin).toMatchObject({ host: "127.0.0.1", port: 5433, user: "postgres", sslMode: "disable" });
        expect(acl.inputs.spec.revokePublicPrivileges).toBe(true);
        expect(acl.inputs.dropTablesOnDelete).toBe(false);
    });

    it("external mode: no container or volume, the admin connection from config, TLS required", async () => {
        const s = settingsFor({ databaseMode: "external", databaseHost: "db.example.org", databaseAdminPassword: "admin-pw-0000000000" }, ["databaseAdminPassword"]);
        const db = new Database("db", { settings: s.database, prefix: "aiida-unit", networkName: "net", adminPassword: "admin-pw-0000000000", emqxPassword: "emqx-pw-00000000000" });
        expect((await resolve(db.brokerServer)).value).toBe("db.example.org:5432");
        await settle();
        expect(types()).not.toContain("docker:index/container:Container");
        expect(types()).not.toContain("docker:index/volume:Volume");
        const acl = run.resources.find((r) => r.type === "pulumi-nodejs:dynamic/aiida:EmqxAclSchema")!;
        expect(acl.inputs.admin).toMatchObject({ host: "db.example.org", port: 5432, sslMode: "require" });
        expect(acl.inputs.spec.revokePublicPrivileges).toBe(false);
    });

    it("drops tables on destroy only when asked explicitly", async () => {
        const s = settingsFor({ deleteDataOnDestroy: "true" });
        new Database("db", { settings: s.database, prefix: "aiida-unit", networkName: "net", adminPassword: "a-0000000000000000", emqxPassword: "e-0000000000000000", deleteDataOnDestroy: true });
        await settle();
        expect(run.resources.find((r) => r.type === "pulumi-nodejs:dynamic/aiida:EmqxAclSchema")!.inputs.dropTablesOnDelete).toBe(true);
    });
});

describe("Broker", () => {
    it("skips the REST password sync when brokerApiUserSync is false (e.g. against the EMQX stand-in)", async () => {
        pulumi.runtime.setAllConfig({ [`${PROJECT}:brokerApiUserSync`]: "false" }, []);
        const { buildStack, readRawConfig } = await import("../components/stack");
        buildStack(validateConfig(readRawConfig()));
        await settle();
        expect(types()).toContain("docker:index/container:Container");
        expect(types()).not.toContain("pulumi-nodejs:dynamic/aiida:EmqxBuiltinUser");
    });
});
