#!/usr/bin/env bash
# The browser side of live decoding: frontend/src's ES modules bundled by esbuild (pinned in
# frontend/package.json and its lockfile) into static/live/live.mjs, the one file the Streamlit component
# loads (ui/components/live.py), and static/edition/edition.mjs, the student edition's (ui/serve/share.py).
# Generated here, never committed.
# Idempotent: a no-op while the bundle matches the sources and the lockfile. Without npm it says so and
# exits 0: the dashboard then decodes on the server only (live.runtime_installed() is False).
set -euo pipefail
cd "$(dirname "$0")/.."
out=static/live
edition=static/edition
want=$(cat frontend/package-lock.json frontend/build.mjs $(find frontend/src -name '*.js' | sort) | sha256sum | cut -d' ' -f1)
if [ "$(cat "$out/.src.sha256" 2>/dev/null)" = "$want" ] && [ -f "$out/live.mjs" ] && [ -f "$edition/edition.mjs" ]; then
  exit 0
fi
if ! command -v npm >/dev/null 2>&1; then
  echo "warning: npm not found; the browser bundle is not built and live decoding in the browser is off (the server decodes)" >&2
  exit 0
fi
if [ ! -x frontend/node_modules/.bin/esbuild ]; then
  npm ci --prefix frontend --no-audit --no-fund --loglevel=error >/dev/null
fi
rm -rf "$out.tmp" "$edition.tmp" && mkdir -p "$out.tmp" "$edition.tmp"
node frontend/build.mjs "$out.tmp/live.mjs" "$edition.tmp/edition.mjs"
echo "$want" > "$out.tmp/.src.sha256"
rm -rf "$edition" && mv "$edition.tmp" "$edition"
rm -rf "$out" && mv "$out.tmp" "$out"
echo "browser bundle: $out/live.mjs ($(du -h "$out/live.mjs" | cut -f1)), $edition/edition.mjs ($(du -h "$edition/edition.mjs" | cut -f1))"
