import { describe, expect, it } from "vitest";
import {
    authorizationPolicy,
    dashboardNotPublicPolicy,
    dashboardPasswordPolicy,
    nodeCookiePolicy,
    plainMqttPolicy,
    tlsListenerPolicy,
} from "../../policy/broker";
import { brokerPolicies } from "../../policy/broker";
import { GOOD_EMQX_CONF, brokerContainer, databaseContainer } from "./fixtures";
import { UNKNOWN_INPUT, runResourcePolicy, secret } from "./harness";

describe("broker policies on a good broker container", () => {
    for (const policy of brokerPolicies) {
        it(`${policy.name} passes`, async () => {
            const outcome = await runResourcePolicy(policy, brokerContainer());
            expect(outcome.violations).toEqual([]);
            expect(outcome.unknownDuringPreview).toBeUndefined();
        });
        it(`${policy.name} does not apply to the database container`, async () => {
            const outcome = await runResourcePolicy(policy, databaseContainer());
            expect(outcome.notApplicable).toMatch(/not the broker/);
        });
    }
});

describe("emqx-tls-listener-own-certificate", () => {
    it("flags the default ssl listener when emqx.conf leaves it on the bundled certificate", async () => {
        const conf = GOOD_EMQX_CONF.replace(/listeners\.ssl\.default \{[\s\S]*?\n\}\n/, "");
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf }));
        expect(outcome.violations).toHaveLength(1);
        expect(outcome.violations[0]).toMatch(/listeners\.ssl\.default serves EMQX's bundled test certificate/);
    });
    it("flags an explicit reference to the bundled key", async () => {
        const conf = GOOD_EMQX_CONF.replace("/opt/emqx/etc/certs/aiida/server.key", "etc/certs/key.pem");
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf }));
        expect(outcome.violations.join("\n")).toMatch(/\/opt\/emqx\/etc\/certs\/key\.pem/);
    });
    it("flags a wss listener left enabled with the bundled certificate", async () => {
        const conf = GOOD_EMQX_CONF.replace("listeners.wss.default { enable = false }", "");
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf }));
        expect(outcome.violations.join("\n")).toMatch(/listeners\.wss\.default/);
    });
    it("flags client-certificate verification against the bundled test CA", async () => {
        const conf = GOOD_EMQX_CONF.replace('cacertfile = "/opt/emqx/etc/certs/aiida/ca.pem"\n    verify = "verify_none"', 'verify = "verify_peer"');
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf }));
        expect(outcome.violations).toEqual([expect.stringMatching(/bundled test CA \(\/opt\/emqx\/etc\/certs\/cacert\.pem\)/)]);
    });
    it("flags a broker without any TLS listener", async () => {
        const conf = GOOD_EMQX_CONF + "\nlisteners.ssl.default.enable = false\n";
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf }));
        expect(outcome.violations).toEqual([expect.stringMatching(/no enabled MQTT-over-TLS/)]);
    });
    it("flags a certificate file the container never receives", async () => {
        const conf = GOOD_EMQX_CONF.replace("/opt/emqx/etc/certs/aiida/server.pem", "/opt/emqx/etc/certs/other/server.pem");
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf }));
        expect(outcome.violations).toEqual([expect.stringMatching(/does not receive/)]);
        const relaxed = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf }), { requireProvidedFiles: false });
        expect(relaxed.violations).toEqual([]);
    });
    it("sees an env var override of the certificate", async () => {
        const outcome = await runResourcePolicy(
            tlsListenerPolicy,
            brokerContainer({ envs: ["EMQX_LISTENERS__SSL__DEFAULT__SSL_OPTIONS__CERTFILE=etc/certs/cert.pem"] }),
        );
        expect(outcome.violations.join("\n")).toMatch(/bundled test certificate \(\/opt\/emqx\/etc\/certs\/cert\.pem\)/);
    });
    it("reports a config that does not parse", async () => {
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf: "listeners {" }));
        expect(outcome.violations).toEqual([expect.stringMatching(/does not parse as HOCON/)]);
    });
    it("still decides during a first preview, when only the declared secrets include is unknown", async () => {
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ secretsHocon: UNKNOWN_INPUT }));
        expect(outcome.unknownDuringPreview).toBeUndefined();
        expect(outcome.violations).toEqual([]);
        const bad = GOOD_EMQX_CONF.replace("/opt/emqx/etc/certs/aiida/server.key", "etc/certs/key.pem");
        expect((await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf: bad, secretsHocon: UNKNOWN_INPUT }))).violations).toHaveLength(1);
    });
    it("waits for `pulumi up` when an undeclared include is unknown", async () => {
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ secretsHocon: UNKNOWN_INPUT }), { includeDeclarations: {} });
        expect(outcome.unknownDuringPreview).toMatch(/can't be known during preview/);
    });
    it("waits for `pulumi up` when emqx.conf is not known during preview", async () => {
        const outcome = await runResourcePolicy(tlsListenerPolicy, brokerContainer({ conf: UNKNOWN_INPUT }));
        expect(outcome.violations).toEqual([]);
        expect(outcome.unknownDuringPreview).toMatch(/can't be known during preview/);
    });
});

