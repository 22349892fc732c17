"""The MILES stellar library as read by every data-set builder."""

from __future__ import annotations

from pathlib import Path

import numpy as np

__all__ = ["MILES_FWHM", "MILES_NPIX", "MILES_START", "MILES_STEP"]

# MILES v9.1: linear air-wavelength grid, constant 2.5 A FWHM resolution.
MILES_START, MILES_STEP, MILES_NPIX = 3540.5, 0.9, 4300
MILES_FWHM = 2.5


def miles_wavelength():
    """The MILES air-wavelength grid in Angstrom."""
    return MILES_START + MILES_STEP * np.arange(MILES_NPIX)


def read_miles_params(folder: Path):
    """MILES id, Teff (K), log g and [Fe/H] of every star (``MILES_params.db``).

    Unknown values are stored by MILES as 99999 (Teff) or large sentinels; the
    callers' selections exclude them.
    """
    path = Path(folder) / "MILES_params.db"
    try:
        table = np.loadtxt(path, comments="#", ndmin=2)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read MILES parameters from {path}: {exc}") from exc
    if table.shape[1] != 4:
        raise ValueError(
            f"{path}: expected 4 columns (MILES id, Teff, log g, [Fe/H]), got "
            f"{table.shape[1]}."
        )
    return table[:, 0].astype(int), table[:, 1], table[:, 2], table[:, 3]


def read_miles_spectra(folder: Path, ids):
    """Fluxes of the MILES stars ``ids`` on :func:`miles_wavelength`.

    Returns ``(flux, usable)``: ``usable`` is False for a star whose file is
    missing or whose flux is not finite and positive everywhere (its row is
    NaN). A file on another grid raises a ValueError naming it.
    """
    from astropy.io import fits

    flux = np.full((len(ids), MILES_NPIX), np.nan)
    # One FITS file per star: reading files is inherently a loop.
    for k, star in enumerate(ids):
        path = Path(folder) / f"MILES_res2.50_star_m{star:04d}V.fits"
        if not path.exists():
            continue
        with fits.open(path) as hdul:
            data = np.asarray(hdul[0].data, dtype=np.float64)
            head = hdul[0].header
        if (
            data.shape != (MILES_NPIX,)
            or abs(head["CRVAL1"] - MILES_START) > 1e-6
            or abs(head["CDELT1"] - MILES_STEP) > 1e-9
        ):
            raise ValueError(
                f"{path}: expected {MILES_NPIX} pixels from {MILES_START} A in steps "
                f"of {MILES_STEP} A, got shape {data.shape}, CRVAL1="
                f"{head['CRVAL1']}, CDELT1={head['CDELT1']}."
            )
        flux[k] = data
    usable = np.all(np.isfinite(flux), axis=1) & np.all(flux > 0, axis=1)
    return flux, usable


def _miles_table_column(folder: Path, start: int, stop: int, what: str) -> dict:
    """MILES id -> text of columns ``start:stop`` of ``paramsMILES_v9.1.txt``.

    The table is fixed-width, with the MILES number in columns 23-26.
    """
    path = Path(folder) / "paramsMILES_v9.1.txt"
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise ValueError(f"cannot read MILES {what} from {path}: {exc}") from exc
    column = {}
    for line in lines[3:]:
        number = line[23:27]
        if number.isdigit():
            column[int(number)] = line[start:stop].strip()
    if not column:
        raise ValueError(f"{path}: no MILES numbers in columns 23-26.")
    return column


def read_miles_spectral_types(folder: Path) -> dict:
    """MILES id -> spectral type string, from ``paramsMILES_v9.1.txt``.

    The spectral type (free text such as ``"B0.5 Iae"`` or ``"B8II-III"``) is
    in columns 36-50. Stars without a type get ``""``.
    """
    return _miles_table_column(folder, 36, 51, "spectral types")


def read_miles_names(folder: Path) -> dict:
    """MILES id -> star name (columns 0-21 of ``paramsMILES_v9.1.txt``).

    Names are as MILES writes them, e.g. ``"HD224930"`` or ``"BD+450983"``.
    """
    return _miles_table_column(folder, 0, 22, "star names")
