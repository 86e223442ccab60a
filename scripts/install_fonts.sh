#!/usr/bin/env bash
# Install a font with Chinese glyphs, if none is installed, so that the plots'
# Chinese path (lang="zh") is tested with a real font: Debian's
# fonts-wqy-microhei (1.6 MB; fonts-noto-cjk, 57 MB, works the same).
# Idempotent and quiet; only as root with apt-get. When it cannot install, it
# says so and exits 0: the tests that need the font then skip with a reason.
set -uo pipefail

have_cjk_font() { command -v fc-list >/dev/null 2>&1 && fc-list :lang=zh family | grep -q .; }

if have_cjk_font; then
    exit 0
fi
if [ "$(id -u)" = "0" ] && command -v apt-get >/dev/null 2>&1; then
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq fonts-wqy-microhei >/dev/null 2>&1; then
        if ! { apt-get update -qq >/dev/null && apt-get install -y -qq fonts-wqy-microhei >/dev/null; }; then
            echo "install_fonts: apt-get could not install fonts-wqy-microhei; CJK font tests will skip" >&2
        fi
    fi
else
    echo "install_fonts: no CJK font and this is not root; CJK font tests will skip" >&2
fi
exit 0
