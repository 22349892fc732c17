"""H-alpha peaks after S/N-dependent Bartlett smoothing (Wang et al. 2022, 4.1.1)."""

from __future__ import annotations

import numpy as np
from scipy.ndimage import convolve1d
from sklearn.utils import Bunch

from ..utils import check_wavelength
from ..utils._validation import check_named_array, check_real_array
from ._common import fill_missing, window_in_medium
from ._snr import der_snr

__all__ = ["bartlett_width", "find_halpha_peaks"]

#: Wang et al. (2022) Table 1: lower S/N edges and Bartlett window widths (pixels).
#: The one copy of the table in the library: the peak search below and the Be
#: training-set builder (``datasets/_be_stars.py``) both smooth with it.
SNR_EDGES = (10.0, 20.0, 40.0, 60.0, 100.0, 120.0, 150.0)
BARTLETT_WIDTHS = (15, 10, 9, 8, 7, 6, 5)
#: Wavelength region searched for peaks (air, Angstrom), Wang et al. (2022),
#: section 4.1.1.
HALPHA_PEAK_WINDOW = (6551.0, 6579.0)


def _bartlett_kernel(width: int) -> np.ndarray:
    """Unit-sum Bartlett window of ``width`` points, as Table 1 gives it.

    Wang et al. (2022), section 4.1.1, Table 1 ("Selected width of the
    Bartlett window function"): "a window size of 15 pixels was chosen to
    smooth the profile over selected wavelength regions for
    J023209.36+560939.5". The width is the length of the window *function*
    (Bartlett 1950; ``numpy.bartlett(M)`` and
    ``scipy.signal.windows.bartlett(M)``, whose ``M`` points include a zero at
    each end), so ``width`` pixels span the window and ``width - 2`` of them
    carry a non-zero weight: 15 -> 13, 5 -> 3 ([0.5, 1, 0.5]).
    """
    kernel = np.bartlett(int(width))
    return kernel / kernel.sum()


def _smooth_window(X, grid, lo, hi, width):
    """Bartlett-smooth each row by its ``width`` and cut the window lo-hi.

    Returns the smoothed window (n, n_window_pixels), the window's column
    indices in ``grid`` and, per row, ``sqrt(sum(k**2))`` of its unit-sum
    kernel ``k``: the smoothed flux's noise in units of the raw pixel noise.
    Smoothing runs on the window plus half the widest kernel each side, so the
    window's own pixels never see the region's edge.
    """
    inside = np.flatnonzero((grid >= lo) & (grid <= hi))
    pad = max(BARTLETT_WIDTHS) // 2 + 1
    a, b = max(inside[0] - pad, 0), min(inside[-1] + pad + 1, grid.size)
    region = fill_missing(X[:, a:b], grid[a:b])
    smoothed = np.empty_like(region)
    noise_factor = np.empty(X.shape[0])
    # One convolution per distinct width (7 at most), each over all its rows.
    for w in np.unique(width):
        rows = width == w
        kernel = _bartlett_kernel(w)
        smoothed[rows] = convolve1d(region[rows], kernel, axis=1, mode="nearest")
        noise_factor[rows] = np.sqrt(np.sum(kernel**2))
    return smoothed[:, inside[0] - a : inside[-1] + 1 - a], inside, noise_factor


def _extrema_and_prominence(s):
    """Local maxima, local minima and every pixel's prominence in ``s``.

    The prominence of a pixel is its height above the higher of the lowest
    points on its left and on its right inside the window (0 at the window's
    edges); NaN rows give NaN prominences.
    """
    left, mid, right = s[:, :-2], s[:, 1:-1], s[:, 2:]
    peaks = np.zeros(s.shape, dtype=bool)
    valleys = np.zeros(s.shape, dtype=bool)
    peaks[:, 1:-1] = (mid > left) & (mid >= right)
    valleys[:, 1:-1] = (mid < left) & (mid <= right)
    with np.errstate(invalid="ignore"):
        left_min = np.minimum.accumulate(s, axis=1)
        right_min = np.minimum.accumulate(s[:, ::-1], axis=1)[:, ::-1]
        prominence = s - np.maximum(left_min, right_min)
    return peaks, valleys, prominence


