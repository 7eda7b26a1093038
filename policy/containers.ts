// Container hygiene and isolation.
import type { PolicyConfigSchema, ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { UNKNOWN, asArray, asRecord, configWithDefaults, peek, unknown } from "./util";

const CONTAINER_TYPE = "docker:index/container:Container";

function containersOnly(validate: ResourceValidation): ResourceValidation {
    const fn: ResourceValidation = (args, report) => {
        if (args.type !== CONTAINER_TYPE) {
            return args.notApplicable(`Policy only applies to resources of type '${CONTAINER_TYPE}'`);
        }
        return validate(args, report);
    };
    (fn as unknown as { __pulumiType: string }).__pulumiType = CONTAINER_TYPE;
    return fn;
}

const privilegedSchema: PolicyConfigSchema = {
    properties: {
        forbiddenCapabilities: {
            type: "array",
            items: { type: "string" },
            default: ["ALL", "SYS_ADMIN", "SYS_MODULE", "SYS_PTRACE", "DAC_READ_SEARCH", "NET_ADMIN"],
            description: "Linux capabilities a container must not add (with or without the CAP_ prefix).",
        },
    },
};

export const notPrivilegedPolicy: ResourceValidationPolicy = {
    name: "container-not-privileged",
    description: "Containers are not privileged and add no host-level capabilities: a privileged container can read every file and secret on the host.",
    enforcementLevel: "mandatory",
    severity: "critical",
    configSchema: privilegedSchema,
    validateResource: containersOnly((args, report) => {
        const config = configWithDefaults<{ forbiddenCapabilities: string[] }>(privilegedSchema, args.getConfig<object>());
        const privileged = peek(args.props, "privileged");
        if (privileged === UNKNOWN) {
            unknown("privileged");
        }
        if (privileged === true || privileged === "true") {
            report("privileged = true gives the container full access to the host.");
        }
        const forbidden = new Set(config.forbiddenCapabilities.map((c) => c.toUpperCase().replace(/^CAP_/, "")));
        const caps = asRecord(peek(args.props, "capabilities"));
        for (const cap of asArray(caps?.adds)) {
            if (typeof cap === "string" && forbidden.has(cap.toUpperCase().replace(/^CAP_/, ""))) {
                report(`capabilities.adds includes ${cap}.`);
            }
        }
    }),
};

const restartSchema: PolicyConfigSchema = {
    properties: {
        allowedPolicies: {
            type: "array",
            items: { type: "string", enum: ["no", "on-failure", "always", "unless-stopped"] },
            default: ["unless-stopped", "always", "on-failure"],
            description: "Restart policies that count as set (the docker provider's default is `no`).",
        },
    },
};

export const restartPolicy: ResourceValidationPolicy = {
    name: "container-restart-policy",
    description: "Containers have a restart policy, so the broker and database come back after a crash or a host reboot (the provider's default is `no`).",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: restartSchema,
    validateResource: containersOnly((args, report) => {
        const config = configWithDefaults<{ allowedPolicies: string[] }>(restartSchema, args.getConfig<object>());
        const restart = peek(args.props, "restart");
        if (restart === UNKNOWN) {
            return args.notApplicable("restart is not known yet");
        }
        const value = typeof restart === "string" && restart !== "" ? restart : "no";
        if (!config.allowedPolicies.includes(value)) {
            report(`restart is ${JSON.stringify(value)}${restart === undefined ? " (the provider's default)" : ""}; use one of ${config.allowedPolicies.join(", ")}.`);
        }
    }),
};

export const healthcheckPolicy: ResourceValidationPolicy = {
    name: "container-healthcheck",
    description: "Containers have a healthcheck, so `docker ps`, dependent services and operators see whether the broker or database actually answers.",
    enforcementLevel: "advisory",
    severity: "low",
    configSchema: { properties: {} },
    validateResource: containersOnly((args, report) => {
        const hc = peek(args.props, "healthcheck");
        if (hc === UNKNOWN) {
            return args.notApplicable("healthcheck is not known yet");
        }
        const tests = asArray(asRecord(hc)?.tests).filter((t): t is string => typeof t === "string");
        if (tests.length === 0) {
            report("no healthcheck is set (the EMQX and PostgreSQL images define none that this stack can rely on).");
        } else if (tests[0].toUpperCase() === "NONE") {
            report("the healthcheck is disabled (NONE).");
        }
    }),
};

export const containerPolicies: ResourceValidationPolicy[] = [notPrivilegedPolicy, restartPolicy, healthcheckPolicy];
