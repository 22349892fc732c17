"""The training domain of a fitted model, as a filter of FilteredClassifier."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context, clone
from sklearn.utils._param_validation import HasMethods, Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..lines import der_snr
from ..lines._common import window_in_medium
from ..utils._validation import grid_or_pixel_index, validate_named_data
from ._metadata import metadata_problem
from ._novelty import SpectralNoveltyDetector

__all__ = ["DomainGuard"]

_NAMES = ("coverage", "snr", "novelty")


class DomainGuard(TransformerMixin, BaseEstimator):
    """Flag spectra outside a model's training domain as ``out_of_domain``.

    A filter for :class:`~sklearn_stellar.filters.FilteredClassifier` whose
    failures are *out of domain*, not rejections (``failure_status``): the
    model cannot speak for such a spectrum, so it gets no probability and the
    catalog says why. Three measurements per row (``transform``):

    - ``coverage``: fraction of the grid's pixels with finite flux, cut
      ``> min_coverage``;
    - ``snr``: DER_SNR of the flux in ``snr_window``, cut ``> min_der_snr``
      (the header S/N is compared with ``min_snr`` by :meth:`check_metadata`:
      Jing et al. (2024) trained on S/N(g) > 20, Wang et al. (2022) on
      S/N > 10 per pixel);
    - ``novelty``: :class:`SpectralNoveltyDetector` fitted on the training
      spectra after ``normalizer``, cut ``< 1`` (1 = the training quantile).

    A cut set to None is not applied (the column is still measured, and
    ``novelty=None`` fills that column with zeros). :meth:`check_metadata`
    applies the header-level rules (survey, MRS arm, LAMOST CLASS and
    SUBCLASS, header S/N) to a reader's metadata dict, for the callers that
    have it (the command line, ``bench_domain.py``).

    Parameters
    ----------
    wavelength : array-like of shape (n_pixels,), default=None
        Grid of X's columns in Angstrom, in ``medium``, strictly increasing.
        None means the pixel index (no grid), on which ``snr_window`` in
        Angstrom cannot be placed: ``fit`` raises a ValueError when
        ``snr_window`` is set.
    medium : {"vacuum", "air"}, default="vacuum"
        Medium of ``wavelength``; ``snr_window`` is in air.
    normalizer : transformer, default=None
        Fitted on X and applied before the novelty detector (e.g. the
        recipe's ``ContinuumNormalizer``); None: X is used as it is.
    novelty : SpectralNoveltyDetector or None, default=None
        Unfitted detector; None: a ``SpectralNoveltyDetector()`` with its
        defaults. ``False`` switches the novelty part off.
    min_coverage : float or None, default=0.9
        Least fraction of finite pixels.
    min_snr : float or None, default=None
        S/N floor per pixel of the header S/N of ``snr_bands``
        (:meth:`check_metadata`).
    min_der_snr : float or None, default=None
        S/N floor of the ``snr`` column (DER_SNR of the flux in
        ``snr_window``). DER_SNR reads line-rich LRS spectra low (a K5 dwarf
        at header S/N(g) 125 measures 16 in 4000-5500 A), so this floor may
        sit below ``min_snr``.
    snr_window : tuple of float or None, default=None
        ``(lo, hi)`` air Angstrom where DER_SNR is measured; None: every
        pixel.
    survey : str or None, default=None
        ``"LRS"`` or ``"MRS"``: metadata of another survey is out of domain.
    arm : str or None, default=None
        MRS arm (``"B"``, ``"R"``) the model reads.
    classes : tuple of str or None, default=None
        LAMOST CLASS values in the domain (e.g. ``("STAR",)``).
    subclass_range : tuple of 2 str or None, default=None
        Earliest and latest MK type in the domain (``("F5", "K7")``): a
        header SUBCLASS outside is out of domain; giants (``gM``) too when
        ``dwarfs_only``.
    dwarfs_only : bool, default=False
        Header subclasses of giants (``g`` prefix) are out of domain.
    snr_bands : tuple of str, default=()
        Keys of ``meta["snr"]`` compared with ``min_snr`` (``("g",)`` for
        LRS, ``("B", "R")`` for MRS); absent keys are skipped.

    Attributes
    ----------
    normalizer_ : transformer or None
    novelty_ : SpectralNoveltyDetector or None
    n_features_in_ : int

    See Also
    --------
    sklearn_stellar.filters.FilteredClassifier : Applies it and gives each row
        its status.
    sklearn_stellar.pipelines.make_binary_pipeline : Adds it with
        ``domain=True``.

    References
    ----------
    .. [1] Jing, Y., Mao, T.-X., Wang, J., Liu, C., & Chen, X. (2024). Half a
       million binary stars identified from the low resolution spectra of
       LAMOST. Section 2.1: 3800 < Teff < 6500 K, log g > 4, S/N(g) > 20.
    .. [2] Wang, L., Li, J., Wu, Y., et al. (2022). Identification of new
       classical Be stars from the LAMOST MRS survey. Section 2: S/N > 10
       per pixel in both MRS arms.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.domain import DomainGuard
    >>> rng = np.random.default_rng(0)
    >>> wave = np.linspace(6300.0, 6800.0, 200)
    >>> X = 1.0 + 0.01 * rng.normal(size=(100, 200))
    >>> guard = DomainGuard(wavelength=wave, min_der_snr=10.0).fit(X)
    >>> odd = X[:2].copy()
    >>> odd[0, :150] = np.nan                  # a quarter of the grid left
    >>> odd[1] += 0.5 * rng.normal(size=200)   # S/N ~ 2
    >>> guard.pass_mask(odd).tolist()
    [False, False]
    >>> guard.transform(odd)[:, :2].round(1)
    array([[ 0.2, 91.4],
           [ 1. ,  2.2]])
    >>> DomainGuard(classes=("STAR",)).check_metadata({"class": "GALAXY"})
    'header CLASS GALAXY, the model was trained on STAR'
    """

    filter_input = "flux"
    #: A row failing a cut of this filter is "out_of_domain", not "rejected".
    failure_status = "out_of_domain"

    _parameter_constraints: dict = {
        "wavelength": ["array-like", None],
        "medium": [StrOptions({"vacuum", "air"})],
        "normalizer": [HasMethods(["fit", "transform"]), None],
        "novelty": [HasMethods(["fit", "novelty"]), "boolean", None],
        "min_coverage": [Interval(Real, 0.0, 1.0, closed="both"), None],
        "min_snr": [Interval(Real, 0.0, None, closed="left"), None],
        "min_der_snr": [Interval(Real, 0.0, None, closed="left"), None],
        "snr_window": ["array-like", None],
        "survey": [str, None],
        "arm": [str, None],
        "classes": [tuple, list, None],
        "subclass_range": [tuple, list, None],
        "dwarfs_only": ["boolean"],
        "snr_bands": [tuple, list],
    }

    def __init__(
        self,
        *,
        wavelength=None,
        medium="vacuum",
        normalizer=None,
        novelty=None,
        min_coverage=0.9,
        min_snr=None,
        min_der_snr=None,
        snr_window=None,
        survey=None,
        arm=None,
        classes=None,
        subclass_range=None,
        dwarfs_only=False,
        snr_bands=(),
    ):
        self.wavelength = wavelength
        self.medium = medium
        self.normalizer = normalizer
        self.novelty = novelty
        self.min_coverage = min_coverage
        self.min_snr = min_snr
        self.min_der_snr = min_der_snr
        self.snr_window = snr_window
        self.survey = survey
        self.arm = arm
        self.classes = classes
        self.subclass_range = subclass_range
        self.dwarfs_only = dwarfs_only
        self.snr_bands = snr_bands

    def _snr_columns(self, n_features):
        if self.snr_window is None:
            return slice(None)
        grid = grid_or_pixel_index(
            self.wavelength, n_features, needs_angstrom="`snr_window`"
        )
        lo, hi = window_in_medium(self.snr_window, self.medium, name="snr_window")
        cols = np.flatnonzero((grid >= lo) & (grid <= hi))
        if cols.size < 5:
            raise ValueError(
                f"`snr_window`={tuple(self.snr_window)} A holds {cols.size} pixels "
                f"of `wavelength` ({grid[0]:.1f}-{grid[-1]:.1f} A); at least 5 are "
                "needed."
            )
        return cols

    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y=None):
        """Fit ``normalizer`` and the novelty detector on the training spectra.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Training spectra (flux, NaN allowed).
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        self : DomainGuard
            The fitted guard.

        Raises
        ------
        ValueError
            If ``snr_window`` is set without ``wavelength``, ``wavelength``
            is not a strictly increasing grid matching X's columns, or the
            window holds fewer than 5 pixels.
        """
        X = validate_named_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64
        )
        self._snr_columns(X.shape[1])
        self.normalizer_ = None
        if self.normalizer is not None:
            self.normalizer_ = clone(self.normalizer).fit(X)
        self.novelty_ = None
        if self.novelty is not False:
            detector = self.novelty if self.novelty not in (None, True) else None
            detector = clone(detector) if detector else SpectralNoveltyDetector()
            self.novelty_ = detector.fit(self._normalised(X))
        return self

    def _normalised(self, X):
        if self.normalizer_ is None:
            return X
        with warnings.catch_warnings():
            # An empty row's NaN is reported by the coverage column instead.
            warnings.simplefilter("ignore", RuntimeWarning)
            return np.asarray(self.normalizer_.transform(X), dtype=np.float64)

    def transform(self, X):
        """Coverage, S/N and novelty of each spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the grid the guard was fitted on (NaN allowed).

        Returns
        -------
        measurements : ndarray of shape (n_spectra, 3)
            ``coverage`` (0-1), ``snr`` (DER_SNR per pixel; NaN, with a
            ``RuntimeWarning``, with fewer than 5 usable pixels), ``novelty`` (1 = the
            training quantile; NaN without a finite pixel, 0 when off).
        """
        check_is_fitted(self)
        X = validate_named_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        coverage = np.isfinite(X).mean(axis=1)
        # der_snr warns (RuntimeWarning) where the S/N is NaN: fewer than 5
        # usable pixels; the filter report then says "not measurable".
        snr = der_snr(X[:, self._snr_columns(X.shape[1])])
        if self.novelty_ is None:
            novelty = np.zeros(X.shape[0])
        else:
            novelty = self.novelty_.novelty(self._normalised(X))
        return np.column_stack([coverage, snr, novelty])

    def get_cut_bounds(self) -> np.ndarray:
        """(min, max) of each column's cut; NaN pairs for columns not cut.

        Returns
        -------
        bounds : ndarray of shape (3, 2)
            Open interval ``(low, high)`` each column of :meth:`transform`
            must fall in; a row of NaN for a cut that is off.
        """
        nan = (np.nan, np.nan)
        return np.array(
            [
                nan if self.min_coverage is None else (self.min_coverage, np.inf),
                nan if self.min_der_snr is None else (self.min_der_snr, np.inf),
                nan if self.novelty is False else (-np.inf, 1.0),
            ],
            dtype=np.float64,
        )

    def pass_mask(self, X, measurements=None):
        """True where the spectrum is inside the domain (every cut passed).

        A NaN measurement of a cut column fails it.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the grid the guard was fitted on.
        measurements : ndarray of shape (n_spectra, 3), default=None
            Output of :meth:`transform` on the same X, to avoid measuring
            twice.

        Returns
        -------
        mask : ndarray of shape (n_spectra,), dtype=bool
            True for the rows that pass every cut.
        """
        values = self.transform(X) if measurements is None else measurements
        bounds = self.get_cut_bounds()
        mask = np.ones(values.shape[0], dtype=bool)
        for j, (low, high) in enumerate(bounds):
            if np.isnan(low) and np.isnan(high):
                continue
            with np.errstate(invalid="ignore"):
                mask &= (values[:, j] > low) & (values[:, j] < high)
        return mask

    def check_metadata(self, meta) -> str:
        """Why a spectrum's reader metadata puts it out of domain ("" if not).

        Parameters
        ----------
        meta : mapping
            Reader metadata (``sklearn_stellar.io`` spectra's ``meta``):
            ``survey``, ``arm``, ``class``, ``subclass``, ``snr`` (dict band
            -> S/N). Absent or None keys are not checked.

        Returns
        -------
        reason : str
            The first rule the metadata breaks, in words; the empty string
            when the spectrum is inside the domain.
        """
        return metadata_problem(
            meta,
            survey=self.survey,
            arm=self.arm,
            classes=self.classes,
            subclass_range=self.subclass_range,
            dwarfs_only=self.dwarfs_only,
            min_snr=self.min_snr,
            snr_bands=self.snr_bands,
        )

    def get_feature_names_out(self, input_features=None):
        """Get the names of the three measured columns.

        Parameters
        ----------
        input_features : array-like of str, default=None
            Ignored; the output names do not depend on the input.

        Returns
        -------
        names : ndarray of str of shape (3,)
            ``coverage``, ``snr``, ``novelty``.
        """
        return np.asarray(_NAMES, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
