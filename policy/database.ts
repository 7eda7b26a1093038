// The `emqx` database role: EMQX only ever reads two tables, so that is all it may do.
// The shapes come from the program (components/acl-schema-sql.ts): the dynamic resource's
// inputs `role` and `grants` are exactly emqxRole(spec) and emqxGrants(spec).
import type { PolicyConfigSchema, ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { ACL_TABLES } from "../components/acl-schema-sql";
import type { Grant, RoleAttributes } from "../components/acl-schema-sql";
import {
    COMPONENT_LABEL,
    UNKNOWN,
    addressAllowed,
    asArray,
    asRecord,
    configWithDefaults,
    containerLabels,
    peek,
    publishedPorts,
    unknown,
    usesHostNetwork,
} from "./util";

export const ACL_SCHEMA_TYPE = "pulumi-nodejs:dynamic/aiida:EmqxAclSchema";

function aclSchemaOnly(validate: ResourceValidation): ResourceValidation {
    const fn: ResourceValidation = (args, report) => {
        if (args.type !== ACL_SCHEMA_TYPE) {
            return args.notApplicable(`Policy only applies to resources of type '${ACL_SCHEMA_TYPE}'`);
        }
        return validate(args, report);
    };
    (fn as unknown as { __pulumiType: string }).__pulumiType = ACL_SCHEMA_TYPE;
    return fn;
}

/** A deep plain value that must be fully known, else the policy waits for `pulumi up`. */
function known<T>(value: unknown, what: string): T {
    const check = (v: unknown): void => {
        if (v === UNKNOWN) {
            unknown(what);
        }
        if (Array.isArray(v)) {
            v.forEach(check);
        } else if (v !== null && typeof v === "object") {
            Object.values(v).forEach(check);
        }
    };
    check(value);
    return value as T;
}

const roleSchema: PolicyConfigSchema = {
    properties: {
        maxConnectionLimit: {
            type: "integer",
            minimum: 1,
            default: 100,
            description: "Largest CONNECTION LIMIT accepted for the emqx role (EMQX needs its two pools: authentication + authorization).",
        },
    },
};

const FORBIDDEN_ATTRIBUTES = ["superuser", "createDb", "createRole", "replication", "bypassRls"] as const satisfies readonly (keyof RoleAttributes)[];

export const rolePolicy: ResourceValidationPolicy = {
    name: "emqx-db-role-least-privilege",
    description:
        "The database role EMQX connects as is not SUPERUSER, CREATEDB, CREATEROLE, REPLICATION or BYPASSRLS, and has a connection limit: a leaked broker password then reaches two tables, not the server.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: roleSchema,
    validateResource: aclSchemaOnly((args, report) => {
        const config = configWithDefaults<{ maxConnectionLimit: number }>(roleSchema, args.getConfig<object>());
        const role = asRecord(known<unknown>(peek(args.props, "role"), "role")) as Partial<Record<keyof RoleAttributes, unknown>> | undefined;
        if (!role) {
            report("The resource declares no `role`: cannot verify the emqx role's attributes.");
            return;
        }
        const name = typeof role.name === "string" ? role.name : "(unnamed)";
        for (const attr of FORBIDDEN_ATTRIBUTES) {
            const v = role[attr];
            if (v !== undefined && v !== false) {
                report(`Role ${name}: ${attr} must be false (is ${JSON.stringify(v)}).`);
            }
        }
        const limit = role.connectionLimit;
        if (typeof limit !== "number" || !Number.isInteger(limit) || limit < 1) {
            report(`Role ${name}: connectionLimit must be a positive integer (is ${JSON.stringify(limit)}; -1 or unset means unlimited).`);
        } else if (limit > config.maxConnectionLimit) {
            report(`Role ${name}: connectionLimit ${limit} exceeds the allowed ${config.maxConnectionLimit}.`);
        }
    }),
};

const grantsSchema: PolicyConfigSchema = {
    properties: {
        tables: {
            type: "array",
            items: { type: "string" },
            default: [ACL_TABLES.users, ACL_TABLES.acl],
            description: "The (unqualified) tables the role may SELECT: AIIDA's user and ACL tables.",
        },
    },
};

export const grantsPolicy: ResourceValidationPolicy = {
    name: "emqx-db-grants-exact",
    description:
        "The emqx role is granted exactly CONNECT on its database, USAGE on the tables' schema and SELECT on the two ACL tables (data_source_mqtt_user, data_source_mqtt_acl): no write, no other table.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: grantsSchema,
    validateResource: aclSchemaOnly((args, report) => {
        const config = configWithDefaults<{ tables: string[] }>(grantsSchema, args.getConfig<object>());
        const grants = asArray(known<unknown>(peek(args.props, "grants"), "grants")).map((g) => (asRecord(g) ?? {}) as Partial<Record<keyof Grant, unknown>>);
        const databases = new Set<string>();
        const schemas = new Set<string>();
        const tables = new Map<string, string>(); // qualified -> unqualified
        for (const g of grants) {
            const what = `${String(g.privilege)} on ${String(g.objectType)} ${String(g.objectName)}`;
            const name = typeof g.objectName === "string" ? g.objectName : "";
            if (g.privilege === "CONNECT" && g.objectType === "database") {
                databases.add(name);
            } else if (g.privilege === "USAGE" && g.objectType === "schema") {
                schemas.add(name);
            } else if (g.privilege === "SELECT" && g.objectType === "table") {
                const parts = name.split(".");
                const table = parts[parts.length - 1];
                if (!config.tables.includes(table)) {
                    report(`Grant ${what}: the role may only read ${config.tables.join(" and ")}.`);
                    continue;
                }
                tables.set(name, table);
            } else {
                report(`Grant ${what} is not allowed: only CONNECT (database), USAGE (schema) and SELECT (the ACL tables).`);
            }
        }
        if (databases.size !== 1) {
            report(`Expected CONNECT on exactly one database, found ${databases.size === 0 ? "none" : [...databases].join(", ")}.`);
        }
        if (schemas.size !== 1) {
            report(`Expected USAGE on exactly one schema, found ${schemas.size === 0 ? "none" : [...schemas].join(", ")}.`);
        }
        const schema = [...schemas][0];
        for (const [qualified] of tables) {
            const parts = qualified.split(".");
            if (schema !== undefined && parts.length > 1 && parts[0] !== schema) {
                report(`Grant SELECT on ${qualified}: the table is outside the granted schema ${schema}.`);
            }
        }
        const granted = new Set(tables.values());
        for (const t of config.tables) {
            if (!granted.has(t)) {
                report(`No SELECT on ${t}: EMQX's ${t === ACL_TABLES.users ? "authentication" : "authorization"} query would fail.`);
            }
        }
    }),
};

const CONTAINER_TYPE = "docker:index/container:Container";

const portSchema: PolicyConfigSchema = {
    properties: {
        port: { type: "integer", minimum: 1, maximum: 65535, default: 5432, description: "PostgreSQL's port inside the database container." },
        allowedAddresses: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Host addresses (besides loopback) the database port may be published on.",
        },
        allowPrivateAddresses: { type: "boolean", default: false, description: "Also accept RFC 1918 / unique-local host addresses." },
    },
};

