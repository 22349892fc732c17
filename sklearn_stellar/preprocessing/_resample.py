"""Resampling spectra onto a new wavelength grid, vectorised over spectra.

Both methods are linear maps ``f_new = A @ f`` fixed by the two grids, so the
map is built once as a sparse ``(n_new, n_pixels)`` matrix and applied to every
spectrum in one sparse-dense product.
"""

from __future__ import annotations

from typing import Literal, overload

import numpy as np
from scipy import sparse

from ..utils import check_ivar, check_wavelength

__all__ = ["resample", "pixel_edges"]

METHODS = ("linear", "flux_conserving")


def pixel_edges(wavelength) -> np.ndarray:
    """Compute the edges of the pixels centred on ``wavelength`` (Angstrom).

    Inner edges are the midpoints between neighbouring pixel centres; the two
    outer edges lie half a step beyond the first and last centres (the
    convention of SpectRes, Carnall 2017).

    Parameters
    ----------
    wavelength : array-like of shape (n_pixels,)
        Strictly increasing pixel centres in Angstrom.

    Returns
    -------
    edges : ndarray of shape (n_pixels + 1,)
        Pixel edges in Angstrom, increasing.

    Examples
    --------
    >>> from sklearn_stellar.preprocessing import pixel_edges
    >>> pixel_edges([1.0, 2.0, 4.0])
    array([0.5, 1.5, 3. , 5. ])
    """
    wave = check_wavelength(wavelength)
    mid = 0.5 * (wave[1:] + wave[:-1])
    first = wave[0] - 0.5 * (wave[1] - wave[0])
    last = wave[-1] + 0.5 * (wave[-1] - wave[-2])
    return np.concatenate(([first], mid, [last]))


def _linear_matrix(wave, new_wave):
    """Sparse interpolation matrix; rows outside ``wave``'s span are empty."""
    n_in = wave.size
    covered = (new_wave >= wave[0]) & (new_wave <= wave[-1])
    rows = np.flatnonzero(covered)
    x = new_wave[rows]
    left = np.clip(np.searchsorted(wave, x, side="right") - 1, 0, n_in - 2)
    t = (x - wave[left]) / (wave[left + 1] - wave[left])
    matrix = sparse.csr_matrix(
        (
            np.concatenate((1.0 - t, t)),
            (np.concatenate((rows, rows)), np.concatenate((left, left + 1))),
        ),
        shape=(new_wave.size, n_in),
    )
    # A pixel hit exactly has weight 0 on its neighbour: drop it so that a NaN
    # neighbour does not leak into that output pixel.
    matrix.eliminate_zeros()
    return matrix, covered


def _flux_conserving_matrix(wave, new_wave):
    """Sparse overlap matrix: A[i, j] = |bin_i & pixel_j| / |bin_i|."""
    edges = pixel_edges(wave)
    new_edges = pixel_edges(new_wave)
    lo, hi = new_edges[:-1], new_edges[1:]
    covered = (lo >= edges[0]) & (hi <= edges[-1])
    rows_all = np.flatnonzero(covered)
    n_in = wave.size
    # Input pixels j overlapping bin i run from first[i] to last[i] inclusive.
    first = np.clip(np.searchsorted(edges, lo[rows_all], side="right") - 1, 0, n_in - 1)
    last = np.clip(np.searchsorted(edges, hi[rows_all], side="left") - 1, 0, n_in - 1)
    counts = last - first + 1
    rows = np.repeat(rows_all, counts)
    starts = np.repeat(np.cumsum(counts) - counts, counts)
    cols = np.repeat(first, counts) + (np.arange(counts.sum()) - starts)
    overlap = np.minimum(hi[rows], edges[cols + 1]) - np.maximum(lo[rows], edges[cols])
    values = np.clip(overlap, 0.0, None) / (hi[rows] - lo[rows])
    matrix = sparse.csr_matrix((values, (rows, cols)), shape=(new_wave.size, n_in))
    matrix.eliminate_zeros()
    return matrix, covered


def _check_flux(flux, n_pixels, name):
    arr = np.asarray(flux)
    if arr.dtype.kind not in "biuf":
        raise TypeError(
            f"`{name}` must be a real numeric array, got dtype {arr.dtype} "
            f"({type(flux).__name__})."
        )
    if arr.ndim not in (1, 2):
        raise ValueError(
            f"`{name}` must be 1-D (n_pixels,) or 2-D (n_spectra, n_pixels), got "
            f"an array of shape {arr.shape}."
        )
    if arr.shape[-1] != n_pixels:
        raise ValueError(
            f"`{name}` has {arr.shape[-1]} pixels per spectrum but `wavelength` has "
            f"{n_pixels}; they must match."
        )
    if np.isinf(arr).any():
        raise ValueError(
            f"`{name}` contains inf values; mark bad pixels with NaN instead."
        )
    return arr


@overload
def resample(
    flux,
    wavelength,
    new_wavelength,
    *,
    method: Literal["linear", "flux_conserving"] = ...,
    ivar: None = ...,
) -> np.ndarray: ...


