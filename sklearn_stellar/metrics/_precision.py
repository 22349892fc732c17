"""Precision at a population prior (Jing et al. 2024, eq. 4) and detection rate."""

from __future__ import annotations

import warnings
from numbers import Real

import numpy as np
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.metrics import make_scorer

from ..utils._validation import check_named_array, check_real

__all__ = [
    "detection_rate",
    "make_precision_at_prior_scorer",
    "precision_at_prior",
    "precision_at_prior_curve",
]


def _check_1d(values, name, dtype):
    arr = check_named_array(
        values, name=name, dtype=dtype, ensure_2d=False, ensure_all_finite=False
    )
    if arr.ndim == 2 and arr.shape[1] == 1:
        arr = arr[:, 0]
    if arr.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, got an array of shape {arr.shape}.")
    return arr


def _check_binary(y_true, y_score, pos_label, *, need_negative=True):
    y_true = _check_1d(y_true, "y_true", dtype=None)
    y_score = _check_1d(y_score, "y_score", dtype=np.float64)
    if y_true.shape[0] != y_score.shape[0]:
        raise ValueError(
            f"`y_true` and `y_score` have inconsistent lengths: "
            f"{y_true.shape[0]} and {y_score.shape[0]}."
        )
    if not np.all(np.isfinite(y_score)):
        raise ValueError("`y_score` contains NaN or infinite values.")
    labels = np.unique(y_true)
    if labels.size > 2:
        raise ValueError(
            f"`y_true` must be binary, got {labels.size} labels {labels.tolist()!r}."
        )
    positive = y_true == pos_label
    if not positive.any():
        raise ValueError(
            f"`y_true` has no positive sample (pos_label={pos_label!r}; labels "
            f"{labels.tolist()!r}): the true positive rate is undefined."
        )
    if need_negative and positive.all():
        raise ValueError(
            f"`y_true` has no negative sample (everything is pos_label={pos_label!r})"
            ": the false positive rate is undefined."
        )
    return positive, y_score


def _check_ratio(ratio):
    if isinstance(ratio, bool) or not isinstance(ratio, Real) or not ratio > 0:
        raise ValueError(
            f"`ratio` (positives per negative in the population) must be a "
            f"positive number, got {ratio!r}."
        )
    if not np.isfinite(ratio):
        raise ValueError(f"`ratio` must be finite, got {ratio!r}.")


def _check_zero_division(zero_division):
    if not (
        (isinstance(zero_division, str) and zero_division == "warn")
        or (
            isinstance(zero_division, Real)
            and not isinstance(zero_division, bool)
            and zero_division in (0.0, 1.0)
        )
    ):
        raise ValueError(
            f'`zero_division` must be "warn", 0.0 or 1.0, got {zero_division!r}.'
        )


def _zero_division(zero_division):
    if zero_division == "warn":
        warnings.warn(
            "precision_at_prior is undefined: no sample scores above the threshold "
            "(TPR = FPR = 0); returning 0.0.",
            UndefinedMetricWarning,
            stacklevel=3,
        )
        return 0.0
    return float(zero_division)


def precision_at_prior(
    y_true,
    y_score,
    *,
    threshold: float = 0.5,
    ratio: float = 0.5,
    pos_label=1,
    zero_division="warn",
) -> float:
    """Precision expected in a population with a given positive:negative ratio.

    ``precision = TPR * ratio / (TPR * ratio + FPR)`` where the true and false
    positive rates are measured on the labelled set at ``threshold``
    (``y_score > threshold`` counts as positive) and ``ratio`` is the number of
    positives per negative in the target population (binaries/singles; 1:2 ->
    0.5). Unlike plain precision it does not depend on the class balance of
    the labelled set, only on the rates.

    Written with the counts of the labelled set (``N_pos`` positives,
    ``N_neg`` negatives, ``TP``/``FP`` above threshold)::

        precision = TP / (TP + FP * N_pos / (N_neg * ratio))

    **Jing et al. (2024), eq. 4** prints ``Precision = TP / (TP + FP * r * P / T)`` with
    "T and P the number of binary and single stars". Read literally (``T`` =
    binaries, ``P`` = singles) the factor is ``r * N_neg / N_pos``, which does
    not match the definition above. It matches only if its ``T`` and ``P`` are
    read the other way round (``T`` = singles, ``P`` = binaries), which gives
    ``r * N_pos / N_neg``, *and* ``r`` is read as singles per binary
    (``r = 1 / ratio`` = 2 for a 1:2 population). This function implements the
    definition from the rates, which is what the paper's text describes.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_score : array-like of shape (n_samples,)
        Score or probability of the positive class (``p_b``).
    threshold : float, default=0.5
        ``p_th``: a sample is called positive when ``y_score > threshold``.
    ratio : float, default=0.5
        Positives per negative in the target population.
    pos_label : int, float, bool or str, default=1
        The positive class.
    zero_division : "warn", 0.0 or 1.0, default="warn"
        Value when nothing scores above the threshold (TPR = FPR = 0); "warn"
        returns 0.0 with an ``UndefinedMetricWarning``.

    Returns
    -------
    float
        The precision expected in the target population, in [0, 1].

    Raises
    ------
    ValueError
        If ``y_true`` is not binary, lacks positives or negatives, ``ratio``
        is not positive, ``threshold`` is not a finite number or
        ``zero_division`` is not one of its values.

    See Also
    --------
    precision_at_prior_curve : The same for every threshold.
    make_precision_at_prior_scorer : A scorer for model selection.
    detection_rate : The true-positive rate alone.

    References
    ----------
    Jing, Y., Mao, T.-X., Wang, J., et al. 2024 (LAMOST LRS binary stars),
    eq. 4 and Figure 3.

    Examples
    --------
    >>> from sklearn_stellar.metrics import precision_at_prior
    >>> y = [1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0]
    >>> p = [.9, .8, .7, .2, .6, .1, .1, .1, .1, .1, .1, .1]
    >>> # TPR = 3/4, FPR = 1/8: 0.75 * 0.5 / (0.75 * 0.5 + 0.125)
    >>> precision_at_prior(y, p, threshold=0.5, ratio=0.5)
    0.75
    """
    _check_ratio(ratio)
    _check_zero_division(zero_division)
    threshold = check_real(threshold, name="threshold")
    positive, score = _check_binary(y_true, y_score, pos_label)
    called = score > threshold
    tpr = called[positive].mean()
    fpr = called[~positive].mean()
    denom = tpr * ratio + fpr
    if denom == 0:
        return _zero_division(zero_division)
    return float(tpr * ratio / denom)


