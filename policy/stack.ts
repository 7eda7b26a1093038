// Stack level: no password, token or private key sits in plaintext in the stack's config.
//
// What the pack can see, and why it reads the stack file (checked in @pulumi/policy 1.21 and
// the Pulumi 3.248 CLI / Node.js language host sources):
// - The engine sends the stack's name, project and *decrypted* config to the pack's
//   ConfigureStack RPC, together with the list of keys that are secret. @pulumi/policy 1.21
//   keeps only the stack tags from that call; StackValidationArgs has no config.
// - The Node.js language host, which starts policy packs since CLI 3.221, intercepts that call
//   and starts the pack with PULUMI_NODEJS_STACK, PULUMI_NODEJS_PROJECT and PULUMI_CONFIG (all
//   values decrypted) in its environment, but not the list of secret keys.
// So from inside the pack a plaintext value and a decrypted secret look the same. The one place
// that records which values are encrypted is the stack file itself (`key: {secure: ...}`), which
// is where a plaintext secret would be committed. The policy therefore reads
// Pulumi.<stack>.yaml (and Pulumi.yaml's project-level config) from the project directory: the
// pack runs with its own directory as working directory, and the project is its parent.
// Config that comes from an ESC environment is not in those files and is not checked.
import * as fs from "fs";
import * as path from "path";
import type { PolicyConfigSchema, StackValidationPolicy } from "@pulumi/policy";
import { parse as parseYaml } from "yaml";
import { PROJECT_NAME, asRecord, configWithDefaults, currentStackName } from "./util";

export interface PlaintextFinding {
    readonly file: string;
    readonly key: string;
    readonly reason: string;
}

export interface PlaintextOptions {
    readonly sensitiveKeyPattern: string;
    readonly ignoreKeyPattern: string;
    readonly allowKeys: readonly string[];
}

const PRIVATE_KEY = /-----BEGIN (?:[A-Z0-9]+ )*PRIVATE KEY-----/;
const TOKEN_FORMATS: readonly [RegExp, string][] = [
    [/\bgh[pousr]_[A-Za-z0-9]{36,}\b/, "a GitHub token"],
    [/\bgithub_pat_[A-Za-z0-9_]{40,}\b/, "a GitHub token"],
    [/\bpul-[0-9a-f]{40}\b/, "a Pulumi access token"],
    [/\b(?:AKIA|ASIA)[0-9A-Z]{16}\b/, "an AWS access key"],
    [/\bxox[abprs]-[A-Za-z0-9-]{10,}/, "a Slack token"],
    [/\beyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]+/, "a JSON Web Token"],
    [/\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}/, "a bcrypt password hash"],
    [/^[a-z][a-z0-9+.-]*:\/\/[^/\s:@]+:[^/\s@]+@/i, "a URL with an embedded password"],
];

/** Why a plaintext config value looks like a secret, or undefined. */
export function secretLooking(key: string, value: unknown, options: PlaintextOptions): string | undefined {
    if (typeof value !== "string" || value.trim() === "") {
        return undefined;
    }
    if (PRIVATE_KEY.test(value)) {
        return "its value is a PEM private key";
    }
    for (const [re, what] of TOKEN_FORMATS) {
        if (re.test(value)) {
            return `its value looks like ${what}`;
        }
    }
    const bare = key.includes(":") ? key.slice(key.indexOf(":") + 1) : key;
    const leaf = bare.split(".").pop() ?? bare;
    if (new RegExp(options.sensitiveKeyPattern, "i").test(leaf) && !new RegExp(options.ignoreKeyPattern).test(leaf)) {
        return "its name says it is a password, token, cookie or key";
    }
    return undefined;
}

function isSecure(value: unknown): boolean {
    const r = asRecord(value);
    return r !== undefined && Object.keys(r).length === 1 && typeof r.secure === "string";
}

/** Walks a stack file's `config:` map (nested objects and arrays included). */
export function findPlaintextInStackConfig(config: unknown, file: string, options: PlaintextOptions): PlaintextFinding[] {
    const out: PlaintextFinding[] = [];
    const walk = (key: string, value: unknown): void => {
        if (isSecure(value) || options.allowKeys.includes(key)) {
            return;
        }
        if (Array.isArray(value)) {
            value.forEach((v, i) => walk(`${key}[${i}]`, v));
            return;
        }
        const r = asRecord(value);
        if (r) {
            for (const [k, v] of Object.entries(r)) {
                walk(`${key}.${k}`, v);
            }
            return;
        }
        const reason = secretLooking(key.replace(/\[\d+\]/g, ""), value, options);
        if (reason) {
            out.push({ file, key, reason });
        }
    };
    for (const [k, v] of Object.entries(asRecord(config) ?? {})) {
        walk(k, v);
    }
    return out;
}

