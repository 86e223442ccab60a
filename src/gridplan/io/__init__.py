"""Reading and writing files: kept apart from computation."""

from gridplan.io.atomic import atomic_path, staged_dir, write_bytes, write_text
from gridplan.io.files import read_layer
from gridplan.io.tables import write_csv

__all__ = ["atomic_path", "read_layer", "staged_dir", "write_bytes", "write_csv", "write_text"]
