"""The Maxwellian speed distribution and the runaway limit of Wang et al. (2022, §6)."""

from __future__ import annotations

import logging
from numbers import Real

import numpy as np
from astropy import units as u
from scipy.optimize import curve_fit
from scipy.special import lambertw
from sklearn.utils import Bunch

from ..utils._validation import check_real_array
from ._input import get_column

__all__ = ["maxwellian", "fit_maxwellian", "runaway_threshold"]

logger = logging.getLogger(__name__)


def maxwellian(v, a, b):
    """``f(v) = a v^2 exp(-v^2 / b^2)`` (Wang et al. 2022, equation 1).

    Its peak is at ``v = b`` with value ``a b^2 / e``.

    Parameters
    ----------
    v : float or array-like
        Speed in km/s.
    a : float
        Amplitude, in counts per (km/s)^2 (per bin of the fitted histogram).
    b : float
        Scale in km/s (the most probable speed).

    Returns
    -------
    float or ndarray
        ``f(v)``, shaped like ``v``.

    Examples
    --------
    >>> from sklearn_stellar.followup import maxwellian
    >>> round(float(maxwellian(8.701, 0.904, 8.701)), 3)
    25.177
    """
    v = check_real_array(v, name="v", lower=0.0)
    a = check_real_array(a, name="a", lower=0.0)
    b = check_real_array(b, name="b", lower=0.0)
    if not np.all(b > 0):
        raise ValueError(f"`b` must be > 0 (km/s), got {b!r}.")
    out = _maxwellian(v, a, b)
    return float(out) if out.ndim == 0 else out


def _maxwellian(v, a, b):
    """The formula alone, for the optimiser (which may try any a, b)."""
    return a * v**2 * np.exp(-(v**2) / b**2)


def runaway_threshold(b, *, fraction: float = 0.01):
    """Velocity beyond the peak where the Maxwellian falls to ``fraction`` of it.

    With ``x = v / b``, ``f(v) / f(b) = x^2 exp(1 - x^2)``; the root above 1
    is ``x^2 = -W_{-1}(-fraction / e)`` (Lambert W, lower branch). It does
    not depend on ``a``. Wang et al. (2022): ``b = 8.701`` km/s and 1 % give 24 km/s.

    Parameters
    ----------
    b : float or array-like
        Maxwellian scale in km/s (> 0).
    fraction : float, default=0.01
        In (0, 1).

    Returns
    -------
    float or ndarray
        The runaway limit in km/s.

    Raises
    ------
    ValueError
        A non-positive ``b`` or ``fraction`` outside (0, 1).

    Examples
    --------
    >>> from sklearn_stellar.followup import runaway_threshold
    >>> round(runaway_threshold(8.701), 2)
    24.05
    """
    fraction_arr = check_real_array(fraction, name="fraction")
    if fraction_arr.ndim or not 0.0 < float(fraction_arr) < 1.0:
        raise ValueError(f"`fraction` must be in (0, 1), got {fraction!r}.")
    fraction = float(fraction_arr)
    scale = check_real_array(b, name="b")
    if not np.all(np.isfinite(scale) & (scale > 0)):
        raise ValueError(f"`b` must be positive and finite (km/s), got {b!r}.")
    x2 = -lambertw(-fraction / np.e, k=-1).real
    out = scale * np.sqrt(x2)
    return float(out) if out.ndim == 0 else out


_MAX_BINS = 1_000_000


