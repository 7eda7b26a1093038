// Starts the pack the way the Node.js language host does for `pulumi preview --policy-pack policy`
// (node @pulumi/pulumi/cmd/run-policy-pack <engine> <pack dir>, working directory = the pack,
// TypeScript through the SDK's ts-node, modules from the project's node_modules) and talks to it
// over the Analyzer gRPC protocol like the engine: GetAnalyzerInfo, Configure, Analyze,
// AnalyzeStack. This is what proves the pack loads without its own npm install.
import { ChildProcess, spawn } from "child_process";
import * as fs from "fs";
import * as os from "os";
import * as path from "path";
import * as grpc from "@grpc/grpc-js";
import * as analyzerRpcModule from "@pulumi/pulumi/proto/analyzer_grpc_pb";
import * as analyzerProtoModule from "@pulumi/pulumi/proto/analyzer_pb";
import { Empty } from "google-protobuf/google/protobuf/empty_pb";
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { GOOD_EMQX_CONF } from "./fixtures";

/* eslint-disable @typescript-eslint/no-explicit-any */
const rpc = analyzerRpcModule as any;
const proto = analyzerProtoModule as any;

const root = path.resolve(__dirname, "../..");
let pack: ChildProcess;
let client: any;
let projectDir: string;

const call = <T>(method: string, req: unknown): Promise<T> =>
    new Promise((resolve, reject) => client[method](req, (err: Error | null, res: T) => (err ? reject(err) : resolve(res))));

beforeAll(async () => {
    projectDir = fs.mkdtempSync(path.join(os.tmpdir(), "served-pack-"));
    fs.writeFileSync(path.join(projectDir, "Pulumi.yaml"), "name: aiida-emqx\nruntime: nodejs\n");
    fs.writeFileSync(path.join(projectDir, "Pulumi.insecure.yaml"), "config:\n  aiida-emqx:dashboardPassword: public-but-longer-than-16\n");
    pack = spawn(process.execPath, [require.resolve("@pulumi/pulumi/cmd/run-policy-pack"), "127.0.0.1:1", path.join(root, "policy")], {
        cwd: path.join(root, "policy"),
        env: { ...process.env, PULUMI_NODEJS_STACK: "insecure", PULUMI_NODEJS_PROJECT: "aiida-emqx", PULUMI_CONFIG: JSON.stringify({ "aiida-emqx:production": "true" }) },
        stdio: ["ignore", "pipe", "pipe"],
    });
    let stderr = "";
    pack.stderr!.on("data", (d) => (stderr += String(d)));
    const port = await new Promise<string>((resolve, reject) => {
        pack.stdout!.once("data", (d) => resolve(String(d).trim()));
        pack.once("exit", (code) => reject(new Error(`the pack exited with ${code}: ${stderr}`)));
    });
    client = new rpc.AnalyzerClient(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
}, 120_000);

afterAll(() => {
    client?.close();
    pack?.kill();
    fs.rmSync(projectDir, { recursive: true, force: true });
});

function broker(conf: string, ports: unknown[]) {
    return Struct.fromJavaScript({
        labels: [{ label: "aiida.component", value: "broker" }],
        ports: ports as never,
        envs: [],
        uploads: [
            // The engine sends secret inputs in their wire form; the library unwraps them.
            { file: "/opt/emqx/etc/emqx.conf", content: { "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270", value: conf } },
            { file: "/opt/emqx/etc/aiida/secrets.hocon", content: 'node.cookie = "emqxsecretcookie"' },
        ],
    });
}

describe("the pack served by @pulumi/pulumi's run-policy-pack", () => {
    it("describes itself with every policy", async () => {
        const info = await call<any>("getAnalyzerInfo", new Empty());
        expect(info.getName()).toBe("aiida-emqx");
        expect(info.getVersion()).toBe("0.1.0");
        expect(info.getPoliciesList().length).toBeGreaterThanOrEqual(16);
    });

    it("takes policy config and analyzes a resource like the engine asks it to", async () => {
        const configure = new proto.ConfigureAnalyzerRequest();
        const cfg = new proto.PolicyConfig();
        cfg.setEnforcementlevel(proto.EnforcementLevel.MANDATORY);
        cfg.setProperties(Struct.fromJavaScript({ allowedAddresses: ["192.0.2.10"] }));
        configure.getPolicyconfigMap().set("emqx-dashboard-not-public", cfg);
        await call("configure", configure);

        const req = new proto.AnalyzeRequest();
        req.setType("docker:index/container:Container");
        req.setUrn("urn:pulumi:insecure::aiida-emqx::docker:index/container:Container::emqx");
        req.setName("emqx");
        req.setOptions(new proto.AnalyzerResourceOptions());
        req.setProperties(
            broker(GOOD_EMQX_CONF, [
                { internal: 18083, external: 18083, ip: "192.0.2.10", protocol: "tcp" },
                { internal: 1883, external: 1883, ip: "0.0.0.0", protocol: "tcp" },
            ]),
        );
        const res = await call<any>("analyze", req);
        const byPolicy = res.getDiagnosticsList().map((d: any) => `${d.getPolicyname()}:${d.getEnforcementlevel() === proto.EnforcementLevel.MANDATORY ? "mandatory" : "advisory"}`);
        // The cookie comes from the include, plain MQTT is public in a production stack (PULUMI_CONFIG),
        // the dashboard address is allowed by the config sent through Configure.
        expect(byPolicy).toContain("emqx-node-cookie-not-default:mandatory");
        expect(byPolicy).toContain("emqx-plain-mqtt-not-published:mandatory");
        expect(byPolicy).not.toContain("emqx-dashboard-not-public:mandatory");
        expect(byPolicy).toContain("emqx-dashboard-password-not-default:mandatory");
    });

    it("runs the stack policy on the stack named in its environment", async () => {
        const configure = new proto.ConfigureAnalyzerRequest();
        const cfg = new proto.PolicyConfig();
        cfg.setEnforcementlevel(proto.EnforcementLevel.MANDATORY);
        cfg.setProperties(Struct.fromJavaScript({ projectDir }));
        configure.getPolicyconfigMap().set("stack-config-no-plaintext-secrets", cfg);
        await call("configure", configure);
        const req = new proto.AnalyzeStackRequest();
        const res = await call<any>("analyzeStack", req);
        const messages = res.getDiagnosticsList().map((d: any) => `${d.getPolicyname()}: ${d.getMessage()}`);
        expect(messages).toEqual([expect.stringMatching(/^stack-config-no-plaintext-secrets: [\s\S]*Pulumi\.insecure\.yaml: aiida-emqx:dashboardPassword is stored in plaintext/)]);
    });
});
