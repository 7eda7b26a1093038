import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { plaintextConfigPolicy, secretLooking } from "../../policy/stack";
import { brokerContainer } from "./fixtures";
import { runStackPolicy } from "./harness";

const PEM = "-----BEGIN PRIVATE KEY-----\nMIGHAgEAMBMGByqGSM49AgEGCCqGSM49AwEHBG0wawIBAQQg\n-----END PRIVATE KEY-----\n";

let dir: string;
let oldStack: string | undefined;

beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "policy-stack-"));
    fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: aiida-emqx\nruntime: nodejs\n");
    oldStack = process.env.PULUMI_NODEJS_STACK;
    process.env.PULUMI_NODEJS_STACK = "dev";
});
afterEach(() => {
    fs.rmSync(dir, { recursive: true, force: true });
    if (oldStack === undefined) delete process.env.PULUMI_NODEJS_STACK;
    else process.env.PULUMI_NODEJS_STACK = oldStack;
});

const run = (stackYaml: string | undefined, config: Record<string, unknown> = {}) => {
    if (stackYaml !== undefined) {
        fs.writeFileSync(path.join(dir, "Pulumi.dev.yaml"), stackYaml);
    }
    return runStackPolicy(plaintextConfigPolicy, [brokerContainer()], { projectDir: dir, ...config });
};

describe("stack-config-no-plaintext-secrets", () => {
    it("passes encrypted secrets and harmless plaintext settings", async () => {
        const outcome = await run(`config:
  aiida-emqx:production: "false"
  aiida-emqx:mqttPassword:
    secure: v1:abc:def
  aiida-emqx:tlsServerPrivateKey:
    secure: v1:ghi:jkl
  aiida-emqx:passwordLength: "32"
  aiida-emqx:databaseAdminUser: postgres
  docker:host: unix:///var/run/docker.sock
`);
        expect(outcome.violations).toEqual([]);
        expect(outcome.notApplicable).toBeUndefined();
    });
    it("flags plaintext passwords, cookies, private keys and tokens, without printing them", async () => {
        const outcome = await run(`config:
  aiida-emqx:dashboardPassword: hunter2-but-longer
  aiida-emqx:nodeCookie: emqxsecretcookie
  aiida-emqx:tlsServerPrivateKey: |
${PEM.split("\n").filter(Boolean).map((l) => `    ${l}`).join("\n")}
  aiida-emqx:notes: ghp_${"a".repeat(36)}
  aiida-emqx:database:
    url: postgres://emqx:pw@db:5432/aiida
`);
        expect(outcome.violations).toHaveLength(5);
        expect(outcome.violations.join("\n")).toMatch(/dashboardPassword is stored in plaintext/);
        expect(outcome.violations.join("\n")).toMatch(/tlsServerPrivateKey .* PEM private key/);
        expect(outcome.violations.join("\n")).toMatch(/notes .* GitHub token/);
        expect(outcome.violations.join("\n")).toMatch(/database\.url .* embedded password/);
        expect(outcome.violations.join("\n")).not.toContain("hunter2");
    });
    it("flags plaintext secrets in Pulumi.yaml's project config", async () => {
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: aiida-emqx\nruntime: nodejs\nconfig:\n  apiToken:\n    value: abcdef0123456789\n");
        const outcome = await run("config: {}\n");
        expect(outcome.violations).toEqual([expect.stringMatching(/Pulumi\.yaml: aiida-emqx:apiToken .*\(project config cannot be encrypted\)/)]);
    });
    it("honours allowKeys and stackConfigDir", async () => {
        fs.mkdirSync(path.join(dir, "stacks"));
        fs.writeFileSync(path.join(dir, "Pulumi.yaml"), "name: aiida-emqx\nruntime: nodejs\nstackConfigDir: stacks\n");
        fs.writeFileSync(path.join(dir, "stacks", "Pulumi.dev.yaml"), "config:\n  aiida-emqx:emqxDatabasePassword: plain\n");
        expect((await run(undefined)).violations).toHaveLength(1);
        expect((await run(undefined, { allowKeys: ["aiida-emqx:emqxDatabasePassword"] })).violations).toEqual([]);
    });
    it("is not applicable without a stack file", async () => {
        expect((await run(undefined)).notApplicable).toMatch(/no Pulumi\.dev\.yaml/);
    });
    it("takes the stack name from the resources' URNs when the language host does not pass it", async () => {
        delete process.env.PULUMI_NODEJS_STACK;
        // The harness's URNs name the stack "test".
        fs.writeFileSync(path.join(dir, "Pulumi.test.yaml"), "config:\n  aiida-emqx:nodeCookie: plain-cookie-value\n");
        expect((await run(undefined)).violations).toEqual([expect.stringMatching(/Pulumi\.test\.yaml: aiida-emqx:nodeCookie/)]);
        const noResources = await runStackPolicy(plaintextConfigPolicy, [], { projectDir: dir });
        expect(noResources.notApplicable).toMatch(/stack name/);
    });
    it("classifies values and key names", () => {
        const options = { sensitiveKeyPattern: "(password|token|cookie)", ignoreKeyPattern: "(Length)$", allowKeys: [] };
        expect(secretLooking("p:mqttPasswordLength", "32", options)).toBeUndefined();
        expect(secretLooking("p:mqttPassword", "", options)).toBeUndefined();
        expect(secretLooking("p:host", "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.sig", options)).toMatch(/JSON Web Token/);
        expect(secretLooking("p:hash", "$2b$12$" + "a".repeat(53), options)).toMatch(/bcrypt/);
    });
});
