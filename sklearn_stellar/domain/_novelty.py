"""Novelty of a spectrum against a training set: PCA residual and distance."""

from __future__ import annotations

import warnings
from numbers import Integral, Real

import numpy as np
from sklearn.base import BaseEstimator, OutlierMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..lines import der_snr
from ..utils._validation import validate_named_data

__all__ = ["SpectralNoveltyDetector"]

_TINY = 1e-12


class SpectralNoveltyDetector(OutlierMixin, BaseEstimator):
    """Flag spectra unlike the training spectra (PCA residual and distance).

    ``fit`` learns the mean spectrum and the first ``n_components``
    principal components of the training rows (continuum-normalised
    spectra on one grid). A row's novelty has two parts: the RMS residual of
    its reconstruction by those components over its finite pixels (lines
    the training spectra never had: TiO bands of M dwarfs, emission lines of
    galaxies) and its Mahalanobis distance inside the component space
    (spectra of the training kind, but far outside its range: hotter or
    cooler stars). Each is divided by its ``quantile`` over the training
    rows; the larger ratio is the novelty, so that 1 is the training
    quantile and a row is an outlier when its novelty exceeds 1.

    NaN pixels are allowed (filled with the mean spectrum for the
    projection and left out of the residual); a row with no finite pixel
    has a NaN novelty and is an outlier.

    Parameters
    ----------
    n_components : int, default=8
        Principal components kept (at most ``min(n_samples, n_features)``).
    quantile : float, default=0.99
        Training quantile of each part that defines novelty 1: about
        ``1 - quantile`` of the training rows are outliers.
    residual : {"flux", "noise"}, default="flux"
        Unit of the RMS residual: flux (continuum units), or the row's noise
        (the residual times its DER_SNR). ``"noise"`` makes a smooth
        spectrum (LRS interpolated onto an MRS grid) and real lines at high
        S/N stand out against training sets with S/N down to 10, whose
        flux residual is mostly noise; ``"flux"`` tolerates the small
        library-to-survey mismatches that high S/N would otherwise flag.

    Attributes
    ----------
    mean_ : ndarray of shape (n_features,)
        Mean training spectrum (NaN pixels left out).
    components_ : ndarray of shape (n_kept, n_features)
        Principal axes; ``n_kept = min(n_components, n_samples,
        n_features)``.
    scale_ : ndarray of shape (n_kept,)
        Standard deviation of the training rows along each axis.
    residual_threshold_ : float
        ``quantile`` of the training RMS residuals (unit of ``residual``).
    distance_threshold_ : float
        ``quantile`` of the training Mahalanobis distances.
    offset_ : float
        -1.0: ``decision_function = score_samples - offset_``.
    n_features_in_ : int

    See Also
    --------
    DomainGuard : The filter that uses it inside ``FilteredClassifier``.
    sklearn.covariance.EllipticEnvelope : A distance-only detector.

    References
    ----------
    .. [1] Jolliffe, I. T. (2002). Principal Component Analysis, 2nd ed.
       Springer (reconstruction error as an outlier measure).
    .. [2] Yip, C. W. et al. (2004). AJ 128, 585 (PCA of spectra).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.domain import SpectralNoveltyDetector
    >>> rng = np.random.default_rng(0)
    >>> X = 1.0 + 0.1 * rng.normal(size=(200, 2)) @ rng.normal(size=(2, 50))
    >>> X += 0.01 * rng.normal(size=X.shape)
    >>> odd = X[:3].copy()
    >>> odd[:, 20:25] -= 0.5                 # a line the training never had
    >>> det = SpectralNoveltyDetector(n_components=2).fit(X)
    >>> det.predict(odd).tolist(), int((det.predict(X) == 1).sum())
    ([-1, -1, -1], 196)
    """

    _parameter_constraints: dict = {
        "n_components": [Interval(Integral, 1, None, closed="left")],
        "quantile": [Interval(Real, 0.0, 1.0, closed="right")],
        "residual": [StrOptions({"flux", "noise"})],
    }

    def __init__(self, *, n_components=8, quantile=0.99, residual="flux"):
        self.n_components = n_components
        self.quantile = quantile
        self.residual = residual

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Learn the mean, components and thresholds from training spectra.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Continuum-normalised training spectra (NaN allowed).
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        self : SpectralNoveltyDetector
            The fitted detector.

        Raises
        ------
        ValueError
            If a column of X has no finite value.
        """
        X = validate_named_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64
        )
        finite = np.isfinite(X)
        empty = ~finite.any(axis=0)
        if empty.any():
            raise ValueError(
                f"`X`: {int(empty.sum())} columns have no finite value in any "
                f"training row (first {np.flatnonzero(empty)[:5].tolist()}); the "
                "mean spectrum is undefined there."
            )
        self.mean_ = np.nanmean(X, axis=0)
        centred = np.where(finite, X - self.mean_, 0.0)
        k = min(self.n_components, *X.shape)
        _, s, vt = np.linalg.svd(centred, full_matrices=False)
        self.components_ = vt[:k]
        self.scale_ = np.maximum(s[:k] / np.sqrt(max(X.shape[0] - 1, 1)), _TINY)
        residual, distance = self._parts(X)
        self.residual_threshold_ = max(
            float(np.nanquantile(residual, self.quantile)), _TINY
        )
        self.distance_threshold_ = max(
            float(np.nanquantile(distance, self.quantile)), _TINY
        )
        self.offset_ = -1.0
        return self

    def _parts(self, X):
        finite = np.isfinite(X)
        centred = np.where(finite, X - self.mean_, 0.0)
        coef = centred @ self.components_.T
        resid = np.where(finite, centred - coef @ self.components_, np.nan)
        n = finite.sum(axis=1)
        with np.errstate(invalid="ignore", divide="ignore"):
            rms = np.sqrt(np.nansum(resid**2, axis=1) / n)
        rms[n == 0] = np.nan
        if self.residual == "noise" and X.shape[1] >= 5:
            with warnings.catch_warnings():
                # Fewer than 5 pixels or zero noise: NaN, reported as such.
                warnings.simplefilter("ignore", RuntimeWarning)
                rms = rms * der_snr(X)
        distance = np.sqrt(np.mean((coef / self.scale_) ** 2, axis=1))
        distance[n == 0] = np.nan
        return rms, distance

    def novelty(self, X) -> np.ndarray:
        """Novelty of each row: 1 at the training ``quantile``, NaN if no pixel.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Continuum-normalised spectra on the training grid (NaN allowed).

        Returns
        -------
        novelty : ndarray of shape (n_samples,)
            ``max(residual / residual_threshold_, distance /
            distance_threshold_)``; NaN for a row with no finite pixel.
        """
        check_is_fitted(self)
        X = validate_named_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        residual, distance = self._parts(X)
        return np.fmax(
            residual / self.residual_threshold_, distance / self.distance_threshold_
        ) + np.where(np.isnan(residual), np.nan, 0.0)

    def score_samples(self, X) -> np.ndarray:
        """Return minus the novelty: higher is more like the training spectra.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Continuum-normalised spectra on the training grid (NaN allowed).

        Returns
        -------
        scores : ndarray of shape (n_samples,)
            ``-novelty(X)``; -inf for a row with no finite pixel.
        """
        return np.nan_to_num(-self.novelty(X), nan=-np.inf)

    def decision_function(self, X) -> np.ndarray:
        """Compute ``score_samples(X) - offset_``: negative for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Continuum-normalised spectra on the training grid (NaN allowed).

        Returns
        -------
        decision : ndarray of shape (n_samples,)
            ``1 - novelty``; -inf for a row with no finite pixel.
        """
        return self.score_samples(X) - self.offset_

    def predict(self, X) -> np.ndarray:
        """Predict +1 for spectra like the training ones, -1 for outliers.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Continuum-normalised spectra on the training grid (NaN allowed).

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            +1 where the novelty is at most 1, -1 elsewhere (and for rows
            with no finite pixel).
        """
        return np.where(self.decision_function(X) >= 0.0, 1, -1)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags
