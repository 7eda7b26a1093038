import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import { AclSchemaSpec } from "./acl-schema-sql";
import { AdminConnection } from "./acl-schema-provisioner";
import { EmqxAclSchema } from "./acl-schema-resource";
import type { DatabaseSettings } from "./config";
import { dockerLabels } from "./labels";

export interface DatabaseArgs {
    /** Validated database settings (mode, names, image, ports, TLS). */
    readonly settings: DatabaseSettings;
    /** Prefix of container and volume names, e.g. aiida-dev. */
    readonly prefix: string;
    /** Docker network the container joins (container mode) under the alias `postgres`. */
    readonly networkName: pulumi.Input<string>;
    /** Superuser password (container mode) or the external administrator's password. */
    readonly adminPassword: pulumi.Input<string>;
    /** Password of the role EMQX connects as. */
    readonly emqxPassword: pulumi.Input<string>;
    /** Drop the tables (if this program created them) and delete the volume on destroy. Default: false. */
    readonly deleteDataOnDestroy?: boolean;
    /** Label value marking production resources for the policy pack. Default: false. */
    readonly production?: boolean;
}

/** What the provisioner creates, from the validated settings (the tests use this too). */
export function aclSchemaSpec(s: DatabaseSettings): AclSchemaSpec {
    return {
        database: s.name,
        schema: s.schema,
        roleName: s.roleName,
        connectionLimit: s.roleConnectionLimit,
        tablesOwnedByAiida: s.tablesOwnedByAiida,
        revokePublicPrivileges: s.revokePublicPrivileges,
    };
}

const PG_DATA_MOUNT = "/var/lib/postgresql/data";
const PG_PASSWORD_FILE = "/run/secrets/postgres-password";

/**
 * AIIDA's database as EMQX needs it: either a PostgreSQL container of this stack (named
 * volume, healthcheck, published on loopback only so this program can provision it) or an
 * existing server; in both, the `emqx` role, the ACL tables and exactly its grants.
 */
export class Database extends pulumi.ComponentResource {
    /** host:port the broker connects to. */
    public readonly brokerServer: pulumi.Output<string>;
    public readonly databaseName: pulumi.Output<string>;
    public readonly roleName: pulumi.Output<string>;
    public readonly sslMode: pulumi.Output<string>;
    /** The role, tables and grants; the broker depends on it. */
    public readonly aclSchema: EmqxAclSchema;
    public readonly container?: docker.Container;
    public readonly volume?: docker.Volume;

    constructor(name: string, args: DatabaseArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiida:database:Database", name, {}, opts);
        const s = args.settings;
        const keepData = !(args.deleteDataOnDestroy ?? false);
        const child = { parent: this };
        let provisionAfter: pulumi.Resource[] = [];

        if (s.mode === "container") {
            const image = new docker.RemoteImage(`${name}-image`, { name: s.image, keepLocally: true }, child);
            this.volume = new docker.Volume(`${name}-data`, { name: `${args.prefix}-pgdata`, labels: dockerLabels("database", args.production) }, { ...child, retainOnDelete: keepData });
            this.container = new docker.Container(
                `${name}-postgres`,
                {
                    name: `${args.prefix}-postgres`,
                    image: image.imageId,
                    restart: "unless-stopped",
                    networksAdvanced: [{ name: args.networkName, aliases: ["postgres"] }],
                    envs: ["POSTGRES_USER=postgres", `POSTGRES_DB=${s.name}`, `POSTGRES_PASSWORD_FILE=${PG_PASSWORD_FILE}`, `PGDATA=${PG_DATA_MOUNT}/pgdata`],
                    uploads: [{ file: PG_PASSWORD_FILE, content: pulumi.secret(args.adminPassword), owner: String(s.imageUid), group: String(s.imageUid), permissions: "0400" }],
                    volumes: [{ volumeName: this.volume.name, containerPath: PG_DATA_MOUNT }],
                    ports: [{ internal: 5432, external: s.hostPort, ip: "127.0.0.1" }],
                    healthcheck: {
                        tests: ["CMD-SHELL", `pg_isready -h 127.0.0.1 -U postgres -d ${s.name}`],
                        interval: "5s",
                        timeout: "5s",
                        retries: 12,
                        startPeriod: "10s",
                    },
                    wait: true,
                    waitTimeout: 180,
                    labels: dockerLabels("database", args.production),
                },
                // The fixed name and host port would collide with a side-by-side replacement.
                { ...child, deleteBeforeReplace: true },
            );
            provisionAfter = [this.container];
        }

        const spec = aclSchemaSpec(s);
        const admin: pulumi.Output<AdminConnection> = pulumi.output(args.adminPassword).apply((password) => ({
            host: s.host,
            port: s.port,
            user: s.adminUser,
            password,
            sslMode: s.sslMode,
            ...(s.sslRootCertPem ? { sslRootCert: s.sslRootCertPem } : {}),
        }));
        this.aclSchema = new EmqxAclSchema(
            `${name}-acl-schema`,
            { spec, admin, rolePassword: args.emqxPassword, dropTablesOnDelete: !keepData },
            { ...child, dependsOn: provisionAfter },
        );

        this.brokerServer = pulumi.output(s.brokerServer);
        this.databaseName = pulumi.output(s.name);
        this.roleName = pulumi.output(s.roleName);
        this.sslMode = pulumi.output(s.sslMode);
        this.registerOutputs({ brokerServer: this.brokerServer, databaseName: this.databaseName, roleName: this.roleName, sslMode: this.sslMode });
    }
}
