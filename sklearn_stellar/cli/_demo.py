"""``sklearn-stellar demo``: read real LAMOST files, normalise them, report.

Until the end-to-end classifiers ship with fitted weights, the demo runs the
front half of both published workflows on the bundled real spectra: every LRS
file on the LAMOST LRS log-linear grid normalised with the Gaussian-smoothed
continuum (seed 000), every MRS arm and exposure with the sigma-clipped spline
pseudo-continuum (seed 004). It writes one table row per spectrum (and one per
file that could not be read) and a figure.
"""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import numpy as np
from astropy.table import Table, vstack

logger = logging.getLogger(__name__)

TABLE_NAME = "demo_spectra.ecsv"
FIGURE_NAME = "demo_normalization.png"


def add_parser(commands):
    parser = commands.add_parser(
        "demo",
        help="normalise the bundled real LAMOST spectra and write a table and a figure",
    )
    parser.add_argument(
        "inputs",
        nargs="*",
        help="FITS files or folders (default: lamost/ in the data home)",
    )
    parser.add_argument("--data-home", default=None, help="sklearn-stellar data home")
    parser.add_argument(
        "-o", "--output", default="out/demo", help="output folder (default: out/demo)"
    )
    parser.add_argument(
        "--sigma",
        type=float,
        default=350.0,
        help="Gaussian smoothing scale for LRS spectra in Angstrom (default: 350)",
    )
    parser.add_argument(
        "--no-figure", action="store_true", help="skip the figure (no matplotlib)"
    )
    parser.set_defaults(func=run)


def run(args):
    from ..datasets import get_data_home
    from ..io import read_lamost

    inputs = args.inputs or [get_data_home(args.data_home) / "lamost"]
    sources = _expand(inputs)
    spectra = read_lamost(sources, errors="report")
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)

    groups = _normalise_groups(spectra, sigma=args.sigma)
    table = _catalog(groups, spectra.files)
    table.write(output / TABLE_NAME, overwrite=True)
    if not args.no_figure:
        _figure(groups, output / FIGURE_NAME)
    _summary(table, output)
    return 0


def _expand(inputs):
    """Folders become their FITS files (recursively), so nested sets are read."""
    paths = []
    for item in map(Path, inputs):
        if not item.exists():
            # A mistyped argument is a usage error, unlike a damaged file, which
            # is reported in its own row.
            raise FileNotFoundError(f"{item}: no such file or folder")
        if item.is_dir():
            paths += sorted(
                p for p in item.rglob("*") if p.name.endswith((".fits", ".fits.gz"))
            )
        else:
            paths.append(item)
    return paths


def _group_key(spectrum):
    meta = spectrum.meta
    return "LRS" if meta["survey"] == "LRS" else f"MRS-{meta['arm']}"


def _normalise_groups(spectra, *, sigma):
    """Regrid each survey/arm group onto a common grid and normalise it."""
    from ..io import spectra_to_array
    from ..preprocessing import ContinuumNormalizer

    by_key = {}
    for spectrum in spectra:
        by_key.setdefault(_group_key(spectrum), []).append(spectrum)
    groups = {}
    for key, members in sorted(by_key.items()):
        X, grid = spectra_to_array(members)
        if key == "LRS":
            normalizer = ContinuumNormalizer(wavelength=grid, sigma=sigma)
        else:
            normalizer = ContinuumNormalizer(wavelength=grid, method="spline")
        normalized = normalizer.fit_transform(X)
        groups[key] = {
            "spectra": members,
            "X": X,
            "wavelength": grid,
            "normalized": normalized,
        }
        logger.info("%s: %d spectra on %d pixels", key, len(members), grid.size)
    return groups


def _catalog(groups, files):
    rows = []
    for key, group in groups.items():
        normalized = group["normalized"]
        valid = np.isfinite(normalized)
        for spectrum, row_valid, row in zip(
            group["spectra"], valid, normalized, strict=True
        ):
            meta = spectrum.meta
            snr = meta.get("snr") or {}
            rows.append(
                {
                    "filename": Path(meta["filename"]).name,
                    "status": "normalized" if row_valid.any() else "all-masked",
                    "reason": "",
                    "group": key,
                    "exposure": str(meta.get("exposure") or ""),
                    "obsid": str(meta.get("obsid") or ""),
                    "designation": str(meta.get("designation") or ""),
                    "ra": _float(meta.get("ra")),
                    "dec": _float(meta.get("dec")),
                    "class": str(meta.get("class") or ""),
                    "snr": _float(max(snr.values(), default=np.nan)),
                    "valid_fraction": float(row_valid.mean()),
                    "median_normalized_flux": _nanmedian(row),
                }
            )
    table = Table(rows=rows) if rows else Table()
    failed = files[files["status"] != "read"]
    if len(failed):
        lost = Table(
            {
                "filename": [Path(p).name for p in failed["path"]],
                "status": ["failed"] * len(failed),
                "reason": [str(r) for r in failed["reason"]],
            }
        )
        table = vstack([table, lost]) if len(table) else lost
    return table


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return np.nan


def _nanmedian(row):
    finite = row[np.isfinite(row)]
    return float(np.median(finite)) if finite.size else np.nan


def _figure(groups, path):
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(
        2, len(groups), figsize=(5 * len(groups), 6), squeeze=False
    )
    for column, (key, group) in enumerate(groups.items()):
        wave, raw, norm = group["wavelength"], group["X"], group["normalized"]
        shown = _best_snr(group["spectra"], norm, n=3)
        for i in shown:
            scale = np.nanmedian(raw[i])
            axes[0, column].plot(wave, raw[i] / scale, lw=0.5)
            axes[1, column].plot(wave, norm[i], lw=0.5)
        axes[0, column].set_title(f"{key} ({len(group['spectra'])} spectra)")
        axes[0, column].set_ylabel("flux / median")
        axes[1, column].set_ylabel("normalised flux")
        axes[1, column].set_xlabel("vacuum wavelength [Angstrom]")
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _best_snr(spectra, normalized, *, n):
    """Indices of the ``n`` highest-S/N spectra that have valid pixels."""
    snr = np.array(
        [max((s.meta.get("snr") or {}).values(), default=0) for s in spectra]
    )
    snr = np.where(np.isfinite(normalized).any(axis=1), np.nan_to_num(snr), -np.inf)
    return np.argsort(-snr, kind="stable")[:n]


def _summary(table, output):
    counts = {}
    for status in table["status"]:
        counts[status] = counts.get(status, 0) + 1
    parts = ", ".join(f"{n} {status}" for status, n in sorted(counts.items()))
    sys.stdout.write(f"{len(table)} rows ({parts}) -> {output / TABLE_NAME}\n")
