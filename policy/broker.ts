// Policies on the EMQX broker container, all reading the effective settings computed by
// broker-settings.ts (defaults < base.hocon < emqx.conf with its includes < EMQX_* env vars).
import type { PolicyConfigSchema, ReportViolation, ResourceValidation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import {
    BUNDLED_CERT_FILES,
    BrokerConfigError,
    BrokerSettings,
    EMQX_DEFAULTS,
    IncludeDeclarations,
    dashboardListeners,
    fileProvided,
    listeners,
    resolveBrokerSettings,
    setting,
} from "./broker-settings";
import {
    COMPONENT_LABEL,
    UNKNOWN,
    addressAllowed,
    configWithDefaults,
    containerLabels,
    isProduction,
    publishedPorts,
    unknown,
    usesHostNetwork,
} from "./util";

export const CONTAINER_TYPE = "docker:index/container:Container";

type BrokerCheck<C> = (settings: BrokerSettings, args: ResourceValidationArgs, config: C, report: ReportViolation) => void | Promise<void>;

/** Wraps a check so it runs only on the broker container, with its settings resolved. */
function onBroker<C extends object>(schema: PolicyConfigSchema, check: BrokerCheck<C>): ResourceValidation {
    const validate: ResourceValidation = async (args, report) => {
        if (args.type !== CONTAINER_TYPE) {
            return args.notApplicable(`Policy only applies to resources of type '${CONTAINER_TYPE}'`);
        }
        const component = containerLabels(args.props).get(COMPONENT_LABEL);
        if (component === UNKNOWN) {
            unknown(`labels.${COMPONENT_LABEL}`);
        }
        if (component !== "broker") {
            return args.notApplicable(`not the broker container (label ${COMPONENT_LABEL}=broker)`);
        }
        const config = configWithDefaults<C & { includeDeclarations: IncludeDeclarations }>(schema, args.getConfig<object>());
        let settings: BrokerSettings | typeof UNKNOWN;
        try {
            settings = await resolveBrokerSettings(args.props, config.includeDeclarations);
        } catch (e) {
            if (e instanceof BrokerConfigError) {
                report(`Cannot verify the broker's configuration: ${e.message}`);
                return;
            }
            throw e;
        }
        if (settings === UNKNOWN) {
            unknown("uploads / envs of the broker container");
        }
        await check(settings, args, config, report);
    };
    // Lets the library skip other resource types without calling us (its fast path).
    (validate as unknown as { __pulumiType: string }).__pulumiType = CONTAINER_TYPE;
    return validate;
}

/** Shared by every broker policy: see IncludeDeclarations in broker-settings.ts. */
const includeSchema = {
    includeDeclarations: {
        type: "object",
        additionalProperties: { type: "array", items: { type: "string" } },
        default: { "/opt/emqx/etc/aiida/secrets.hocon": ["node.cookie", "dashboard.default_password"] },
        description:
            "Included config files (container path) and the dotted paths each may set. While such a file is not known yet (first preview: it holds generated secrets), only those paths count as unknown; the file's real content is checked at `pulumi up`.",
    },
} as const;

const addressSchema = {
    allowedAddresses: {
        type: "array",
        items: { type: "string" },
        default: [],
        description: "Host addresses (besides loopback) a port may be published on, e.g. a VPN or management interface address.",
    },
    allowPrivateAddresses: {
        type: "boolean",
        default: false,
        description: "Also accept RFC 1918 / unique-local host addresses (a private LAN is still beyond the stack's internal network).",
    },
} as const;

// ---------------------------------------------------------------------------------------------

const tlsSchema: PolicyConfigSchema = {
    properties: {
        ...includeSchema,
        requireProvidedFiles: {
            type: "boolean",
            default: true,
            description: "Require each TLS listener's certfile and keyfile to reach the container through its uploads, a volume or a mount (else EMQX does not boot).",
        },
    },
};

export const tlsListenerPolicy: ResourceValidationPolicy = {
    name: "emqx-tls-listener-own-certificate",
    description:
        "The broker has a TLS listener for data sources, and no TLS listener serves EMQX's bundled test certificate (its private key ships with every EMQX image, so anyone can impersonate the broker).",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: tlsSchema,
    validateResource: onBroker<{ requireProvidedFiles: boolean }>(tlsSchema, (settings, _args, config, report) => {
        const all = listeners(settings);
        if (all === UNKNOWN) {
            unknown("listeners (an included file is not known yet)");
        }
        const tls = all.filter((l) => (l.type === "ssl" || l.type === "wss") && l.enabled);
        let ownSsl = 0;
        for (const l of tls) {
            const id = `listeners.${l.type}.${l.name}`;
            const bundled = [l.certfile, l.keyfile].filter((f): f is string => f !== undefined && BUNDLED_CERT_FILES.has(f));
            if (bundled.length > 0) {
                report(
                    `${id} serves EMQX's bundled test certificate (${bundled.join(", ")}), whose private key is public. ` +
                        `Set ${id}.ssl_options.certfile and keyfile to the stack's own certificate, or disable the listener (enable = false).`,
                );
                continue;
            }
            if (l.verify === "verify_peer" && l.cacertfile !== undefined && BUNDLED_CERT_FILES.has(l.cacertfile)) {
                report(`${id} verifies client certificates against EMQX's bundled test CA (${l.cacertfile}), whose key is public: anyone can issue a client certificate it accepts. Set ${id}.ssl_options.cacertfile.`);
                continue;
            }
            if (config.requireProvidedFiles) {
                const missing = [l.certfile, l.keyfile].filter((f): f is string => f !== undefined && !fileProvided(settings, f));
                if (missing.length > 0) {
                    report(`${id} refers to ${missing.join(", ")}, which the container does not receive (no upload, volume or mount): EMQX would not boot.`);
                    continue;
                }
            }
            if (l.type === "ssl") {
                ownSsl++;
            }
        }
        if (ownSsl === 0 && !tls.some((l) => l.type === "ssl")) {
            report("The broker has no enabled MQTT-over-TLS (ssl) listener: data sources outside the stack network could only connect in plaintext.");
        }
    }),
};

// ---------------------------------------------------------------------------------------------

const plainSchema: PolicyConfigSchema = {
    properties: {
        ...includeSchema,
        productionStacks: {
            type: "array",
            items: { type: "string" },
            default: [],
            description: "Stack names treated as production in addition to containers labelled aiida.production=true and stacks whose config sets aiida-emqx:production.",
        },
        ...addressSchema,
    },
};

interface AddressConfig {
    allowedAddresses: string[];
    allowPrivateAddresses: boolean;
}

export const plainMqttPolicy: ResourceValidationPolicy = {
    name: "emqx-plain-mqtt-not-published",
    description:
        "In a production stack, the broker's unencrypted listeners (MQTT over TCP and WebSocket) are published on loopback at most: beyond the host they would carry passwords and measurements in plaintext.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: plainSchema,
    validateResource: onBroker<AddressConfig & { productionStacks: string[] }>(plainSchema, (settings, args, config, report) => {
        const production = isProduction(args.props, config.productionStacks, args.urn);
        if (production === UNKNOWN) {
            unknown("labels.aiida.production");
        }
        if (!production) {
            return args.notApplicable("not a production stack");
        }
        const all = listeners(settings);
        if (all === UNKNOWN) {
            unknown("listeners (an included file is not known yet)");
        }
        const plainListeners = all.filter((l) => (l.type === "tcp" || l.type === "ws") && l.enabled && !l.bindsLoopback);
        if (plainListeners.length === 0) {
            return;
        }
        if (usesHostNetwork(args.props)) {
            for (const l of plainListeners) {
                report(`listeners.${l.type}.${l.name} (${l.bindAddress}) is reachable on every host interface: the container uses host networking.`);
            }
            return;
        }
        const ports = publishedPorts(args.props);
        if (ports === UNKNOWN) {
            unknown("ports");
        }
        for (const l of plainListeners) {
            for (const p of ports) {
                if (p.internal === l.bindPort && p.protocol.toLowerCase() === "tcp" && !addressAllowed(p.ip, config.allowedAddresses, config.allowPrivateAddresses)) {
                    report(
                        `Unencrypted listeners.${l.type}.${l.name} (container port ${p.internal}) is published on ${p.ip}:${p.external ?? p.internal}. ` +
                            "Publish it on 127.0.0.1 only, or not at all (clients on the stack network reach it directly); data sources use the TLS listener.",
                    );
                }
            }
        }
    }),
};

// ---------------------------------------------------------------------------------------------

const dashboardSchema: PolicyConfigSchema = { properties: { ...includeSchema, ...addressSchema } };

export const dashboardNotPublicPolicy: ResourceValidationPolicy = {
    name: "emqx-dashboard-not-public",
    description:
        "The EMQX dashboard and REST API (full administrative control of the broker) are not published on a public host address: only loopback, or addresses the policy config allows.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: dashboardSchema,
    validateResource: onBroker<AddressConfig>(dashboardSchema, (settings, args, config, report) => {
        const dash = dashboardListeners(settings);
        if (dash === UNKNOWN) {
            unknown("dashboard.listeners (an included file is not known yet)");
        }
        const enabled = dash.filter((d) => d.enabled && !d.bindsLoopback);
        if (enabled.length === 0) {
            return;
        }
        if (usesHostNetwork(args.props)) {
            report(`The dashboard (${enabled.map((d) => `${d.scheme} ${d.port}`).join(", ")}) is reachable on every host interface: the container uses host networking.`);
            return;
        }
        const ports = publishedPorts(args.props);
        if (ports === UNKNOWN) {
            unknown("ports");
        }
        for (const d of enabled) {
            for (const p of ports) {
                if (p.internal === d.port && !addressAllowed(p.ip, config.allowedAddresses, config.allowPrivateAddresses)) {
                    report(`The dashboard's ${d.scheme} listener (container port ${p.internal}) is published on ${p.ip}:${p.external ?? p.internal}. Publish it on 127.0.0.1 and reach it through an SSH tunnel or VPN.`);
                }
            }
        }
    }),
};

// ---------------------------------------------------------------------------------------------

const dashboardPasswordSchema: PolicyConfigSchema = {
    properties: {
        ...includeSchema,
        forbiddenPasswords: {
            type: "array",
            items: { type: "string" },
            default: ["public", "admin", "password", "emqx", "changeme"],
            description: "Passwords the dashboard's first-boot admin password must not be (compared case-insensitively).",
        },
        minLength: { type: "integer", minimum: 1, default: 16, description: "Minimum length of the dashboard's first-boot admin password." },
    },
};

export const dashboardPasswordPolicy: ResourceValidationPolicy = {
    name: "emqx-dashboard-password-not-default",
    description: "The dashboard's first-boot admin password (dashboard.default_password) is set, is not EMQX's default `public` nor another well-known password, and is long enough.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: dashboardPasswordSchema,
    validateResource: onBroker<{ forbiddenPasswords: string[]; minLength: number }>(dashboardPasswordSchema, (settings, _args, config, report) => {
        const value = setting(settings, "dashboard.default_password");
        if (value === UNKNOWN) {
            unknown("dashboard.default_password (an included file is not known yet)");
        }
        if (value === undefined || value === null) {
            report(`dashboard.default_password is not set, so the dashboard's admin login is EMQX's default ${EMQX_DEFAULTS.dashboardUsername}/${EMQX_DEFAULTS.dashboardPassword}.`);
            return;
        }
        const password = String(value);
        if (config.forbiddenPasswords.some((f) => f.toLowerCase() === password.toLowerCase())) {
            report("dashboard.default_password is a well-known default password (value not shown).");
        } else if (password.length < config.minLength) {
            report(`dashboard.default_password is shorter than ${config.minLength} characters (value not shown).`);
        }
    }),
};

// ---------------------------------------------------------------------------------------------

const authorizationSchema: PolicyConfigSchema = {
    properties: {
        ...includeSchema,
        allowFileSource: {
            type: "boolean",
            default: false,
            description: "Accept a `file` authorization source (EMQX's default acl.conf ends with an allow-all rule).",
        },
    },
};

export const authorizationPolicy: ResourceValidationPolicy = {
    name: "emqx-authorization-deny-by-default",
    description:
        "Authorization denies what no rule allows: authorization.no_match = deny (EMQX's default is allow), and the sources do not fall back to EMQX's default file source, whose acl.conf ends with allow-all.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: authorizationSchema,
    validateResource: onBroker<{ allowFileSource: boolean }>(authorizationSchema, (settings, _args, config, report) => {
        const noMatch = setting(settings, "authorization.no_match");
        if (noMatch === UNKNOWN) {
            unknown("authorization.no_match (an included file is not known yet)");
        }
        const effective = noMatch === undefined || noMatch === null ? EMQX_DEFAULTS.authorizationNoMatch : String(noMatch).toLowerCase();
        if (effective !== "deny") {
            report(`authorization.no_match is ${JSON.stringify(effective)}${noMatch === undefined ? " (EMQX's default)" : ""}: a client may publish and subscribe to any topic no ACL row mentions. Set authorization.no_match = "deny".`);
        }
        if (config.allowFileSource) {
            return;
        }
        const sources = setting(settings, "authorization.sources");
        if (sources === UNKNOWN) {
            unknown("authorization.sources (an included file is not known yet)");
        }
        if (sources === undefined || sources === null) {
            report("authorization.sources is not set, so EMQX uses its default file source, whose acl.conf ends with {allow, all}.");
            return;
        }
        for (const s of Array.isArray(sources) ? sources : []) {
            const src = s !== null && typeof s === "object" && !Array.isArray(s) ? s : {};
            if (String(src.type ?? "").toLowerCase() === "file" && src.enable !== false) {
                report("authorization.sources contains an enabled `file` source; its rules (by default ending with {allow, all}) would bypass the database ACL.");
            }
        }
    }),
};

// ---------------------------------------------------------------------------------------------

const cookieSchema: PolicyConfigSchema = {
    properties: {
        ...includeSchema,
        minLength: { type: "integer", minimum: 1, default: 16, description: "Minimum length of the Erlang node cookie." },
    },
};

export const nodeCookiePolicy: ResourceValidationPolicy = {
    name: "emqx-node-cookie-not-default",
    description:
        "The Erlang node cookie (node.cookie) is not EMQX's well-known default `emqxsecretcookie` and is long enough: whoever knows the cookie and reaches the distribution port can run code on the node.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: cookieSchema,
    validateResource: onBroker<{ minLength: number }>(cookieSchema, (settings, _args, config, report) => {
        const value = setting(settings, "node.cookie");
        if (value === UNKNOWN) {
            unknown("node.cookie (an included file is not known yet)");
        }
        const cookie = value === undefined || value === null ? EMQX_DEFAULTS.nodeCookie : String(value);
        if (cookie === EMQX_DEFAULTS.nodeCookie) {
            report(`node.cookie is EMQX's default ${JSON.stringify(EMQX_DEFAULTS.nodeCookie)}${value === undefined ? " (not set)" : ""}. Set a generated cookie.`);
        } else if (cookie.length < config.minLength) {
            report(`node.cookie is shorter than ${config.minLength} characters (value not shown).`);
        }
    }),
};

export const brokerPolicies: ResourceValidationPolicy[] = [
    tlsListenerPolicy,
    plainMqttPolicy,
    dashboardNotPublicPolicy,
    dashboardPasswordPolicy,
    authorizationPolicy,
    nodeCookiePolicy,
];