@overload
def resample(
    flux,
    wavelength,
    new_wavelength,
    *,
    method: Literal["linear", "flux_conserving"] = ...,
    ivar: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]: ...


def resample(flux, wavelength, new_wavelength, *, method="linear", ivar=None):
    """Resample spectra sharing one wavelength grid onto ``new_wavelength``.

    Parameters
    ----------
    flux : array-like of shape (n_pixels,) or (n_spectra, n_pixels)
        Flux densities (per Angstrom) on ``wavelength``. NaN marks a bad pixel.
    wavelength : array-like of shape (n_pixels,)
        Strictly increasing input grid in Angstrom.
    new_wavelength : array-like of shape (n_new,)
        Strictly increasing output grid in Angstrom, in the same medium (air or
        vacuum) as ``wavelength``; convert first with
        :func:`~sklearn_stellar.preprocessing.to_medium` if they differ.
    method : {"linear", "flux_conserving"}, default="linear"
        ``"linear"`` interpolates between the two input pixels bracketing each
        new wavelength. ``"flux_conserving"`` treats each input pixel as a
        constant flux density over its bin (edges from
        :func:`pixel_edges`) and averages it over each output bin, weighted by
        the exact overlap, so the integral of the flux over any fully covered
        output bin is preserved (as SpectRes does).
    ivar : array-like of the same shape as ``flux``, default=None
        Inverse variances. Pixels with ``ivar == 0`` are treated as masked.
        When given, the propagated inverse variance
        ``1 / sum_j A_ij**2 / ivar_j`` is returned as well (correlations
        between output pixels that resampling introduces are ignored).

    Returns
    -------
    new_flux : ndarray of shape (n_new,) or (n_spectra, n_new)
        NaN where the output pixel draws on a NaN or masked input pixel
        (non-zero weight) or lies outside the input coverage (linear: outside
        ``[wavelength[0], wavelength[-1]]``; flux-conserving: output bin not
        entirely inside the input bins). float32 input stays float32, anything
        else becomes float64.
    new_ivar : ndarray, same shape as ``new_flux``
        Only when ``ivar`` is given; 0 where ``new_flux`` is NaN.

    Raises
    ------
    ValueError
        If a grid is not strictly increasing or finite, shapes do not match,
        ``flux`` holds inf, ``ivar`` is negative or not finite, or ``method``
        is unknown.
    TypeError
        If ``flux`` or ``ivar`` is not numeric.

    Warns
    -----
    EmptySpectrumWarning
        When some rows of ``ivar`` are 0 everywhere (their output is all NaN).

    See Also
    --------
    sklearn_stellar.io.spectra_to_array : Specutils spectra to one array.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.preprocessing import resample
    >>> wave = np.array([4000.0, 4001.0, 4002.0, 4003.0])
    >>> resample([1.0, 3.0, 5.0, 7.0], wave, [4000.5, 4002.5, 4010.0])
    array([ 2.,  6., nan])
    >>> flux = np.array([[1.0, 2.0, 3.0, 4.0]])
    >>> resample(flux, wave, [4000.5, 4002.5], method="flux_conserving")
    array([[1.5, 3.5]])
    """
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got {method!r}.")
    wave = check_wavelength(wavelength, name="wavelength")
    new_wave = check_wavelength(new_wavelength, name="new_wavelength")
    arr = _check_flux(flux, wave.size, "flux")
    out_dtype = np.float32 if arr.dtype == np.float32 else np.float64
    data = np.atleast_2d(arr).astype(np.float64)
    bad = np.isnan(data)
    if ivar is not None:
        iv = np.atleast_2d(check_ivar(ivar, arr.shape, name="ivar", like="`flux`"))
        bad |= iv == 0
    if method == "linear":
        matrix, _ = _linear_matrix(wave, new_wave)
    else:
        matrix, _ = _flux_conserving_matrix(wave, new_wave)
    # Output pixels without any input weight are outside the coverage.
    uncovered = np.diff(matrix.indptr) == 0
    new_flux = np.asarray((matrix @ np.where(bad, 0.0, data).T).T)
    new_bad = np.broadcast_to(uncovered, new_flux.shape).copy()
    if bad.any():
        support = matrix.copy()
        support.data = np.ones_like(support.data)
        new_bad |= np.asarray((support @ bad.T.astype(np.float64)).T) > 0
    new_flux[new_bad] = np.nan
    if arr.ndim == 1:
        new_flux = new_flux[0]
        new_bad = new_bad[0]
    new_flux = new_flux.astype(out_dtype, copy=False)
    if ivar is None:
        return new_flux
    with np.errstate(divide="ignore"):
        var = np.where(bad, 0.0, 1.0 / np.where(bad, 1.0, iv))
    squared = matrix.copy()
    squared.data = squared.data**2
    new_var = np.asarray((squared @ var.T).T)
    if arr.ndim == 1:
        new_var = new_var[0]
    with np.errstate(divide="ignore"):
        new_ivar = np.where(new_bad, 0.0, 1.0 / np.where(new_bad, 1.0, new_var))
    return new_flux, new_ivar.astype(out_dtype, copy=False)
