// Wires the components for one stack. index.ts calls this with the validated config; the
// unit tests call it with the dev and prod stack files under Pulumi mocks.
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { BrokerConfigModel } from "./broker-config";
import { Broker } from "./broker";
import { Certificates } from "./certificates";
import { CONFIG_KEYS, PROJECT, RawConfig, Settings, ValidatedConfig } from "./config";
import { Credentials } from "./credentials";
import { Database } from "./database";
import { dockerLabels } from "./labels";

// The SDK knows synchronously which keys are secret (PULUMI_CONFIG_SECRET_KEYS) but marks the
// function @internal; validation needs it before any resource exists, so it is used here.
const isConfigSecret = (pulumi.runtime as unknown as { isConfigSecret(key: string): boolean }).isConfigSecret;

/** Reads every declared key (and any unknown one, to reject it) from the Pulumi config. */
export function readRawConfig(): RawConfig {
    const config = new pulumi.Config(PROJECT);
    const values: Record<string, string | undefined> = {};
    const secretKeys = new Set<string>();
    const declared = new Set(CONFIG_KEYS.map((k) => k.key));
    const present = Object.keys(pulumi.runtime.allConfig())
        .filter((k) => k.startsWith(`${PROJECT}:`))
        .map((k) => k.slice(PROJECT.length + 1));
    for (const key of new Set([...declared, ...present])) {
        values[key] = config.get(key);
        if (isConfigSecret(`${PROJECT}:${key}`)) {
            secretKeys.add(key);
        }
    }
    return { stack: pulumi.getStack(), values, secretKeys };
}

/** The broker config model for validated settings: the one input of renderBrokerConfig. */
export function brokerConfigModel(settings: Settings): BrokerConfigModel {
    const db = settings.database;
    return {
        nodeName: `emqx@${settings.broker.hostname}`,
        clusterName: settings.prefix,
        logLevel: settings.broker.logLevel,
        database: {
            server: db.brokerServer,
            database: db.name,
            username: db.roleName,
            poolSize: settings.broker.poolSize,
            ssl: db.sslMode,
            sslServerName: db.mode === "external" ? db.host : undefined,
        },
        authorization: {
            denyAction: settings.broker.authzDenyAction,
            cacheMaxSize: settings.broker.authzCacheMaxSize,
            cacheTtl: settings.broker.authzCacheTtl,
        },
    };
}

export interface StackOutputs {
    readonly mqttInternalUrl: pulumi.Output<string>;
    readonly mqttExternalUrl: pulumi.Output<string>;
    readonly caCertificatePem: pulumi.Output<string>;
    readonly aiidaMqttPassword: pulumi.Output<string>;
    readonly dashboardUrl: pulumi.Output<string>;
    readonly dashboardPassword: pulumi.Output<string>;
    readonly database: pulumi.Output<{ server: string; database: string; username: string; sslMode: string }>;
    readonly emqxDatabasePassword: pulumi.Output<string>;
    readonly networkName: pulumi.Output<string>;
}

/** What the broker builds on: credentials, TLS material and the database side. */
export interface Foundation {
    readonly credentials: Credentials;
    readonly certificates: Certificates;
    readonly database: Database;
}

/**
 * The components that need no broker. `networkName` is used only by a database container;
 * in external mode the foundation registers no Docker resource at all, which is what lets
 * the end-to-end suite run it under the real engine without the Docker provider.
 */
export function buildFoundation({ settings, secrets }: ValidatedConfig, networkName: pulumi.Input<string>): Foundation {
    const credentials = new Credentials("credentials", {
        passwordLength: settings.passwordLength,
        needsDatabaseSuperuser: settings.database.mode === "container",
        mqttPassword: secrets.mqttPassword,
        dashboardPassword: secrets.dashboardPassword,
        nodeCookie: secrets.nodeCookie,
        emqxDatabasePassword: secrets.emqxDatabasePassword,
        databaseSuperuserPassword: secrets.databaseSuperuserPassword,
    });

    const tls = settings.tls;
    const certificates = new Certificates("certificates", {
        mode: tls.mode,
        commonName: settings.broker.hostname,
        dnsNames: [...tls.dnsNames],
        ipAddresses: [...tls.ipAddresses],
        keyAlgorithm: tls.keyAlgorithm,
        ecdsaCurve: tls.ecdsaCurve,
        rsaBits: tls.rsaBits,
        caValidityDays: tls.caValidityDays,
        serverValidityDays: tls.serverValidityDays,
        earlyRenewalDays: tls.earlyRenewalDays,
        suppliedCaCertificatePem: tls.caCertificatePem,
        suppliedServerCertificatePem: tls.serverCertificatePem,
        suppliedServerPrivateKeyPem: secrets.tlsServerPrivateKey,
    });

    const adminPassword = settings.database.mode === "container" ? credentials.databaseSuperuserPassword! : pulumi.secret(secrets.databaseAdminPassword!);
    const database = new Database("database", {
        settings: settings.database,
        prefix: settings.prefix,
        networkName,
        adminPassword,
        emqxPassword: credentials.emqxDatabasePassword,
        deleteDataOnDestroy: settings.deleteDataOnDestroy,
        production: settings.production,
    });
    return { credentials, certificates, database };
}

export function buildStack(validated: ValidatedConfig): StackOutputs {
    const { settings } = validated;
    const production = settings.production;
    const tls = settings.tls;
    const network = new docker.Network("network", { name: settings.prefix, driver: "bridge", labels: dockerLabels("network", production) });
    const { credentials, certificates, database } = buildFoundation(validated, network.name);

    const broker = new Broker(
        "broker",
        {
            settings: settings.broker,
            prefix: settings.prefix,
            networkName: network.name,
            config: brokerConfigModel(settings),
            nodeCookie: credentials.nodeCookie,
            dashboardPassword: credentials.dashboardPassword,
            mqttPassword: credentials.mqttPassword,
            mqttPasswordSalt: credentials.mqttPasswordSalt,
            apiSecret: credentials.brokerApiSecret,
            databasePassword: credentials.emqxDatabasePassword,
            databaseCaPem: settings.database.sslMode.startsWith("verify") ? settings.database.sslRootCertPem : undefined,
            caCertificatePem: certificates.caCertificatePem,
            serverCertificatePem: certificates.serverCertificatePem,
            serverPrivateKeyPem: certificates.serverPrivateKeyPem,
            retainData: !settings.deleteDataOnDestroy,
            production,
        },
        // EMQX only starts once its role and tables exist.
        { dependsOn: [database.aclSchema] },
    );

    const externalHost = tls.dnsNames.find((n) => n !== settings.broker.hostname) ?? settings.broker.hostname;
    const dashboardHost = settings.broker.dashboardBindAddress === "0.0.0.0" ? "127.0.0.1" : settings.broker.dashboardBindAddress;
    return {
        mqttInternalUrl: broker.internalMqttUrl,
        mqttExternalUrl: pulumi.output(`ssl://${externalHost}:${settings.broker.tlsPort}`),
        caCertificatePem: certificates.caCertificatePem,
        aiidaMqttPassword: pulumi.secret(credentials.mqttPassword),
        dashboardUrl: pulumi.output(`http://${dashboardHost}:${settings.broker.dashboardPort}`),
        dashboardPassword: pulumi.secret(credentials.dashboardPassword),
        database: pulumi.all([database.brokerServer, database.databaseName, database.roleName, database.sslMode]).apply(([server, db, username, sslMode]) => ({ server, database: db, username, sslMode })),
        emqxDatabasePassword: pulumi.secret(credentials.emqxDatabasePassword),
        networkName: network.name,
    };
}
