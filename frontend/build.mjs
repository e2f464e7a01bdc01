// esbuild's bundle of src/main.js: one ES module, what the Streamlit component loads
// (scripts/build_frontend.sh runs this; ui/components/live.py reads the result).
// Usage: node build.mjs <outfile>
import { build } from "esbuild";

const outfile = process.argv[2];
if (!outfile) throw new Error("usage: node build.mjs <outfile>");
await build({
  entryPoints: [new URL("./src/main.js", import.meta.url).pathname],
  bundle: true,
  format: "esm",
  target: "es2022",
  outfile,
  legalComments: "none",
  logLevel: "warning",
});
