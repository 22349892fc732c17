"""Spectra plus photometry in one X: flux columns, then photometry columns."""

from __future__ import annotations

import operator

import numpy as np

from ..utils._validation import check_named_array

__all__ = ["stack_photometry", "split_photometry", "check_bands"]


def check_bands(bands, *, name="photometry"):
    """Validate a sequence of distinct band names and return it as a tuple."""
    if bands is None:
        return ()
    if isinstance(bands, str):
        raise TypeError(
            f"`{name}` must be a sequence of band names such as ('J', 'H', 'Ks'), "
            f"got the string {bands!r}."
        )
    bands = tuple(bands)
    if not all(isinstance(b, str) and b for b in bands):
        raise TypeError(f"`{name}` must hold non-empty strings, got {bands!r}.")
    if len(set(bands)) != len(bands):
        raise ValueError(f"`{name}` has duplicated band names: {bands!r}.")
    return bands


def stack_photometry(flux, photometry) -> np.ndarray:
    """Build the combined ``X = [flux | photometry]`` used by the filters.

    Parameters
    ----------
    flux : array-like of shape (n_spectra, n_pixels)
        Spectra on a common wavelength grid.
    photometry : array-like of shape (n_spectra, n_bands)
        Magnitudes, one column per band in the order given to
        ``FilteredClassifier(photometry=...)`` (e.g. 2MASS J, H, Ks). NaN marks a
        missing magnitude.

    Returns
    -------
    X : ndarray of shape (n_spectra, n_pixels + n_bands)
        The fluxes followed by the photometry columns.

    Raises
    ------
    ValueError
        If the numbers of rows differ.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.filters import split_photometry, stack_photometry
    >>> X = stack_photometry(np.ones((2, 4)), [[9.1, 8.9, 8.8], [10.2, 10.0, 9.9]])
    >>> X.shape
    (2, 7)
    >>> flux, phot = split_photometry(X, n_bands=3)
    >>> phot[1].tolist()
    [10.2, 10.0, 9.9]
    """
    flux = check_named_array(
        flux, name="flux", dtype=np.float64, ensure_all_finite="allow-nan"
    )
    phot = check_named_array(
        photometry,
        name="photometry",
        dtype=np.float64,
        ensure_all_finite="allow-nan",
        ensure_2d=False,
    )
    if phot.ndim == 1:
        phot = phot[:, None]
    if phot.ndim != 2 or phot.shape[0] != flux.shape[0]:
        raise ValueError(
            f"`photometry` must have one row per spectrum: flux has {flux.shape[0]} "
            f"rows, photometry has shape {phot.shape}."
        )
    return np.hstack([flux, phot])


def split_photometry(X, n_bands: int):
    """Split a combined ``X`` into its flux and its last ``n_bands`` columns.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_pixels + n_bands)
        Flux columns followed by photometry columns (magnitudes), as built by
        :func:`stack_photometry`; NaN allowed.
    n_bands : int
        Number of trailing photometry columns.

    Returns
    -------
    flux : ndarray of shape (n_spectra, n_pixels)
        The first ``n_pixels`` columns.
    photometry : ndarray of shape (n_spectra, n_bands)
        The last ``n_bands`` columns.

    Raises
    ------
    ValueError
        If X has no flux column left.
    TypeError
        If ``n_bands`` is not an integer.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.filters import split_photometry
    >>> X = np.array([[1.0, 0.9, 1.1, 10.2, 9.8, 9.7]])
    >>> flux, photometry = split_photometry(X, n_bands=3)
    >>> flux.shape, photometry.tolist()
    ((1, 3), [[10.2, 9.8, 9.7]])
    """
    X = check_named_array(X, name="X", dtype=np.float64, ensure_all_finite="allow-nan")
    try:
        n_bands = operator.index(n_bands)
    except TypeError:
        raise TypeError(f"`n_bands` must be an integer, got {n_bands!r}.") from None
    if n_bands < 0 or X.shape[1] <= n_bands:
        raise ValueError(
            f"X has {X.shape[1]} columns, which cannot hold {n_bands} photometry "
            "columns after at least one flux column; build X with "
            "stack_photometry(flux, photometry)."
        )
    return X[:, : X.shape[1] - n_bands], X[:, X.shape[1] - n_bands :]
