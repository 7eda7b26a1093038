// The two SQL statements the broker runs, taken from the rendered etc/emqx.conf (parsed as
// HOCON, so quoting and escaping are what EMQX will read) and prepared the way EMQX does.
import { createRequire } from "module";
import { join } from "path";
import { BrokerConfigModel, renderBrokerConfig } from "../../components/broker-config";
import { PreparedQuery, toPreparedStatement } from "./emqx-sql";

export interface BrokerQueries {
    readonly authentication: PreparedQuery;
    readonly authorization: PreparedQuery;
    /** Raw templates with `${username}`, as in the config. */
    readonly templates: { readonly authentication: string; readonly authorization: string };
}

/** A representative model: the queries do not depend on these values. */
export const SAMPLE_BROKER_MODEL: BrokerConfigModel = {
    nodeName: "emqx@broker.aiida.internal",
    clusterName: "aiida",
    logLevel: "warning",
    database: { server: "postgres:5432", database: "aiida", username: "emqx", poolSize: 8, ssl: "disable" },
    authorization: { denyAction: "ignore", cacheMaxSize: 32, cacheTtl: "1m" },
};

interface HoconParser {
    parse(opts: { text: string; strict: boolean }): Promise<unknown>;
}

// The package ships no types; load it through Node's own require so no ambient declaration is needed.
const hocon = createRequire(join(process.cwd(), "package.json"))("@pushcorn/hocon-parser") as HoconParser;

interface ParsedConfig {
    authentication?: { backend?: string; mechanism?: string; query?: string }[];
    authorization?: { sources?: { type?: string; query?: string }[] };
}

/** Parses rendered emqx.conf text (its `include` lines dropped) and returns both queries. */
export async function queriesFromConfig(configText: string): Promise<BrokerQueries> {
    const doc = (await hocon.parse({ text: configText.replace(/^[ \t]*include[ \t].*$/gm, ""), strict: true })) as ParsedConfig;
    const authn = (doc.authentication ?? []).filter((a) => a.backend === "postgresql" && a.mechanism === "password_based");
    const authz = (doc.authorization?.sources ?? []).filter((s) => s.type === "postgresql");
    if (authn.length !== 1 || authz.length !== 1 || !authn[0].query || !authz[0].query) {
        throw new Error("the rendered broker config must hold exactly one postgresql authenticator and one postgresql authorization source, each with a query");
    }
    return {
        authentication: toPreparedStatement(authn[0].query),
        authorization: toPreparedStatement(authz[0].query),
        templates: { authentication: authn[0].query, authorization: authz[0].query },
    };
}

/** The queries of the config this program renders. */
export function brokerQueries(model: BrokerConfigModel = SAMPLE_BROKER_MODEL): Promise<BrokerQueries> {
    return queriesFromConfig(renderBrokerConfig(model));
}
