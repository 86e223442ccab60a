"""Regenerate the synthetic sample data set (not a real place; costs illustrative).

Usage::

    python sample_data/generate.py            # writes next to this script
    python sample_data/generate.py --out DIR  # writes into DIR

Output is byte-for-byte deterministic: the same seed and code give the same
files, so ``git diff`` after regenerating shows only real changes.
"""

from __future__ import annotations

import argparse
from pathlib import Path

from gridplan.datasets import (
    LAYERS,
    REGISTER_FILES,
    SAMPLE_SEED,
    make_county_town,
    register_csv,
    to_geojson,
)
from gridplan.io.atomic import write_text


def main(argv: list[str] | None = None) -> list[Path]:
    """Write one GeoJSON file per layer and the household register; return their paths."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path(__file__).resolve().parent)
    parser.add_argument("--seed", type=int, default=SAMPLE_SEED)
    args = parser.parse_args(argv)
    layers = make_county_town(args.seed)
    paths = []
    for name in LAYERS:
        path = args.out / f"{name}.geojson"
        write_text(path, to_geojson(layers[name], name))  # atomic: temp file then rename
        paths.append(path)
    text = register_csv(args.seed)
    for name, encoding in REGISTER_FILES.items():  # the same table, UTF-8 and GBK
        write_text(args.out / name, text, encoding=encoding)
        paths.append(args.out / name)
    return paths


if __name__ == "__main__":
    for p in main():
        print(p)
