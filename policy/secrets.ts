// Generated secrets and TLS keys: long enough, strong enough, and certificates that expire
// and are renewed before they do.
import type { PolicyConfigSchema, ResourceValidation, ResourceValidationPolicy } from "@pulumi/policy";
import { UNKNOWN, configWithDefaults, peek, unknown } from "./util";

export const RANDOM_PASSWORD_TYPE = "random:index/randomPassword:RandomPassword";
export const PRIVATE_KEY_TYPE = "tls:index/privateKey:PrivateKey";
export const SELF_SIGNED_CERT_TYPE = "tls:index/selfSignedCert:SelfSignedCert";
export const LOCALLY_SIGNED_CERT_TYPE = "tls:index/locallySignedCert:LocallySignedCert";

function ofTypes(types: readonly string[], validate: ResourceValidation): ResourceValidation {
    const fn: ResourceValidation = (args, report) => {
        if (!types.includes(args.type)) {
            return args.notApplicable(`Policy only applies to ${types.join(", ")}`);
        }
        return validate(args, report);
    };
    if (types.length === 1) {
        (fn as unknown as { __pulumiType: string }).__pulumiType = types[0];
    }
    return fn;
}

function knownValue(props: Record<string, unknown>, key: string): unknown {
    const v = peek(props, key);
    if (v === UNKNOWN) {
        unknown(key);
    }
    return v;
}

const passwordSchema: PolicyConfigSchema = {
    properties: {
        minLength: { type: "integer", minimum: 8, default: 24, description: "Minimum length of every generated password (random.RandomPassword)." },
    },
};

export const passwordLengthPolicy: ResourceValidationPolicy = {
    name: "generated-password-length",
    description: "Generated passwords (random.RandomPassword) are at least the configured length (default 24): the broker's and database's credentials must not be guessable.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: passwordSchema,
    validateResource: ofTypes([RANDOM_PASSWORD_TYPE], (args, report) => {
        const { minLength } = configWithDefaults<{ minLength: number }>(passwordSchema, args.getConfig<object>());
        const length = knownValue(args.props, "length");
        if (typeof length !== "number" || length < minLength) {
            report(`length is ${JSON.stringify(length)}; generated passwords must have at least ${minLength} characters.`);
        }
    }),
};

const keySchema: PolicyConfigSchema = {
    properties: {
        minRsaBits: { type: "integer", minimum: 2048, default: 3072, description: "Minimum RSA modulus size." },
        allowedEcdsaCurves: {
            type: "array",
            items: { type: "string", enum: ["P224", "P256", "P384", "P521"] },
            default: ["P256", "P384", "P521"],
            description: "ECDSA curves accepted (the tls provider's default, P224, is below 128-bit security).",
        },
        allowEd25519: { type: "boolean", default: true, description: "Accept Ed25519 keys (128-bit security; TLS 1.3 clients only)." },
    },
};

interface KeyConfig {
    minRsaBits: number;
    allowedEcdsaCurves: string[];
    allowEd25519: boolean;
}

export const keyStrengthPolicy: ResourceValidationPolicy = {
    name: "private-key-strength",
    description: "TLS private keys are at least RSA 3072 or ECDSA P-256 (configurable); the tls provider's defaults (RSA 2048, P-224) are not enough.",
    enforcementLevel: "mandatory",
    severity: "high",
    configSchema: keySchema,
    validateResource: ofTypes([PRIVATE_KEY_TYPE], (args, report) => {
        const config = configWithDefaults<KeyConfig>(keySchema, args.getConfig<object>());
        const algorithm = String(knownValue(args.props, "algorithm") ?? "").toUpperCase();
        if (algorithm === "RSA") {
            const bits = knownValue(args.props, "rsaBits");
            const effective = typeof bits === "number" ? bits : 2048;
            if (effective < config.minRsaBits) {
                report(`RSA key of ${effective} bits${bits === undefined ? " (the provider's default)" : ""}; at least ${config.minRsaBits} required.`);
            }
        } else if (algorithm === "ECDSA") {
            const curve = knownValue(args.props, "ecdsaCurve");
            const effective = typeof curve === "string" ? curve.toUpperCase() : "P224";
            if (!config.allowedEcdsaCurves.includes(effective)) {
                report(`ECDSA curve ${effective}${curve === undefined ? " (the provider's default)" : ""} is not allowed; use one of ${config.allowedEcdsaCurves.join(", ")}.`);
            }
        } else if (algorithm === "ED25519") {
            if (!config.allowEd25519) {
                report("Ed25519 keys are not allowed by the policy config.");
            }
        } else {
            report(`Unknown key algorithm ${JSON.stringify(algorithm)}.`);
        }
    }),
};

const certSchema: PolicyConfigSchema = {
    properties: {
        maxValidityDays: { type: "integer", minimum: 1, default: 397, description: "Longest validity of a server (leaf) certificate, in days." },
        maxCaValidityDays: { type: "integer", minimum: 1, default: 3650, description: "Longest validity of a CA certificate (isCaCertificate = true), in days." },
        minEarlyRenewalDays: { type: "integer", minimum: 1, default: 7, description: "Minimum early renewal window (earlyRenewalHours), in days." },
    },
};

interface CertConfig {
    maxValidityDays: number;
    maxCaValidityDays: number;
    minEarlyRenewalDays: number;
}

export const certificateValidityPolicy: ResourceValidationPolicy = {
    name: "certificate-validity",
    description:
        "Certificates expire within the configured number of days (default 397, CA 3650) and set earlyRenewalHours, so `pulumi up` renews them before clients start rejecting the broker.",
    enforcementLevel: "advisory",
    severity: "medium",
    configSchema: certSchema,
    validateResource: ofTypes([SELF_SIGNED_CERT_TYPE, LOCALLY_SIGNED_CERT_TYPE], (args, report) => {
        const config = configWithDefaults<CertConfig>(certSchema, args.getConfig<object>());
        const isCa = knownValue(args.props, "isCaCertificate") === true;
        const maxDays = isCa ? config.maxCaValidityDays : config.maxValidityDays;
        const validity = knownValue(args.props, "validityPeriodHours");
        if (typeof validity !== "number" || validity <= 0) {
            report(`validityPeriodHours is ${JSON.stringify(validity)}.`);
        } else if (validity > maxDays * 24) {
            report(`validityPeriodHours ${validity} (${Math.round(validity / 24)} days) exceeds ${maxDays} days${isCa ? " for a CA certificate" : ""}.`);
        }
        const early = knownValue(args.props, "earlyRenewalHours");
        if (typeof early !== "number" || early <= 0) {
            report(`earlyRenewalHours is ${early === undefined ? "not set" : JSON.stringify(early)}: the certificate would only be replaced after it expired.`);
        } else if (early < config.minEarlyRenewalDays * 24) {
            report(`earlyRenewalHours ${early} is less than ${config.minEarlyRenewalDays} days.`);
        } else if (typeof validity === "number" && early >= validity) {
            report(`earlyRenewalHours ${early} is not shorter than the validity (${validity} hours): the certificate would be renewed at every update.`);
        }
    }),
};

export const secretPolicies: ResourceValidationPolicy[] = [passwordLengthPolicy, keyStrengthPolicy, certificateValidityPolicy];
