// Computes the effective EMQX 5.8 settings of a broker container from its Pulumi inputs, the
// way EMQX layers them: defaults < etc/base.hocon < etc/emqx.conf (includes resolved from the
// container's own uploads) < EMQX_* environment variables. The broker policies all read this,
// so there is one place that knows EMQX's layering and defaults.
//
// Not visible to a policy, and therefore not modelled: data/configs/cluster.hocon (what the
// dashboard or REST API saved; it sits between base.hocon and emqx.conf) and files that reach
// the container through volumes or a custom image.
/// <reference path="./types/hocon-parser.d.ts" />
import hoconParser from "@pushcorn/hocon-parser";
import { UNKNOWN, Unknown, asArray, asRecord, asString, peek } from "./util";

export const EMQX_HOME = "/opt/emqx";
export const EMQX_CONF = `${EMQX_HOME}/etc/emqx.conf`;
export const EMQX_BASE_HOCON = `${EMQX_HOME}/etc/base.hocon`;

/** EMQX's bundled test certificate and key: the key is public, so the certificate proves nothing. */
export const BUNDLED_CERT_FILES: ReadonlySet<string> = new Set([
    `${EMQX_HOME}/etc/certs/cert.pem`,
    `${EMQX_HOME}/etc/certs/key.pem`,
    `${EMQX_HOME}/etc/certs/cacert.pem`,
]);

/** Values EMQX uses when nothing sets them (image's shipped emqx.conf and the 5.8 schema). */
export const EMQX_DEFAULTS = {
    nodeCookie: "emqxsecretcookie",
    dashboardPassword: "public",
    dashboardUsername: "admin",
    authorizationNoMatch: "allow",
} as const;

/** The image's shipped etc/emqx.conf, which applies when the container does not replace it. */
const SHIPPED_EMQX_CONF = {
    node: { name: "emqx@127.0.0.1", cookie: EMQX_DEFAULTS.nodeCookie, data_dir: "data" },
    cluster: { name: "emqxcl", discovery_strategy: "manual" },
    dashboard: { listeners: { http: { bind: 18083 } } },
};

/** The listeners EMQX always has unless disabled (type -> name -> default port). */
const DEFAULT_LISTENERS: Record<string, Record<string, number>> = {
    tcp: { default: 1883 },
    ssl: { default: 8883 },
    ws: { default: 8083 },
    wss: { default: 8084 },
};

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
export type JsonObject = { [key: string]: Json };

export interface Listener {
    readonly type: "tcp" | "ssl" | "ws" | "wss" | string;
    readonly name: string;
    readonly enabled: boolean;
    /** Bind address as EMQX reads it: port number, ":port" or "ip:port". */
    readonly bindAddress: string;
    readonly bindPort: number | undefined;
    /** True when the listener binds a loopback address inside the container. */
    readonly bindsLoopback: boolean;
    /** For ssl/wss listeners: absolute paths, defaults filled in (bundled test certificate). */
    readonly certfile?: string;
    readonly keyfile?: string;
    readonly cacertfile?: string;
    /** ssl_options.verify: verify_none (default) or verify_peer (client certificates checked against cacertfile). */
    readonly verify?: string;
}

export interface Upload {
    readonly file: string;
    /** The text content; UNKNOWN during preview when it depends on outputs; undefined for `source` uploads. */
    readonly content: string | Unknown | undefined;
}

/**
 * A config source whose content is not known yet (preview) or cannot be inspected (an upload
 * from a local `source` file), and the paths it may set: `undefined` = any path.
 */
export interface OpaqueSource {
    readonly name: string;
    readonly paths?: readonly string[];
}

/**
 * Paths an included file is declared to set (file -> dotted paths). While the file's content
 * is unknown (a first preview), only these paths are treated as unknown; once it is known
 * (`pulumi up`, later previews) its real content is parsed and the declaration plays no role.
 */
export type IncludeDeclarations = Readonly<Record<string, readonly string[]>>;

export interface BrokerSettings {
    /** The merged configuration (defaults, files, env). */
    readonly config: JsonObject;
    /** Sources that may change some settings in ways the policy cannot see yet. */
    readonly opaqueSources: readonly OpaqueSource[];
    /** Paths set by EMQX_* environment variables (dotted, lower case). */
    readonly envPaths: ReadonlySet<string>;
    /** Files the container receives via `uploads`. */
    readonly uploads: ReadonlyMap<string, Upload>;
    /** Container paths provided by volumes or bind mounts. */
    readonly mountedPaths: readonly string[];
    /** Whether etc/emqx.conf is replaced by an upload (then the shipped file no longer applies). */
    readonly replacesEmqxConf: boolean;
}

export class BrokerConfigError extends Error {}

