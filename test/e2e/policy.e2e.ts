// The policy pack under the real engine: `pulumi preview --policy-pack policy` passes on the
// dev-shaped stack and fails on a deliberately insecure config, listing the mandatory
// violations. Previews only: nothing is deployed.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { freePort, makeWorkdir, Workdir, dockerProviderAvailable } from "./support";

const dockerProvider = dockerProviderAvailable();
if (!dockerProvider.available) console.warn(`SKIPPED policy.e2e.ts: ${dockerProvider.reason}`);

describe.skipIf(!dockerProvider.available)("the policy pack on real previews", () => {
    let work: Workdir;
    let base: Record<string, unknown>;

    beforeAll(async () => {
        work = makeWorkdir("policy");
        base = {
            "aiida-emqx:resourcePrefix": `aiida-e2p-${process.pid}`,
            "aiida-emqx:emqxImage": "aiida-test/emqx-standin:5.8.6",
            "aiida-emqx:databaseImage": "aiida-test/postgres:15-local",
            "aiida-emqx:mqttTlsPort": await freePort(),
            "aiida-emqx:dashboardPort": await freePort(),
            "aiida-emqx:databaseHostPort": await freePort(),
        };
        work.writeStackConfig("secure", base);
        work.writeStackConfig("insecure", {
            ...base,
            "aiida-emqx:production": true,
            // Accepted by the program's own validation, refused by the pack:
            "aiida-emqx:dashboardBindAddress": "0.0.0.0",
            "aiida-emqx:databaseRoleConnectionLimit": 500,
            "aiida-emqx:tlsServerValidityDays": 800,
        });
        await work.pulumi(["stack", "init", "secure"]);
        await work.pulumi(["stack", "init", "insecure"]);
    });

    afterAll(() => work?.cleanup());

    it("passes the secure stack", async () => {
        const result = await work.pulumi(["preview", "--stack", "secure", "--policy-pack", "policy"], { allowFailure: true });
        expect(result.code, result.stdout + result.stderr).toBe(0);
        expect(result.stdout).not.toMatch(/mandatory/);
    });

    it("fails the insecure stack and names each mandatory violation", async () => {
        const result = await work.pulumi(["preview", "--stack", "insecure", "--policy-pack", "policy"], { allowFailure: true });
        const text = result.stdout + result.stderr;
        expect(result.code, text).not.toBe(0);
        expect(text).toMatch(/\[mandatory\][^\n]*emqx-dashboard-not-public/);
        expect(text).toMatch(/\[mandatory\][^\n]*emqx-db-role-least-privilege/);
        expect(text).toMatch(/\[advisory\][^\n]*certificate-validity/);
    });
});
