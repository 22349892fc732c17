"""A classifier that only sees the rows passing selection filters."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from sklearn.base import ClassifierMixin, MetaEstimatorMixin, _fit_context, clone
from sklearn.utils import Bunch
from sklearn.utils._param_validation import HasMethods
from sklearn.utils._tags import get_tags
from sklearn.utils.metaestimators import _BaseComposition, available_if
from sklearn.utils.validation import check_is_fitted

from ..utils._validation import check_named_targets, validate_named_data
from ._layout import check_bands, split_photometry
from ._report import FilterRejectionWarning, build_report, row_status, warning_text

__all__ = ["FilteredClassifier"]


def _estimator_has(attr):
    def check(self):
        if hasattr(self, "estimator_"):
            return hasattr(self.estimator_, attr)
        return hasattr(self.estimator, attr)

    return check


class FilteredClassifier(MetaEstimatorMixin, ClassifierMixin, _BaseComposition):
    """Fit and apply a classifier only on rows that pass selection filters.

    Rows failing any filter are removed with their labels before
    ``estimator`` is fitted, and at prediction time they never reach it: they
    are predicted as ``negative_label`` with probability 1 for that class and 0
    for every other class (so the positive-class probability is exactly 0).
    ``predict``, ``predict_proba`` and ``score`` return one row per input row.
    Such a row is *not* a confident negative: :meth:`filter_report` gives each
    row's status (``"ok"``, ``"rejected"`` by a cut, or ``"out_of_domain"``:
    a filter could not measure it, e.g. no flux in the Mg b window of a
    red-arm-only MRS spectrum) with the reason, and ``predict`` /
    ``predict_proba`` warn with the counts (:class:`FilterRejectionWarning`)
    whenever a row is rejected or out of domain. Whether an out-of-domain row
    is classified is its filter's ``missing`` policy (``EWFilter``,
    ``QColorFilter``). See docs/filters.rst for why this is a meta-estimator
    and not a sampler.

    ``X`` holds the flux columns followed by ``len(photometry)`` photometry
    columns (build it with :func:`stack_photometry`). Each filter receives
    what its ``filter_input`` asks for: the flux columns (``"flux"``) or the
    photometry columns named by its ``bands`` (``"photometry"``). The
    estimator receives the flux columns only.

    Parameters
    ----------
    filters : list of (str, filter)
        Named filters (:class:`EWFilter`, :class:`QColorFilter`, or any
        transformer with ``pass_mask(X, measurements=None)`` and a
        ``filter_input`` attribute). A row passes when it passes all of them.
        Their parameters are reachable as ``<name>__<param>``.
    estimator : classifier
        Fitted on the passing rows' flux, e.g. an imblearn ``Pipeline``
        with ``RandomOverSampler``, a normaliser and a network.
    photometry : tuple of str, default=()
        Names of the trailing photometry columns of X, in order (e.g.
        ``("J", "H", "Ks")``). Empty: X is all flux.
    negative_label : int, float, bool or str, default=None
        Class given to rejected rows; must be one of the training labels.
        ``None`` takes the smallest label when the labels are numeric or
        boolean (``0``, ``False``, ``-1``) and raises for string labels, whose
        order says nothing about which class is negative.

    Attributes
    ----------
    classes_ : ndarray of shape (n_classes,)
        Labels seen in ``fit`` (all rows, passing or not).
    negative_label_ : object
        The resolved negative class.
    filters_ : list of (str, filter)
        Fitted clones of ``filters``.
    estimator_ : classifier
        Fitted clone of ``estimator`` (on the passing rows).
    pass_mask_ : ndarray of shape (n_samples,), dtype=bool
        Which training rows passed.
    measurements_ : ndarray of shape (n_samples, n_measurements)
        The filters' measurements (EWs, Q) on the training rows.
    measurement_names_ : ndarray of str
        ``<filter name>__<measurement>`` for each column of ``measurements_``.
    n_features_in_ : int
        Columns of X (flux + photometry).

    See Also
    --------
    stack_photometry : Build X from flux and photometry.
    EWFilter, QColorFilter : The Wang et al. (2022) selection filters.
    sklearn_stellar.pipelines.make_be_pipeline : The Wang et al. (2022) recipe.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_stellar.filters import (
    ...     FilteredClassifier, QColorFilter, stack_photometry)
    >>> rng = np.random.default_rng(0)
    >>> flux = rng.normal(size=(40, 5))
    >>> y = (flux[:, 0] > 0).astype(int)
    >>> jhk = np.tile([10.0, 9.95, 9.92], (40, 1))
    >>> jhk[:10] = [10.0, 9.3, 9.15]                   # 10 late-type stars
    >>> X = stack_photometry(flux, jhk)
    >>> clf = FilteredClassifier(
    ...     filters=[("q", QColorFilter())], estimator=LogisticRegression(),
    ...     photometry=("J", "H", "Ks")).fit(X, y)
    >>> int(clf.pass_mask_.sum())
    30
    >>> import warnings
    >>> with warnings.catch_warnings(record=True) as caught:
    ...     warnings.simplefilter("always")
    ...     proba = clf.predict_proba(X)
    >>> proba.shape, float(proba[:10, 1].max())
    ((40, 2), 0.0)
    >>> print(caught[0].message)  # doctest: +ELLIPSIS
    10 of 40 rows did not reach the classifier (10 rejected by a cut, 0 out ...
    >>> report = clf.filter_report(X)
    >>> report.status[:2].tolist(), report.reason[0]
    (['rejected', 'rejected'], 'q__q = 0.445, cut < 0.2')
    >>> str(report.status[10]), bool(report.classified[10])
    ('ok', True)
    """

    _parameter_constraints: dict = {
        "filters": [list, tuple],
        "estimator": [HasMethods(["fit", "predict"])],
        "photometry": [list, tuple],
        "negative_label": [numbers.Real, str, "boolean", None],
    }

    def __init__(self, filters, estimator, *, photometry=(), negative_label=None):
        self.filters = filters
        self.estimator = estimator
        self.photometry = photometry
        self.negative_label = negative_label

    def get_params(self, deep=True):
        """Get parameters, with each filter's as ``<name>__<param>``.

        Parameters
        ----------
        deep : bool, default=True
            Include the parameters of the filters and of ``estimator``.

        Returns
        -------
        params : dict
            Parameter names mapped to their values.
        """
        return self._get_params("filters", deep=deep)

    def set_params(self, **params):
        """Set parameters, including ``<filter name>__<param>``.

        Parameters
        ----------
        **params : dict
            Parameter names (``q__threshold``, ``estimator__lr``) and values.

        Returns
        -------
        self : FilteredClassifier
            This estimator.
        """
        self._set_params("filters", **params)
        return self

    # ------------------------------------------------------------------ checks
    def _check_filters(self):
        filters = self.filters
        if not isinstance(filters, (list, tuple)) or not all(
            isinstance(item, tuple) and len(item) == 2 for item in filters
        ):
            raise TypeError(
                f"`filters` must be a list of (name, filter) pairs, got {filters!r}."
            )
        names = [name for name, _ in filters]
        self._validate_names(names)
        for name, flt in filters:
            kind = getattr(flt, "filter_input", None)
            if kind not in ("flux", "photometry") or not hasattr(flt, "pass_mask"):
                raise TypeError(
                    f"filter {name!r} must have `pass_mask` and a `filter_input` of "
                    f"'flux' or 'photometry'; got {type(flt).__name__}."
                )
        return list(filters)

    def _columns(self, name, flt, bands):
        """Indices, in the photometry block, of the bands a filter reads."""
        wanted = check_bands(getattr(flt, "bands", None), name=f"{name}__bands")
        lacking = [b for b in wanted if b not in bands]
        if lacking:
            raise ValueError(
                f"filter {name!r} ({type(flt).__name__}) needs photometry columns "
                f"{wanted} but `photometry`={bands} lacks {lacking}; stack them "
                "as trailing columns of X and name them in `photometry`."
            )
        return [bands.index(b) for b in wanted]

    def _split(self, X):
        bands = check_bands(self.photometry, name="photometry")
        flux, phot = split_photometry(X, len(bands))
        return flux, phot, bands

    def _run_filters(self, filters, flux, phot, bands, *, fit, y=None):
        fitted, blocks, names, masks, parts = [], [], [], {}, []
        for name, flt in filters:
            if flt.filter_input == "flux":
                part = flux
            else:
                part = phot[:, self._columns(name, flt, bands)]
            if fit:
                flt = clone(flt).fit(part, y)
            values = np.asarray(flt.transform(part), dtype=np.float64)
            masks[name] = np.asarray(flt.pass_mask(part, measurements=values), bool)
            parts.append((name, flt, values, masks[name]))
            fitted.append((name, flt))
            blocks.append(values)
            names += [f"{name}__{out}" for out in flt.get_feature_names_out()]
        n = flux.shape[0]
        measurements = np.hstack(blocks) if blocks else np.empty((n, 0))
        mask = np.ones(n, dtype=bool)
        for m in masks.values():
            mask &= m
        names = np.asarray(names, dtype=object)
        return fitted, measurements, names, masks, mask, parts

    def _resolve_negative(self, classes):
        label = self.negative_label
        if label is None:
            if classes.dtype.kind in "biuf":
                return classes[0]
            raise ValueError(
                "`negative_label` must be given when the labels are not numeric "
                f"(labels {classes.tolist()!r}): it is the class given to rows "
                "rejected by the filters."
            )
        if label not in classes:
            raise ValueError(
                f"`negative_label`={label!r} is not one of the training labels "
                f"{classes.tolist()!r}."
            )
        return classes[np.flatnonzero(classes == label)[0]]

    # --------------------------------------------------------------------- API
    @_fit_context(prefer_skip_nested_validation=False)
    def fit(self, X, y):
        """Fit the filters, then ``estimator`` on the passing rows only.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels + len(photometry))
            Fluxes followed by the photometry columns, if any.
        y : array-like of shape (n_samples,)
            Class labels.

        Returns
        -------
        self : FilteredClassifier
            The fitted classifier.

        Raises
        ------
        ValueError
            If no row passes, or the passing rows hold a single class.
        """
        filters = self._check_filters()
        X, y = validate_named_data(
            self, X, y, ensure_all_finite="allow-nan", dtype=np.float64
        )
        check_named_targets(y)
        self.classes_ = np.unique(y)
        self.negative_label_ = self._resolve_negative(self.classes_)
        flux, phot, bands = self._split(X)
        (
            self.filters_,
            self.measurements_,
            self.measurement_names_,
            _,
            self.pass_mask_,
            _,
        ) = self._run_filters(filters, flux, phot, bands, fit=True, y=y)
        kept = y[self.pass_mask_]
        if kept.size == 0:
            raise ValueError(
                f"none of the {y.size} training rows passes the filters "
                f"{[name for name, _ in filters]}; nothing to fit."
            )
        if np.unique(kept).size < 2:
            raise ValueError(
                f"`y`: the {kept.size} training rows passing the filters hold only "
                f"one class ({kept[0]!r}); a classifier needs at least two classes."
            )
        self.estimator_ = clone(self.estimator).fit(flux[self.pass_mask_], kept)
        return self

    def measure(self, X) -> Bunch:
        """Filter measurements and masks, for catalogs.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels + len(photometry))
            Fluxes followed by the photometry columns, if any.

        Returns
        -------
        Bunch
            ``measurements`` (n_samples, n_measurements), ``measurement_names``,
            ``masks`` (dict: filter name -> bool array) and ``pass_mask``.
        """
        return self._measure(X)[0]

    def filter_report(self, X) -> Bunch:
        """What the filters did to each row, and why.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels + len(photometry))
            Fluxes followed by the photometry columns, if any.

        Returns
        -------
        Bunch
            One array of length n_samples per field (``astropy.table.Table(
            dict(report))`` makes a table of them):

            - ``status``: ``"ok"`` (every filter measured and passed the row),
              ``"rejected"`` (a measured value lies outside its cut; the
              first such cut, in filter order, is named), or
              ``"out_of_domain"`` (no cut rejected it but a filter could not
              measure it: a window without valid flux pixel, missing
              photometry);
            - ``classified``: whether the row reached ``estimator``. Rejected
              rows never do; out-of-domain rows do only when their filter's
              ``missing`` policy lets them pass (``"keep"``, ``"flag"``);
              rows not classified get ``negative_label_`` with probability 1
              from ``predict_proba``;
            - ``filter``, ``measurement`` (``<filter>__<name>``), ``value``
              (NaN when not measurable), ``cut`` (e.g. ``"< 1.2"``): the
              deciding filter and cut, empty for ``"ok"`` rows;
            - ``reason``: one sentence, e.g.
              ``"ew__ew_5160_5193 = 3.1, cut < 1.2"``;

            - one field per measurement of :meth:`measure`, named as in
              ``measurement_names_`` (``"ew__ew_6548_6578"``, ``"q__q"``):
              every filter's value for every row.

            Every field has one entry per row, so
            ``astropy.table.Table(dict(report))`` is a catalog table.
        """
        res, _, parts = self._measure(X)
        report = build_report(parts, res.pass_mask)
        for name, column in zip(res.measurement_names, res.measurements.T, strict=True):
            report[name] = column
        return report

    def _measure(self, X):
        check_is_fitted(self)
        X = validate_named_data(
            self, X, ensure_all_finite="allow-nan", dtype=np.float64, reset=False
        )
        flux, phot, bands = self._split(X)
        _, values, names, masks, mask, parts = self._run_filters(
            self.filters_, flux, phot, bands, fit=False
        )
        res = Bunch(
            measurements=values, measurement_names=names, masks=masks, pass_mask=mask
        )
        return res, flux, parts

    def _measure_and_warn(self, X):
        res, flux, parts = self._measure(X)
        status, _ = row_status(parts, res.pass_mask)
        text = warning_text(status, res.pass_mask, self.negative_label_)
        if text is not None:
            warnings.warn(text, FilterRejectionWarning, stacklevel=3)
        return res, flux

    def predict(self, X):
        """Predicted class; rows not classified get ``negative_label_``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_pixels + len(photometry))
            Fluxes followed by the photometry columns, if any.

        Returns
        -------
        y_pred : ndarray of shape (n_samples,)
            Labels from ``classes_``.

        Warns
        -----
        FilterRejectionWarning
            With the counts, when rows are rejected or out of domain (see
            :meth:`filter_report`).
        """
        res, flux = self._measure_and_warn(X)
        out = np.full(
            res.pass_mask.size, self.negative_label_, dtype=self.classes_.dtype
        )
        if res.pass_mask.any():
            out[res.pass_mask] = self.estimator_.predict(flux[res.pass_mask])
        return out

    @available_if(_estimator_has("predict_proba"))
    def predict_proba(self, X):
        """Class probabilities; rows not classified are 1 for ``negative_label_``.

        A row the filters kept from ``estimator`` (status ``"rejected"``, or
        ``"out_of_domain"`` under a ``"drop"`` policy) gets probability 1 for
        ``negative_label_`` and 0 for the other classes: it is not a confident
        negative, :meth:`filter_report` says what it is.

        Warns
        -----
        FilterRejectionWarning
            With the counts, when rows are rejected or out of domain.

        Returns
        -------
        proba : ndarray of shape (n_samples, n_classes)
            Columns follow ``classes_``.
        """
        res, flux = self._measure_and_warn(X)
        n = res.pass_mask.size
        proba = np.zeros((n, self.classes_.size))
        neg = int(np.flatnonzero(self.classes_ == self.negative_label_)[0])
        proba[~res.pass_mask, neg] = 1.0
        if res.pass_mask.any():
            inner = self.estimator_.predict_proba(flux[res.pass_mask])
            cols = np.searchsorted(self.classes_, self.estimator_.classes_)
            block = np.zeros((int(res.pass_mask.sum()), self.classes_.size))
            block[:, cols] = inner
            proba[res.pass_mask] = block
        return proba

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        inner = get_tags(self.estimator)
        tags.input_tags.allow_nan = inner.input_tags.allow_nan
        tags.input_tags.sparse = False
        return tags