/** A value looked up in the effective settings, or UNKNOWN when an opaque source could change it. */
export function setting(settings: BrokerSettings, path: string): Json | undefined | Unknown {
    const segments = path.split(".");
    let cur: Json | undefined = settings.config;
    for (const s of segments) {
        if (Array.isArray(cur) && /^\d+$/.test(s)) {
            cur = cur[Number(s) - 1];
        } else if (cur !== null && typeof cur === "object" && !Array.isArray(cur)) {
            cur = cur[s];
        } else {
            cur = undefined;
        }
        if (cur === undefined) {
            break;
        }
    }
    if (mayBeChangedByOpaque(settings, path)) {
        return UNKNOWN;
    }
    return cur;
}

function overlaps(a: string, b: string): boolean {
    return a === b || a.startsWith(`${b}.`) || b.startsWith(`${a}.`);
}

/** Whether an opaque source may set `path` (or something inside or above it) without an env var winning. */
export function mayBeChangedByOpaque(settings: BrokerSettings, path: string): boolean {
    for (const o of settings.opaqueSources) {
        if (o.name.startsWith("env ")) {
            // An unknown env var affects exactly its own path, and env vars win over files.
            if (o.paths!.some((p) => overlaps(p, path))) {
                return true;
            }
            continue;
        }
        if (envSets(settings, path)) {
            continue;
        }
        if (o.paths === undefined || o.paths.some((p) => overlaps(p, path))) {
            return true;
        }
    }
    return false;
}

function envSets(settings: BrokerSettings, path: string): boolean {
    for (const p of settings.envPaths) {
        if (path === p || path.startsWith(`${p}.`)) {
            return true;
        }
    }
    return false;
}

function isObject(v: Json | undefined): v is JsonObject {
    return v !== null && v !== undefined && typeof v === "object" && !Array.isArray(v);
}

/** HOCON merge: objects merge key by key, anything else (arrays too) replaces. */
export function mergeConfig(base: JsonObject, over: JsonObject): JsonObject {
    const out: JsonObject = { ...base };
    for (const [k, v] of Object.entries(over)) {
        const b = out[k];
        out[k] = isObject(b) && isObject(v) ? mergeConfig(b, v) : v;
    }
    return out;
}

/** Absolute container path of a config file reference (relative paths are under /opt/emqx). */
export function containerPath(p: string): string {
    const stripped = p.replace(/^file:\/\//, "").replace(/\$\{EMQX_ETC_DIR\}/g, `${EMQX_HOME}/etc`);
    if (stripped.startsWith("/")) {
        return stripped.replace(/\/+/g, "/");
    }
    return `${EMQX_HOME}/${stripped.replace(/^\.\//, "")}`;
}

const INCLUDE_LINE = /^[ \t]*include[ \t]+(?:required[ \t]*\([ \t]*)?(?:file[ \t]*\([ \t]*)?"((?:[^"\\]|\\.)*)"[ \t]*\)?[ \t]*\)?[ \t]*$/gm;

/**
 * Replaces each `include "path"` / `include required("path")` / `include file("path")` line with
 * the content of the uploaded file at that path (textual inclusion, which is what HOCON's include
 * means for a file's keys). A missing file contributes nothing: EMQX ignores an optional include
 * and refuses to boot on a required one, and in both cases its settings do not come from there.
 */
function inlineIncludes(text: string, uploads: ReadonlyMap<string, Upload>, opaque: OpaqueSource[], declared: IncludeDeclarations, depth: number): string {
    return text.replace(INCLUDE_LINE, (_line, target: string) => {
        const candidates = [containerPath(target), `${EMQX_HOME}/etc/${target.replace(/^\.\//, "")}`];
        const upload = candidates.map((c) => uploads.get(c)).find((u) => u !== undefined);
        if (!upload) {
            return "";
        }
        if (typeof upload.content !== "string") {
            opaque.push({ name: upload.file, paths: depth === 0 ? declared[upload.file] : undefined });
            return "";
        }
        if (depth >= 5) {
            throw new BrokerConfigError(`includes nested deeper than 5 levels at ${upload.file}`);
        }
        return `\n${inlineIncludes(upload.content, uploads, opaque, declared, depth + 1)}\n`;
    });
}

async function parseHocon(text: string, what: string): Promise<JsonObject> {
    try {
        const parsed = (await hoconParser.parse({ text, strict: true })) as Json;
        if (parsed === null || parsed === undefined) {
            return {};
        }
        if (!isObject(parsed)) {
            throw new BrokerConfigError(`${what} is not a HOCON object`);
        }
        return parsed;
    } catch (e) {
        if (e instanceof BrokerConfigError) {
            throw e;
        }
        throw new BrokerConfigError(`${what} does not parse as HOCON: ${(e as Error).message}`);
    }
}