export const databasePortPolicy: ResourceValidationPolicy = {
    name: "database-port-not-public",
    description:
        "The PostgreSQL container (label aiida.component=database) is not published on a public host address: its superuser and AIIDA's data must stay on the host and the stack network.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: portSchema,
    validateResource: (() => {
        const fn: ResourceValidation = (args, report) => {
            if (args.type !== CONTAINER_TYPE) {
                return args.notApplicable(`Policy only applies to resources of type '${CONTAINER_TYPE}'`);
            }
            const component = containerLabels(args.props).get(COMPONENT_LABEL);
            if (component === UNKNOWN) {
                unknown(`labels.${COMPONENT_LABEL}`);
            }
            if (component !== "database") {
                return args.notApplicable(`not the database container (label ${COMPONENT_LABEL}=database)`);
            }
            const config = configWithDefaults<{ port: number; allowedAddresses: string[]; allowPrivateAddresses: boolean }>(portSchema, args.getConfig<object>());
            if (usesHostNetwork(args.props)) {
                report(`PostgreSQL (port ${config.port}) is reachable on every host interface: the container uses host networking.`);
                return;
            }
            const ports = publishedPorts(args.props);
            if (ports === UNKNOWN) {
                unknown("ports");
            }
            for (const p of ports) {
                if (p.internal === config.port && !addressAllowed(p.ip, config.allowedAddresses, config.allowPrivateAddresses)) {
                    report(`PostgreSQL (container port ${p.internal}) is published on ${p.ip}:${p.external ?? p.internal}. Publish it on 127.0.0.1 only, or not at all.`);
                }
            }
        };
        (fn as unknown as { __pulumiType: string }).__pulumiType = CONTAINER_TYPE;
        return fn;
    })(),
};

export const databasePolicies: ResourceValidationPolicy[] = [rolePolicy, grantsPolicy, databasePortPolicy];
