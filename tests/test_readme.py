"""The README's promises: its Python example runs, and it opens with the two commands."""

from __future__ import annotations

import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    first_block = re.search(r"```sh\n(.*?)```", text, re.S)
    assert first_block and text.index("```sh") < text.index("\n## ")
    commands = [line.split("#")[0].strip() for line in first_block.group(1).splitlines()]
    assert [c for c in commands if c] == ["make demo", "make test"]


def test_readme_python_example_runs(tmp_path, monkeypatch):
    code = re.search(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S).group(1)
    monkeypatch.chdir(tmp_path)
    (tmp_path / "out").mkdir()
    namespace: dict = {}
    exec(compile(code, str(README), "exec"), namespace)  # our own README
    plan, alloc = namespace["plan"], namespace["alloc"]
    assert plan.metrics["n_outside_tolerance"] == 0 and plan.metrics["contiguous"]
    assert alloc.cost["total"] <= 9_000_000
    assert (tmp_path / "out" / "allocation.html").stat().st_size > 100_000


def test_readme_lists_every_public_name():
    import gridplan

    text = README.read_text(encoding="utf-8")
    section = text[text.index("## Public API") : text.index("## Layout")]
    for name in gridplan.__all__:
        if name != "__version__" and not name.endswith("Error"):
            assert f"`{name}" in section, f"README Public API misses {name}"
