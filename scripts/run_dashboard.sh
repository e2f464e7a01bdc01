#!/usr/bin/env bash
# Install everything (first run only) and start the dashboard on the shipped models.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
exec .venv/bin/vae-explorer serve "$@"
