#!/usr/bin/env bash
# Fuzzes the doors' OpenAPI contracts (tests/schemathesis/doors.json) with schemathesis against the
# real server on a free loopback port, with a throw-away SQLite database and a fake WeChat. Exits
# non-zero on any failure of any check. Usage: tests/schemathesis/run.sh [DOOR ...]
# SCHEMATHESIS_SEED and SCHEMATHESIS_MAX_EXAMPLES change the run; junit reports go to
# target/schemathesis/.
set -euo pipefail
cd "$(dirname "$0")/../.."

SCHEMATHESIS_VERSION=4.32.5
venv=target/schemathesis-venv
if ! "$venv/bin/schemathesis" --version 2>/dev/null | grep -qx "schemathesis, version $SCHEMATHESIS_VERSION"; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis==$SCHEMATHESIS_VERSION"
fi

cargo=(cargo)
[ -e /tmp/cargo.lock ] && cargo=(flock /tmp/cargo.lock cargo)
"${cargo[@]}" build --quiet --bin babyvax

exec "$venv/bin/python" tests/schemathesis/fuzz_doors.py \
    target/debug/babyvax "$venv/bin/schemathesis" target/schemathesis "$@"
