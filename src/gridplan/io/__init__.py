"""Reading and writing files: kept apart from computation."""

from gridplan.io.atomic import atomic_path, write_bytes, write_text

__all__ = ["atomic_path", "write_bytes", "write_text"]
