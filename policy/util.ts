// Shared helpers for the policy pack: reading resource properties as @pulumi/policy 1.21
// presents them, policy configuration with defaults, and the few facts several policies share
// (which stack is production, what "published on a public address" means).
//
// How @pulumi/policy 1.21 presents properties (read from its deserialize.js / proxy.js / server.js):
// - `args.props` is wrapped in `unknownCheckingProxy`: reading a value that is unknown during
//   preview (an output of a resource not yet created) throws `UnknownValueError`, which the
//   library turns into an advisory "can't run policy during preview" diagnostic.
// - Secrets are unwrapped: validateResource and validateStack deserialize with
//   proxySecrets = false, so a secret input arrives as its plaintext value, indistinguishable from
//   a non-secret one. (Only remediateResource sees `Secret` wrappers.) `plain()` below still
//   unwraps `Secret` objects and the wire form, in case a caller passes either.
// Policies here read values through `peek`/`plain`, which never throw on unknowns: they return
// the UNKNOWN marker, so a policy decides which unknowns matter (and then calls `unknown()`).
import * as policyProxy from "@pulumi/policy/proxy";
import { Secret } from "@pulumi/policy";
import type { PolicyConfigSchema } from "@pulumi/policy";

/** The library's proxy internals, which its type declarations strip (they are @internal). */
interface ProxyInternals {
    UnknownValueError: new (unknownTypeSentinel: string, props: string[]) => Error;
    getSpecialProxyTarget: string;
    unknownStringValue: string;
    unknownBooleanValue: string;
    unknownNumberValue: string;
    unknownArrayValue: string;
    unknownAssetValue: string;
    unknownArchiveValue: string;
    unknownObjectValue: string;
}
const internals = policyProxy as unknown as ProxyInternals;

/** The sentinel strings the engine uses for values unknown during preview. */
export const UNKNOWN_SENTINELS: ReadonlySet<string> = new Set([
    internals.unknownStringValue,
    internals.unknownBooleanValue,
    internals.unknownNumberValue,
    internals.unknownArrayValue,
    internals.unknownAssetValue,
    internals.unknownArchiveValue,
    internals.unknownObjectValue,
]);

/** Marks a value that is not known yet (preview of a resource whose inputs depend on outputs). */
export const UNKNOWN: unique symbol = Symbol("unknown during preview");
export type Unknown = typeof UNKNOWN;

const SECRET_SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

export function isUnknown(value: unknown): value is Unknown {
    return value === UNKNOWN;
}

/** Strips the library's proxies and secret wrappers from one level, without throwing. */
function raw(value: unknown): unknown {
    let v = value;
    if (v !== null && typeof v === "object") {
        const target = (v as Record<string, unknown>)[internals.getSpecialProxyTarget];
        if (target !== undefined) {
            v = target;
        }
    }
    if (v instanceof Secret) {
        return raw(v.value);
    }
    if (v !== null && typeof v === "object" && (v as Record<string, unknown>)[SECRET_SIG_KEY] === SECRET_SIG) {
        return raw((v as Record<string, unknown>).value);
    }
    if (typeof v === "string" && UNKNOWN_SENTINELS.has(v)) {
        return UNKNOWN;
    }
    return v;
}

/**
 * A deep plain copy of a property value: proxies removed, secrets unwrapped, unknown values
 * replaced by UNKNOWN. Never throws.
 */
export function plain(value: unknown): unknown {
    const v = raw(value);
    if (Array.isArray(v)) {
        return v.map(plain);
    }
    if (v !== null && typeof v === "object") {
        const out: Record<string, unknown> = {};
        for (const k of Object.keys(v)) {
            out[k] = plain((v as Record<string, unknown>)[k]);
        }
        return out;
    }
    return v;
}

/** Reads a property of the resource's props as a plain value (see `plain`). */
export function peek(props: Record<string, unknown>, key: string): unknown {
    const target = raw(props);
    if (target === UNKNOWN || target === null || typeof target !== "object") {
        return target === UNKNOWN ? UNKNOWN : undefined;
    }
    return plain((target as Record<string, unknown>)[key]);
}

/**
 * Gives up on this resource during preview because `what` is not known yet: throws the
 * library's own UnknownValueError, which it reports as an advisory "can't run during preview".
 * At `pulumi up` the engine analyzes the resolved inputs again, so the check still runs.
 */
export function unknown(what: string): never {
    throw new internals.UnknownValueError(internals.unknownStringValue, [what]);
}

export function asString(value: unknown): string | undefined {
    return typeof value === "string" ? value : undefined;
}

export function asArray(value: unknown): unknown[] {
    return Array.isArray(value) ? value : [];
}