def bartlett_width(snr) -> np.ndarray:
    """Bartlett window width (pixels) for each S/N, per Wang et al. (2022) Table 1.

    ========================  =====
    S/N                       width
    ========================  =====
    10 <= S/N < 20            15
    20 <= S/N < 40            10
    40 <= S/N < 60            9
    60 <= S/N < 100           8
    100 <= S/N < 120          7
    120 <= S/N < 150          6
    S/N >= 150                5
    ========================  =====

    Below S/N 10 (outside the table, which starts at 10) and for a NaN S/N the
    widest window, 15 pixels, is used: the noisiest spectra get the strongest
    smoothing. :func:`find_halpha_peaks` flags those spectra as ``low_snr``.

    Parameters
    ----------
    snr : float or array-like
        Signal-to-noise ratio per pixel (dimensionless, >= 0; NaN allowed).

    Returns
    -------
    width : ndarray of int, same shape as ``snr``
        Width in pixels of the Bartlett window that smooths the spectrum
        before the H-alpha peak search.

    Raises
    ------
    TypeError
        If ``snr`` is not numeric.
    ValueError
        If an S/N is negative or infinite (the message names its index).

    See Also
    --------
    find_halpha_peaks : The peak search that uses these widths.

    References
    ----------
    .. [1] Wang, L., Li, J., Wu, Y., et al. (2022). Identification of new
       classical Be stars from the LAMOST MRS survey. Table 1.

    Examples
    --------
    >>> from sklearn_stellar.lines import bartlett_width
    >>> bartlett_width([5, 13, 50, 150, 400])
    array([15, 15,  9,  5,  5])
    """
    snr = check_real_array(snr, name="snr", lower=0.0, allow_nan=True)
    idx = np.searchsorted(SNR_EDGES, np.nan_to_num(snr, nan=0.0), side="right") - 1
    return np.asarray(BARTLETT_WIDTHS)[np.clip(idx, 0, None)]


