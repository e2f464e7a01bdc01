#!/usr/bin/env bash
# Install everything (first run only) and run the whole test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
export VAE_REQUIRE_DATA=${VAE_REQUIRE_DATA:-1}
.venv/bin/python -m ruff check .
.venv/bin/python -m ruff format --check .
.venv/bin/python -m mypy  # vae/ and ui/, configured in pyproject.toml; cached in .mypy_cache/
# The front end (frontend/): types (tsc on JSDoc), lint and format (biome), and node --test of the pure
# modules on fixtures the Python side writes (tests/js_fixtures.py, into the git-ignored frontend/test/fixtures/).
if [ -x frontend/node_modules/.bin/tsc ]; then
  (cd frontend && node_modules/.bin/tsc --noEmit -p . && node_modules/.bin/biome check)
  .venv/bin/python -m tests.js_fixtures
  node --test frontend/test/
else
  echo "warning: frontend/node_modules missing (no npm at set-up): the front end's checks are skipped" >&2
fi
# Two workers (pytest-xdist), one test file at a time each: a file's module-scoped server and browser stay
# in one worker. TEST_WORKERS=0 runs in this process (as `pytest -n 0`).
exec .venv/bin/python -m pytest -q -n "${TEST_WORKERS:-2}" --dist loadfile "$@"
