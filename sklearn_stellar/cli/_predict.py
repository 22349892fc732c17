"""``sklearn-stellar predict``: a fitted model over files, one catalog out.

Files are read and classified in chunks of ``--chunk-size`` files, so memory
holds one chunk of spectra at a time (plus the catalog's rows). Every input
spectrum and every unreadable file leaves exactly one row.
"""

from __future__ import annotations

import logging
import sys
import warnings

import numpy as np

from ..io import METADATA_COLUMNS, metadata_row
from ..io._metadata import _set_units
from ._inputs import chunks, expand_inputs, is_empty, read_files
from ._model import domain_problem
from ._output import progress, write_table

logger = logging.getLogger(__name__)

COLUMNS = ("file", *METADATA_COLUMNS) + (
    "status",
    "filter",
    "value",
    "cut",
    "reason",
    "probability",
    "label",
)
NO_PIXEL = "no usable pixel (flux NaN or masked everywhere)"


def add_parser(commands):
    parser = commands.add_parser(
        "predict",
        help="classify LAMOST files with a model file; write a catalog",
        description="Classify every spectrum of INPUT (files, folders, or .txt "
        "lists of paths) and write one catalog row per spectrum and per "
        "unreadable file.",
    )
    parser.add_argument("model", help="model file from `sklearn-stellar train`")
    parser.add_argument("inputs", nargs="+", help="FITS files, folders or lists")
    parser.add_argument(
        "-o", "--output", required=True, help="catalog file (.ecsv or .fits)"
    )
    parser.add_argument(
        "--stars",
        help="also write the per-star table here (a star's highest probability; "
        "spectra grouped into stars by position, see --star-key)",
    )
    parser.add_argument(
        "--star-key",
        choices=("position", "designation"),
        default="position",
        help="group spectra into stars by sky position (friends-of-friends "
        "within --star-radius; default) or by LAMOST designation, which can "
        "change between epochs of one star",
    )
    parser.add_argument(
        "--star-radius",
        type=float,
        default=3.0,
        help="linking length of --star-key position, arcsec (default: 3)",
    )
    parser.add_argument(
        "--chunk-size", type=int, default=64, help="files per chunk (default: 64)"
    )
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(func=run)


def run(args):
    from ._model import load

    if args.chunk_size < 1:
        raise ValueError(f"--chunk-size must be >= 1, got {args.chunk_size}.")
    if not args.star_radius > 0:  # before the work, not after it
        raise ValueError(
            f"--star-radius must be a positive angle in arcsec, got {args.star_radius}."
        )
    info = load(args.model)
    paths = expand_inputs(args.inputs)
    table = predict_files(info, paths, chunk_size=args.chunk_size, quiet=args.quiet)
    write_table(table, args.output)
    if args.stars:
        from ..catalog import star_table

        stars = star_table(table, star_key=args.star_key, radius=args.star_radius)
        write_table(stars, args.stars)
    sys.stdout.write(summary(table) + f" -> {args.output}\n")
    return 0


def predict_files(info, paths, *, chunk_size=64, quiet=True):
    """The catalog of ``paths`` as an astropy Table (see :data:`COLUMNS`)."""
    from astropy.table import Table

    rows = []
    bar = progress(len(paths), "files", quiet=quiet)
    for chunk in chunks(paths, chunk_size):
        rows += _chunk_rows(info, chunk)
        bar.update(len(chunk))
    bar.close()
    table = Table(rows=[[r[c] for c in COLUMNS] for r in rows] or None, names=COLUMNS)
    if not rows:
        return table
    _set_units(table)
    table.meta["TASK"] = info.task
    return table


def _chunk_rows(info, paths):
    """Rows of one chunk of files, in file order (a file's spectra in order)."""
    spectra, failed = read_files(paths)
    order = {str(path): i for i, path in enumerate(paths)}
    rows = [_row(path, None, "unreadable", reason) for path, reason in failed]
    keep, slots = [], []
    for path, spectrum in spectra:
        problem = domain_problem(info, spectrum)
        if is_empty(spectrum):
            rows.append(_row(path, spectrum, "unreadable", NO_PIXEL))
        elif problem:
            rows.append(_row(path, spectrum, "out_of_domain", problem))
        else:
            keep.append((path, spectrum))
            slots.append(len(rows))
            rows.append(None)
    for slot, row in zip(slots, _classify(info, keep) if keep else [], strict=True):
        rows[slot] = row
    logger.info("%d files: %d spectra classified", len(paths), len(keep))
    # Failed files were listed first: a stable sort puts them in file order.
    return sorted(rows, key=lambda row: order[row["file"]])


def _classify(info, items):
    from ..filters import FilterRejectionWarning
    from ..io import spectra_to_array

    spectra = [s for _, s in items]
    X, _ = spectra_to_array(spectra, wavelength=info.wavelength, medium=info.medium)
    model = info.model
    with warnings.catch_warnings():
        # The filter report below records every rejection, row by row.
        warnings.simplefilter("ignore", FilterRejectionWarning)
        proba = model.predict_proba(X)[:, 1]
        report = model.filter_report(X) if hasattr(model, "filter_report") else None
    positive, negative = (str(c) for c in model.classes_[::-1][:2])
    rows = []
    for i, (path, spectrum) in enumerate(items):
        status = str(report.status[i]) if report is not None else "ok"
        row = _row(path, spectrum, status, "")
        if report is not None and status != "ok":
            row.update(
                filter=str(report.filter[i]),
                value=float(report.value[i]),
                cut=str(report.cut[i]),
                reason=str(report.reason[i]),
            )
        # A rejected row's probability is the model's answer (the negative
        # class, probability 0); an out-of-domain row not classified has none.
        if status != "out_of_domain" or report.classified[i]:
            row["probability"] = float(proba[i])
            label = positive if proba[i] > 0.5 else negative
            row["label"] = info.labels.get(label, label)
        rows.append(row)
    return rows


def _row(path, spectrum, status, reason):
    return {
        "file": str(path),
        **metadata_row(spectrum.meta if spectrum is not None else None),
        "status": status,
        "filter": "",
        "value": np.nan,
        "cut": "",
        "reason": reason,
        "probability": np.nan,
        "label": "",
    }


def summary(table) -> str:
    """One line: rows per status and how many got the positive label."""
    if not len(table):
        return "0 rows"
    status, counts = np.unique(np.asarray(table["status"]), return_counts=True)
    parts = ", ".join(f"{n} {s}" for s, n in zip(status, counts, strict=True))
    return f"{len(table)} rows ({parts})"