describe("emqx-plain-mqtt-not-published", () => {
    it("flags plain MQTT published on every interface in production", async () => {
        const outcome = await runResourcePolicy(
            plainMqttPolicy,
            brokerContainer({ ports: [{ internal: 1883, external: 1884, ip: "0.0.0.0", protocol: "tcp" }] }),
        );
        expect(outcome.violations).toEqual([expect.stringMatching(/listeners\.tcp\.default \(container port 1883\) is published on 0\.0\.0\.0:1884/)]);
    });
    it("treats a port without ip as published on 0.0.0.0 (the provider's default)", async () => {
        const outcome = await runResourcePolicy(plainMqttPolicy, brokerContainer({ ports: [{ internal: 1883, external: 1883 }] }));
        expect(outcome.violations).toHaveLength(1);
    });
    it("flags host networking", async () => {
        const outcome = await runResourcePolicy(plainMqttPolicy, brokerContainer({ ports: [], networkMode: "host" }));
        expect(outcome.violations).toEqual([expect.stringMatching(/host networking/)]);
    });
    it("accepts a private address only when configured", async () => {
        const broker = brokerContainer({ ports: [{ internal: 1883, external: 1883, ip: "10.0.0.5", protocol: "tcp" }] });
        expect((await runResourcePolicy(plainMqttPolicy, broker)).violations).toHaveLength(1);
        expect((await runResourcePolicy(plainMqttPolicy, broker, { allowPrivateAddresses: true })).violations).toEqual([]);
        expect((await runResourcePolicy(plainMqttPolicy, broker, { allowedAddresses: ["10.0.0.5"] })).violations).toEqual([]);
    });
    it("does not apply outside production", async () => {
        const broker = brokerContainer({ labels: { "aiida.production": "false" }, ports: [{ internal: 1883, external: 1883, ip: "0.0.0.0", protocol: "tcp" }] });
        expect((await runResourcePolicy(plainMqttPolicy, broker)).notApplicable).toMatch(/not a production stack/);
    });
    it("applies to a stack listed in productionStacks", async () => {
        const broker = brokerContainer({ labels: { "aiida.production": "false" }, ports: [{ internal: 1883, external: 1883, ip: "0.0.0.0", protocol: "tcp" }] });
        const old = process.env.PULUMI_NODEJS_STACK;
        process.env.PULUMI_NODEJS_STACK = "prod";
        try {
            expect((await runResourcePolicy(plainMqttPolicy, broker, { productionStacks: ["prod"] })).violations).toHaveLength(1);
        } finally {
            if (old === undefined) delete process.env.PULUMI_NODEJS_STACK;
            else process.env.PULUMI_NODEJS_STACK = old;
        }
    });
    it("takes the stack name from the URN when the environment does not carry it", async () => {
        const broker = brokerContainer({ labels: { "aiida.production": "false" }, ports: [{ internal: 1883, external: 1883, ip: "0.0.0.0", protocol: "tcp" }] });
        const old = process.env.PULUMI_NODEJS_STACK;
        delete process.env.PULUMI_NODEJS_STACK;
        try {
            // The harness's URNs name the stack "test".
            expect((await runResourcePolicy(plainMqttPolicy, broker, { productionStacks: ["test"] })).violations).toHaveLength(1);
        } finally {
            if (old !== undefined) process.env.PULUMI_NODEJS_STACK = old;
        }
    });
    it("ignores a disabled plain listener", async () => {
        const conf = GOOD_EMQX_CONF.replace('listeners.tcp.default { bind = "0.0.0.0:1883" }', "listeners.tcp.default { enable = false }");
        const outcome = await runResourcePolicy(plainMqttPolicy, brokerContainer({ conf, ports: [{ internal: 1883, external: 1883, ip: "0.0.0.0", protocol: "tcp" }] }));
        expect(outcome.violations).toEqual([]);
    });
});

