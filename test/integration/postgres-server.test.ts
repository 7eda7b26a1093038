// The throwaway server the integration tests and the benchmark run on: loopback only, its
// socket and data inside its own temporary directory, gone after stop().
import { existsSync, statSync } from "fs";
import { connect as tcpConnect } from "net";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { connectError, withClient } from "../support/pg-inspect";
import { PostgresServer, startPostgres } from "../support/postgres-server";

function portAccepts(port: number): Promise<boolean> {
    return new Promise((resolve) => {
        const socket = tcpConnect({ host: "127.0.0.1", port });
        socket.once("connect", () => {
            socket.destroy();
            resolve(true);
        });
        socket.once("error", () => resolve(false));
    });
}

describe("test PostgreSQL server", () => {
    let server: PostgresServer;

    beforeAll(async () => {
        server = await startPostgres();
    });

    afterAll(async () => {
        await server?.stop();
    });

    it("listens on 127.0.0.1 only, with its unix socket inside its own private directory", async () => {
        const settings = await withClient(server, "postgres", (c) =>
            c.query<{ name: string; setting: string }>(
                "SELECT name, setting FROM pg_settings WHERE name IN ('listen_addresses', 'unix_socket_directories', 'port', 'password_encryption') ORDER BY name",
            ),
        );
        expect(Object.fromEntries(settings.rows.map((r) => [r.name, r.setting]))).toEqual({
            listen_addresses: "127.0.0.1",
            password_encryption: "scram-sha-256",
            port: String(server.port),
            unix_socket_directories: `${server.baseDir}/sock`,
        });
        expect(statSync(server.baseDir).mode & 0o077).toBe(0);
        expect(server.version).toMatch(/^PostgreSQL \d+/);
    });

    it("requires the superuser's password (SCRAM, no trust)", async () => {
        expect(await connectError(server, server.superuser, "wrong", "postgres")).toBe("28P01");
    });

    it("stop() shuts the server down and removes its directory", async () => {
        const { port, baseDir } = server;
        await server.stop();
        expect(await portAccepts(port)).toBe(false);
        expect(existsSync(baseDir)).toBe(false);
        await server.stop(); // idempotent
    });
});
