// A small harness that runs the pack's policies the way @pulumi/policy 1.21's analyzer server
// (server.js, makeAnalyzeRpcFun / makeAnalyzeStackRpcFun) does, without a Pulumi engine:
// - resource properties go through the engine's wire form (secrets as signature objects,
//   unknowns as sentinel strings) into a google.protobuf.Struct, then through the library's own
//   deserializeProperties(struct, false) and unknownCheckingProxy, exactly as the server does;
// - args carry urn, name, opts, stackTags, isType/asType, getConfig (the policy's config with the
//   schema's defaults filled in, as the CLI's ReconcilePolicyPackConfig does) and notApplicable;
// - a thrown UnknownValueError becomes the library's advisory "can't run during preview".
// The library's documented test helper predates 1.21's args (stackTags, notApplicable) and no
// longer type-checks, hence this.
import { Struct } from "google-protobuf/google/protobuf/struct_pb";
import * as deserializeModule from "@pulumi/policy/deserialize";
import * as proxyModule from "@pulumi/policy/proxy";
import { specialSecretSig, specialSigKey } from "@pulumi/pulumi/runtime/rpc";
import type {
    Policy,
    PolicyConfigSchema,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
} from "@pulumi/policy";

interface LibraryInternals {
    deserializeProperties(outputsStruct: Struct, proxySecrets: boolean): Record<string, unknown>;
    unknownCheckingProxy<T>(toProxy: T): T;
    UnknownValueError: new (...args: never[]) => Error;
    unknownStringValue: string;
    unknownArrayValue: string;
    unknownObjectValue: string;
}
const lib = { ...(deserializeModule as unknown as object), ...(proxyModule as unknown as object) } as LibraryInternals;

/** Marks an input as a Pulumi secret (the engine sends it wrapped; the library unwraps it). */
export class SecretInput {
    constructor(readonly value: unknown) {}
}
export function secret(value: unknown): SecretInput {
    return new SecretInput(value);
}

/** Marks an input as unknown during preview (an output of a resource not created yet). */
export const UNKNOWN_INPUT = Symbol("unknown input");

/** Encodes an input value in the engine's wire form (what the CLI marshals with KeepSecrets/KeepUnknowns). */
function toWire(value: unknown): unknown {
    if (value === UNKNOWN_INPUT) {
        return lib.unknownStringValue;
    }
    if (value instanceof SecretInput) {
        return { [specialSigKey]: specialSecretSig, value: toWire(value.value) };
    }
    if (Array.isArray(value)) {
        return value.map(toWire);
    }
    if (value !== null && typeof value === "object") {
        const out: Record<string, unknown> = {};
        for (const [k, v] of Object.entries(value)) {
            if (v !== undefined) {
                out[k] = toWire(v);
            }
        }
        return out;
    }
    return value;
}

/** The props object a policy receives for these inputs, built by the library's own code. */
export function engineProps(inputs: Record<string, unknown>): Record<string, unknown> {
    const struct = Struct.fromJavaScript(toWire(inputs) as Record<string, never>);
    return lib.unknownCheckingProxy(lib.deserializeProperties(struct, false));
}

class NotApplicableError extends Error {
    constructor(readonly reason?: string) {
        super(reason ?? "Policy does not apply");
    }
}

function defaultsOf(schema: PolicyConfigSchema | undefined): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(schema?.properties ?? {})) {
        const d = (v as { default?: unknown }).default;
        if (d !== undefined) {
            out[k] = d;
        }
    }
    return out;
}

function getConfigFor(policy: Policy, config: Record<string, unknown> | undefined): <T extends object>() => T {
    return <T extends object>() => ({ ...defaultsOf(policy.configSchema), ...(config ?? {}) }) as T;
}

const defaultOpts: PolicyResourceOptions = {
    protect: false,
    ignoreChanges: [],
    aliases: [],
    customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 },
    additionalSecretOutputs: [],
};

function isTypeOf(type: string, resourceClass: unknown): boolean {
    const t = (resourceClass as { __pulumiType?: string }).__pulumiType;
    return t === type;
}

export interface Outcome {
    /** Messages passed to reportViolation. */
    readonly violations: string[];
    /** Set when the policy declared itself not applicable. */
    readonly notApplicable?: string;
    /** Set when the policy hit an unknown value (the library reports "can't run during preview", advisory). */
    readonly unknownDuringPreview?: string;
}

export interface ResourceInput {
    readonly type: string;
    readonly inputs: Record<string, unknown>;
    readonly name?: string;
}

const stackTags: ReadonlyMap<string, string> = new Map();

