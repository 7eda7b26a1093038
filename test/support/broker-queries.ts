// The two SQL statements the broker runs, as EMQX will prepare them.
import { AUTHENTICATION_QUERY, AUTHORIZATION_QUERY } from "../../components/emqx-queries";
import { PreparedQuery, toPreparedStatement } from "./emqx-sql";

export interface BrokerQueries {
    readonly authentication: PreparedQuery;
    readonly authorization: PreparedQuery;
    /** Raw templates with `${username}`, as in the config. */
    readonly templates: { readonly authentication: string; readonly authorization: string };
}

export function brokerQueries(): BrokerQueries {
    return {
        authentication: toPreparedStatement(AUTHENTICATION_QUERY),
        authorization: toPreparedStatement(AUTHORIZATION_QUERY),
        templates: { authentication: AUTHENTICATION_QUERY, authorization: AUTHORIZATION_QUERY },
    };
}
