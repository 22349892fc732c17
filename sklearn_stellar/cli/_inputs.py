"""Input files of the commands: expansion, path lists and chunked reading."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np

FITS_SUFFIXES = (".fits", ".fits.gz", ".fit", ".fit.gz", ".fts")
LIST_SUFFIXES = (".txt", ".lst", ".list")


def expand_inputs(inputs) -> list[Path]:
    """Files, folders (their FITS files, recursively) and path-list files.

    A file ending in ``.txt``, ``.lst`` or ``.list`` lists one path per line
    (blank lines and ``#`` comments skipped; relative paths are relative to
    the list's folder). Any other file is an input spectrum file, whatever
    its content: an unreadable one gets its own row downstream.
    """
    paths = []
    for item in map(Path, inputs):
        if not item.exists():
            # A mistyped argument is a usage error, unlike a damaged file,
            # which is reported in its own row.
            raise FileNotFoundError(f"{item}: no such file or folder")
        if item.is_dir():
            paths += sorted(
                p
                for p in item.rglob("*")
                if p.name.lower().endswith(FITS_SUFFIXES) and not p.is_dir()
            )
        elif item.name.lower().endswith(LIST_SUFFIXES):
            paths += expand_inputs(_read_list(item))
        else:
            paths.append(item)
    return paths


def _read_list(path: Path) -> list[Path]:
    entries = []
    for line in path.read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            entry = Path(line)
            entries.append(entry if entry.is_absolute() else path.parent / entry)
    return entries


def chunks(items, size: int):
    """Consecutive slices of ``items`` of at most ``size`` elements."""
    for start in range(0, len(items), size):
        yield items[start : start + size]


def read_files(paths):
    """Spectra of each file, and one failure row per unreadable file.

    Returns ``(spectra, failed)``: ``spectra`` a list of ``(path, spectrum)``
    for every spectrum read (those without a usable pixel included, to be
    reported), ``failed`` a list of ``(path, reason)``.
    """
    from ..exceptions import EmptySpectrumWarning
    from ..io import LamostReadError, read_lamost_file

    spectra, failed = [], []
    # One file at a time: each file's failure is its own row.
    for path in paths:
        try:
            with warnings.catch_warnings():
                # Empty spectra are reported in their own rows instead.
                warnings.simplefilter("ignore", EmptySpectrumWarning)
                found = read_lamost_file(path)
        except LamostReadError as exc:
            failed.append((path, exc.problem))
            continue
        spectra += [(path, s) for s in found]
    return spectra, failed


def is_empty(spectrum) -> bool:
    """True when the spectrum has no usable pixel."""
    return bool(np.all(spectrum.mask))
