// The fixtures tests/js_fixtures.py writes (scripts/run_tests.sh runs it before node --test).
import { readFileSync } from "node:fs";

/** @param {string} name */
export const fixture = (name) => JSON.parse(readFileSync(new URL(`./fixtures/${name}.json`, import.meta.url), "utf8"));
