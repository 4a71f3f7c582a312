#!/usr/bin/env bash
# Set up fennel-gov from nothing: a virtualenv in .venv with the package and its test tools.
# With --chain, also install the pinned npm packages (chopsticks) the integration tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
.venv/bin/python -m pip install --quiet --disable-pip-version-check --upgrade pip
.venv/bin/python -m pip install --quiet --disable-pip-version-check -e '.[test]'
if [ "${1:-}" = "--chain" ]; then
  # --ignore-scripts: chopsticks runs without building its optional sqlite3 binding (minutes of g++)
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