def fit_maxwellian(v, *, bin_width: float = 1.0, method: str = "histogram") -> Bunch:
    """Fit ``f(v) = a v^2 exp(-v^2 / b^2)`` to a sample of speeds.

    ``method="histogram"`` (the paper's, as far as its numbers show: its
    ``a = 0.904`` is an amplitude in stars per bin, not a normalised density)
    fits the counts in bins of ``bin_width`` from 0 by least squares
    (:func:`scipy.optimize.curve_fit`), with the parameter errors from the
    covariance. ``method="moments"`` uses ``b^2 = 2 <v^2> / 3`` (the
    maximum-likelihood scale, free of binning) and the ``a`` whose curve
    holds the sample's number of stars per ``bin_width``. Wang et al. (2022) does not
    give its bin width; its ``b`` is reproduced only up to that choice.

    Parameters
    ----------
    v : array-like of shape (n_stars,)
        Speeds in km/s, finite and >= 0; at least 3.
    bin_width : float, default=1.0
        Histogram bin width in km/s.
    method : {"histogram", "moments"}, default="histogram"

    Returns
    -------
    Bunch
        ``a``, ``b`` (km/s), ``a_err``, ``b_err`` (NaN for ``"moments"``, or
        when the covariance cannot be estimated, logged), ``bin_edges``,
        ``counts``.

    Raises
    ------
    ValueError
        NaN or negative speeds, fewer than 3, a bad ``bin_width`` or
        ``method``.

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars),
    equation 1; Hobbs, G. et
    al. 2005, MNRAS 360, 974.

    Examples
    --------
    >>> import numpy as np
    >>> from scipy.stats import maxwell
    >>> from sklearn_stellar.followup import fit_maxwellian
    >>> v = maxwell.rvs(scale=8.701 / np.sqrt(2), size=4000, random_state=0)
    >>> fit = fit_maxwellian(v)
    >>> moments = fit_maxwellian(v, method="moments")
    >>> bool(abs(fit.b - 8.701) < 0.3), bool(abs(moments.b - 8.701) < 0.3)
    (True, True)
    """
    if method not in ("histogram", "moments"):
        raise ValueError(f"`method` must be 'histogram' or 'moments', got {method!r}.")
    if not (isinstance(bin_width, Real) and np.isfinite(bin_width) and bin_width > 0):
        raise ValueError(
            f"`bin_width` must be a positive number (km/s), got {bin_width!r}."
        )
    speeds = get_column(None, v, name="v", unit=u.km / u.s)
    if speeds.size < 3 or not np.all(np.isfinite(speeds) & (speeds >= 0)):
        raise ValueError(
            "`v` must hold at least 3 finite speeds >= 0 (km/s), got "
            f"{speeds.size} values, {int((~np.isfinite(speeds)).sum())} not finite, "
            f"{int((speeds < 0).sum())} negative."
        )
    n_bins = np.floor(speeds.max() / bin_width) + 1
    if not 3 <= n_bins <= _MAX_BINS:
        raise ValueError(
            f"`bin_width`={bin_width!r} km/s cuts speeds up to `v`.max()="
            f"{speeds.max():.6g} km/s into {n_bins:.6g} bins; the fit needs 3 to "
            f"{_MAX_BINS}."
        )
    n_bins = int(n_bins)
    edges = np.arange(n_bins + 1) * bin_width
    counts, _ = np.histogram(speeds, bins=edges)
    b0 = float(np.sqrt(2.0 * np.mean(speeds**2) / 3.0))
    if b0 == 0.0:
        raise ValueError("`v` is all zeros: no Maxwellian scale can be fitted.")
    a0 = speeds.size * bin_width * 4.0 / (np.sqrt(np.pi) * b0**3)
    fit = Bunch(a=a0, b=b0, a_err=np.nan, b_err=np.nan, bin_edges=edges, counts=counts)
    if method == "moments":
        return fit
    centres = 0.5 * (edges[1:] + edges[:-1])
    popt, pcov = curve_fit(_maxwellian, centres, counts, p0=(a0, b0))
    fit.a, fit.b = float(popt[0]), float(abs(popt[1]))
    errors = np.sqrt(np.diag(pcov))
    if np.all(np.isfinite(errors)):
        fit.a_err, fit.b_err = float(errors[0]), float(errors[1])
    else:
        logger.warning("fit_maxwellian: parameter errors could not be estimated")
    return fit
