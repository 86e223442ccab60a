"""Atomic file writes: a reader sees the old file or the new one, never half.

Every file gridplan writes goes through here: the content is written to a
temporary file in the destination folder, flushed, then renamed over the
target (``os.replace`` is atomic on POSIX and Windows within one volume).

>>> import tempfile, pathlib
>>> d = pathlib.Path(tempfile.mkdtemp())
>>> write_text(d / "a.txt", "hello")
>>> (d / "a.txt").read_text()
'hello'
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Collection, Iterator
from pathlib import Path

__all__ = ["atomic_path", "staged_dir", "write_bytes", "write_text"]


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike[str]) -> Iterator[Path]:
    """Yield a temporary path beside ``path``; on success rename it to ``path``.

    For writers that want a file name (GDAL, pandas). On error the temporary
    file is removed and ``path`` is left untouched.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{target.stem}.", suffix=target.suffix + ".tmp", dir=target.parent
    )
    os.close(fd)
    os.unlink(tmp)  # writers such as GDAL refuse to overwrite an existing file
    tmp_path = Path(tmp)
    try:
        yield tmp_path
        os.replace(tmp_path, target)
    finally:
        if tmp_path.exists():
            tmp_path.unlink()


def write_bytes(path: str | os.PathLike[str], data: bytes) -> None:
    """Write ``data`` to ``path`` atomically."""
    with atomic_path(path) as tmp, open(tmp, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def write_text(path: str | os.PathLike[str], text: str, encoding: str = "utf-8") -> None:
    """Write ``text`` to ``path`` atomically (UTF-8 by default, ``\\n`` newlines)."""
    write_bytes(path, text.encode(encoding))


@contextlib.contextmanager
def staged_dir(path: str | os.PathLike[str], replaces: Collection[str] = ()) -> Iterator[Path]:
    """Yield an empty staging folder; on success move its files into ``path``.

    Nothing in ``path`` changes unless the whole block succeeds, so a failed
    run never leaves an output folder half old, half new. Files named in
    ``replaces`` that this run did not produce are removed (outputs of an
    earlier, different run must not sit beside the new ones); other files in
    ``path`` are left alone. Each file is moved with an atomic rename.

    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "out"
    >>> with staged_dir(out) as stage:
    ...     _ = (stage / "a.txt").write_text("x")
    ...     _ = (stage / "b.txt").write_text("x")
    >>> with staged_dir(out, replaces={"a.txt", "b.txt"}) as stage:
    ...     _ = (stage / "a.txt").write_text("y")
    >>> sorted(p.name for p in out.iterdir())
    ['a.txt']
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    stage = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield stage
        target.mkdir(exist_ok=True)
        produced = set()
        for item in sorted(stage.rglob("*")):
            if item.is_file():
                rel = item.relative_to(stage)
                produced.add(rel.as_posix())
                dest = target / rel
                dest.parent.mkdir(parents=True, exist_ok=True)
                os.replace(item, dest)
        for name in sorted(set(replaces) - produced):
            (target / name).unlink(missing_ok=True)
    finally:
        shutil.rmtree(stage, ignore_errors=True)
