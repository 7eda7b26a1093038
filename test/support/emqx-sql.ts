// How EMQX 5.8 turns an authn/authz SQL template into a prepared statement
// (emqx_template_sql:parse_prepstmt with parameters => '$n' and strip_double_quote => true,
// called from emqx_auth_template:parse_sql): every `${var}` occurrence, in order, becomes the
// next `$N` and its value is sent as a bound parameter; a placeholder wrapped in double
// quotes ("${var}") loses the quotes; `${$}` is an escaped literal `$`. Nothing is ever
// spliced into the SQL text, so a username cannot change the query.

export interface PreparedQuery {
    /** SQL text with $1, $2, ... */
    readonly text: string;
    /** Placeholder names in parameter order (`username` for `${username}`). */
    readonly placeholders: readonly string[];
}

// emqx_template: RE_PLACEHOLDER = \$\{[.]?([a-zA-Z0-9._]*)\}, RE_ESCAPE = \$\{(\$)\}
const TOKEN = /"\$\{\.?([a-zA-Z0-9._]*)\}"|\$\{\.?([a-zA-Z0-9._]*)\}|\$\{\$\}/g;

export function toPreparedStatement(template: string): PreparedQuery {
    const placeholders: string[] = [];
    const text = template.replace(TOKEN, (match, quoted: string | undefined, bare: string | undefined) => {
        if (match === "${$}") {
            return "$";
        }
        placeholders.push((quoted ?? bare) as string);
        return `$${placeholders.length}`;
    });
    return { text, placeholders };
}

/** The bound values for one request, in parameter order (EMQX's client info as bindings). */
export function bindValues(query: PreparedQuery, bindings: Readonly<Record<string, string>>): string[] {
    return query.placeholders.map((name) => {
        const value = bindings[name];
        if (value === undefined) {
            throw new Error(`no value for placeholder \${${name}}`);
        }
        return value;
    });
}
