#!/usr/bin/env bash
# Set up everything and run the whole test suite: ruff, mypy and pytest.
# Needs Python 3.11+; installs what else the tests need when it is missing and
# the machine lets us: Debian's nodejs/npm (the GraphQL-over-HTTP audit, the
# graphql-sse client test and the Node.js example), chromium (browser tests)
# and postgresql (store tests).
set -euo pipefail
cd "$(dirname "$0")/.."

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
    "$PYTHON" -m venv .venv
fi
.venv/bin/python -m pip install --quiet --upgrade pip
.venv/bin/python -m pip install --quiet -e '.[test]'

if ! command -v npm >/dev/null 2>&1; then
    echo "test.sh: installing Debian's nodejs and npm for the client example and the HTTP audit" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq nodejs npm >/dev/null
fi
# The Node.js client example (tests/examples): `ws`, pinned by
# examples/javascript/package-lock.json, into its git-ignored node_modules.
npm ci --prefix examples/javascript --no-audit --no-fund --loglevel=error
# The graphql-http audit (tests/server/test_audit.py): the version pinned by
# tests/server/audit/package-lock.json, into its git-ignored node_modules.
npm ci --prefix tests/server/audit --no-audit --no-fund --loglevel=error
# The graphql-sse client (tests/server/test_sse.py): pinned by
# tests/server/sse/package-lock.json, into its git-ignored node_modules.
npm ci --prefix tests/server/sse --no-audit --no-fund --loglevel=error

if ! command -v chromium >/dev/null 2>&1; then
    echo "test.sh: installing Debian's chromium for the browser tests" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq chromium >/dev/null
fi

# The PostgreSQL store tests start their own throwaway cluster with initdb.
if ! compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
    echo "test.sh: installing Debian's postgresql for the store tests" >&2
    if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
    $SUDO apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq postgresql >/dev/null
fi

echo "== ruff check" && .venv/bin/ruff check .
echo "== ruff format --check" && .venv/bin/ruff format --check .
echo "== mypy" && .venv/bin/mypy
echo "== pytest"
set +e
.venv/bin/python -m pytest "$@"
status=$?
set -e
if [ "$status" = 5 ]; then
    echo "test.sh: pytest collected no tests; that is a failure" >&2
    exit 1
fi
exit "$status"
