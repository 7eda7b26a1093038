// `npm run bench:report`: assembles BENCHMARKS.md from the sections the benchmark scripts
// write into benchmarks/*.md (auth path, engine overhead, toolchain and Docker set-up times).
import { existsSync, readFileSync, writeFileSync } from "fs";
import { join } from "path";

const ROOT = join(__dirname, "..");
const SECTIONS = [
    ["auth.md", "npm run bench:auth"],
    ["engine.md", "npm run bench:engine"],
    ["toolchain.md", "scripts/toolchain/install.sh (times it records)"],
    ["docker.md", "scripts/docker/*.sh (times recorded by hand)"],
] as const;

const parts = ["# Benchmarks", "", "Assembled by `npm run bench:report` from benchmarks/*.md; each section says how it was produced.", ""];
for (const [file, source] of SECTIONS) {
    const path = join(ROOT, "benchmarks", file);
    if (!existsSync(path)) {
        parts.push(`## ${file}`, "", `Not measured yet (${source}).`, "");
        continue;
    }
    // Every section becomes level 2 or deeper under the one title.
    const raw = readFileSync(path, "utf8");
    const text = /^# /m.test(raw) ? raw.replace(/^(#{1,5}) /gm, "$1# ") : raw;
    parts.push(text.trim(), "");
}
writeFileSync(join(ROOT, "BENCHMARKS.md"), parts.join("\n"));
console.log("wrote BENCHMARKS.md");