def precision_at_prior_curve(y_true, y_score, *, ratio: float = 0.5, pos_label=1):
    """Precision at a population prior for every threshold (Jing et al. 2024, Fig. 3).

    Thresholds are the distinct scores plus one below them all, so the curve
    starts where everything is called positive. Vectorised with sorted scores.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Binary labels.
    y_score : array-like of shape (n_samples,)
        Score or probability of the positive class (``p_b``).
    ratio : float, default=0.5
        Positives per negative in the target population.
    pos_label : int, float, bool or str, default=1
        The positive class.

    Returns
    -------
    precision : ndarray of shape (n_thresholds,)
        NaN where nothing scores above the threshold.
    tpr : ndarray of shape (n_thresholds,)
        Detection rate at each threshold.
    fpr : ndarray of shape (n_thresholds,)
        False-positive rate at each threshold.
    thresholds : ndarray of shape (n_thresholds,)
        Increasing; a sample counts as positive when its score is ``>`` it.

    Examples
    --------
    >>> from sklearn_stellar.metrics import precision_at_prior_curve
    >>> prec, tpr, fpr, thr = precision_at_prior_curve(
    ...     [1, 1, 0, 0], [0.9, 0.6, 0.7, 0.1], ratio=1.0)
    >>> thr.tolist()
    [0.0, 0.1, 0.6, 0.7, 0.9]
    >>> prec.round(3).tolist()
    [0.5, 0.667, 0.5, 1.0, nan]
    """
    _check_ratio(ratio)
    positive, score = _check_binary(y_true, y_score, pos_label)
    distinct = np.unique(score)
    below = 0.0 if distinct[0] > 0 else distinct[0] - 1.0
    thresholds = np.r_[below, distinct]
    pos = np.sort(score[positive])
    neg = np.sort(score[~positive])
    tpr = (pos.size - np.searchsorted(pos, thresholds, side="right")) / pos.size
    fpr = (neg.size - np.searchsorted(neg, thresholds, side="right")) / neg.size
    with np.errstate(invalid="ignore", divide="ignore"):
        precision = np.where(
            tpr * ratio + fpr > 0, tpr * ratio / (tpr * ratio + fpr), np.nan
        )
    return precision, tpr, fpr, thresholds


def detection_rate(y_true, y_score, *, threshold: float = 0.5, pos_label=1) -> float:
    """Fraction of the positives scoring above ``threshold`` (recall, TPR).

    Jing et al. (2024) reports it on samples that are all positive (known eclipsing
    binaries: 97%; radial-velocity binaries: 92%), so ``y_true`` may hold
    positives only.

    Parameters
    ----------
    y_true : array-like of shape (n_samples,)
        Labels; may hold positives only.
    y_score : array-like of shape (n_samples,)
        Score or probability of the positive class (``p_b``).
    threshold : float, default=0.5
        A sample is detected when ``y_score > threshold``.
    pos_label : int, float, bool or str, default=1
        The positive class.

    Returns
    -------
    float
        Detected positives over all positives, in [0, 1].

    Examples
    --------
    >>> from sklearn_stellar.metrics import detection_rate
    >>> detection_rate([1, 1, 1, 1], [0.9, 0.7, 0.4, 0.6])
    0.75
    """
    threshold = check_real(threshold, name="threshold")
    positive, score = _check_binary(y_true, y_score, pos_label, need_negative=False)
    return float(np.mean(score[positive] > threshold))


def make_precision_at_prior_scorer(
    *, threshold: float = 0.5, ratio: float = 0.5, pos_label=1
):
    """Scorer for ``GridSearchCV(scoring=...)`` using ``predict_proba``.

    Parameters
    ----------
    threshold : float, default=0.5
        Probability above which a sample is called positive.
    ratio : float, default=0.5
        Positives per negative in the target population.
    pos_label : int, float, bool or str, default=1
        The positive class.

    Returns
    -------
    callable
        A scikit-learn scorer ``scorer(estimator, X, y)`` returning
        :func:`precision_at_prior` of ``predict_proba``'s positive column.

    Examples
    --------
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn.model_selection import cross_val_score
    >>> from sklearn.datasets import make_classification
    >>> from sklearn_stellar.metrics import make_precision_at_prior_scorer
    >>> X, y = make_classification(n_samples=60, random_state=0)
    >>> scorer = make_precision_at_prior_scorer(threshold=0.5, ratio=0.5)
    >>> scores = cross_val_score(LogisticRegression(), X, y, scoring=scorer, cv=3)
    >>> bool(((scores >= 0) & (scores <= 1)).all())
    True
    """
    _check_ratio(ratio)
    # The scorer thresholds predict_proba: a probability.
    threshold = check_real(threshold, name="threshold", lower=0.0, upper=1.0)
    return make_scorer(
        precision_at_prior,
        response_method="predict_proba",
        threshold=threshold,
        ratio=ratio,
        pos_label=pos_label,
        zero_division=0.0,
    )
