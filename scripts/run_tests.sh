#!/usr/bin/env bash
# Install everything (first run only) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export VAE_REQUIRE_DATA=${VAE_REQUIRE_DATA:-1}
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
exec .venv/bin/python -m pytest -q "$@"
