#!/usr/bin/env bash
# The browser runtime for live decoding: onnxruntime-web, pinned by frontend/package.json and its
# lockfile, installed from npm and copied into static/ort/ (served by Streamlit's static serving):
# the two JavaScript modules the page imports, the WebAssembly binary gzipped (the browser inflates
# it; Streamlit would otherwise compress 14 MB on every fetch) and the package's licence. npm ci also
# installs the front end's pinned devDependencies (esbuild, typescript, biome): scripts/build_frontend.sh
# bundles frontend/src with them and scripts/run_tests.sh checks it.
# Idempotent: a no-op while static/ort/ matches the lockfile. Without npm it says so and exits 0:
# the dashboard then decodes on the server only.
set -euo pipefail
cd "$(dirname "$0")/.."
out=static/ort
want=$(sha256sum frontend/package-lock.json | cut -d' ' -f1)
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
echo "$want" > "$out.tmp/.lock.sha256"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "browser runtime: onnxruntime-web $(node -p "require('./frontend/node_modules/onnxruntime-web/package.json').version") in $out ($(du -sh "$out" | cut -f1))"