describe("emqx-dashboard-not-public", () => {
    it("flags the dashboard published on every interface", async () => {
        const outcome = await runResourcePolicy(dashboardNotPublicPolicy, brokerContainer({ ports: [{ internal: 18083, external: 18083, ip: "0.0.0.0", protocol: "tcp" }] }));
        expect(outcome.violations).toEqual([expect.stringMatching(/dashboard's http listener .* published on 0\.0\.0\.0:18083/)]);
    });
    it("accepts a published port when the dashboard listener is off (bind = 0)", async () => {
        const conf = GOOD_EMQX_CONF.replace('listeners.http.bind = "0.0.0.0:18083"', "listeners.http.bind = 0");
        const outcome = await runResourcePolicy(dashboardNotPublicPolicy, brokerContainer({ conf, ports: [{ internal: 18083, external: 18083, ip: "0.0.0.0", protocol: "tcp" }] }));
        expect(outcome.violations).toEqual([]);
    });
    it("knows the image's shipped emqx.conf turns the dashboard on when emqx.conf is not replaced", async () => {
        const broker = brokerContainer({ ports: [{ internal: 18083, external: 18083, ip: "0.0.0.0", protocol: "tcp" }] });
        (broker.inputs.uploads as { file: string }[]).splice(0, 1);
        const outcome = await runResourcePolicy(dashboardNotPublicPolicy, broker);
        expect(outcome.violations).toHaveLength(1);
    });
});

describe("emqx-dashboard-password-not-default", () => {
    it("flags an unset password (EMQX's default public)", async () => {
        const outcome = await runResourcePolicy(dashboardPasswordPolicy, brokerContainer({ secretsHocon: secret('node.cookie = "Zk3rT9pQvX2mLw8sHn4bYc6dFg1jRt5u"') }));
        expect(outcome.violations).toEqual([expect.stringMatching(/not set.*admin\/public/)]);
    });
    it("flags `public` set through the environment, which overrides the files", async () => {
        const outcome = await runResourcePolicy(dashboardPasswordPolicy, brokerContainer({ envs: ["EMQX_DASHBOARD__DEFAULT_PASSWORD=public"] }));
        expect(outcome.violations).toEqual([expect.stringMatching(/well-known default/)]);
        expect(outcome.violations[0]).not.toMatch(/public"/);
    });
    it("flags a short password without printing it", async () => {
        const outcome = await runResourcePolicy(dashboardPasswordPolicy, brokerContainer({ envs: ["EMQX_DASHBOARD__DEFAULT_PASSWORD=s3cr3t-pw"] }));
        expect(outcome.violations).toEqual([expect.stringMatching(/shorter than 16/)]);
        expect(outcome.violations[0]).not.toContain("s3cr3t-pw");
    });
    it("waits for `pulumi up` while the included secrets file is unknown", async () => {
        const outcome = await runResourcePolicy(dashboardPasswordPolicy, brokerContainer({ secretsHocon: UNKNOWN_INPUT }));
        expect(outcome.unknownDuringPreview).toBeDefined();
    });
    it("can decide from an env var even while the included file is unknown", async () => {
        const outcome = await runResourcePolicy(dashboardPasswordPolicy, brokerContainer({ secretsHocon: UNKNOWN_INPUT, envs: ["EMQX_DASHBOARD__DEFAULT_PASSWORD=public"] }));
        expect(outcome.violations).toHaveLength(1);
    });
});

describe("emqx-authorization-deny-by-default", () => {
    it("flags no_match left at EMQX's default (allow)", async () => {
        const conf = GOOD_EMQX_CONF.replace('no_match = "deny"', "");
        const outcome = await runResourcePolicy(authorizationPolicy, brokerContainer({ conf }));
        expect(outcome.violations).toEqual([expect.stringMatching(/no_match is "allow" \(EMQX's default\)/)]);
    });
    it("flags no_match = allow set by env var", async () => {
        const outcome = await runResourcePolicy(authorizationPolicy, brokerContainer({ envs: ["EMQX_AUTHORIZATION__NO_MATCH=allow"] }));
        expect(outcome.violations).toHaveLength(1);
    });
    it("flags the default file source (its acl.conf ends with allow-all)", async () => {
        const conf = GOOD_EMQX_CONF.replace(/sources = \[[\s\S]*?\n  \]\n/, "");
        const outcome = await runResourcePolicy(authorizationPolicy, brokerContainer({ conf }));
        expect(outcome.violations).toEqual([expect.stringMatching(/default file source/)]);
        expect((await runResourcePolicy(authorizationPolicy, brokerContainer({ conf }), { allowFileSource: true })).violations).toEqual([]);
    });
});

describe("emqx-node-cookie-not-default", () => {
    it("flags a cookie that is not set anywhere (EMQX's default)", async () => {
        const outcome = await runResourcePolicy(nodeCookiePolicy, brokerContainer({ secretsHocon: secret('dashboard.default_password = "0123456789abcdefXYZ"') }));
        expect(outcome.violations).toEqual([expect.stringMatching(/emqxsecretcookie.*not set/)]);
    });
    it("flags the default cookie set explicitly by env var", async () => {
        const outcome = await runResourcePolicy(nodeCookiePolicy, brokerContainer({ envs: ["EMQX_NODE__COOKIE=emqxsecretcookie"] }));
        expect(outcome.violations).toHaveLength(1);
    });
    it("flags a short cookie inline in emqx.conf", async () => {
        const conf = GOOD_EMQX_CONF.replace('include required("/opt/emqx/etc/aiida/secrets.hocon")', 'node.cookie = "short"');
        const outcome = await runResourcePolicy(nodeCookiePolicy, brokerContainer({ conf }));
        expect(outcome.violations).toEqual([expect.stringMatching(/shorter than 16/)]);
    });
});
