import { createServer, IncomingMessage, Server } from "http";
import { afterEach, describe, expect, it } from "vitest";
import { setBuiltinUserPassword } from "../components/builtin-user-resource";

interface Seen {
    method: string;
    url: string;
    auth: string;
    body: any;
}

/** A real HTTP server that answers like EMQX's user endpoints, per a script of statuses. */
async function fakeEmqxApi(statuses: number[]): Promise<{ server: Server; url: string; seen: Seen[] }> {
    const seen: Seen[] = [];
    const server = createServer(async (req: IncomingMessage, res) => {
        let body = "";
        for await (const chunk of req) body += chunk;
        seen.push({ method: req.method!, url: req.url!, auth: req.headers.authorization ?? "", body: body ? JSON.parse(body) : undefined });
        res.statusCode = statuses.shift() ?? 500;
        res.end("{}");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

const inputs = (apiUrl: string) => ({ apiUrl, apiKey: "aiida-pulumi", apiSecret: "api-secret-value", userId: "aiida", password: "new-Password-123", isSuperuser: true });

describe("setting a built-in user's password through EMQX's REST API (a rotation)", () => {
    let server: Server | undefined;
    afterEach(() => server?.close());

    it("PUTs the password and superuser flag with the API key as basic auth", async () => {
        const api = await fakeEmqxApi([200]);
        server = api.server;
        await setBuiltinUserPassword(inputs(api.url));
        expect(api.seen).toEqual([
            {
                method: "PUT",
                url: "/api/v5/authentication/password_based:built_in_database/users/aiida",
                auth: "Basic " + Buffer.from("aiida-pulumi:api-secret-value").toString("base64"),
                body: { password: "new-Password-123", is_superuser: true },
            },
        ]);
    });

    it("creates the user when it does not exist (404), e.g. on a fresh data volume", async () => {
        const api = await fakeEmqxApi([404, 201]);
        server = api.server;
        await setBuiltinUserPassword(inputs(api.url));
        expect(api.seen.map((s) => `${s.method} ${s.url}`)).toEqual([
            "PUT /api/v5/authentication/password_based:built_in_database/users/aiida",
            "POST /api/v5/authentication/password_based:built_in_database/users",
        ]);
        expect(api.seen[1].body).toEqual({ user_id: "aiida", password: "new-Password-123", is_superuser: true });
    });

    it("retries while the node warms up, then succeeds", async () => {
        const api = await fakeEmqxApi([503, 200]);
        server = api.server;
        await setBuiltinUserPassword(inputs(api.url), 10_000, 50);
        expect(api.seen).toHaveLength(2);
    });

    it("gives up with the endpoint and status, never the password or the API secret", async () => {
        const api = await fakeEmqxApi(Array(20).fill(401));
        server = api.server;
        const error = await setBuiltinUserPassword(inputs(api.url), 500, 50).catch((e: Error) => e);
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toMatch(/aiida.*PUT 401/);
        expect((error as Error).message).not.toContain("new-Password-123");
        expect((error as Error).message).not.toContain("api-secret-value");
    });
});
