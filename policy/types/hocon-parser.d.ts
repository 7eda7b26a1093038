// The parts of @pushcorn/hocon-parser 1.3.1 the policy pack uses (the package ships no types).
declare module "@pushcorn/hocon-parser" {
    interface ParseOptions {
        /** HOCON text to parse (instead of a url/file). */
        text?: string;
        /** Spec-compliant mode: no transforms, no `@file` shorthand, no string-to-number guessing. */
        strict?: boolean;
    }
    interface HoconParser {
        (opts: ParseOptions): Promise<unknown>;
        parse(opts: ParseOptions): Promise<unknown>;
    }
    const parser: HoconParser;
    export = parser;
}
