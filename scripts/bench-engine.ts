// `npm run bench:engine` (after `npm run test:e2e` has provided the toolchain): the median of
// 5 warm `pulumi preview` and 5 no-op `pulumi up` runs of the program, next to the same
// engine running an empty program, in one run; the ratio is the program's own overhead.
// Without a Docker resource plugin (none can be built offline) the program measured is its
// foundation (test/e2e/fixtures/foundation-program.ts: credentials, certificates, the
// external-mode database with its dynamic provider) against a PostgreSQL on the host, and
// the report says so. Writes benchmarks/engine.md.
import { execFileSync } from "child_process";
import { mkdirSync, writeFileSync } from "fs";
import { cpus, loadavg, totalmem } from "os";
import { join } from "path";
import { startPostgres } from "../test/support/postgres-server";
import { dockerProviderAvailable, freePort, makeWorkdir, REPO, Workdir } from "../test/e2e/support";

const RUNS = 5;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function timed(work: Workdir, args: string[]): Promise<number> {
    const started = process.hrtime.bigint();
    await work.pulumi(args);
    return Number(process.hrtime.bigint() - started) / 1e9;
}

async function measure(work: Workdir, stack: string) {
    await work.pulumi(["up", "--yes", "--stack", stack]); // deploy once, then warm runs only
    await work.pulumi(["preview", "--stack", stack]);
    const preview: number[] = [];
    const up: number[] = [];
    for (let i = 0; i < RUNS; i++) preview.push(await timed(work, ["preview", "--expect-no-changes", "--stack", stack]));
    for (let i = 0; i < RUNS; i++) up.push(await timed(work, ["up", "--yes", "--expect-no-changes", "--stack", stack]));
    return { preview: median(preview), up: median(up), previewRuns: preview, upRuns: up };
}

async function main() {
    const full = dockerProviderAvailable().available;
    const program = makeWorkdir("bench", full ? {} : { main: "test/e2e/fixtures/foundation-program.ts" });
    const empty = makeWorkdir("bench-empty");
    const prefix = `aiida-bench-${process.pid}`;
    const server = full ? undefined : await startPostgres();
    try {
        program.writeStackConfig("bench", full
            ? {
                  "aiida-emqx:resourcePrefix": prefix,
                  "aiida-emqx:emqxImage": "aiida-test/emqx-standin:5.8.6",
                  "aiida-emqx:databaseImage": "aiida-test/postgres:15-local",
                  "aiida-emqx:mqttTlsPort": await freePort(),
                  "aiida-emqx:dashboardPort": await freePort(),
                  "aiida-emqx:databaseHostPort": await freePort(),
                  "aiida-emqx:deleteDataOnDestroy": true,
              }
            : {
                  "aiida-emqx:databaseMode": "external",
                  "aiida-emqx:databaseHost": server!.host,
                  "aiida-emqx:databasePort": server!.port,
                  "aiida-emqx:databaseAdminUser": server!.superuser,
                  "aiida-emqx:databaseSslMode": "disable",
                  "aiida-emqx:deleteDataOnDestroy": true,
              });
        await program.pulumi(["stack", "init", "bench"]);
        if (!full) await program.pulumi(["config", "set", "--secret", "--stack", "bench", "aiida-emqx:databaseAdminPassword", server!.superuserPassword]);
        // The empty program: same project settings and runtime, no resources.
        writeFileSync(join(empty.dir, "index.ts"), "export const nothing = 1;\n");
        await empty.pulumi(["stack", "init", "bench"]);
        const p = await measure(program, "bench");
        const e = await measure(empty, "bench");
        await program.pulumi(["destroy", "--yes", "--stack", "bench"]);
        const version = execFileSync("pulumi", ["version"]).toString().trim();
        const fmt = (x: number) => x.toFixed(2);
        const md = [
            "## Engine overhead (`npm run bench:engine`)",
            "",
            `Run ${new Date().toISOString()} on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Pulumi ${version}, file:// backend${full ? ", local Docker engine (vfs)" : ""}; load average at the start ${loadavg().map((l) => l.toFixed(1)).join(" ")}.`,
            full
                ? "Program: the whole dev-shaped stack (EMQX stand-in and PostgreSQL 15 stand-in images)."
                : "Program: its foundation only (test/e2e/fixtures/foundation-program.ts: 6 random, 5 tls and 1 dynamic resource under 3 components, external PostgreSQL on the host), because no Docker resource plugin can be built here; the containers' share of the overhead is not measured.",
            "Median of 5 warm runs each, after one deploy; one process at a time.",
            "",
            `| | ${full ? "dev-shaped stack" : "program foundation"} (s) | empty program (s) | ratio |`,
            "|---|---|---|---|",
            `| \`pulumi preview\` | ${fmt(p.preview)} | ${fmt(e.preview)} | ${fmt(p.preview / e.preview)} |`,
            `| no-op \`pulumi up\` | ${fmt(p.up)} | ${fmt(e.up)} | ${fmt(p.up / e.up)} |`,
            "",
            `Runs (s): program preview ${p.previewRuns.map(fmt).join(", ")}; up ${p.upRuns.map(fmt).join(", ")}; empty preview ${e.previewRuns.map(fmt).join(", ")}; up ${e.upRuns.map(fmt).join(", ")}.`,
            "",
        ].join("\n");
        mkdirSync(join(REPO, "benchmarks"), { recursive: true });
        writeFileSync(join(REPO, "benchmarks", "engine.md"), md);
        console.log(md);
    } finally {
        await program.pulumi(["destroy", "--yes", "--stack", "bench"], { allowFailure: true });
        program.cleanup();
        empty.cleanup();
        await server?.stop();
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
