"""Vacuum/air wavelength conversion and survey wavelength grids."""

from __future__ import annotations

import numpy as np

__all__ = ["air_to_vacuum", "vacuum_to_air", "log_linear_grid", "to_medium"]


def vacuum_to_air(wavelength):
    """Convert vacuum wavelengths (Angstrom) to air.

    Uses the IAU standard refractive index of Morton (2000), eq. 8, the formula
    also used by VALD and SDSS. LAMOST spectra are in vacuum; MILES and most
    line lists are in air.

    Parameters
    ----------
    wavelength : array-like
        Vacuum wavelengths in Angstrom (valid above ~2000 A).

    Returns
    -------
    ndarray
        Air wavelengths in Angstrom.

    Examples
    --------
    >>> from sklearn_stellar.preprocessing import vacuum_to_air
    >>> round(float(vacuum_to_air(6564.61)), 2)
    6562.8
    """
    wave = np.asarray(wavelength, dtype=np.float64)
    s2 = (1e4 / wave) ** 2
    n = 1.0 + 0.0000834254 + 0.02406147 / (130.0 - s2) + 0.00015998 / (38.9 - s2)
    return wave / n


def air_to_vacuum(wavelength):
    """Convert air wavelengths (Angstrom) to vacuum.

    Uses N. Piskunov's inversion of the Morton (2000) formula, accurate to
    ~1e-8 relative against :func:`vacuum_to_air` round trips.

    Examples
    --------
    >>> from sklearn_stellar.preprocessing import air_to_vacuum
    >>> round(float(air_to_vacuum(6562.8)), 2)
    6564.61
    """
    wave = np.asarray(wavelength, dtype=np.float64)
    s2 = (1e4 / wave) ** 2
    n = (
        1.0
        + 0.00008336624212083
        + 0.02408926869968 / (130.1065924522 - s2)
        + 0.0001599740894897 / (38.92568793293 - s2)
    )
    return wave * n


def to_medium(wavelength, source, target):
    """Convert wavelengths from medium ``source`` to ``target`` ("air"/"vacuum").

    Examples
    --------
    >>> from sklearn_stellar.preprocessing import to_medium
    >>> to_medium([6000.0], "air", "air")
    array([6000.])
    """
    from ..utils import check_medium

    check_medium(source, name="source")
    check_medium(target, name="target")
    wave = np.asarray(wavelength, dtype=np.float64)
    if source == target:
        return wave.copy()
    return air_to_vacuum(wave) if target == "vacuum" else vacuum_to_air(wave)


def log_linear_grid(start, stop, dlog=1e-4):
    """Wavelength grid uniform in log10(lambda), as LAMOST LRS (1e-4 dex) uses.

    Parameters
    ----------
    start, stop : float
        First wavelength and upper bound in Angstrom (``stop`` included when it
        falls on the grid).
    dlog : float, default=1e-4
        Step in log10(Angstrom).

    Examples
    --------
    >>> from sklearn_stellar.preprocessing import log_linear_grid
    >>> grid = log_linear_grid(4000.0, 4010.0)
    >>> grid[:2].round(3)
    array([4000.   , 4000.921])
    """
    if not (0 < start < stop):
        raise ValueError(f"need 0 < start < stop, got start={start}, stop={stop}.")
    if not dlog > 0:
        raise ValueError(f"`dlog` must be positive, got {dlog}.")
    n = int(np.floor((np.log10(stop) - np.log10(start)) / dlog + 1e-9)) + 1
    return 10.0 ** (np.log10(start) + dlog * np.arange(n))
