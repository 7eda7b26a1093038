// Helpers for the end-to-end suite: a throwaway Pulumi project directory with a file://
// backend, and thin wrappers that run the real `pulumi` and `docker` commands.
import { execFile, execFileSync } from "child_process";
import { appendFileSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "fs";
import { createServer } from "net";
import { connect as tlsConnect, createServer as createTlsServer } from "tls";
import { tmpdir } from "os";
import { join, resolve } from "path";
import { promisify } from "util";
import YAML from "yaml";

const run = promisify(execFile);
export const REPO = resolve(__dirname, "..", "..");

export interface Workdir {
    readonly dir: string;
    readonly env: NodeJS.ProcessEnv;
    writeStackConfig(stack: string, config: Record<string, unknown>): void;
    pulumi(args: string[], options?: { allowFailure?: boolean }): Promise<{ stdout: string; stderr: string; code: number }>;
    cleanup(): void;
}

/** A copy of the program (sharing node_modules) with its own state backend and passphrase. */
export function makeWorkdir(label: string, options: { main?: string } = {}): Workdir {
    const root = mkdtempSync(join(tmpdir(), `aiida-e2e-${label}-`));
    const dir = join(root, "project");
    const state = join(root, "state");
    mkdirSync(state);
    mkdirSync(dir);
    for (const entry of ["Pulumi.yaml", "index.ts", "components", "package.json", "tsconfig.json", "policy"]) {
        cpSync(join(REPO, entry), join(dir, entry), { recursive: true });
    }
    symlinkSync(join(REPO, "node_modules"), join(dir, "node_modules"));
    if (options.main) {
        // Another entry point from the repo (e.g. test/e2e/fixtures/...), same relative layout.
        cpSync(join(REPO, "test", "e2e", "fixtures"), join(dir, "test", "e2e", "fixtures"), { recursive: true });
        appendFileSync(join(dir, "Pulumi.yaml"), `main: ${options.main}\n`);
    }
    const env: NodeJS.ProcessEnv = {
        ...process.env,
        // Dynamic providers (EmqxAclSchema, EmqxBuiltinUser) run through this script, which
        // upstream ships beside the CLI and the npm SDK ships too.
        PATH: `${join(REPO, "node_modules", "@pulumi", "pulumi")}:${process.env.PATH}`,
        PULUMI_BACKEND_URL: `file://${state}`,
        PULUMI_CONFIG_PASSPHRASE: `e2e-passphrase-${label}`,
        PULUMI_SKIP_UPDATE_CHECK: "true",
        PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
        PULUMI_SKIP_CONFIRMATIONS: "true",
        NO_COLOR: "1",
    };
    return {
        dir,
        env,
        writeStackConfig(stack, config) {
            writeFileSync(join(dir, `Pulumi.${stack}.yaml`), YAML.stringify({ config }));
        },
        async pulumi(args, options = {}) {
            try {
                const { stdout, stderr } = await run("pulumi", [...args, "--non-interactive"], { cwd: dir, env, maxBuffer: 64 * 1024 * 1024 });
                return { stdout, stderr, code: 0 };
            } catch (err) {
                const e = err as { stdout?: string; stderr?: string; code?: number };
                if (options.allowFailure) {
                    return { stdout: e.stdout ?? "", stderr: e.stderr ?? "", code: typeof e.code === "number" ? e.code : 1 };
                }
                throw new Error(`pulumi ${args.join(" ")} failed (${e.code}):\n${(e.stdout ?? "").slice(-6000)}\n${(e.stderr ?? "").slice(-4000)}`);
            }
        },
        cleanup() {
            rmSync(root, { recursive: true, force: true });
        },
    };
}

export async function docker(args: string[]): Promise<string> {
    const { stdout } = await run("docker", args, { maxBuffer: 64 * 1024 * 1024 });
    return stdout;
}

export async function dockerInspect(kind: "container" | "volume" | "network", name: string): Promise<any | undefined> {
    try {
        return JSON.parse(await docker([kind, "inspect", name]))[0];
    } catch {
        return undefined;
    }
}

/** A TCP port nothing listens on right now (loopback). */
export function freePort(): Promise<number> {
    return new Promise((resolvePort, reject) => {
        const server = createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const port = (server.address() as { port: number }).port;
            server.close(() => resolvePort(port));
        });
    });
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 120_000): Promise<T> {
    const started = Date.now();
    for (;;) {
        const value = await probe().catch(() => undefined);
        if (value !== undefined) return value;
        if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
        await new Promise((r) => setTimeout(r, 1000));
    }
}

/**
 * Whether the Docker resource plugin the @pulumi/docker SDK pins is installed. The toolchain
 * script cannot build it offline (scripts/toolchain/README.md), so the suites that deploy
 * containers skip, saying why, instead of failing on a missing plugin.
 */
export function dockerProviderAvailable(): { available: boolean; reason: string } {
    const wanted = JSON.parse(readFileSync(join(REPO, "node_modules", "@pulumi", "docker", "package.json"), "utf8")).pulumi.version as string;
    try {
        const plugins = JSON.parse(execFileSync("pulumi", ["plugin", "ls", "--json"], { encoding: "utf8" })) as { name: string; kind: string; version: string }[];
        const found = plugins.some((p) => p.name === "docker" && p.kind === "resource" && p.version === wanted);
        return { available: found, reason: found ? "" : `no resource plugin docker ${wanted} installed (it cannot be built from the Go module proxy: see scripts/toolchain/README.md)` };
    } catch (err) {
        return { available: false, reason: `pulumi plugin ls failed: ${(err as Error).message}` };
    }
}

/**
 * Serves `cert`/`key` on loopback with Node's tls module and connects once per name with
 * `ca` as the only trust anchor; resolves whether each handshake was authorized (a name the
 * certificate does not cover rejects). `undefined` means: no SNI, verify the IP 127.0.0.1.
 */
export async function tlsHandshakes(cert: string, key: string, ca: string, names: (string | undefined)[]): Promise<PromiseSettledResult<boolean>[]> {
    const server = createTlsServer({ cert, key }, (socket) => socket.end());
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
    const port = (server.address() as { port: number }).port;
    const handshake = (servername: string | undefined) =>
        new Promise<boolean>((resolveHandshake, reject) => {
            const socket = tlsConnect({ host: "127.0.0.1", port, ca, servername }, () => {
                resolveHandshake(socket.authorized);
                socket.end();
            });
            socket.on("error", reject);
        });
    try {
        const results: PromiseSettledResult<boolean>[] = [];
        for (const name of names) results.push(...(await Promise.allSettled([handshake(name)])));
        return results;
    } finally {
        server.close();
    }
}
