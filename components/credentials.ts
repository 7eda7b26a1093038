import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

/** Characters of generated secrets: safe unquoted in HOCON strings, env vars, URLs and shells. */
export const PASSWORD_SPECIALS = "-_";

export interface CredentialsArgs {
    /** Length of every generated password. Default: 32. */
    readonly passwordLength?: pulumi.Input<number>;
    /** Whether this stack runs PostgreSQL itself and so needs a superuser password. Default: true. */
    readonly needsDatabaseSuperuser?: boolean;
    /** Operator-supplied values (config secrets); each one given replaces a generated password. */
    readonly mqttPassword?: pulumi.Input<string>;
    readonly dashboardPassword?: pulumi.Input<string>;
    readonly nodeCookie?: pulumi.Input<string>;
    readonly emqxDatabasePassword?: pulumi.Input<string>;
    readonly databaseSuperuserPassword?: pulumi.Input<string>;
}

/**
 * Every credential the deployment needs, each either supplied or generated, and exposed
 * only as a Pulumi secret.
 */
export class Credentials extends pulumi.ComponentResource {
    /** Password of the `emqx` database role. */
    public readonly emqxDatabasePassword: pulumi.Output<string>;
    /** Password of the built-in `aiida` MQTT user. */
    public readonly mqttPassword: pulumi.Output<string>;
    /** First-boot password of the dashboard's `admin` user. */
    public readonly dashboardPassword: pulumi.Output<string>;
    /** Erlang node cookie ([A-Za-z0-9] only: bin/emqx passes it to a shell unquoted). */
    public readonly nodeCookie: pulumi.Output<string>;
    /** PostgreSQL superuser password when the stack runs the database, else undefined. */
    public readonly databaseSuperuserPassword?: pulumi.Output<string>;
    /** Secret of the broker's bootstrap API key, used to set built-in user passwords. */
    public readonly brokerApiSecret: pulumi.Output<string>;
    /** 16 random bytes (hex) salting the `aiida` user's bcrypt hash, so the hash is stable per state. */
    public readonly mqttPasswordSalt: pulumi.Output<string>;

    constructor(name: string, args: CredentialsArgs, opts?: pulumi.ComponentResourceOptions) {
        super("aiida:credentials:Credentials", name, {}, opts);
        const length = args.passwordLength ?? 32;
        const child = { parent: this };
        const password = (id: string, supplied: pulumi.Input<string> | undefined, special = true): pulumi.Output<string> =>
            // Explicitly secret: the provider marks `result` secret too, but this does not rely on it.
            pulumi.secret(
                supplied !== undefined
                    ? supplied
                    : new random.RandomPassword(
                      `${name}-${id}`,
                      { length, special, overrideSpecial: special ? PASSWORD_SPECIALS : undefined, minLower: 2, minUpper: 2, minNumeric: 2 },
                      child,
                  ).result,
            );

        this.emqxDatabasePassword = password("emqx-db-password", args.emqxDatabasePassword);
        this.mqttPassword = password("mqtt-password", args.mqttPassword);
        this.dashboardPassword = password("dashboard-password", args.dashboardPassword);
        this.nodeCookie = password("node-cookie", args.nodeCookie, false);
        this.brokerApiSecret = password("broker-api-secret", undefined);
        if (args.needsDatabaseSuperuser ?? true) {
            this.databaseSuperuserPassword = password("db-superuser-password", args.databaseSuperuserPassword);
        }
        this.mqttPasswordSalt = pulumi.secret(new random.RandomBytes(`${name}-mqtt-password-salt`, { length: 16 }, child).hex);

        this.registerOutputs({
            emqxDatabasePassword: this.emqxDatabasePassword,
            mqttPassword: this.mqttPassword,
            dashboardPassword: this.dashboardPassword,
            nodeCookie: this.nodeCookie,
            databaseSuperuserPassword: this.databaseSuperuserPassword,
            brokerApiSecret: this.brokerApiSecret,
            mqttPasswordSalt: this.mqttPasswordSalt,
        });
    }
}
