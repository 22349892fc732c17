"""Validation helpers shared by every estimator that works on a wavelength grid."""

from __future__ import annotations

import numbers

import numpy as np

__all__ = ["check_wavelength", "check_window", "check_medium"]

MEDIA = ("vacuum", "air")


def check_wavelength(wavelength, n_features=None, *, name="wavelength"):
    """Validate a wavelength grid and return it as a float64 1-D array.

    Parameters
    ----------
    wavelength : array-like of shape (n_pixels,)
        Wavelengths in Angstrom, strictly increasing and finite.
    n_features : int, default=None
        When given, the grid must have exactly this many pixels (the number of
        columns of X).
    name : str, default="wavelength"
        Name of the argument, used in error messages.

    Returns
    -------
    wavelength : ndarray of shape (n_pixels,)

    Raises
    ------
    ValueError
        If the grid is missing, not 1-D, not finite, not strictly increasing
        (duplicated or unsorted values) or does not match ``n_features``.

    Examples
    --------
    >>> from sklearn_stellar.utils import check_wavelength
    >>> check_wavelength([4000.0, 4001.0, 4002.0], n_features=3)
    array([4000., 4001., 4002.])
    """
    if wavelength is None:
        raise ValueError(f"`{name}` is required: pass the wavelength grid in Angstrom.")
    grid = np.asarray(wavelength, dtype=np.float64)
    if grid.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, got an array of shape {grid.shape}.")
    if grid.size < 2:
        raise ValueError(f"`{name}` needs at least 2 pixels, got {grid.size}.")
    if not np.all(np.isfinite(grid)):
        raise ValueError(f"`{name}` contains NaN or inf values.")
    steps = np.diff(grid)
    if np.any(steps == 0):
        first = int(np.flatnonzero(steps == 0)[0])
        raise ValueError(
            f"`{name}` has duplicated values (e.g. {grid[first]!r} at index {first}); "
            "it must be strictly increasing."
        )
    if np.any(steps < 0):
        first = int(np.flatnonzero(steps < 0)[0])
        raise ValueError(
            f"`{name}` is not monotonically increasing (drops from {grid[first]!r} to "
            f"{grid[first + 1]!r} at index {first + 1}); sort it and X's columns."
        )
    if n_features is not None and grid.size != n_features:
        raise ValueError(
            f"`{name}` has {grid.size} pixels but X has {n_features} columns; "
            "they must match."
        )
    return grid


def check_window(window, *, name="window"):
    """Validate a wavelength interval ``(lo, hi)`` in Angstrom with ``lo < hi``.

    Examples
    --------
    >>> from sklearn_stellar.utils import check_window
    >>> check_window((6548, 6578))
    (6548.0, 6578.0)
    """
    try:
        lo, hi = (float(v) for v in window)
    except (TypeError, ValueError):
        raise ValueError(
            f"`{name}` must be a pair (lo, hi) of wavelengths in Angstrom, "
            f"got {window!r}."
        ) from None
    if not (np.isfinite(lo) and np.isfinite(hi)):
        raise ValueError(f"`{name}` must be finite, got {window!r}.")
    if lo >= hi:
        raise ValueError(f"`{name}` is reversed or empty: lo={lo} must be < hi={hi}.")
    return lo, hi


def check_medium(medium, *, name="medium"):
    """Validate a wavelength medium: ``"vacuum"`` or ``"air"``."""
    if not isinstance(medium, str) or medium not in MEDIA:
        raise ValueError(f"`{name}` must be one of {MEDIA}, got {medium!r}.")
    return medium


def check_positive(value, *, name):
    """Validate a strictly positive finite real number."""
    if (
        isinstance(value, bool)
        or not isinstance(value, numbers.Real)
        or not np.isfinite(value)
        or value <= 0
    ):
        raise ValueError(f"`{name}` must be a positive finite number, got {value!r}.")
    return float(value)
