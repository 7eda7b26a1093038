import { describe, expect, it } from "vitest";
import { AUTHENTICATION_QUERY, AUTHORIZATION_QUERY } from "../../components/emqx-queries";
import { brokerQueries } from "../support/broker-queries";
import { bindValues, toPreparedStatement } from "../support/emqx-sql";

describe("EMQX placeholder -> bound parameter conversion", () => {
    it("turns ${username} into $1 and binds the username", () => {
        const q = toPreparedStatement("SELECT x FROM t WHERE username = ${username} LIMIT 1");
        expect(q.text).toBe("SELECT x FROM t WHERE username = $1 LIMIT 1");
        expect(q.placeholders).toEqual(["username"]);
        expect(bindValues(q, { username: "u'1" })).toEqual(["u'1"]);
    });

    it("numbers every occurrence in order, repeated names included", () => {
        const q = toPreparedStatement("SELECT 1 WHERE a = ${username} AND b = ${clientid} AND c = ${username}");
        expect(q.text).toBe("SELECT 1 WHERE a = $1 AND b = $2 AND c = $3");
        expect(q.placeholders).toEqual(["username", "clientid", "username"]);
    });

    it("strips double quotes around a placeholder, keeps nested names and the ${$} escape", () => {
        const q = toPreparedStatement('SELECT 1 WHERE a = "${username}" AND b = ${client_attrs.group} AND c = \'${$}{x}\'');
        expect(q.text).toBe("SELECT 1 WHERE a = $1 AND b = $2 AND c = '${x}'");
        expect(q.placeholders).toEqual(["username", "client_attrs.group"]);
    });

    it("fails loudly when a binding is missing", () => {
        expect(() => bindValues(toPreparedStatement("SELECT ${peerhost}"), {})).toThrow(/peerhost/);
    });

    it("converts the broker's two queries to one parameter each", () => {
        for (const query of [AUTHENTICATION_QUERY, AUTHORIZATION_QUERY]) {
            const q = toPreparedStatement(query);
            expect(q.placeholders).toEqual(["username"]);
            expect(q.text).not.toContain("${");
            expect(q.text).toContain("username = $1");
        }
    });

    it("reads the same two queries back from the rendered emqx.conf, each with one bound ${username}", async () => {
        const rendered = await brokerQueries();
        expect(rendered.templates).toEqual({ authentication: AUTHENTICATION_QUERY, authorization: AUTHORIZATION_QUERY });
        expect(rendered.authentication.text).toBe(
            "SELECT password AS password_hash FROM public.data_source_mqtt_user WHERE username = $1 LIMIT 1",
        );
        expect(rendered.authorization.text).toBe(
            "SELECT LOWER(action) AS action, LOWER(acl_type) AS permission, topic FROM public.data_source_mqtt_acl WHERE username = $1",
        );
    });
});
