"""Writing tables atomically, and the progress bar."""

from __future__ import annotations

import os
import sys
from pathlib import Path

FORMATS = {".ecsv": "ascii.ecsv", ".fits": "fits", ".fit": "fits"}


def table_format(path) -> str:
    """The astropy format of a catalog path, from its extension."""
    suffix = Path(path).suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"output {path}: extension must be one of {sorted(FORMATS)}, got "
            f"{suffix or 'none'!r}."
        )
    return FORMATS[suffix]


def write_table(table, path) -> Path:
    """Write ``table`` under a temporary name in the same folder, then rename.

    An interrupted or failed write leaves no partial file at ``path`` (a
    previous file there is kept intact) and removes the temporary file.
    """
    path = Path(path)
    fmt = table_format(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        table.write(tmp, format=fmt, overwrite=True)
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class _NoBar:
    def update(self, n):
        pass

    def close(self):
        pass


def progress(total: int, unit: str, *, quiet: bool):
    """A tqdm bar on a terminal; nothing when quiet or not on a terminal."""
    if quiet or not sys.stderr.isatty():
        return _NoBar()
    from tqdm import tqdm

    return tqdm(total=total, unit=unit, file=sys.stderr)