/** An EMQX_* env var value as EMQX reads it: parsed as HOCON, else the raw string. */
async function envValue(value: string): Promise<Json> {
    try {
        const parsed = await hoconParser.parse({ text: `v = ${value}`, strict: true });
        return (parsed as JsonObject).v;
    } catch {
        return value;
    }
}

/** Sets `segments` in `obj`; numeric segments index arrays from 1, as EMQX's env names do. */
function setPath(obj: JsonObject, segments: readonly string[], value: Json): void {
    let cur: JsonObject | Json[] = obj;
    for (let i = 0; i < segments.length; i++) {
        const s = segments[i];
        const last = i === segments.length - 1;
        if (Array.isArray(cur)) {
            const idx = /^\d+$/.test(s) ? Number(s) - 1 : -1;
            if (idx < 0) {
                return;
            }
            if (last) {
                cur[idx] = value;
                return;
            }
            if (!isObject(cur[idx]) && !Array.isArray(cur[idx])) {
                cur[idx] = {};
            }
            cur = cur[idx] as JsonObject | Json[];
        } else {
            if (last) {
                const existing = cur[s];
                cur[s] = isObject(existing) && isObject(value) ? mergeConfig(existing, value) : value;
                return;
            }
            const next: Json | undefined = cur[s];
            if (!isObject(next) && !Array.isArray(next)) {
                cur[s] = {};
            }
            cur = cur[s] as JsonObject | Json[];
        }
    }
}

/** The container's uploads by absolute path. */
export function containerUploads(props: Record<string, unknown>): Map<string, Upload> | Unknown {
    const uploads = peek(props, "uploads");
    if (uploads === UNKNOWN) {
        return UNKNOWN;
    }
    const out = new Map<string, Upload>();
    for (const entry of asArray(uploads)) {
        const u = asRecord(entry);
        if (entry === UNKNOWN || !u || u.file === UNKNOWN) {
            return UNKNOWN;
        }
        const file = asString(u.file);
        if (file === undefined) {
            continue;
        }
        let content: string | Unknown | undefined;
        if (u.content === UNKNOWN || u.contentBase64 === UNKNOWN) {
            content = UNKNOWN;
        } else if (typeof u.content === "string") {
            content = u.content;
        } else if (typeof u.contentBase64 === "string") {
            content = Buffer.from(u.contentBase64, "base64").toString("utf8");
        }
        out.set(containerPath(file), { file: containerPath(file), content });
    }
    return out;
}

/** The container's environment as KEY -> value; UNKNOWN values kept as such. */
export function containerEnv(props: Record<string, unknown>): Map<string, string | Unknown> | Unknown {
    const envs = peek(props, "envs");
    if (envs === UNKNOWN) {
        return UNKNOWN;
    }
    const out = new Map<string, string | Unknown>();
    for (const entry of asArray(envs)) {
        if (entry === UNKNOWN) {
            return UNKNOWN;
        }
        if (typeof entry !== "string") {
            continue;
        }
        const eq = entry.indexOf("=");
        if (eq > 0) {
            out.set(entry.slice(0, eq), entry.slice(eq + 1));
        }
    }
    return out;
}

function mountedPaths(props: Record<string, unknown>): string[] {
    const out: string[] = [];
    for (const v of asArray(peek(props, "volumes"))) {
        const p = asString(asRecord(v)?.containerPath);
        if (p) {
            out.push(p);
        }
    }
    for (const m of asArray(peek(props, "mounts"))) {
        const p = asString(asRecord(m)?.target);
        if (p) {
            out.push(p);
        }
    }
    return out;
}

/**
 * Resolves the effective broker settings of a docker Container's props. Returns UNKNOWN when
 * the uploads or env list themselves are not known yet; throws BrokerConfigError when a config
 * file does not parse (EMQX would not boot either).
 */
