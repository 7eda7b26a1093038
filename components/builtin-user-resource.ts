// EMQX's bootstrap file is insert-only: a changed password in it never reaches a user that
// already exists in the node's database (the data volume). This dynamic resource makes a
// rotation real: after the broker is healthy, it sets the user's password through the REST
// API, authenticated by the bootstrap API key (which EMQX re-reads at every boot).
import * as pulumi from "@pulumi/pulumi";

export interface BuiltinUserInputs {
    /** e.g. http://127.0.0.1:18084 */
    readonly apiUrl: string;
    readonly apiKey: string;
    readonly apiSecret: string;
    readonly userId: string;
    readonly password: string;
    readonly isSuperuser: boolean;
}

export interface EmqxBuiltinUserArgs {
    readonly apiUrl: pulumi.Input<string>;
    readonly apiKey: pulumi.Input<string>;
    readonly apiSecret: pulumi.Input<string>;
    readonly userId: pulumi.Input<string>;
    readonly password: pulumi.Input<string>;
    readonly isSuperuser: pulumi.Input<boolean>;
}

export const BUILTIN_AUTHENTICATOR_ID = "password_based:built_in_database";

/** Sets (or creates) the user's password; retries while the freshly started node warms up. */
export async function setBuiltinUserPassword(inputs: BuiltinUserInputs, deadlineMs = 120_000, retryMs = 2000): Promise<void> {
    const auth = "Basic " + Buffer.from(`${inputs.apiKey}:${inputs.apiSecret}`).toString("base64");
    // The id goes in raw, as EMQX's API documentation writes it (':' is legal in a path segment).
    const users = `${inputs.apiUrl}/api/v5/authentication/${BUILTIN_AUTHENTICATOR_ID}/users`;
    const headers = { authorization: auth, "content-type": "application/json" };
    const started = Date.now();
    let lastError = "";
    while (Date.now() - started < deadlineMs) {
        try {
            const put = await fetch(`${users}/${encodeURIComponent(inputs.userId)}`, {
                method: "PUT",
                headers,
                body: JSON.stringify({ password: inputs.password, is_superuser: inputs.isSuperuser }),
            });
            if (put.ok) {
                return;
            }
            if (put.status === 404) {
                const post = await fetch(users, {
                    method: "POST",
                    headers,
                    body: JSON.stringify({ user_id: inputs.userId, password: inputs.password, is_superuser: inputs.isSuperuser }),
                });
                if (post.ok) {
                    return;
                }
                lastError = `POST ${post.status}`;
            } else {
                lastError = `PUT ${put.status}`;
            }
        } catch (err) {
            lastError = (err as Error).message;
        }
        await new Promise((resolve) => setTimeout(resolve, retryMs));
    }
    // The message names the endpoint and status, never the password or the API secret.
    throw new Error(`could not set the password of EMQX built-in user ${inputs.userId} via ${users}: ${lastError}`);
}

const builtinUserProvider: pulumi.dynamic.ResourceProvider = {
    async diff(_id: string, olds: BuiltinUserInputs, news: BuiltinUserInputs) {
        const changed = (Object.keys(news) as (keyof BuiltinUserInputs)[]).some((k) => olds[k] !== news[k]);
        return { changes: changed, replaces: olds.userId !== news.userId ? ["userId"] : [] };
    },
    async create(inputs: BuiltinUserInputs) {
        await setBuiltinUserPassword(inputs);
        return { id: `${inputs.apiUrl}#${inputs.userId}`, outs: inputs };
    },
    async update(_id: string, _olds: BuiltinUserInputs, news: BuiltinUserInputs) {
        await setBuiltinUserPassword(news);
        return { outs: news };
    },
    // Deleting the resource leaves the user: the broker (and AIIDA) still need it.
};

/** Keeps a built-in MQTT user's password equal to the stack's secret. */
export class EmqxBuiltinUser extends pulumi.dynamic.Resource {
    constructor(name: string, args: EmqxBuiltinUserArgs, opts?: pulumi.CustomResourceOptions) {
        super(
            builtinUserProvider,
            name,
            { ...args, apiSecret: pulumi.secret(args.apiSecret), password: pulumi.secret(args.password) },
            { ...opts, additionalSecretOutputs: ["apiSecret", "password"] },
            "aiida",
            "EmqxBuiltinUser",
        );
    }
}
