#!/usr/bin/env bash
# Install what tests/test_browser.py needs, if it is missing:
#   - Debian's chromium (apt-get, only when running as root), and
#   - the playwright Python package in the project's venv.
# Idempotent and quiet. It never downloads a browser build (no `playwright
# install`): the tests drive /usr/bin/chromium. When something cannot be
# installed it says so and exits 0; the browser tests then skip with a reason.
set -uo pipefail
cd "$(dirname "$0")/.."
PY="${PYTHON_BIN:-.venv/bin/python}"

have_chromium() { [ -x /usr/bin/chromium ] || command -v chromium >/dev/null 2>&1; }

if ! have_chromium; then
    if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
        export DEBIAN_FRONTEND=noninteractive
        if ! { apt-get update -qq >/dev/null && apt-get install -y -qq chromium >/dev/null; }; then
            echo "install_browser: apt-get could not install chromium; browser tests will skip" >&2
        fi
    else
        echo "install_browser: chromium is missing and this is not root; browser tests will skip" >&2
    fi
fi

if [ -x "$PY" ]; then
    if ! "$PY" -c "import playwright.sync_api" >/dev/null 2>&1; then
        "$PY" -m pip install --quiet playwright ||
            echo "install_browser: could not install playwright; browser tests will skip" >&2
    fi
else
    echo "install_browser: no Python at $PY; create the venv first" >&2
fi
exit 0
