// The SQL EMQX runs for every CONNECT (authentication) and every uncached PUBLISH/SUBSCRIBE
// (authorization), verbatim from AIIDA's broker config. `${username}` is not JavaScript
// interpolation: EMQX replaces each `${...}` placeholder with a bound parameter.
import { ACL_TABLES } from "./acl-schema-sql";

export const AUTHENTICATION_QUERY =
    "SELECT password AS password_hash FROM public." + ACL_TABLES.users + " WHERE username = ${username} LIMIT 1";

export const AUTHORIZATION_QUERY =
    "SELECT LOWER(action) AS action, LOWER(acl_type) AS permission, topic FROM public." + ACL_TABLES.acl + " WHERE username = ${username}";
