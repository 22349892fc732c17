"""Reddening-free near-infrared Q index (Comeron & Pasquali 2005)."""

from __future__ import annotations

from numbers import Real

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils._validation import check_real_array, validate_named_data
from ._layout import check_bands

__all__ = ["QColorFilter", "q_index"]

#: E(J-H)/E(H-Ks) of the reddening law Q is built to be invariant along.
Q_SLOPE = 1.70


def q_index(J, H, Ks) -> np.ndarray:
    """Reddening-free index ``Q = (J - H) - 1.70 (H - Ks)``.

    Early-type (O, B, early A) stars have Q near 0, K and M stars
    Q = 0.4-0.5 (Comeron & Pasquali 2005). Q is unchanged by reddening with
    ``E(J-H) / E(H-Ks) = 1.70``.

    Parameters
    ----------
    J, H, Ks : float or array-like
        2MASS magnitudes (mag), broadcastable to one shape. NaN marks a
        missing magnitude and gives a NaN Q; inf is refused.

    Returns
    -------
    ndarray
        Q in mag.

    Raises
    ------
    TypeError
        If a band is not numeric (naming it).
    ValueError
        If a band holds inf (naming it and the index), or the shapes do not
        broadcast.

    Examples
    --------
    >>> from sklearn_stellar.filters import q_index
    >>> round(float(q_index(10.0, 9.9, 9.8)), 3)
    -0.07
    """
    J, H, Ks = (
        check_real_array(v, name=name, allow_nan=True)
        for v, name in ((J, "J"), (H, "H"), (Ks, "Ks"))
    )
    try:
        np.broadcast_shapes(J.shape, H.shape, Ks.shape)
    except ValueError:
        raise ValueError(
            f"`J`, `H` and `Ks` must have the same length (or broadcast), got "
            f"shapes {J.shape}, {H.shape} and {Ks.shape}."
        ) from None
    return (J - H) - Q_SLOPE * (H - Ks)


