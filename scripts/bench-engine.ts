// `npm run bench:engine` (after the toolchain, engine and test images are in place, e.g. by
// `npm run test:e2e`): the median of 5 warm `pulumi preview` and 5 no-op `pulumi up` runs of
// the dev-shaped stack, next to the same engine running an empty program, in one run; the
// ratio is the program's own overhead. Writes benchmarks/engine.md.
import { execFileSync } from "child_process";
import { mkdirSync, writeFileSync } from "fs";
import { cpus, totalmem } from "os";
import { join } from "path";
import { freePort, makeWorkdir, REPO, Workdir } from "../test/e2e/support";

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
    const program = makeWorkdir("bench");
    const empty = makeWorkdir("bench-empty");
    const prefix = `aiida-bench-${process.pid}`;
    try {
        program.writeStackConfig("bench", {
            "aiida-emqx:resourcePrefix": prefix,
            "aiida-emqx:emqxImage": "aiida-test/emqx-standin:5.8.6",
            "aiida-emqx:databaseImage": "aiida-test/postgres:15-local",
            "aiida-emqx:mqttTlsPort": await freePort(),
            "aiida-emqx:dashboardPort": await freePort(),
            "aiida-emqx:databaseHostPort": await freePort(),
            "aiida-emqx:deleteDataOnDestroy": true,
        });
        // The empty program: same project settings and runtime, no resources.
        writeFileSync(join(empty.dir, "index.ts"), "export const nothing = 1;\n");
        await program.pulumi(["stack", "init", "bench"]);
        await empty.pulumi(["stack", "init", "bench"]);
        const p = await measure(program, "bench");
        const e = await measure(empty, "bench");
        await program.pulumi(["destroy", "--yes", "--stack", "bench"]);
        const version = execFileSync("pulumi", ["version"]).toString().trim();
        const fmt = (x: number) => x.toFixed(2);
        const md = [
            "## Engine overhead (`npm run bench:engine`)",
            "",
            `Run ${new Date().toISOString()} on ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB, Pulumi ${version}, file:// backend, local Docker engine (vfs),`,
            "EMQX stand-in and PostgreSQL 15 stand-in images. Median of 5 warm runs each, after one deploy; one process at a time.",
            "",
            "| | dev-shaped stack (s) | empty program (s) | ratio |",
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
    }
}

main().catch((err) => {
    console.error(err);
    process.exit(1);
});
