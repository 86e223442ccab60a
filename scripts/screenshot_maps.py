"""Screenshot saved maps and reports in headless Debian Chromium (for docs/img).

    .venv/bin/gridplan demo --out out && .venv/bin/gridplan demo --lang zh --out out-zh
    .venv/bin/python scripts/screenshot_maps.py out/map.html docs/img/map.png \\
        out/allocation_map.html docs/img/allocation_map.png ...

Pairs of (page, png). Needs the playwright package and /usr/bin/chromium
(scripts/install_browser.sh); never downloads a browser. The view is the
page as it opens (1100 × 800 px), after the label pass has run; the PNG is
reduced to 128 colours (Pillow) to stay small in the repository.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run"]


def _shrink(path: str) -> None:
    from PIL import Image

    with Image.open(path) as img:
        small = img.convert("RGB").quantize(colors=128, dither=Image.Dither.NONE)
    small.save(path, optimize=True)


def main(argv: list[str]) -> int:
    from playwright.sync_api import sync_playwright

    if len(argv) % 2 or not argv:
        print(__doc__, file=sys.stderr)
        return 2
    exe = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=exe, args=FLAGS)
        page = browser.new_page(viewport={"width": 1100, "height": 800})
        for src, dst in zip(argv[::2], argv[1::2], strict=True):
            page.goto(Path(src).resolve().as_uri())
            page.wait_for_timeout(800)
            page.screenshot(path=dst, type="png", full_page=src.endswith("report.html"))
            _shrink(dst)
            print(f"{src} -> {dst} ({Path(dst).stat().st_size // 1024} KB)")
        browser.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