class QColorFilter(TransformerMixin, BaseEstimator):
    """Reject K and M stars by the 2MASS Q index (Wang et al. 2022, section 3).

    ``Q = (J - H) - 1.70 (H - Ks)``; a row passes when ``Q < threshold``.

    Parameters
    ----------
    threshold : float, default=0.2
        Upper limit on Q for an early-type star. Early types cluster at
        ``Q ~ 0`` and K/M types at ``Q = 0.4-0.5`` (Comeron & Pasquali 2005;
        Negueruela & Schurch 2007); 0.2 sits halfway, about 2 sigma from both
        for typical 2MASS errors of 0.03 mag per band
        (``sigma_Q = sqrt(1 + 2.7^2 + 1.7^2) * 0.03 ~ 0.1``). Classical Be stars
        with infrared excess have *lower* Q (redder H-Ks), so the upper cut does
        not remove them.
    bands : tuple of str, default=("J", "H", "Ks")
        Names of the J, H and Ks columns, in that order. Inside
        :class:`FilteredClassifier` they are looked up by name in its
        ``photometry``; standalone, X has exactly these three columns.
    missing : {"error", "keep", "flag", "drop"}, default="error"
        What to do with a row whose J, H or Ks is NaN: raise a ``ValueError``
        naming the rows; let it pass (``"keep"``: its Q is NaN in
        :meth:`transform`); let it pass and add a second output column
        ``photometry_missing`` (1.0 for such rows, 0.0 otherwise) so catalogs
        carry an explicit flag (``"flag"``); or reject it (``"drop"``).

    Attributes
    ----------
    n_features_in_ : int

    References
    ----------
    Comeron, F. & Pasquali, A. 2005, A&A 430, 541. Wang et al. (2022), section 3.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.filters import QColorFilter
    >>> jhk = np.array([[10.00, 9.95, 9.92],    # B star: Q ~ 0
    ...                 [10.00, 9.30, 9.15]])   # K/M star: Q ~ 0.45
    >>> f = QColorFilter().fit(jhk)
    >>> f.transform(jhk).round(3).ravel().tolist()
    [-0.001, 0.445]
    >>> f.pass_mask(jhk).tolist()
    [True, False]
    """

    filter_input = "photometry"

    _parameter_constraints: dict = {
        "threshold": [Interval(Real, None, None, closed="neither")],
        "bands": [tuple, list],
        "missing": [StrOptions({"error", "keep", "flag", "drop"})],
    }

    def __init__(self, *, threshold=0.2, bands=("J", "H", "Ks"), missing="error"):
        self.threshold = threshold
        self.bands = bands
        self.missing = missing

    def _validate_input(self, X, reset):
        bands = check_bands(self.bands, name="bands")
        if len(bands) != 3:
            raise ValueError(
                f"`bands` must name the J, H and Ks columns (3 names), got {bands!r}."
            )
        X = validate_named_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=reset
        )
        if X.shape[1] != 3:
            raise ValueError(
                "QColorFilter needs exactly 3 photometry columns, J, H and Ks "
                f"(named {bands}), got X with n_features = {X.shape[1]}."
            )
        missing = np.isnan(X).any(axis=1)
        if self.missing == "error" and missing.any():
            rows = np.flatnonzero(missing)
            raise ValueError(
                f"`X`: {rows.size} rows have NaN {'/'.join(bands)} photometry (rows "
                f"{rows[:10].tolist()}{'...' if rows.size > 10 else ''}); set "
                "missing='keep', 'flag' or 'drop' to handle them."
            )
        return X, missing

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check the photometry columns.

        Parameters
        ----------
        X : array-like of shape (n_stars, 3)
            J, H, Ks magnitudes.
        y : None
            Ignored; present for the scikit-learn API.

        Returns
        -------
        self : QColorFilter
            The fitted filter.
        """
        self._validate_input(X, reset=True)
        return self

    def transform(self, X):
        """Q index of each row.

        Parameters
        ----------
        X : array-like of shape (n_stars, 3)
            J, H, Ks magnitudes.

        Returns
        -------
        q : ndarray of shape (n_stars, 1), or (n_stars, 2) with
            ``missing="flag"``
            Q (NaN where photometry is missing), then the missing flag.
        """
        check_is_fitted(self)
        X, missing = self._validate_input(X, reset=False)
        q = q_index(X[:, 0], X[:, 1], X[:, 2])[:, None]
        if self.missing == "flag":
            return np.hstack([q, missing[:, None].astype(np.float64)])
        return q

    def pass_mask(self, X, measurements=None):
        """True where ``Q < threshold`` (missing photometry per ``missing``).

        Parameters
        ----------
        X : array-like of shape (n_stars, 3)
            J, H, Ks magnitudes.
        measurements : ndarray of shape (n_stars, 1 or 2), default=None
            Output of :meth:`transform` on the same X.

        Returns
        -------
        mask : ndarray of shape (n_stars,), dtype=bool
            True for the rows that pass.
        """
        q = self.transform(X) if measurements is None else measurements
        q = q[:, 0]
        missing = np.isnan(q)
        with np.errstate(invalid="ignore"):
            keep = q < self.threshold
        return np.where(missing, self.missing in ("keep", "flag"), keep)

    def get_cut_bounds(self) -> np.ndarray:
        """(min, max) of the cut on each output column (NaN: not a cut).

        Returns
        -------
        bounds : ndarray of shape (1, 2), or (2, 2) with ``missing="flag"``
            ``(-inf, threshold)`` for Q; the flag column is not a cut.
        """
        bounds = [(-np.inf, float(self.threshold))]
        if self.missing == "flag":
            bounds.append((np.nan, np.nan))
        return np.array(bounds)

    def get_feature_names_out(self, input_features=None):
        """Get the output names: ``["q"]``, plus ``"photometry_missing"``.

        Parameters
        ----------
        input_features : array-like of str or None, default=None
            Ignored; the names depend on the fitted parameters only.

        Returns
        -------
        feature_names_out : ndarray of str objects
            ``"photometry_missing"`` is added with ``missing="flag"``.
        """
        check_is_fitted(self)
        names = ["q", "photometry_missing"] if self.missing == "flag" else ["q"]
        return np.asarray(names, dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = self.missing != "error"
        return tags