/** Pulumi.yaml's project-level `config:` (values and defaults there can never be secret). */
export function findPlaintextInProjectConfig(config: unknown, projectName: string, file: string, options: PlaintextOptions): PlaintextFinding[] {
    const out: PlaintextFinding[] = [];
    for (const [k, decl] of Object.entries(asRecord(config) ?? {})) {
        const key = k.includes(":") ? k : `${projectName}:${k}`;
        if (options.allowKeys.includes(key)) {
            continue;
        }
        const d = asRecord(decl);
        const values = d ? [d.value, d.default] : [decl];
        for (const v of values) {
            const reason = secretLooking(key, v, options);
            if (reason) {
                out.push({ file, key, reason: `${reason} (project config cannot be encrypted)` });
            }
        }
    }
    return out;
}

function readYaml(file: string): Record<string, unknown> | undefined {
    if (!fs.existsSync(file)) {
        return undefined;
    }
    return asRecord(parseYaml(fs.readFileSync(file, "utf8"))) ?? {};
}

/** The directory of the Pulumi project: `projectDir` if given, else the nearest Pulumi.yaml above the pack. */
export function findProjectDir(projectDir: string | undefined, starts: readonly string[]): string | undefined {
    if (projectDir) {
        return path.resolve(projectDir);
    }
    for (const start of starts) {
        let dir = path.resolve(start);
        for (;;) {
            if (fs.existsSync(path.join(dir, "Pulumi.yaml")) || fs.existsSync(path.join(dir, "Pulumi.yml"))) {
                return dir;
            }
            const parent = path.dirname(dir);
            if (parent === dir) {
                break;
            }
            dir = parent;
        }
    }
    return undefined;
}

/** All plaintext findings of one stack: its stack file and the project file. */
export function checkStackFiles(projectDir: string, stack: string, options: PlaintextOptions): { findings: PlaintextFinding[]; stackFile?: string } {
    const project = readYaml(path.join(projectDir, "Pulumi.yaml")) ?? readYaml(path.join(projectDir, "Pulumi.yml")) ?? {};
    const projectName = typeof project.name === "string" ? project.name : PROJECT_NAME;
    const configDir = typeof project.stackConfigDir === "string" ? path.resolve(projectDir, project.stackConfigDir) : projectDir;
    const findings = findPlaintextInProjectConfig(project.config, projectName, "Pulumi.yaml", options);
    for (const ext of ["yaml", "yml"]) {
        const file = path.join(configDir, `Pulumi.${stack}.${ext}`);
        const doc = readYaml(file);
        if (doc) {
            findings.push(...findPlaintextInStackConfig(doc.config, path.basename(file), options));
            return { findings, stackFile: file };
        }
    }
    return { findings };
}

const schema: PolicyConfigSchema = {
    properties: {
        sensitiveKeyPattern: {
            type: "string",
            default: "(pass(word|wd|phrase)?|secret|token|api[_-]?key|private[_-]?key|credential|cookie|auth[_-]?key|salt)",
            description: "Case-insensitive regular expression: a config key whose last segment matches holds a secret.",
        },
        ignoreKeyPattern: {
            type: "string",
            default: "(Length|Bits|Rounds|Mode|Enabled|Days|Hours|Path|File|Dir|Username|User|Algorithm|Secret[Kk]eys)$",
            description: "Regular expression (case-sensitive): matching key names are settings about a secret, not the secret itself.",
        },
        allowKeys: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Fully qualified config keys (project:key) to skip, for reviewed false positives.",
        },
        projectDir: {
            type: "string",
            default: "",
            description: "Directory of Pulumi.yaml, relative to the pack's directory. Default: the nearest Pulumi.yaml above the pack.",
        },
    },
};

interface StackConfig extends PlaintextOptions {
    projectDir: string;
}

export const plaintextConfigPolicy: StackValidationPolicy = {
    name: "stack-config-no-plaintext-secrets",
    description:
        "No stack config value that looks like a password, token or private key is stored in plaintext in Pulumi.<stack>.yaml (or Pulumi.yaml): it must be set with `pulumi config set --secret`.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: schema,
    validateStack: (args, report) => {
        const config = configWithDefaults<StackConfig>(schema, args.getConfig<object>());
        const stack = currentStackName(args.resources.map((r) => r.urn));
        if (!stack) {
            return args.notApplicable("the stack name is not available to the pack (no PULUMI_NODEJS_STACK, no resources)");
        }
        const projectDir = findProjectDir(config.projectDir || undefined, [process.cwd(), __dirname]);
        if (!projectDir) {
            return args.notApplicable("no Pulumi.yaml found above the policy pack");
        }
        const { findings, stackFile } = checkStackFiles(projectDir, stack, config);
        for (const f of findings) {
            report(`${f.file}: ${f.key} is stored in plaintext, and ${f.reason}. Encrypt it: pulumi config set --secret ${f.key} (and purge the plaintext from the repository's history).`);
        }
        if (!stackFile && findings.length === 0) {
            return args.notApplicable(`no Pulumi.${stack}.yaml in ${projectDir}`);
        }
    },
};

export const stackPolicies: StackValidationPolicy[] = [plaintextConfigPolicy];
