"""The user's own labelled spectra for ``train --spectra`` and ``evaluate``."""

from __future__ import annotations

from pathlib import Path

import numpy as np


def read_labels(path) -> dict:
    """``{key: label}`` from a table with a ``label`` column and ``file`` or
    ``obsid`` (a file name matches with or without its folder)."""
    from astropy.table import Table

    fmt = "ascii.csv" if str(path).lower().endswith(".csv") else None
    table = Table.read(path, format=fmt) if fmt else Table.read(path)
    key = "file" if "file" in table.colnames else "obsid"
    if key not in table.colnames or "label" not in table.colnames:
        raise ValueError(
            f"--labels {path}: needs columns 'label' and 'file' or 'obsid', got "
            f"{table.colnames}."
        )
    keys = [Path(str(v)).name if key == "file" else str(v) for v in table[key]]
    return {"key": key, "labels": dict(zip(keys, np.asarray(table["label"]).tolist(),
                                             strict=True))}  # fmt: skip


def labelled_spectra(inputs, labels_path, *, survey, arm):
    """``(X, y, wavelength)``: the labelled spectra the task's model reads.

    Spectra of another survey or arm, and files without a label, are left
    out; the grid is the common overlap of the spectra kept
    (:func:`~sklearn_stellar.io.default_grid`).
    """
    from ..io import spectra_to_array
    from ._inputs import expand_inputs, is_empty, read_files

    table = read_labels(labels_path)
    spectra, _ = read_files(expand_inputs(inputs))
    kept, y = [], []
    for path, s in spectra:
        meta = s.meta
        if meta.get("survey") != survey or (arm and meta.get("arm") != arm):
            continue
        key = Path(path).name if table["key"] == "file" else str(meta.get("obsid"))
        if key in table["labels"] and not is_empty(s):
            kept.append(s)
            y.append(table["labels"][key])
    if len(set(y)) < 2:
        raise ValueError(
            f"--spectra/--labels: need labelled {survey} spectra of two classes, "
            f"found {len(y)} spectra with labels {sorted(set(map(str, y)))}."
        )
    X, wavelength = spectra_to_array(kept)
    return X, np.asarray(y), wavelength
