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


def read_miles_spectral_types(folder: Path) -> dict:
    """MILES id -> spectral type string, from ``paramsMILES_v9.1.txt``.

    The table is fixed-width: the MILES number is in columns 23-26 and the
    spectral type (free text such as ``"B0.5 Iae"`` or ``"B8II-III"``) in
    columns 36-50. Stars without a type get ``""``.
    """
    path = Path(folder) / "paramsMILES_v9.1.txt"
    try:
        lines = path.read_text().splitlines()
    except OSError as exc:
        raise ValueError(
            f"cannot read MILES spectral types from {path}: {exc}"
        ) from exc
    types = {}
    for line in lines[3:]:
        number = line[23:27]
        if number.isdigit():
            types[int(number)] = line[36:51].strip()
    if not types:
        raise ValueError(f"{path}: no MILES numbers in columns 23-26.")
    return types
