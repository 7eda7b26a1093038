import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface CertificatesArgs {
    /** generated (default): a CA and a server certificate signed by it; supplied: the PEMs below. */
    readonly mode?: "generated" | "supplied";
    /** Common name of the server certificate (the broker's host name). */
    readonly commonName: pulumi.Input<string>;
    /** Subject alternative names. */
    readonly dnsNames: pulumi.Input<pulumi.Input<string>[]>;
    readonly ipAddresses?: pulumi.Input<pulumi.Input<string>[]>;
    /** Key algorithm of generated keys. Default: ECDSA. */
    readonly keyAlgorithm?: "ECDSA" | "RSA";
    /** Default: P256. */
    readonly ecdsaCurve?: "P256" | "P384";
    /** Default: 3072. */
    readonly rsaBits?: number;
    /** Default: 3650. */
    readonly caValidityDays?: number;
    /** Default: 397. */
    readonly serverValidityDays?: number;
    /** Default: 30. */
    readonly earlyRenewalDays?: number;
    /** For mode supplied. */
    readonly suppliedCaCertificatePem?: pulumi.Input<string>;
    readonly suppliedServerCertificatePem?: pulumi.Input<string>;
    readonly suppliedServerPrivateKeyPem?: pulumi.Input<string>;
}

const HOURS_PER_DAY = 24;

/** The broker's TLS material: CA certificate (public), server certificate and key (secret). */
export class Certificates extends pulumi.ComponentResource {
    public readonly caCertificatePem: pulumi.Output<string>;
    public readonly serverCertificatePem: pulumi.Output<string>;
    public readonly serverPrivateKeyPem: pulumi.Output<string>;

    constructor(name: string, args: CertificatesArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiida:certificates:Certificates", name, {}, opts);
        const child = { parent: this };

        if ((args.mode ?? "generated") === "supplied") {
            if (!args.suppliedCaCertificatePem || !args.suppliedServerCertificatePem || !args.suppliedServerPrivateKeyPem) {
                throw new Error("Certificates: mode supplied needs the CA certificate, the server certificate and its private key");
            }
            this.caCertificatePem = pulumi.output(args.suppliedCaCertificatePem);
            this.serverCertificatePem = pulumi.output(args.suppliedServerCertificatePem);
            this.serverPrivateKeyPem = pulumi.secret(args.suppliedServerPrivateKeyPem);
        } else {
            const keyArgs: tls.PrivateKeyArgs =
                (args.keyAlgorithm ?? "ECDSA") === "ECDSA"
                    ? { algorithm: "ECDSA", ecdsaCurve: args.ecdsaCurve ?? "P256" }
                    : { algorithm: "RSA", rsaBits: args.rsaBits ?? 3072 };
            const earlyRenewalHours = (args.earlyRenewalDays ?? 30) * HOURS_PER_DAY;
            const caKey = new tls.PrivateKey(`${name}-ca-key`, keyArgs, child);
            const ca = new tls.SelfSignedCert(
                `${name}-ca`,
                {
                    privateKeyPem: caKey.privateKeyPem,
                    isCaCertificate: true,
                    subject: { commonName: pulumi.interpolate`AIIDA MQTT CA (${pulumi.getStack()})`, organization: "AIIDA" },
                    validityPeriodHours: (args.caValidityDays ?? 3650) * HOURS_PER_DAY,
                    earlyRenewalHours,
                    allowedUses: ["cert_signing", "crl_signing", "digital_signature"],
                },
                child,
            );
            const serverKey = new tls.PrivateKey(`${name}-server-key`, keyArgs, child);
            const csr = new tls.CertRequest(
                `${name}-server-csr`,
                {
                    privateKeyPem: serverKey.privateKeyPem,
                    subject: { commonName: args.commonName, organization: "AIIDA" },
                    dnsNames: args.dnsNames,
                    ipAddresses: args.ipAddresses ?? [],
                },
                child,
            );
            const server = new tls.LocallySignedCert(
                `${name}-server`,
                {
                    certRequestPem: csr.certRequestPem,
                    caPrivateKeyPem: caKey.privateKeyPem,
                    caCertPem: ca.certPem,
                    validityPeriodHours: (args.serverValidityDays ?? 397) * HOURS_PER_DAY,
                    earlyRenewalHours,
                    allowedUses: ["digital_signature", "key_encipherment", "server_auth"],
                },
                child,
            );
            this.caCertificatePem = ca.certPem;
            this.serverCertificatePem = server.certPem;
            this.serverPrivateKeyPem = pulumi.secret(serverKey.privateKeyPem);
        }
        this.registerOutputs({
            caCertificatePem: this.caCertificatePem,
            serverCertificatePem: this.serverCertificatePem,
            serverPrivateKeyPem: this.serverPrivateKeyPem,
        });
    }
}
