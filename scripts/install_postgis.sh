#!/usr/bin/env bash
# Install what tests/test_batch_postgis.py needs, if it is missing:
#   - Debian's PostgreSQL server and PostGIS (apt-get, only when running as root), and
#   - psycopg (the PostgreSQL driver) in the project's venv (the `postgis` extra).
# Idempotent and quiet. The tests start their own throw-away server on a unix
# socket in a temporary folder and stop it afterwards. When something cannot be
# installed it says so and exits 0; the PostGIS tests then skip with a reason.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON_BIN:-.venv/bin/python}"

have_postgis() {
    ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 &&
        ls /usr/share/postgresql/*/extension/postgis.control >/dev/null 2>&1
}

if ! have_postgis; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update -qq >/dev/null &&
            apt-get install -y -qq --no-install-recommends postgresql postgresql-postgis >/dev/null; }; then
            echo "install_postgis: apt-get could not install postgresql/postgis; PostGIS tests will skip" >&2
        fi
    else
        echo "install_postgis: PostgreSQL/PostGIS are missing and this is not root; PostGIS tests will skip" >&2
    fi
fi

if [ -x "$PY" ]; then
    if ! "$PY" -c "import psycopg" >/dev/null 2>&1; then
        "$PY" -m pip install --quiet 'psycopg[binary]>=3.1' ||
            echo "install_postgis: could not install psycopg; PostGIS tests will skip" >&2
    fi
else
    echo "install_postgis: no Python at $PY; create the venv first" >&2
fi
exit 0
