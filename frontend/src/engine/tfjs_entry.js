// @ts-check
// What scripts/install_runtime.sh bundles into static/tfjs/tfjs.mjs (esbuild, minified): tfjs-core and
// its WebAssembly backend, which registers itself on import; engine/tfjs.js imports it at run time.
import "@tensorflow/tfjs-backend-wasm";

export { setWasmPaths } from "@tensorflow/tfjs-backend-wasm";
export * as tf from "@tensorflow/tfjs-core";