async function capture(run: () => Promise<void> | void, violations: string[]): Promise<Outcome> {
    try {
        await run();
    } catch (e) {
        if (e instanceof NotApplicableError) {
            return { violations, notApplicable: e.reason ?? "" };
        }
        if (e instanceof lib.UnknownValueError) {
            return { violations, unknownDuringPreview: e.message };
        }
        throw e;
    }
    return { violations };
}

/** Runs a resource policy on one resource, as the analyzer's Analyze call does. */
export async function runResourcePolicy(policy: ResourceValidationPolicy, resource: ResourceInput, config?: Record<string, unknown>): Promise<Outcome> {
    const name = resource.name ?? "res";
    const props = engineProps(resource.inputs);
    const violations: string[] = [];
    const args: ResourceValidationArgs = {
        type: resource.type,
        props,
        urn: `urn:pulumi:test::aiida-emqx::${resource.type}::${name}`,
        name,
        opts: defaultOpts,
        stackTags,
        isType: (cls) => isTypeOf(resource.type, cls),
        asType: ((cls: unknown) => (isTypeOf(resource.type, cls) ? props : undefined)) as ResourceValidationArgs["asType"],
        getConfig: getConfigFor(policy, config),
        notApplicable: (reason?: string): never => {
            throw new NotApplicableError(reason);
        },
    };
    const validations = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
    // The library's fast path: a validation tagged with a type is skipped for other types.
    for (const v of validations) {
        const t = (v as { __pulumiType?: string }).__pulumiType;
        if (t !== undefined && t !== resource.type) {
            return { violations, notApplicable: `Policy only applies to resources of type '${t}'` };
        }
    }
    return capture(async () => {
        for (const v of validations) {
            await v(args, (message: string) => violations.push(message));
        }
    }, violations);
}

/** Runs a stack policy over a set of resources, as the analyzer's AnalyzeStack call does. */
export async function runStackPolicy(policy: StackValidationPolicy, resources: readonly ResourceInput[], config?: Record<string, unknown>): Promise<Outcome> {
    const violations: string[] = [];
    const policyResources: PolicyResource[] = resources.map((r, i) => {
        const props = engineProps(r.inputs);
        const name = r.name ?? `res${i}`;
        return {
            type: r.type,
            props,
            urn: `urn:pulumi:test::aiida-emqx::${r.type}::${name}`,
            name,
            opts: defaultOpts,
            dependencies: [],
            propertyDependencies: {},
            isType: (cls) => isTypeOf(r.type, cls),
            asType: ((cls: unknown) => (isTypeOf(r.type, cls) ? props : undefined)) as PolicyResource["asType"],
        };
    });
    const args: StackValidationArgs = {
        resources: policyResources,
        stackTags,
        getConfig: getConfigFor(policy, config),
        notApplicable: (reason?: string): never => {
            throw new NotApplicableError(reason);
        },
    };
    return capture(() => policy.validateStack(args, (message: string) => violations.push(message)), violations);
}

// --- configSchema checks ----------------------------------------------------------------------

type JsonSchema = {
    type?: string | string[];
    items?: JsonSchema;
    enum?: unknown[];
    minimum?: number;
    maximum?: number;
    default?: unknown;
    description?: string;
    properties?: Record<string, JsonSchema>;
};

/** Validates a value against the subset of JSON Schema the pack's configSchemas use. */
export function validateAgainst(schema: JsonSchema, value: unknown, where: string): string[] {
    const errors: string[] = [];
    const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? schema.type : [schema.type];
    const typeOf = (v: unknown): string => (Array.isArray(v) ? "array" : v === null ? "null" : Number.isInteger(v) ? "integer" : typeof v);
    if (types.length > 0) {
        const t = typeOf(value);
        const ok = types.some((want) => want === t || (want === "number" && t === "integer"));
        if (!ok) {
            errors.push(`${where}: expected ${types.join("|")}, got ${t}`);
            return errors;
        }
    }
    if (schema.enum && !schema.enum.includes(value)) {
        errors.push(`${where}: ${JSON.stringify(value)} not in ${JSON.stringify(schema.enum)}`);
    }
    if (typeof value === "number" && schema.minimum !== undefined && value < schema.minimum) {
        errors.push(`${where}: ${value} < minimum ${schema.minimum}`);
    }
    if (typeof value === "number" && schema.maximum !== undefined && value > schema.maximum) {
        errors.push(`${where}: ${value} > maximum ${schema.maximum}`);
    }
    if (Array.isArray(value) && schema.items) {
        value.forEach((v, i) => errors.push(...validateAgainst(schema.items!, v, `${where}[${i}]`)));
    }
    if (typeof value === "string" && where.endsWith("Pattern")) {
        try {
            new RegExp(value);
        } catch (e) {
            errors.push(`${where}: not a regular expression: ${(e as Error).message}`);
        }
    }
    return errors;
}
