import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as bcrypt from "bcryptjs";
import {
    BROKER_PATHS,
    BROKER_PORTS,
    brokerFiles,
    BrokerConfigModel,
    renderApiKeys,
    renderBootstrapUsers,
    renderBrokerConfig,
    renderBrokerSecrets,
} from "./broker-config";
import { EmqxBuiltinUser } from "./builtin-user-resource";
import type { BrokerSettings } from "./config";
import { dockerLabels } from "./labels";

/** The built-in user AIIDA connects as (superuser: skips authorization). */
export const AIIDA_MQTT_USER = "aiida";
/** Name of the bootstrap API key this program uses for the REST API. */
export const BROKER_API_KEY = "aiida-pulumi";
/** bcrypt cost of the `aiida` user's hash (EMQX itself clamps built-in hashing to 5..10). */
export const AIIDA_BCRYPT_COST = 10;

export interface BrokerArgs {
    readonly settings: BrokerSettings;
    /** Prefix of container and volume names. */
    readonly prefix: string;
    readonly networkName: pulumi.Input<string>;
    /** The config the broker boots with (see broker-config.ts); no secrets in it. */
    readonly config: BrokerConfigModel;
    readonly nodeCookie: pulumi.Input<string>;
    readonly dashboardPassword: pulumi.Input<string>;
    readonly mqttPassword: pulumi.Input<string>;
    /** 16 random bytes, hex: the bcrypt salt, stable per state so a no-op deploy stays a no-op. */
    readonly mqttPasswordSalt: pulumi.Input<string>;
    readonly apiSecret: pulumi.Input<string>;
    readonly databasePassword: pulumi.Input<string>;
    /** CA of the database server's certificate, when the broker verifies it. */
    readonly databaseCaPem?: pulumi.Input<string>;
    readonly caCertificatePem: pulumi.Input<string>;
    readonly serverCertificatePem: pulumi.Input<string>;
    readonly serverPrivateKeyPem: pulumi.Input<string>;
    /** Keep the data volume on destroy. Default: true. */
    readonly retainData?: boolean;
    readonly production?: boolean;
}

/** bcrypt hash with a salt from state: same password and salt, same bytes. */
export function stableBcryptHash(password: string, saltHex: string, cost = AIIDA_BCRYPT_COST): string {
    const salt = `$2b$${String(cost).padStart(2, "0")}$${bcrypt.encodeBase64(Buffer.from(saltHex, "hex"), 16)}`;
    return bcrypt.hashSync(password, salt);
}

/** Where the program reaches the REST API: the published dashboard port, on loopback when bound to all. */
export function brokerApiUrl(settings: Pick<BrokerSettings, "dashboardBindAddress" | "dashboardPort">): string {
    const host = settings.dashboardBindAddress === "0.0.0.0" ? "127.0.0.1" : settings.dashboardBindAddress === "::" ? "::1" : settings.dashboardBindAddress;
    return `http://${host.includes(":") ? `[${host}]` : host}:${settings.dashboardPort}`;
}

/**
 * The EMQX container: generated config, certificates and the seeded `aiida` user, a stable
 * node name (so the built-in user database in the data volume survives replacement), the
 * plain listener for AIIDA on the stack network, TLS for data sources on a host port.
 */
export class Broker extends pulumi.ComponentResource {
    public readonly container: docker.Container;
    public readonly dataVolume: docker.Volume;
    /** tcp://<alias>:1883, what AIIDA's MQTT_INTERNAL_HOST takes. */
    public readonly internalMqttUrl: pulumi.Output<string>;

    constructor(name: string, args: BrokerArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiida:broker:Broker", name, {}, opts);
        const s = args.settings;
        const child = { parent: this };

        const image = new docker.RemoteImage(`${name}-image`, { name: s.image, keepLocally: true }, child);
        this.dataVolume = new docker.Volume(
            `${name}-data`,
            { name: `${args.prefix}-emqx-data`, labels: dockerLabels("broker", args.production) },
            { ...child, retainOnDelete: args.retainData ?? true },
        );

        const bootstrap = pulumi
            .all([args.mqttPassword, args.mqttPasswordSalt])
            .apply(([password, salt]) => renderBootstrapUsers([{ userId: AIIDA_MQTT_USER, passwordHash: stableBcryptHash(password, salt), isSuperuser: true }]));
        const files = brokerFiles<pulumi.Input<string>>({
            config: renderBrokerConfig(args.config),
            secretsConfig: pulumi.all([args.nodeCookie, args.dashboardPassword]).apply(([nodeCookie, dashboardPassword]) => renderBrokerSecrets({ nodeCookie, dashboardPassword })),
            bootstrapUsers: bootstrap,
            apiKeys: pulumi.output(args.apiSecret).apply((secret) => renderApiKeys([{ key: BROKER_API_KEY, secret }])),
            databasePassword: args.databasePassword,
            caCert: args.caCertificatePem,
            serverCert: args.serverCertificatePem,
            serverKey: args.serverPrivateKeyPem,
            databaseCaCert: args.databaseCaPem,
        });
        const uploads: docker.types.input.ContainerUpload[] = files.map((f) => ({
            file: f.path,
            content: f.secret ? pulumi.secret(f.content) : f.content,
            owner: f.owner,
            group: f.owner,
            permissions: f.mode,
        }));

        const ports: docker.types.input.ContainerPort[] = [
            { internal: BROKER_PORTS.mqtts, external: s.tlsPort, ip: s.tlsBindAddress },
            { internal: BROKER_PORTS.dashboard, external: s.dashboardPort, ip: s.dashboardBindAddress },
        ];
        if (s.plainPublishPort !== undefined) {
            ports.push({ internal: BROKER_PORTS.mqtt, external: s.plainPublishPort, ip: s.plainBindAddress });
        }

        this.container = new docker.Container(
            `${name}-emqx`,
            {
                name: `${args.prefix}-emqx`,
                image: image.imageId,
                hostname: s.hostname,
                // The image's entrypoint would otherwise name the node after its IP, which
                // changes on replacement and orphans the built-in user database.
                envs: [`EMQX_NODE__NAME=${args.config.nodeName}`],
                networksAdvanced: [{ name: args.networkName, aliases: [s.hostname, "emqx"] }],
                uploads,
                volumes: [{ volumeName: this.dataVolume.name, containerPath: BROKER_PATHS.data }],
                ports,
                restart: "unless-stopped",
                healthcheck: {
                    tests: ["CMD", "/opt/emqx/bin/emqx", "ctl", "status"],
                    interval: "5s",
                    timeout: "10s",
                    retries: 24,
                    startPeriod: "20s",
                },
                wait: true,
                waitTimeout: 240,
                labels: dockerLabels("broker", args.production),
            },
            // Fixed name and host ports: the old container must go before the new one starts.
            { ...child, deleteBeforeReplace: true },
        );

        if (s.apiUserSync) {
            new EmqxBuiltinUser(
                `${name}-aiida-user`,
                {
                    apiUrl: brokerApiUrl(s),
                    apiKey: BROKER_API_KEY,
                    apiSecret: args.apiSecret,
                    userId: AIIDA_MQTT_USER,
                    password: args.mqttPassword,
                    isSuperuser: true,
                },
                { ...child, dependsOn: [this.container] },
            );
        }

        this.internalMqttUrl = pulumi.output(`tcp://${s.hostname}:${BROKER_PORTS.mqtt}`);
        this.registerOutputs({ internalMqttUrl: this.internalMqttUrl });
    }
}
