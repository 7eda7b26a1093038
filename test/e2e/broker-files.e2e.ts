// Until a Docker provider plugin exists here, this checks the broker container's file set
// against a real Docker engine without it: the program runs under Pulumi mocks (as in
// test/program.test.ts) and the uploads it declares for the broker container (path, content,
// owner, mode) are copied by this test into a container of the EMQX stand-in image, the way
// the provider's uploads arrive (a tar stream with owner and mode). The stand-in is NOT a
// broker: it refuses to start, as EMQX would, when emqx.conf or a file it references
// (certificates, key, bootstrap files, file:// password, include) is missing or unreadable
// for uid 1000. The copying is this test's, not the provider's.
import { execFileSync, spawnSync } from "child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "fs";
import { tmpdir } from "os";
import { dirname, join } from "path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runIndexUnderMocks } from "../support/pulumi-mocks";
import { docker, waitFor } from "./support";

const IMAGE = process.env.AIIDA_TEST_EMQX_IMAGE ?? "aiida-test/emqx-standin:5.8.6";
const engineReady = spawnSync("docker", ["image", "inspect", IMAGE], { stdio: "ignore" }).status === 0;
if (!engineReady) console.warn(`SKIPPED broker-files.e2e.ts: no Docker engine with the image ${IMAGE} (scripts/docker/*.sh provide both)`);

interface Upload {
    file: string;
    content: string;
    owner: string;
    group: string;
    permissions: string;
}

/** The broker container's env and uploads, as the program declares them for the dev stack. */
async function declaredBrokerContainer(): Promise<{ envs: string[]; uploads: Upload[] }> {
    const { run } = await runIndexUnderMocks("dev", { stackFile: false, extra: { emqxImage: IMAGE, brokerApiUserSync: "false" } });
    const broker = run.resources.find((r) => r.type === "docker:index/container:Container" && r.inputs.name.endsWith("-emqx"))!;
    return { envs: broker.inputs.envs, uploads: broker.inputs.uploads };
}

/** Copies one file into a created container as a tar entry with the declared owner and mode. */
function copyIn(container: string, upload: Upload, staging: string): void {
    const local = join(staging, upload.file);
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, upload.content);
    const tar = execFileSync("tar", [
        "-C", staging, "-cf", "-",
        "--owner", upload.owner, "--group", upload.group, "--numeric-owner", "--mode", upload.permissions.replace(/^0/, ""),
        "--no-recursion", upload.file.replace(/^\//, ""),
    ]);
    execFileSync("docker", ["cp", "-", `${container}:/`], { input: tar });
}

async function startWith(name: string, envs: string[], uploads: Upload[]): Promise<void> {
    await docker(["create", "--name", name, ...envs.flatMap((e) => ["-e", e]), IMAGE]);
    const staging = mkdtempSync(join(tmpdir(), "aiida-broker-files-"));
    try {
        for (const upload of uploads) copyIn(name, upload, staging);
    } finally {
        rmSync(staging, { recursive: true, force: true });
    }
    await docker(["start", name]);
}

const running = async (name: string) => JSON.parse(await docker(["inspect", name]))[0].State as { Running: boolean; ExitCode: number };

describe.skipIf(!engineReady)("the broker's declared files in a container of the EMQX stand-in", () => {
    let declared: { envs: string[]; uploads: Upload[] };
    const names: string[] = [];

    beforeAll(async () => {
        declared = await declaredBrokerContainer();
    });

    afterAll(async () => {
        for (const name of names) await docker(["rm", "-f", name]).catch(() => undefined);
    });

    it("start, stay up and answer the healthcheck with exactly the program's uploads", async () => {
        const name = `aiida-files-ok-${process.pid}`;
        names.push(name);
        await startWith(name, declared.envs, declared.uploads);
        const status = await waitFor("emqx ctl status", async () => (await docker(["exec", name, "/opt/emqx/bin/emqx", "ctl", "status"]).catch(() => "")) || undefined, 30_000);
        expect(status).toContain("emqx@emqx.aiida.internal");
        await new Promise((r) => setTimeout(r, 1000));
        expect((await running(name)).Running).toBe(true);
    });

    it("refuse to start when the server key is not readable by uid 1000 (so the check above can fail)", async () => {
        const name = `aiida-files-bad-${process.pid}`;
        names.push(name);
        const uploads = declared.uploads.map((u) => (u.file.endsWith("server.key") ? { ...u, owner: "0", group: "0" } : u));
        await startWith(name, declared.envs, uploads);
        const state = await waitFor("the stand-in to exit", async () => {
            const s = await running(name);
            return s.Running ? undefined : s;
        }, 30_000);
        expect(state.ExitCode).not.toBe(0);
    });
});
