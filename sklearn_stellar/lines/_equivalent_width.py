"""Equivalent widths of spectral lines, vectorised over a batch of spectra."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils import check_ivar, check_medium, check_wavelength
from ..utils._validation import (
    check_named_array,
    check_real_array,
    grid_or_pixel_index,
    validate_named_data,
)
from ._common import fill_missing, window_in_medium, window_weights

__all__ = ["equivalent_width", "EWTransformer"]

#: Default windows (air, Angstrom): H-alpha (Cohen et al. 1998) and the Mg I b
#: triplet bandpass (Worthey et al. 1994), as used by Wang et al. (2022), section 3.
HALPHA_WINDOW = (6548.0, 6578.0)
MGB_WINDOW = (5160.0, 5193.0)


def _check_flux(X, name="X"):
    # Only the window's pixels are checked for inf below: scanning the whole
    # array would cost more than the measurement itself.
    return check_named_array(
        X, name=name, dtype=np.float64, ensure_all_finite=False, order="C"
    )


def _window_block(arr, start, stop, shape, name):
    """Slice a scalar, per-pixel or per-row-and-pixel array to the window."""
    arr = check_real_array(arr, name=name, allow_nan=True)
    if arr.ndim == 0:
        return np.full((1, stop - start), float(arr))
    if arr.shape == shape[1:]:
        return arr[None, start:stop]
    if arr.shape == shape:
        return arr[:, start:stop]
    raise ValueError(
        f"`{name}` must be a scalar or an array of shape (n_pixels,) = "
        f"{shape[1:]} or (n_spectra, n_pixels) = {shape}, got shape {arr.shape}."
    )


def equivalent_width(
    X,
    wavelength,
    window,
    continuum=1.0,
    *,
    medium: str = "vacuum",
    ivar=None,
):
    """Equivalent width (Angstrom) of every spectrum over a wavelength window.

    ``EW = integral over window of (1 - F / F_c) d lambda``: positive for an
    absorption line, negative for emission (the specutils convention). Each
    pixel is a bin reaching halfway to its neighbours and holding a constant
    flux; a bin cut by a window edge counts with the exact overlapping length,
    so EWs over adjacent windows add up exactly.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_pixels)
        Flux of each spectrum on ``wavelength``.
    wavelength : array-like of shape (n_pixels,)
        Strictly increasing wavelength grid in Angstrom, in ``medium``.
    window : tuple of (float, float)
        ``(lo, hi)`` in Angstrom **in air**; converted to vacuum when
        ``medium="vacuum"``. It must lie inside the grid and not across a gap
        of it (e.g. between the blue and red arms of LAMOST MRS).
    continuum : float or array-like, default=1.0
        Continuum flux ``F_c``: a scalar (``1.0`` for normalised spectra), one
        value per pixel ``(n_pixels,)`` or per spectrum and pixel
        ``(n_spectra, n_pixels)``. Must be finite and positive in the window.
    medium : {"vacuum", "air"}, default="vacuum"
        Medium of ``wavelength`` (LAMOST: vacuum; MILES: air).
    ivar : array-like of shape (n_spectra, n_pixels), default=None
        Inverse variance of ``X``. When given, the 1-sigma uncertainty of each
        EW is returned as well. Pixels with ``ivar == 0`` are treated as
        missing; negative or non-finite values raise (see
        :func:`~sklearn_stellar.utils.check_ivar`).

    Returns
    -------
    ew : ndarray of shape (n_spectra,)
        Equivalent widths in Angstrom.
    ew_err : ndarray of shape (n_spectra,)
        Only when ``ivar`` is given: ``sqrt(sum((w_i / F_c,i)^2 / ivar_i))``
        over the measured pixels (``w_i`` the pixel's overlap with the window).
        Interpolated pixels add nothing, so with missing pixels it is a lower
        bound.

    Warns
    -----
    RuntimeWarning
        When some spectra have no finite pixel in the window; their EW is NaN.
    EmptySpectrumWarning
        When some rows of ``ivar`` have no positive value at all.

    Notes
    -----
    Missing pixels (NaN flux, or ``ivar == 0``) among those overlapping the
    window are filled by linear interpolation in wavelength between the nearest
    finite pixels of the same spectrum inside the window; beyond the first or
    last finite pixel the nearest finite value is carried.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.lines import equivalent_width
    >>> wave = np.arange(6500.0, 6600.0, 0.5)
    >>> flux = np.ones((2, wave.size))
    >>> flux[1, (wave >= 6560) & (wave < 6566)] = 0.5  # 6 A wide, 50% deep
    >>> equivalent_width(flux, wave, (6540, 6590), medium="air")
    array([0., 3.])
    """
    check_medium(medium)
    X = _check_flux(X)
    grid = check_wavelength(wavelength, n_features=X.shape[1])
    lo, hi = window_in_medium(window, medium)
    start, stop, weight = window_weights(grid, lo, hi)
    n = X.shape[0]
    flux = X[:, start:stop]
    cont = _window_block(continuum, start, stop, X.shape, "continuum")
    if not (np.all(np.isfinite(cont)) and np.all(cont > 0)):
        raise ValueError(
            "`continuum` must be finite and positive at every pixel of the window "
            f"({window[0]}, {window[1]}) A."
        )
    if ivar is None:
        # Fast path: one matrix-vector product over the window's pixels; a row
        # holding NaN/inf comes out non-finite and is redone below.
        if cont.shape[0] == 1:
            ew = weight.sum() - flux @ (weight / cont[0])
        else:
            ew = weight.sum() - (flux / cont) @ weight
        rows = np.flatnonzero(~np.isfinite(ew))
        if rows.size == 0:
            return ew
        flux = flux[rows]
        cont = cont if cont.shape[0] == 1 else cont[rows]
        measured = None
    else:
        iv = check_ivar(ivar, X.shape, name="ivar")[:, start:stop]
        rows = np.arange(n)
        measured = (iv > 0) & np.isfinite(flux)
    if np.isinf(flux).any():
        raise ValueError("`X` contains infinite flux values inside the window.")
    if measured is not None:
        flux = np.where(measured, flux, np.nan)
    flux = fill_missing(flux, grid[start:stop])
    empty = np.isnan(flux[:, 0])
    if empty.any():
        warnings.warn(
            f"{int(empty.sum())} of {n} spectra have no valid pixel in the window "
            f"({window[0]}, {window[1]}) A; their equivalent width is NaN.",
            RuntimeWarning,
            stacklevel=2,
        )
    redone = (1.0 - flux / cont) @ weight
    if ivar is None:
        ew[rows] = redone
        return ew
    with np.errstate(divide="ignore"):
        var = np.where(measured, (weight / cont) ** 2 / np.where(measured, iv, 1.0), 0)
    err = np.sqrt(var.sum(axis=1))
    err[empty] = np.nan
    return redone, err


class EWTransformer(TransformerMixin, BaseEstimator):
    """Equivalent widths over chosen windows, as features.

    Parameters
    ----------
    wavelength : array-like of shape (n_pixels,), default=None
        Wavelength grid of X's columns in Angstrom, in ``medium``. None means
        the pixel index (no grid), on which ``windows`` in Angstrom cannot be
        placed: ``fit`` raises a ValueError.
    windows : sequence of (float, float), default=None
        Windows ``(lo, hi)`` in Angstrom in air. ``None`` means H-alpha
        (6548-6578 A) and Mg I b (5160-5193 A), Wang et al.'s (2022) section 3 windows.
    medium : {"vacuum", "air"}, default="vacuum"
        Medium of ``wavelength``.
    continuum : float, default=1.0
        Continuum level of the (normalised) flux.
    normalizer : transformer, default=None
        Optional transformer (e.g. ``ContinuumNormalizer``) fitted on X and
        applied before measuring, for raw survey flux.

    Attributes
    ----------
    n_features_in_ : int
    normalizer_ : transformer or None
        The fitted clone of ``normalizer``.

    See Also
    --------
    equivalent_width : The function this transformer applies.
    sklearn_stellar.filters.EWFilter : Selection by EW cuts.

    References
    ----------
    .. [1] Wang, L., Li, J., Wu, Y., et al. (2022). Identification of new
       classical Be stars from the LAMOST MRS survey. Section 3 (the
       H-alpha and Mg I b windows).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.lines import EWTransformer
    >>> wave = np.arange(6500.0, 6600.0, 0.5)
    >>> flux = np.ones((1, wave.size))
    >>> ew = EWTransformer(wavelength=wave, windows=[(6548, 6578)], medium="air")
    >>> ew.fit_transform(flux)
    array([[0.]])
    >>> ew.get_feature_names_out()
    array(['ew_6548_6578'], dtype=object)
    """

    _parameter_constraints: dict = {
        "wavelength": ["array-like", None],
        "windows": ["array-like", None],
        "medium": [StrOptions({"vacuum", "air"})],
        "continuum": [Real],
        "normalizer": [HasMethods(["fit", "transform"]), None],
    }

    def __init__(
        self,
        *,
        wavelength=None,
        windows=None,
        medium="vacuum",
        continuum=1.0,
        normalizer=None,
    ):
        self.wavelength = wavelength
        self.windows = windows
        self.medium = medium
        self.continuum = continuum
        self.normalizer = normalizer

    def _windows(self):
        windows = self.windows
        if windows is None:
            windows = [HALPHA_WINDOW, MGB_WINDOW]
        return [window_in_medium(w, "air", name="windows") for w in windows]

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Validate the grid and windows (and fit ``normalizer``).

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on ``wavelength`` (NaN allowed).
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        self : EWTransformer
            The fitted transformer.

        Raises
        ------
        ValueError
            If ``wavelength`` is None or does not match X's columns, or a
            window holds no pixel of the grid.
        """
        return _fit_ew_windows(self, X, self._windows(), name="windows")

    def transform(self, X):
        """Equivalent width of each spectrum in each window.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the grid given at fit (NaN allowed; a window without a
            valid pixel gives NaN with a ``RuntimeWarning``).

        Returns
        -------
        ew : ndarray of shape (n_spectra, n_windows)
            Equivalent widths in Angstrom, positive for absorption.
        """
        return _measure_ew_windows(self, X, self._windows())

    def get_feature_names_out(self, input_features=None):
        """Get the names ``ew_<lo>_<hi>`` of the windows (air, Angstrom).

        Parameters
        ----------
        input_features : array-like of str, default=None
            Ignored; the names come from ``windows``.

        Returns
        -------
        names : ndarray of str of shape (n_windows,)
            One name per window, e.g. ``ew_6548_6578``.
        """
        check_is_fitted(self)
        return np.asarray(
            [f"ew_{lo:g}_{hi:g}" for lo, hi in self._windows()], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


def _fit_ew_windows(estimator, X, windows, *, name):
    """``fit`` shared by the EW estimators: validate X, the grid and every
    window (stated in air) on it, and fit the optional ``normalizer``."""
    X = validate_named_data(
        estimator, X, ensure_all_finite="allow-nan", dtype=np.float64
    )
    grid = grid_or_pixel_index(
        estimator.wavelength, X.shape[1], needs_angstrom=f"`{name}`"
    )
    for window in windows:
        window_weights(grid, *window_in_medium(window, estimator.medium), name=name)
    estimator.normalizer_ = None
    if estimator.normalizer is not None:
        estimator.normalizer_ = clone(estimator.normalizer).fit(X)
    return estimator


def _measure_ew_windows(estimator, X, windows):
    """``transform`` shared by the EW estimators: one EW column per window."""
    check_is_fitted(estimator)
    X = validate_named_data(
        estimator, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
    )
    if estimator.normalizer_ is not None:
        X = np.asarray(estimator.normalizer_.transform(X), dtype=np.float64)
    grid = np.asarray(estimator.wavelength, dtype=np.float64)
    columns = [
        equivalent_width(X, grid, window, estimator.continuum, medium=estimator.medium)
        for window in windows
    ]
    return np.column_stack(columns) if columns else np.empty((X.shape[0], 0))
