#!/usr/bin/env bash
# The browser runtimes for live decoding: tfjs-core with its WebAssembly backend (the browser engine's
# fast kernels, frontend/src/engine/tfjs.js), bundled by esbuild from frontend/src/engine/tfjs_entry.js
# into static/tfjs/tfjs.mjs beside its .wasm files (SIMD, and plain for browsers without SIMD); and
# onnxruntime-web, which the dashboard no longer downloads (it is the reference that
# benchmarks/browser_decoder.py weighs the engine against), copied into static/ort/: its two
# JavaScript modules, its WebAssembly binary gzipped (the page inflates it) and its licence. Both are
# pinned by frontend/package.json and its lockfile and installed from npm. npm ci also
# installs the front end's pinned devDependencies (esbuild, typescript, biome): scripts/build_frontend.sh
# bundles frontend/src with them and scripts/run_tests.sh checks it.
# Idempotent: a no-op while static/ort/ matches the lockfile and tfjs_entry.js. Without npm it says so and exits 0:
# the dashboard then decodes on the server only.
set -euo pipefail
cd "$(dirname "$0")/.."
out=static/ort
want=$(cat frontend/package-lock.json frontend/src/engine/tfjs_entry.js | sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/.lock.sha256" 2>/dev/null)" = "$want" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm not found; live decoding in the browser is off (the server decodes)" >&2
  exit 0
fi
npm ci --prefix frontend --no-audit --no-fund --loglevel=error >/dev/null
dist=frontend/node_modules/onnxruntime-web/dist
rm -rf "$out.tmp" && mkdir -p "$out.tmp"
cp "$dist/ort.wasm.min.mjs" "$dist/ort-wasm-simd-threaded.mjs" "$out.tmp/"
gzip -9 -c "$dist/ort-wasm-simd-threaded.wasm" > "$out.tmp/ort-wasm-simd-threaded.wasm.gz"
cp frontend/LICENSE-onnxruntime-web.txt "$out.tmp/LICENSE.txt"
tfjs=static/tfjs
wasm=frontend/node_modules/@tensorflow/tfjs-backend-wasm/dist
rm -rf "$tfjs.tmp" && mkdir -p "$tfjs.tmp"
frontend/node_modules/.bin/esbuild frontend/src/engine/tfjs_entry.js --bundle --format=esm --target=es2022 --minify \
  --legal-comments=none --log-level=warning --outfile="$tfjs.tmp/tfjs.mjs"
cp "$wasm/tfjs-backend-wasm-simd.wasm" "$wasm/tfjs-backend-wasm.wasm" "$tfjs.tmp/"
rm -rf "$tfjs" && mv "$tfjs.tmp" "$tfjs"
echo "$want" > "$out.tmp/.lock.sha256"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "browser engine runtime: tfjs-core $(node -p "require('./frontend/node_modules/@tensorflow/tfjs-core/package.json').version") in $tfjs ($(du -sh "$tfjs" | cut -f1))"
echo "browser runtime: onnxruntime-web $(node -p "require('./frontend/node_modules/onnxruntime-web/package.json').version") in $out ($(du -sh "$out" | cut -f1))"
