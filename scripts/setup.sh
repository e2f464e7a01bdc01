#!/usr/bin/env bash
# Create .venv, install requirements.txt and the project itself (editable) into it.
# Then the browser runtime (scripts/install_runtime.sh), the browser bundle (scripts/build_frontend.sh) and the models' browser nets for live decoding.
# Idempotent: each step is a no-op when its inputs are unchanged since the last run.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  "$PY" -m venv .venv
fi
stamp=.venv/.requirements.sha256
want=$(cat requirements.txt pyproject.toml | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  .venv/bin/python -m pip install -q --upgrade pip
  .venv/bin/python -m pip install -q -r requirements.txt
  .venv/bin/python -m pip install -q --no-deps -e .  # vae, ui and harness importable from anywhere
  echo "$want" > "$stamp"
fi
bash scripts/install_runtime.sh || echo "warning: browser runtime not installed; the server decodes" >&2
bash scripts/build_frontend.sh || echo "warning: browser bundle not built; the server decodes" >&2
# the browser engine's nets (vae.artifacts.browser_net: static/net/<model>/<sha12>/): only when a weights
# file changed since the last time (each folder is named by the weights' hash; the dashboard also writes a
# missing one on first use). The ONNX exports (vae-explorer export, without --net) are no longer needed by the dashboard.
weights=$(find models -name model.safetensors -printf '%p %s %T@\n' 2>/dev/null | sort | sha256sum | cut -d' ' -f1)
if [ "$(cat static/net/.weights.sha256 2>/dev/null)" != "$weights" ]; then
  if .venv/bin/vae-explorer export --all --net --quiet; then
    echo "$weights" > static/net/.weights.sha256
  else
    echo "warning: some browser nets failed; those models decode on the server" >&2
  fi
fi
