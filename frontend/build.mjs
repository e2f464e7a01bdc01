// esbuild's bundles of src/: main.js, the one ES module the Streamlit component loads (ui/components/live.py
// reads it), and edition/main.js, the student edition's (ui/serve/share.py copies it into an export), minified,
// with the nets' worker (engine/worker_main.js) bundled first and put into it as a string (__VAE_NET_WORKER__):
// the edition starts it from a blob: URL, so an export has no file more and fetches nothing twice.
// scripts/build_frontend.sh runs this.
// Usage: node build.mjs <live outfile> <edition outfile>  (VAE_NO_MINIFY=1 keeps the edition readable, for a profile)
import { build } from "esbuild";

const [liveOut, editionOut] = process.argv.slice(2);
if (!liveOut || !editionOut) throw new Error("usage: node build.mjs <live outfile> <edition outfile>");
const common = {
  bundle: true,
  format: /** @type {const} */ ("esm"),
  target: "es2022",
  legalComments: /** @type {const} */ ("none"),
  logLevel: /** @type {const} */ ("warning"),
};
const minify = !process.env.VAE_NO_MINIFY;
const worker = await build({ ...common, entryPoints: [new URL("./src/engine/worker_main.js", import.meta.url).pathname], write: false, minify });
const workerSource = worker.outputFiles[0].text;
await build({ ...common, entryPoints: [new URL("./src/main.js", import.meta.url).pathname], outfile: liveOut });
await build({
  ...common,
  entryPoints: [new URL("./src/edition/main.js", import.meta.url).pathname],
  outfile: editionOut,
  minify,
  define: { __VAE_NET_WORKER__: JSON.stringify(workerSource) },
});
