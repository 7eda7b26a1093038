// Pulumi mocks for unit tests: records every registered resource with its inputs and its
// URN (which carries the parent chain), and returns plausible computed outputs. A stand-in
// for the engine: the end-to-end test runs the real one.
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
    readonly type: string;
    readonly name: string;
    /** Inputs with secrets unwrapped. */
    readonly inputs: Record<string, any>;
    /** Inputs as the engine receives them: secrets still wrapped (see isSecretValue). */
    readonly rawInputs: Record<string, any>;
}

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isSecretValue(value: unknown): boolean {
    return typeof value === "object" && value !== null && (value as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG;
}

export function unwrapSecrets(value: any): any {
    if (isSecretValue(value)) {
        return unwrapSecrets(value.value);
    }
    if (Array.isArray(value)) {
        return value.map(unwrapSecrets);
    }
    if (typeof value === "object" && value !== null) {
        return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, unwrapSecrets(v)]));
    }
    return value;
}

export const MOCK_CA_PEM = "-----BEGIN CERTIFICATE-----\nMOCKCA\n-----END CERTIFICATE-----\n";
export const MOCK_CERT_PEM = "-----BEGIN CERTIFICATE-----\nMOCKSERVER\n-----END CERTIFICATE-----\n";
export const MOCK_KEY_PEM = "-----BEGIN PRIVATE KEY-----\nMOCKKEY\n-----END PRIVATE KEY-----\n";
export const MOCK_SALT_HEX = "000102030405060708090a0b0c0d0e0f";

/** Deterministic fake password per resource name, so tests can look for it. */
export const mockPassword = (name: string) => `mockpw-${name}-Ab1`;

function computed(args: pulumi.runtime.MockResourceArgs): Record<string, unknown> {
    switch (args.type) {
        case "random:index/randomPassword:RandomPassword":
            return { result: mockPassword(args.name) };
        case "random:index/randomBytes:RandomBytes":
            return { hex: MOCK_SALT_HEX, base64: Buffer.from(MOCK_SALT_HEX, "hex").toString("base64") };
        case "tls:index/privateKey:PrivateKey":
            return { privateKeyPem: MOCK_KEY_PEM, publicKeyPem: "public" };
        case "tls:index/selfSignedCert:SelfSignedCert":
            return { certPem: MOCK_CA_PEM };
        case "tls:index/certRequest:CertRequest":
            return { certRequestPem: "csr" };
        case "tls:index/locallySignedCert:LocallySignedCert":
            return { certPem: MOCK_CERT_PEM };
        case "docker:index/remoteImage:RemoteImage":
            return { imageId: `sha256:${args.name}`, repoDigest: `${args.inputs.name}@sha256:mock` };
        default:
            return {};
    }
}

export interface MockRun {
    readonly resources: RecordedResource[];
    /** URNs of everything registered, components included. */
    urns(): string[];
}

export function installMocks(stack: string): MockRun {
    const resources: RecordedResource[] = [];
    pulumi.runtime.setMocks(
        {
            newResource(args) {
                const inputs = unwrapSecrets(args.inputs);
                resources.push({ type: args.type, name: args.name, inputs, rawInputs: args.inputs });
                return { id: `${args.name}-id`, state: { ...inputs, ...computed({ ...args, inputs }) } };
            },
            call(args) {
                return args.inputs;
            },
        },
        "aiida-emqx",
        stack,
        false,
    );
    return {
        resources,
        urns: () => [...((pulumi.runtime as any).getMonitor().getRegisteredResources() as Map<string, unknown>).keys()],
    };
}

/** Resolves an Output in a mocked run, with whether it is marked secret. */
export async function resolve<T>(output: pulumi.Output<T>): Promise<{ value: T; secret: boolean }> {
    const o = output as any;
    const [value, secret] = await Promise.all([o.promise() as Promise<T>, o.isSecret as Promise<boolean>]);
    return { value, secret };
}

/** The type chain of a URN, e.g. aiida:broker:Broker$docker:index/container:Container. */
export function urnTypeChain(urn: string): string {
    return urn.split("::")[2];
}

/**
 * Runs index.ts under mocks with a stack's committed config file (Pulumi.<stack>.yaml, or
 * none), plus `extra` raw values; `extraSecretKeys` are marked secret as `--secret` would.
 * Re-imports the program each time, so every call is a fresh `pulumi up` of it.
 */
export async function runIndexUnderMocks(
    stack: string,
    options: { stackFile?: boolean; extra?: Record<string, string>; extraSecretKeys?: string[] } = {},
): Promise<{ run: MockRun; program: typeof import("../../index") }> {
    const { rawConfigFromStackFile } = await import("../../scripts/render");
    const { PROJECT } = await import("../../components/config");
    const raw = options.stackFile === false ? { values: {}, secretKeys: new Set<string>() } : rawConfigFromStackFile(stack);
    const config: Record<string, string> = {};
    for (const [k, v] of Object.entries({ ...raw.values, ...options.extra })) {
        if (v !== undefined) config[`${PROJECT}:${k}`] = v;
    }
    pulumi.runtime.setAllConfig(config, [...raw.secretKeys, ...(options.extraSecretKeys ?? [])].map((k) => `${PROJECT}:${k}`));
    const run = installMocks(stack);
    const { vi } = await import("vitest");
    vi.resetModules();
    const program = await import("../../index");
    await resolve(program.database);
    await new Promise((r) => setTimeout(r, 50)); // let every registration settle
    return { run, program };
}
