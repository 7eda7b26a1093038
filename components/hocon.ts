// A small HOCON writer for EMQX 5.8's parser (emqx/hocon 0.43). Every string is emitted
// double-quoted: unquoted HOCON silently rewrites values (`a#b` -> `a`, `00123` -> 123, an
// unquoted `${x}` is a substitution). Inside quotes, `${...}` stays literal, which is what
// EMQX's SQL placeholders need.

export type HoconScalar = string | number | boolean;
export type HoconValue = HoconScalar | readonly HoconValue[] | HoconObject;
export interface HoconObject {
    readonly [key: string]: HoconValue | undefined;
}

export class HoconError extends Error {}

const SIMPLE_ESCAPES: Record<string, string> = {
    "\\": "\\\\",
    '"': '\\"',
    "\n": "\\n",
    "\r": "\\r",
    "\t": "\\t",
    "\b": "\\b",
    "\f": "\\f",
};

/**
 * Quotes a string for HOCON. Characters the EMQX parser cannot carry are refused rather
 * than mangled: other control characters (it does not decode \uXXXX escapes) and
 * U+2028/U+2029. `what` names the value in the error, never the value itself.
 */
export function quoteString(value: string, what = "a string"): string {
    let out = '"';
    for (const ch of value) {
        const escaped = SIMPLE_ESCAPES[ch];
        if (escaped !== undefined) {
            out += escaped;
            continue;
        }
        const code = ch.codePointAt(0)!;
        if (code < 0x20 || code === 0x7f || code === 0x2028 || code === 0x2029) {
            throw new HoconError(`${what} contains a control or line-separator character (U+${code.toString(16).padStart(4, "0").toUpperCase()}) that EMQX's HOCON parser cannot represent`);
        }
        out += ch;
    }
    return out + '"';
}

/** Keys are bare when they are plain words; anything else (dots included) is quoted. */
export function formatKey(key: string): string {
    if (/^[A-Za-z0-9_-]+$/.test(key)) {
        return key;
    }
    return quoteString(key, `the key ${JSON.stringify(key)}`);
}

function isObject(value: HoconValue): value is HoconObject {
    return typeof value === "object" && value !== null && !Array.isArray(value);
}

function formatScalar(value: HoconScalar, path: string): string {
    switch (typeof value) {
        case "string":
            return quoteString(value, path);
        case "boolean":
            return value ? "true" : "false";
        case "number":
            if (!Number.isFinite(value)) {
                throw new HoconError(`${path} is not a finite number`);
            }
            return String(value);
    }
}

function formatValue(value: HoconValue, indent: string, path: string): string {
    if (Array.isArray(value)) {
        if (value.length === 0) {
            return "[]";
        }
        const inner = indent + "  ";
        const items = value.map((item, i) => inner + formatValue(item, inner, `${path}[${i}]`));
        return `[\n${items.join(",\n")}\n${indent}]`;
    }
    if (isObject(value as HoconValue)) {
        return formatObject(value as HoconObject, indent, path);
    }
    return formatScalar(value as HoconScalar, path);
}

function formatObject(obj: HoconObject, indent: string, path: string): string {
    const inner = indent + "  ";
    const lines: string[] = [];
    for (const [key, value] of Object.entries(obj)) {
        if (value === undefined) {
            continue;
        }
        const childPath = path ? `${path}.${key}` : key;
        const rendered = formatValue(value, inner, childPath);
        // Objects use the `key { ... }` form, everything else `key = value`.
        lines.push(isObject(value) ? `${inner}${formatKey(key)} ${rendered}` : `${inner}${formatKey(key)} = ${rendered}`);
    }
    return lines.length === 0 ? "{}" : `{\n${lines.join("\n")}\n${indent}}`;
}

/**
 * Renders a whole document: top-level keys at column 0, two-space indentation, keys in
 * insertion order, `undefined` members omitted. Same input, same bytes.
 */
export function renderHocon(doc: HoconObject, header?: readonly string[]): string {
    const parts: string[] = [];
    for (const line of header ?? []) {
        parts.push(`# ${line}`);
    }
    for (const [key, value] of Object.entries(doc)) {
        if (value === undefined) {
            continue;
        }
        const rendered = formatValue(value, "", key);
        parts.push(isObject(value) ? `${formatKey(key)} ${rendered}` : `${formatKey(key)} = ${rendered}`);
    }
    return parts.join("\n") + "\n";
}