export async function resolveBrokerSettings(props: Record<string, unknown>, declared: IncludeDeclarations = {}): Promise<BrokerSettings | Unknown> {
    const uploads = containerUploads(props);
    const env = containerEnv(props);
    if (uploads === UNKNOWN || env === UNKNOWN) {
        return UNKNOWN;
    }
    const opaque: OpaqueSource[] = [];
    let config: JsonObject = {};

    for (const file of [EMQX_BASE_HOCON, EMQX_CONF]) {
        const upload = uploads.get(file);
        if (!upload) {
            continue;
        }
        if (typeof upload.content !== "string") {
            opaque.push({ name: file });
            continue;
        }
        const text = inlineIncludes(upload.content, uploads, opaque, declared, 0);
        config = mergeConfig(config, await parseHocon(text, file));
    }
    const replacesEmqxConf = uploads.has(EMQX_CONF);
    if (!replacesEmqxConf) {
        // The shipped emqx.conf sits above base.hocon.
        config = mergeConfig(config, SHIPPED_EMQX_CONF as unknown as JsonObject);
    }

    const envPaths = new Set<string>();
    for (const [key, value] of env) {
        if (!key.startsWith("EMQX_") || !key.includes("__")) {
            continue;
        }
        const segments = key
            .slice("EMQX_".length)
            .split("__")
            .map((s) => s.toLowerCase());
        if (segments.some((s) => s.length === 0)) {
            continue;
        }
        const path = segments.join(".");
        if (value === UNKNOWN) {
            opaque.push({ name: `env ${key}`, paths: [path] });
            continue;
        }
        envPaths.add(path);
        setPath(config, segments, await envValue(value));
    }

    return { config, opaqueSources: opaque, envPaths, uploads, mountedPaths: mountedPaths(props), replacesEmqxConf };
}

function parseBind(bind: Json | undefined, fallbackPort: number): { address: string; port: number | undefined; loopback: boolean } {
    if (bind === undefined || bind === null) {
        return { address: String(fallbackPort), port: fallbackPort, loopback: false };
    }
    const s = String(bind).trim();
    const m = /^(?:(.*):)?(\d+)$/.exec(s);
    if (!m) {
        return { address: s, port: undefined, loopback: false };
    }
    const host = (m[1] ?? "").replace(/^\[|\]$/g, "");
    return { address: s, port: Number(m[2]), loopback: host === "::1" || /^127\./.test(host) };
}

/** All MQTT listeners, the always-present defaults included, with defaults filled in. */
export function listeners(settings: BrokerSettings): Listener[] | Unknown {
    if (mayBeChangedByOpaque(settings, "listeners")) {
        return UNKNOWN;
    }
    const configured = isObject(settings.config.listeners) ? settings.config.listeners : {};
    const types = new Set([...Object.keys(DEFAULT_LISTENERS), ...Object.keys(configured)]);
    const out: Listener[] = [];
    for (const type of types) {
        const byName: JsonObject = isObject(configured[type]) ? configured[type] : {};
        const names = new Set([...Object.keys(DEFAULT_LISTENERS[type] ?? {}), ...Object.keys(byName)]);
        for (const name of names) {
            const l: JsonObject = isObject(byName[name]) ? byName[name] : {};
            const enabled = !(l.enable === false || l.enable === "false");
            const bind = parseBind(l.bind, DEFAULT_LISTENERS[type]?.[name] ?? 0);
            const listener: Listener = {
                type,
                name,
                enabled,
                bindAddress: bind.address,
                bindPort: bind.port,
                bindsLoopback: bind.loopback,
            };
            if (type === "ssl" || type === "wss") {
                const ssl: JsonObject = isObject(l.ssl_options) ? l.ssl_options : {};
                const file = (v: Json | undefined, bundled: string) => containerPath(typeof v === "string" && v.trim() !== "" ? v : bundled);
                out.push({
                    ...listener,
                    certfile: file(ssl.certfile, "etc/certs/cert.pem"),
                    keyfile: file(ssl.keyfile, "etc/certs/key.pem"),
                    cacertfile: file(ssl.cacertfile, "etc/certs/cacert.pem"),
                    verify: typeof ssl.verify === "string" ? ssl.verify : "verify_none",
                });
            } else {
                out.push(listener);
            }
        }
    }
    return out;
}

export interface DashboardListener {
    readonly scheme: "http" | "https";
    readonly enabled: boolean;
    readonly port: number | undefined;
    readonly bindsLoopback: boolean;
}

/** The dashboard (and REST API) listeners; a bind of 0 turns one off. */
export function dashboardListeners(settings: BrokerSettings): DashboardListener[] | Unknown {
    const out: DashboardListener[] = [];
    for (const scheme of ["http", "https"] as const) {
        const l = setting(settings, `dashboard.listeners.${scheme}`);
        if (l === UNKNOWN) {
            return UNKNOWN;
        }
        const obj: JsonObject = isObject(l) ? l : {};
        const bind = parseBind(obj.bind ?? 0, 0);
        const enabled = !(obj.enable === false || obj.enable === "false") && bind.port !== undefined && bind.port !== 0;
        out.push({ scheme, enabled, port: bind.port, bindsLoopback: bind.loopback });
    }
    return out;
}

/** Whether a file the broker needs reaches the container (uploaded, or under a volume/mount). */
export function fileProvided(settings: BrokerSettings, path: string): boolean {
    if (settings.uploads.has(path)) {
        return true;
    }
    return settings.mountedPaths.some((m) => path === m || path.startsWith(m.endsWith("/") ? m : `${m}/`));
}
