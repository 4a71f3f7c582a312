#!/usr/bin/env bash
# Regenerate the hashed lock files from pyproject.toml (pip-tools), for Linux x86_64 CPython 3.11,
# the platform CI tests. Existing pins are kept unless you pass --upgrade (or --upgrade-package NAME).
#   requirements/runtime.txt  what `fennel-gov` needs (the air-gapped machine installs this)
#   requirements/test.txt     that plus the test tools (CI and scripts/setup.sh install this)
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/pip" install --quiet --disable-pip-version-check 'pip-tools>=7.4,<8'
# The machine's own pip configuration (local wheel folders, constraints) is ignored: the lock must
# name the registry's files, whose hashes any machine can check.
export PIP_CONFIG_FILE=/dev/null
compile=("$tools/bin/pip-compile" --quiet --generate-hashes --strip-extras --no-emit-index-url --no-emit-find-links "$@")
"${compile[@]}" -o requirements/runtime.txt pyproject.toml
"${compile[@]}" --extra test -o requirements/test.txt pyproject.toml
