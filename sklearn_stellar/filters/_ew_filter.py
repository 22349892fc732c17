"""Early-type selection by equivalent-width cuts (Wang et al. 2022, section 3)."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import HasMethods, StrOptions
from sklearn.utils.validation import check_array, check_is_fitted

from ..lines._common import window_in_medium
from ..lines._equivalent_width import _fit_ew_windows, _measure_ew_windows
from ..utils._validation import validate_named_data

__all__ = ["EWFilter"]

#: Wang et al. (2022) section 3: keep EW(H-alpha, 6548-6578 A) < 10 A and
#: EW(Mg I b, 5160-5193 A) < 1.2 A (windows in air).
DEFAULT_CUTS = (((6548.0, 6578.0), None, 10.0), ((5160.0, 5193.0), None, 1.2))

#: Typical flux of continuum-normalised spectra, in units of `continuum`: the
#: median over rows of each row's median lies inside this range (absorption
#: lines pull it below 1, emission lines rarely above 1.2). Raw counts (MRS:
#: hundreds to thousands) usually lie orders of magnitude away; unnormalised
#: flux that happens to sit near 1 is not caught.
_NORMALISED_LEVEL = (0.5, 2.0)


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

    The defaults reproduce Wang et al.'s (2022) removal of hidden late-type stars: keep
    ``EW(H-alpha, 6548-6578 A) < 10 A`` and ``EW(Mg I b, 5160-5193 A) < 1.2 A``
    (metal lines grow towards late types). A row passes when
    ``min < EW < max`` for every cut; a NaN EW (no valid pixel in a window)
    is handled by ``missing``.

    This is a *filter* (see docs/filters.rst): ``transform`` returns the
    measured EWs, ``pass_mask`` the selection, and
    :class:`~sklearn_stellar.filters.FilteredClassifier` applies it around a
    classifier.

    Parameters
    ----------
    wavelength : array-like of shape (n_pixels,), default=None
        Wavelength grid of X's columns in Angstrom, in ``medium``. For LAMOST
        MRS both arms are needed (Mg b is in the blue arm, H-alpha in the red):
        concatenate them; the gap between the arms is detected. None means
        the pixel index (no grid), on which ``cuts`` in Angstrom cannot be
        placed: ``fit`` raises a ValueError.
    medium : {"vacuum", "air"}, default="vacuum"
        Medium of ``wavelength``; windows are in air and converted.
    cuts : sequence of (window, min, max), default=None
        Windows ``(lo, hi)`` in air Angstrom with EW bounds in Angstrom (``None``
        for unbounded). ``None`` means the Wang et al. (2022) cuts above.
    continuum : float, default=1.0
        Continuum level of the flux the EWs are measured on.
    normalizer : transformer, default=None
        Optional transformer (e.g. ``ContinuumNormalizer``) fitted on X and
        applied before measuring, when X holds raw survey flux. Without it X
        must already be continuum-normalised: flux whose typical level is
        evidently not ``continuum`` (the median over rows of each row's median
        outside 0.5-2 times ``continuum``, e.g. raw counts) is a ValueError
        rather than EWs that would pass or fail every row.
    missing : {"drop", "keep", "error"}, default="drop"
        Policy for a row with no valid pixel in a cut's window (NaN there, as
        the blue-arm columns of a red-arm-only LAMOST MRS spectrum stacked on
        a two-arm grid): its EW is NaN ("not measurable"). ``"drop"``: the row
        fails the filter; ``"keep"``: that cut is not applied to the row (it
        passes if its other cuts pass); ``"error"``: ValueError naming the
        rows. Inside :class:`FilteredClassifier` such a row's status is
        ``"out_of_domain"`` with the reason, whichever the policy (see
        :meth:`FilteredClassifier.filter_report`). A window outside the
        wavelength grid altogether is a configuration error (ValueError in
        ``fit``).

    Attributes
    ----------
    n_features_in_ : int
    normalizer_ : transformer or None

    See Also
    --------
    sklearn_stellar.lines.equivalent_width : The measurement.
    QColorFilter : The photometric late-type rejection that follows it.

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars),
    section 3; Cohen et al. 1998 (H-alpha
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
        "missing": [StrOptions({"drop", "keep", "error"})],
    }

    def __init__(
        self,
        *,
        wavelength=None,
        medium="vacuum",
        cuts=None,
        continuum=1.0,
        normalizer=None,
        missing="drop",
    ):
        self.wavelength = wavelength
        self.medium = medium
        self.cuts = cuts
        self.continuum = continuum
        self.normalizer = normalizer
        self.missing = missing

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Check the grid and windows (and fit ``normalizer``).

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the filter's wavelength grid.
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        self : EWFilter
            The fitted filter.

        Raises
        ------
        ValueError
            If a window lies outside the grid, or X is evidently not
            continuum-normalised while ``normalizer`` is None.
        """
        windows = [window for window, _, _ in _check_cuts(self.cuts)]
        _fit_ew_windows(self, X, windows, name="cuts")
        if self.normalizer_ is None:
            self._check_normalised(
                check_array(X, ensure_all_finite="allow-nan", dtype=np.float64)
            )
        return self

    def _check_normalised(self, X):
        """Raise when the flux level is evidently not ``continuum``."""
        if not self.continuum > 0:
            return  # equivalent_width refuses it with its own message
        rows = X[:2000, :: max(1, X.shape[1] // 256)]
        finite = np.isfinite(rows)
        rows = rows[finite.any(axis=1)]
        if rows.size == 0:
            return
        level = float(np.median(np.nanmedian(rows, axis=1))) / float(self.continuum)
        if _NORMALISED_LEVEL[0] <= level <= _NORMALISED_LEVEL[1]:
            return
        raise ValueError(
            "EWFilter measures equivalent widths against a continuum of "
            f"`continuum`={self.continuum:g}, but the typical flux of X is "
            f"{level * self.continuum:.4g} (median over rows of each row's median), "
            f"outside {_NORMALISED_LEVEL[0]:g}-{_NORMALISED_LEVEL[1]:g} times it: X "
            "is not continuum-normalised (raw counts?). Pass "
            "normalizer=ContinuumNormalizer(wavelength=..., method='spline') "
            "or normalise X first."
        )

    def transform(self, X):
        """Equivalent width (Angstrom) of each spectrum in each cut's window.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the filter's wavelength grid.

        Returns
        -------
        ew : ndarray of shape (n_spectra, n_cuts)
            NaN where a window holds no valid pixel of the row ("not
            measurable"; with ``missing="error"`` a ValueError instead).
        """
        check_is_fitted(self)
        X = validate_named_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        if self.normalizer_ is None:
            self._check_normalised(X)
        windows = [window for window, _, _ in _check_cuts(self.cuts)]
        with warnings.catch_warnings():
            # A NaN EW is handled by the `missing` policy (and reported as
            # out_of_domain by FilteredClassifier), not by a generic warning.
            warnings.filterwarnings(
                "ignore", ".*no valid pixel in the window", RuntimeWarning
            )
            ew = _measure_ew_windows(self, X, windows)
        if self.missing == "error" and np.isnan(ew).any():
            rows, cols = np.nonzero(np.isnan(ew))
            raise ValueError(
                f"{np.unique(rows).size} spectra have no valid pixel in a cut window "
                f"(rows {np.unique(rows)[:10].tolist()}, windows "
                f"{sorted({windows[c] for c in cols.tolist()})} A in air); set "
                "missing='drop' or 'keep' to handle them."
            )
        return ew

    def pass_mask(self, X, measurements=None):
        """Boolean selection: True where every EW is inside its (min, max).

        A NaN EW (window without valid pixel) fails with ``missing="drop"``
        and is ignored with ``missing="keep"``.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the filter's wavelength grid.
        measurements : ndarray of shape (n_spectra, n_cuts), default=None
            Output of :meth:`transform` on the same X, to avoid measuring twice.

        Returns
        -------
        mask : ndarray of shape (n_spectra,), dtype=bool
            True for the rows that pass every cut.
        """
        ew = self.transform(X) if measurements is None else measurements
        low, high = self.get_cut_bounds().T
        with np.errstate(invalid="ignore"):
            inside = (ew > low) & (ew < high)
        if self.missing == "keep":
            inside |= np.isnan(ew)
        return np.all(inside, axis=1)

    def get_cut_bounds(self) -> np.ndarray:
        """(min, max) of each output column's cut, ``-inf``/``inf`` if open.

        Returns
        -------
        bounds : ndarray of shape (n_cuts, 2)
            Angstrom; a row passes a cut when ``min < EW < max``.
        """
        return np.array([(low, high) for _, low, high in _check_cuts(self.cuts)])

    def get_feature_names_out(self, input_features=None):
        """Get the names ``ew_<lo>_<hi>`` of the cut windows (air, Angstrom).

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored; the names depend on the fitted parameters only.

        Returns
        -------
        feature_names_out : ndarray of str objects
            One name per cut, in cut order.
        """
        check_is_fitted(self)
        return np.asarray(
            [f"ew_{lo:g}_{hi:g}" for (lo, hi), _, _ in _check_cuts(self.cuts)],
            dtype=object,
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