def find_halpha_peaks(
    X,
    wavelength,
    *,
    medium: str = "vacuum",
    snr=None,
    window=HALPHA_PEAK_WINDOW,
    n_sigma: float = 3.0,
) -> Bunch:
    """Find H-alpha emission peaks after Bartlett smoothing (Wang et al. 2022, 4.1.1).

    Each spectrum is smoothed with a normalised Bartlett (triangular) window
    whose width follows its S/N (:func:`bartlett_width`, Wang et al. (2022) Table 1),
    then local maxima (peaks) and minima (valleys) of the smoothed flux are
    located inside ``window``. The most prominent peak is kept: its height is
    measured above the higher of the lowest points on its left and on its
    right inside the window, so an emission core inside a broad absorption
    line wins over a continuum bump between two absorption lines at the
    window's edge. ``has_peak`` requires that height to exceed ``n_sigma``
    times the
    noise of the smoothed flux, ``median(F) / snr * sqrt(sum(k^2))`` for a
    normalised kernel ``k``, so noise wiggles on a flat or absorption profile
    are not peaks.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_pixels)
        Flux (normalised or not: heights are in the units of X).
    wavelength : array-like of shape (n_pixels,)
        Wavelength grid in Angstrom, in ``medium``.
    medium : {"vacuum", "air"}, default="vacuum"
        Medium of ``wavelength``; ``window`` is in air and converted.
    snr : float or array-like of shape (n_spectra,), default=None
        S/N per spectrum, e.g. the LAMOST header ``SNR`` of the red arm. When
        ``None`` it is estimated from each row with :func:`der_snr`.
    window : tuple of (float, float), default=(6551, 6579)
        Region searched for peaks, in air Angstrom.
    n_sigma : float, default=3.0
        Detection threshold on the peak height in units of the smoothed-flux
        noise. ``0`` accepts any local maximum, as the paper's candidate list
        before visual inspection.

    Returns
    -------
    result : :class:`~sklearn.utils.Bunch` with

        - ``has_peak`` : bool array (n_spectra,)
        - ``peak_height`` : float array (n_spectra,), prominence of the most
          prominent peak, NaN without any local maximum
        - ``peak_wavelength`` : float array (n_spectra,), in ``medium``
        - ``peaks``, ``valleys`` : bool arrays (n_spectra, n_window_pixels)
        - ``smoothed`` : float array (n_spectra, n_window_pixels)
        - ``wavelength`` : the window's pixels (n_window_pixels,)
        - ``snr``, ``width`` : S/N used and Bartlett width per spectrum
        - ``low_snr`` : bool array, S/N below 10 or undefined. Such spectra are
          still searched, with the widest (15 px) window, but the paper's
          table does not cover them: treat their flags with caution.

    Raises
    ------
    ValueError
        If the window is not inside the grid or holds fewer than 3 pixels, or
        ``snr`` has the wrong shape or non-positive values.

    Notes
    -----
    As in the paper, the flag selects *candidates*: a significant local
    maximum also appears between the H-alpha wing and a neighbouring
    absorption line (C II 6578 A in B stars, metal lines in late types), and
    Wang et al. (2022) inspected its candidates visually. ``peak_wavelength`` tells the
    two apart.

    References
    ----------
    Wang et al. (2022), section 4.1.1 and Table 1; Bartlett, M. S. 1950,
    Biometrika 37, 1.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.lines import find_halpha_peaks
    >>> wave = np.arange(6540.0, 6590.0, 0.2)
    >>> flux = np.ones((2, wave.size))
    >>> flux[1] += 0.5 * np.exp(-0.5 * ((wave - 6563.0) / 1.0) ** 2)
    >>> res = find_halpha_peaks(flux + 1e-3 * np.sin(wave), wave, medium="air",
    ...                         snr=100.0)
    >>> res.has_peak.tolist(), res.width.tolist()
    ([False, True], [7, 7])
    >>> round(float(res.peak_wavelength[1]), 1)
    6563.0
    """
    X = check_named_array(X, name="X", dtype=np.float64, ensure_all_finite="allow-nan")
    grid = check_wavelength(wavelength, n_features=X.shape[1])
    lo, hi = _check_peak_window(grid, window, medium)
    snr_arr = _check_snr(snr, X)
    n_sigma = check_real_array(n_sigma, name="n_sigma", lower=0.0)
    if n_sigma.ndim:
        raise ValueError(f"`n_sigma` must be one number, got shape {n_sigma.shape}.")
    width = bartlett_width(snr_arr)
    s, inside, noise_factor = _smooth_window(X, grid, lo, hi, width)
    peaks, valleys, prominence = _extrema_and_prominence(s)
    any_peak = peaks.any(axis=1)
    rows = np.arange(X.shape[0])
    top = np.argmax(np.where(peaks, prominence, -np.inf), axis=1)
    height = np.where(any_peak, prominence[rows, top], np.nan)
    valid = np.isfinite(s).all(axis=1)
    level = np.full(X.shape[0], np.nan)
    level[valid] = np.median(s[valid], axis=1)
    with np.errstate(invalid="ignore"):
        # A NaN S/N or level gives a NaN threshold: no peak is claimed.
        threshold = n_sigma * np.abs(level) / snr_arr * noise_factor
        has_peak = any_peak & (height > threshold)
    wave_win = grid[inside]
    return Bunch(
        has_peak=has_peak,
        peak_height=height,
        peak_wavelength=np.where(any_peak, wave_win[top], np.nan),
        peaks=peaks,
        valleys=valleys,
        smoothed=s,
        wavelength=wave_win,
        snr=snr_arr,
        width=width,
        low_snr=~(snr_arr >= SNR_EDGES[0]),
    )


def _check_peak_window(grid, window, medium):
    """The search window in the grid's medium; ValueError if off the grid."""
    lo, hi = window_in_medium(window, medium)
    if lo < grid[0] or hi > grid[-1]:
        raise ValueError(
            f"`window` ({lo:.3f}, {hi:.3f}) A in the grid's medium is outside the "
            f"wavelength grid {grid[0]:.3f}-{grid[-1]:.3f} A."
        )
    inside = np.flatnonzero((grid >= lo) & (grid <= hi))
    if inside.size < 3:
        raise ValueError(
            f"`window` {window} holds {inside.size} pixels of the grid; need >= 3."
        )
    return lo, hi


def _check_snr(snr, X):
    """Per-row S/N: the given positive value(s), or DER_SNR of each row."""
    n = X.shape[0]
    if snr is None:
        return der_snr(X)
    given = check_real_array(snr, name="snr")
    if given.shape not in ((), (n,)) or not np.all(given > 0):
        raise ValueError(
            "`snr` must be a positive number or an array of shape "
            f"(n_spectra,) = ({n},) of positive numbers, got shape "
            f"{given.shape} with minimum {given.min(initial=np.inf)!r}."
        )
    return np.broadcast_to(given, (n,)).copy()
