"""Vacuum/air wavelength conversion and survey wavelength grids."""

from __future__ import annotations

import numpy as np

from ..utils._validation import check_medium, check_real_array

__all__ = ["air_to_vacuum", "vacuum_to_air", "log_linear_grid", "to_medium"]

#: Below this a "wavelength in Angstrom" is evidently in micrometres (LAMOST
#: and MILES span 3500-9500 A; 0.35-0.95 in micrometres).
MIN_ANGSTROM = 100.0


def _check_angstrom(wavelength, name="wavelength"):
    """Finite, positive wavelengths that are plausibly in Angstrom."""
    wave = check_real_array(wavelength, name=name)
    flat = wave.reshape(-1)
    if flat.size and not flat.min() >= MIN_ANGSTROM:
        i = int(np.argmin(flat))
        where = f"index {i} holds" if wave.ndim else "got"
        if flat[i] <= 0:
            raise ValueError(
                f"`{name}` must be positive wavelengths in Angstrom; {where} "
                f"{float(flat[i])!r}."
            )
        raise ValueError(
            f"`{name}` must be in Angstrom (>= {MIN_ANGSTROM:g}); {where} "
            f"{float(flat[i])!r}, which looks like micrometres: multiply by 1e4."
        )
    return wave


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

    Raises
    ------
    ValueError
        If a wavelength is not finite, not positive, or below 100 (evidently
        micrometres, not Angstrom), naming its index.

    Examples
    --------
    >>> from sklearn_stellar.preprocessing import vacuum_to_air
    >>> round(float(vacuum_to_air(6564.61)), 2)
    6562.8
    """
    wave = _check_angstrom(wavelength)
    s2 = (1e4 / wave) ** 2
    n = 1.0 + 0.0000834254 + 0.02406147 / (130.0 - s2) + 0.00015998 / (38.9 - s2)
    return wave / n


def air_to_vacuum(wavelength):
    """Convert air wavelengths (Angstrom) to vacuum.

    Uses N. Piskunov's inversion of the Morton (2000) formula, accurate to
    ~1e-8 relative against :func:`vacuum_to_air` round trips. Same argument
    checks as :func:`vacuum_to_air`.

    Parameters
    ----------
    wavelength : array-like
        Air wavelengths in Angstrom.

    Returns
    -------
    ndarray
        Vacuum wavelengths in Angstrom.

    Raises
    ------
    ValueError
        If a wavelength is not finite, not positive, or below 100 (evidently
        micrometres, not Angstrom), naming its index.

    Examples
    --------
    >>> from sklearn_stellar.preprocessing import air_to_vacuum
    >>> round(float(air_to_vacuum(6562.8)), 2)
    6564.61
    """
    wave = _check_angstrom(wavelength)
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

    Parameters
    ----------
    wavelength : array-like
        Wavelengths in Angstrom, in medium ``source``.
    source : {"air", "vacuum"}
        Medium of ``wavelength``.
    target : {"air", "vacuum"}
        Medium wanted.

    Returns
    -------
    ndarray
        Wavelengths in Angstrom in medium ``target`` (a float copy when
        ``source == target``).

    Raises
    ------
    ValueError
        If ``source`` or ``target`` is not a medium, or a wavelength is invalid
        (see :func:`vacuum_to_air`).

    Examples
    --------
    >>> from sklearn_stellar.preprocessing import to_medium
    >>> to_medium([6000.0], "air", "air")
    array([6000.])
    """
    check_medium(source, name="source")
    check_medium(target, name="target")
    wave = _check_angstrom(wavelength)
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

    Returns
    -------
    ndarray
        Wavelengths in Angstrom, ``start * 10 ** (dlog * k)`` up to ``stop``.

    Examples
    --------
    >>> from sklearn_stellar.preprocessing import log_linear_grid
    >>> grid = log_linear_grid(4000.0, 4010.0)
    >>> grid[:2].round(3)
    array([4000.   , 4000.921])
    """
    start = float(_check_angstrom(start, "start"))
    stop = float(_check_angstrom(stop, "stop"))
    if not start < stop:
        raise ValueError(f"need `start` < `stop`, got start={start}, stop={stop}.")
    dlog = float(check_real_array(dlog, name="dlog"))
    if not dlog > 0:
        raise ValueError(f"`dlog` must be positive, got {dlog}.")
    n = int(np.floor((np.log10(stop) - np.log10(start)) / dlog + 1e-9)) + 1
    return 10.0 ** (np.log10(start) + dlog * np.arange(n))
