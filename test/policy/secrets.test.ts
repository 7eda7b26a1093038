import { describe, expect, it } from "vitest";
import {
    LOCALLY_SIGNED_CERT_TYPE,
    PRIVATE_KEY_TYPE,
    RANDOM_PASSWORD_TYPE,
    SELF_SIGNED_CERT_TYPE,
    certificateValidityPolicy,
    keyStrengthPolicy,
    passwordLengthPolicy,
} from "../../policy/secrets";
import { UNKNOWN_INPUT, runResourcePolicy } from "./harness";

const password = (inputs: Record<string, unknown>) => ({ type: RANDOM_PASSWORD_TYPE, inputs });
const key = (inputs: Record<string, unknown>) => ({ type: PRIVATE_KEY_TYPE, inputs });

describe("generated-password-length", () => {
    it("passes 32 characters and flags 16", async () => {
        expect((await runResourcePolicy(passwordLengthPolicy, password({ length: 32, special: true }))).violations).toEqual([]);
        expect((await runResourcePolicy(passwordLengthPolicy, password({ length: 16 }))).violations).toEqual([expect.stringMatching(/at least 24/)]);
        expect((await runResourcePolicy(passwordLengthPolicy, password({ length: 32 }), { minLength: 40 })).violations).toHaveLength(1);
    });
});

describe("private-key-strength", () => {
    it("passes RSA 3072, ECDSA P256/P384 and Ed25519", async () => {
        for (const inputs of [{ algorithm: "RSA", rsaBits: 3072 }, { algorithm: "ECDSA", ecdsaCurve: "P256" }, { algorithm: "ECDSA", ecdsaCurve: "P384" }, { algorithm: "ED25519" }]) {
            expect((await runResourcePolicy(keyStrengthPolicy, key(inputs))).violations).toEqual([]);
        }
    });
    it("flags the provider's weak defaults and small keys", async () => {
        expect((await runResourcePolicy(keyStrengthPolicy, key({ algorithm: "RSA" }))).violations).toEqual([expect.stringMatching(/2048 bits \(the provider's default\)/)]);
        expect((await runResourcePolicy(keyStrengthPolicy, key({ algorithm: "ECDSA" }))).violations).toEqual([expect.stringMatching(/P224 \(the provider's default\)/)]);
        expect((await runResourcePolicy(keyStrengthPolicy, key({ algorithm: "RSA", rsaBits: 3072 }), { minRsaBits: 4096 })).violations).toHaveLength(1);
        expect((await runResourcePolicy(keyStrengthPolicy, key({ algorithm: "ED25519" }), { allowEd25519: false })).violations).toHaveLength(1);
    });
});

describe("certificate-validity", () => {
    const cert = (type: string, inputs: Record<string, unknown>) => ({ type, inputs: { privateKeyPem: UNKNOWN_INPUT, ...inputs } });
    it("passes a 397-day server certificate and a 10-year CA with early renewal", async () => {
        expect((await runResourcePolicy(certificateValidityPolicy, cert(LOCALLY_SIGNED_CERT_TYPE, { validityPeriodHours: 397 * 24, earlyRenewalHours: 720 }))).violations).toEqual([]);
        expect((await runResourcePolicy(certificateValidityPolicy, cert(SELF_SIGNED_CERT_TYPE, { isCaCertificate: true, validityPeriodHours: 3650 * 24, earlyRenewalHours: 720 }))).violations).toEqual([]);
    });
    it("flags a too long validity and a missing early renewal", async () => {
        const outcome = await runResourcePolicy(certificateValidityPolicy, cert(SELF_SIGNED_CERT_TYPE, { validityPeriodHours: 3650 * 24 }));
        expect(outcome.violations).toEqual([expect.stringMatching(/exceeds 397 days/), expect.stringMatching(/earlyRenewalHours is not set/)]);
        const tooShort = await runResourcePolicy(certificateValidityPolicy, cert(LOCALLY_SIGNED_CERT_TYPE, { validityPeriodHours: 30 * 24, earlyRenewalHours: 30 * 24 }));
        expect(tooShort.violations).toEqual([expect.stringMatching(/not shorter than the validity/)]);
    });
});
