"""gridplan._progress: the command line's bar shows on a terminal that reports no size."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import time
from pathlib import Path

import pytest

CODE = """
import sys
from gridplan.cli import _Progress
p = _Progress(2, quiet=False)
p("validating units")
p("writing outputs")
p.close()
"""


@pytest.mark.skipif(not hasattr(pty, "openpty"), reason="needs a pseudo-terminal")
def test_bar_draws_on_a_terminal_without_size(tmp_path: Path) -> None:
    master, slave = pty.openpty()  # a fresh pty reports 0 columns
    assert os.get_terminal_size(slave).columns == 0
    env = {k: v for k, v in os.environ.items() if k != "COLUMNS"}
    proc = subprocess.Popen(
        [sys.executable, "-c", CODE],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=slave,
        env=env,
    )
    os.close(slave)
    out = b""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            chunk = os.read(master, 4096)
        except OSError:  # the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    os.close(master)
    assert proc.wait(timeout=60) == 0
    text = out.decode("utf-8", "replace")
    assert "validating units" in text and "writing outputs" in text
    assert "█" in text  # the bar itself, not only the description


def test_quiet_or_no_terminal_draws_nothing() -> None:
    r = subprocess.run([sys.executable, "-c", CODE], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and r.stderr == ""
