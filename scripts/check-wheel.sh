#!/usr/bin/env bash
# Build the wheel, install it into a fresh venv in a temporary directory (dependencies from the
# hashed lock, the wheel with --no-deps), and run the README's first command from there, with no
# source tree around: the embedded spec must come from the wheel itself.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$PWD
python=${PYTHON:-python3}
# Fennel's development genesis (tests/test_chainspec_golden.py, GENESIS_HASHES)
expected=0x629e44454b757046582d3b23d223f38fcc07123f42d33f850effacb98d39ffdb

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
pip=(--quiet --disable-pip-version-check)
"$python" -m pip wheel "${pip[@]}" --no-deps -w "$work/dist" "$repo"
"$python" -m venv "$work/venv"
"$work/venv/bin/python" -m pip install "${pip[@]}" --require-hashes -r "$repo/requirements/runtime.txt"
"$work/venv/bin/python" -m pip install "${pip[@]}" --no-deps "$work"/dist/fennel_gov-*.whl

cd "$work"
fennel_gov="$work/venv/bin/fennel-gov"
installed=$("$work/venv/bin/python" -c 'import fennel_gov; print(fennel_gov.__file__)')
case "$installed" in
  "$work/venv/"*) ;;
  *) echo "check-wheel: fennel_gov was imported from $installed, not from the wheel" >&2; exit 1 ;;
esac
# PEP 561: users' type checkers read our annotations only if the marker is installed
test -f "$(dirname "$installed")/py.typed" || { echo "check-wheel: the wheel does not ship fennel_gov/py.typed" >&2; exit 1; }

"$fennel_gov" chainspec inspect | tee inspect.txt
grep -q "Genesis hash: *$expected\$" inspect.txt || { echo "check-wheel: the wheel's embedded spec does not give genesis $expected" >&2; exit 1; }

# The ceremony runbook's path on an air-gapped machine: a manifest, then a spec built from it on
# the srtool runtime carried in (here Fennel v102 from the test fixtures).
printf 'wheel check passphrase\n%.0s' 1 2 3 4 | "$fennel_gov" ceremony init --network wheel-check --validators 2 --bootnodes 1 \
  -o ceremony --passphrases-stdin --allow-network --json > /dev/null
"$fennel_gov" chainspec build --manifest ceremony/keys/wheel-check.json \
  --runtime "$repo/tests/fixtures/fennel-solonet/runtimes/fennel-v102.compact.compressed.wasm" -o plain.json
"$fennel_gov" chainspec raw plain.json -o raw.json
echo "check-wheel: the wheel installs with hashed dependencies and runs chainspec inspect and build --manifest"
