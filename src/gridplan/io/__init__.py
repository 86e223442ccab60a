"""Reading and writing files: kept apart from computation."""

from gridplan.io.atomic import atomic_path, staged_dir, write_bytes, write_text

__all__ = ["atomic_path", "staged_dir", "write_bytes", "write_text"]