export function asRecord(value: unknown): Record<string, unknown> | undefined {
    return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

/**
 * The policy's configuration with the schema's defaults filled in. The CLI fills defaults too
 * (ReconcilePolicyPackConfig), but not every caller does (tests, older CLIs).
 */
export function configWithDefaults<T extends object>(schema: PolicyConfigSchema, given: object): T {
    const out: Record<string, unknown> = {};
    for (const [key, prop] of Object.entries(schema.properties)) {
        const d = (prop as { default?: unknown }).default;
        if (d !== undefined) {
            out[key] = d;
        }
    }
    for (const [key, value] of Object.entries(given)) {
        if (value !== undefined && key !== "enforcementLevel") {
            out[key] = value;
        }
    }
    return out as T;
}

/** Labels of a docker Container as a map (the provider's shape: [{label, value}]). */
export function containerLabels(props: Record<string, unknown>): Map<string, string | Unknown> {
    const out = new Map<string, string | Unknown>();
    for (const entry of asArray(peek(props, "labels"))) {
        const e = asRecord(entry);
        const label = e ? asString(e.label) : undefined;
        if (e && label !== undefined) {
            const value = e.value;
            out.set(label, value === UNKNOWN ? UNKNOWN : String(value));
        }
    }
    return out;
}

export const COMPONENT_LABEL = "aiida.component";
export const PRODUCTION_LABEL = "aiida.production";
export const PROJECT_NAME = "aiida-emqx";

/** The stack part of a resource URN (`urn:pulumi:<stack>::<project>::<type>::<name>`). */
export function stackFromUrn(urn: string | undefined): string | undefined {
    const m = urn === undefined ? null : /^urn:pulumi:([^:]+)::/.exec(urn);
    return m ? m[1] : undefined;
}

/**
 * The stack being previewed: from the environment the Node.js language host (3.221+) gives
 * the pack, else from a resource URN, which always carries it (any language host).
 */
export function currentStackName(urns: readonly string[] = []): string | undefined {
    const fromEnv = process.env.PULUMI_NODEJS_STACK || process.env.PULUMI_STACK;
    if (fromEnv) {
        return fromEnv;
    }
    for (const urn of urns) {
        const s = stackFromUrn(urn);
        if (s) {
            return s;
        }
    }
    return undefined;
}

/**
 * The decrypted stack config the language host hands the pack in PULUMI_CONFIG (a JSON map of
 * "project:key" to string). It includes secrets in plaintext and does not say which keys are
 * secret, so it is only used for non-secret switches such as `aiida-emqx:production`.
 */
export function stackConfigFromEnv(): Record<string, string> {
    const rawConfig = process.env.PULUMI_CONFIG;
    if (!rawConfig) {
        return {};
    }
    try {
        const parsed = JSON.parse(rawConfig) as unknown;
        return asRecord(parsed) ? (parsed as Record<string, string>) : {};
    } catch {
        return {};
    }
}

/**
 * A stack is production when the container says so (label aiida.production=true), when the
 * stack's `aiida-emqx:production` config is true, or when its name is listed in the policy's
 * `productionStacks` config.
 */
export function isProduction(props: Record<string, unknown>, productionStacks: readonly string[], urn?: string): boolean | Unknown {
    const label = containerLabels(props).get(PRODUCTION_LABEL);
    if (label === UNKNOWN) {
        return UNKNOWN;
    }
    if (label !== undefined && label.toLowerCase() === "true") {
        return true;
    }
    const stack = currentStackName(urn === undefined ? [] : [urn]);
    if (stack !== undefined && productionStacks.includes(stack)) {
        return true;
    }
    return stackConfigFromEnv()[`${PROJECT_NAME}:production`] === "true";
}

/** True when a host address keeps a published port on this machine (loopback). */
export function isLoopback(address: string): boolean {
    const a = address.trim().replace(/^\[|\]$/g, "").toLowerCase();
    return a === "localhost" || a === "::1" || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a) || a === "::ffff:127.0.0.1";
}

/** RFC 1918 / unique-local / link-local addresses: reachable from a private network only. */
export function isPrivateAddress(address: string): boolean {
    const a = address.trim().replace(/^\[|\]$/g, "").toLowerCase();
    const m = /^(\d{1,3})\.(\d{1,3})\.\d{1,3}\.\d{1,3}$/.exec(a);
    if (m) {
        const [x, y] = [Number(m[1]), Number(m[2])];
        return x === 10 || (x === 172 && y >= 16 && y <= 31) || (x === 192 && y === 168) || (x === 169 && y === 254);
    }
    return /^f[cd][0-9a-f]{2}:/.test(a) || /^fe80:/.test(a);
}

export interface PublishedPort {
    readonly internal: number;
    readonly external?: number;
    /** Host address; the docker provider's default is 0.0.0.0 (every interface). */
    readonly ip: string;
    readonly protocol: string;
}

/** The container's published ports; UNKNOWN if any part of the list is not known yet. */
export function publishedPorts(props: Record<string, unknown>): PublishedPort[] | Unknown {
    const ports = peek(props, "ports");
    if (ports === UNKNOWN) {
        return UNKNOWN;
    }
    const out: PublishedPort[] = [];
    for (const entry of asArray(ports)) {
        const p = asRecord(entry);
        if (entry === UNKNOWN || !p || p.internal === UNKNOWN || p.ip === UNKNOWN) {
            return UNKNOWN;
        }
        out.push({
            internal: Number(p.internal),
            external: p.external === undefined || p.external === UNKNOWN ? undefined : Number(p.external),
            ip: asString(p.ip) ?? "0.0.0.0",
            protocol: asString(p.protocol) ?? "tcp",
        });
    }
    return out;
}

/** Host networking publishes every port the container listens on, on every host interface. */
export function usesHostNetwork(props: Record<string, unknown>): boolean {
    return peek(props, "networkMode") === "host";
}

/** Whether a published host address is acceptable under the given allow-list. */
export function addressAllowed(ip: string, allowed: readonly string[], allowPrivate: boolean): boolean {
    return isLoopback(ip) || allowed.includes(ip) || (allowPrivate && isPrivateAddress(ip));
}
