#!/usr/bin/env bash
# Set up fennel-gov from nothing: a virtualenv in .venv with the package and its test tools.
# Dependencies come from the hashed lock (requirements/test.txt, the versions CI tests), then the
# project itself with --no-deps, so nothing unpinned or unhashed is installed.
# With --chain, also install the pinned npm packages (chopsticks) the integration tests use.
set -euo pipefail
cd "$(dirname "$0")/.."
python3 -m venv .venv
pip=(.venv/bin/python -m pip --quiet --disable-pip-version-check)
"${pip[@]}" install --upgrade pip
"${pip[@]}" install --require-hashes -r requirements/test.txt
"${pip[@]}" install --no-deps -e .
if [ "${1:-}" = "--chain" ]; then
  # --ignore-scripts: chopsticks runs without building its optional sqlite3 binding (minutes of g++)
  npm ci --ignore-scripts --no-audit --no-fund --loglevel=error
fi
