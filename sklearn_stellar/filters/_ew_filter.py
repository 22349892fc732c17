"""Early-type selection by equivalent-width cuts (seed 004, section 3)."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..lines._common import window_in_medium
from ..lines._equivalent_width import _fit_ew_windows, _measure_ew_windows

__all__ = ["EWFilter"]

#: Seed 004 section 3: keep EW(H-alpha, 6548-6578 A) < 10 A and
#: EW(Mg I b, 5160-5193 A) < 1.2 A (windows in air).
DEFAULT_CUTS = (((6548.0, 6578.0), None, 10.0), ((5160.0, 5193.0), None, 1.2))


def _check_cuts(cuts):
    if cuts is None:
        cuts = DEFAULT_CUTS
    checked = []
    for cut in cuts:
        try:
            window, low, high = cut
        except (TypeError, ValueError):
            raise ValueError(
                "each of `cuts` must be a triple (window, min, max), e.g. "
                f"((6548, 6578), None, 10.0); got {cut!r}."
            ) from None
        window = window_in_medium(window, "air", name="cuts window")
        low = -np.inf if low is None else low
        high = np.inf if high is None else high
        if any(isinstance(v, Real) and np.isnan(v) for v in (low, high)):
            raise ValueError(
                f"a cut's (min, max) must not be NaN (no EW passes a NaN bound; "
                f"use None for no bound), got ({cut[1]!r}, {cut[2]!r}) for window "
                f"{cut[0]!r}."
            )
        if not (isinstance(low, Real) and isinstance(high, Real) and low < high):
            raise ValueError(
                f"the (min, max) of a cut must be numbers or None with min < max, "
                f"got ({cut[1]!r}, {cut[2]!r}) for window {cut[0]!r}."
            )
        checked.append((window, float(low), float(high)))
    if not checked:
        raise ValueError("`cuts` is empty: give at least one (window, min, max).")
    return checked


class EWFilter(TransformerMixin, BaseEstimator):
    """Keep spectra whose equivalent widths lie inside given ranges.

    The defaults reproduce seed 004's removal of hidden late-type stars: keep
    ``EW(H-alpha, 6548-6578 A) < 10 A`` and ``EW(Mg I b, 5160-5193 A) < 1.2 A``
    (metal lines grow towards late types). A row passes when
    ``min < EW < max`` for every cut; a NaN EW (no valid pixel in a window)
    fails.

    This is a *filter* (see docs/filters.rst): ``transform`` returns the
    measured EWs, ``pass_mask`` the selection, and
    :class:`~sklearn_stellar.filters.FilteredClassifier` applies it around a
    classifier.

    Parameters
    ----------
    wavelength : array-like of shape (n_pixels,)
        Wavelength grid of X's columns in Angstrom, in ``medium``. For LAMOST
        MRS both arms are needed (Mg b is in the blue arm, H-alpha in the red):
        concatenate them; the gap between the arms is detected.
    medium : {"vacuum", "air"}, default="vacuum"
        Medium of ``wavelength``; windows are in air and converted.
    cuts : sequence of (window, min, max), default=None
        Windows ``(lo, hi)`` in air Angstrom with EW bounds in Angstrom (``None``
        for unbounded). ``None`` means the seed 004 cuts above.
    continuum : float, default=1.0
        Continuum level of the flux the EWs are measured on.
    normalizer : transformer, default=None
        Optional transformer (e.g. ``ContinuumNormalizer``) fitted on X and
        applied before measuring, when X holds raw survey flux.

    Attributes
    ----------
    n_features_in_ : int
    normalizer_ : transformer or None

    See Also
    --------
    sklearn_stellar.lines.equivalent_width : the measurement.
    QColorFilter : the photometric late-type rejection that follows it.

    References
    ----------
    Seed 004 (LAMOST MRS Be stars), section 3; Cohen et al. 1998 (H-alpha
    window); Worthey et al. 1994 (Mg b bandpass).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.filters import EWFilter
    >>> wave = np.arange(5100.0, 6700.0, 0.5)
    >>> flux = np.ones((2, wave.size))
    >>> flux[1, (wave >= 5165) & (wave < 5185)] = 0.8   # Mg b EW = 4 A: late type
    >>> f = EWFilter(wavelength=wave, medium="air").fit(flux)
    >>> f.transform(flux).round(2)
    array([[0., 0.],
           [0., 4.]])
    >>> f.pass_mask(flux)
    array([ True, False])
    """

    filter_input = "flux"

    _parameter_constraints: dict = {
        "wavelength": ["array-like", None],
        "medium": [StrOptions({"vacuum", "air"})],
        "cuts": ["array-like", None],
        "continuum": [Real],
        "normalizer": [HasMethods(["fit", "transform"]), None],
    }

    def __init__(
        self,
        *,
        wavelength=None,
        medium="vacuum",
        cuts=None,
        continuum=1.0,
        normalizer=None,
    ):
        self.wavelength = wavelength
        self.medium = medium
        self.cuts = cuts
        self.continuum = continuum
        self.normalizer = normalizer

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Check the grid and windows (and fit ``normalizer``).

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
        y : ignored

        Returns
        -------
        self
        """
        windows = [window for window, _, _ in _check_cuts(self.cuts)]
        return _fit_ew_windows(self, X, windows, name="cuts")

    def transform(self, X):
        """Equivalent width (Angstrom) of each spectrum in each cut's window.

        Returns
        -------
        ew : ndarray of shape (n_spectra, n_cuts)
        """
        return _measure_ew_windows(
            self, X, [window for window, _, _ in _check_cuts(self.cuts)]
        )

    def pass_mask(self, X, measurements=None):
        """Boolean selection: True where every EW is inside its (min, max).

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
        measurements : ndarray of shape (n_spectra, n_cuts), default=None
            Output of :meth:`transform` on the same X, to avoid measuring twice.

        Returns
        -------
        mask : ndarray of shape (n_spectra,), dtype=bool
        """
        ew = self.transform(X) if measurements is None else measurements
        cuts = _check_cuts(self.cuts)
        low = np.array([c[1] for c in cuts])
        high = np.array([c[2] for c in cuts])
        with np.errstate(invalid="ignore"):
            return np.all((ew > low) & (ew < high), axis=1)

    def get_feature_names_out(self, input_features=None):
        """Names ``ew_<lo>_<hi>`` of the cut windows (air, Angstrom)."""
        check_is_fitted(self)
        return np.asarray(
            [f"ew_{lo:g}_{hi:g}" for (lo, hi), _, _ in _check_cuts(self.cuts)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
