"""Tests for sklearn_stellar.metrics: precision at a prior (Jing et al. 2024, eq. 4)."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.datasets import make_classification
from sklearn.exceptions import UndefinedMetricWarning
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import precision_score
from sklearn.model_selection import GridSearchCV

from sklearn_stellar.metrics import (
    detection_rate,
    make_precision_at_prior_scorer,
    precision_at_prior,
    precision_at_prior_curve,
)


def _eq4_as_printed(tp, fp, t, p, r):
    """Jing et al. (2024) eq. 4 exactly as printed: TP / (TP + FP * r * P / T)."""
    return tp / (tp + fp * r * p / t)


def test_hand_computed_value():
    y = np.array([1] * 4 + [0] * 8)
    p = np.array([0.9, 0.8, 0.7, 0.2] + [0.6] + [0.1] * 7)
    # TPR = 3/4, FPR = 1/8 -> 0.375 / (0.375 + 0.125)
    assert precision_at_prior(y, p, threshold=0.5, ratio=0.5) == pytest.approx(0.75)
    # p > threshold is strict: a score equal to the threshold is negative.
    assert precision_at_prior(y, p, threshold=0.6, ratio=0.5) == pytest.approx(1.0)


def test_eq4_matches_only_with_t_and_p_swapped_and_r_inverted():
    rng = np.random.default_rng(1)
    y = np.r_[np.ones(300, int), np.zeros(5000, int)]  # Jing et al. 2024's test set
    score = np.clip(rng.normal(0.75 * y + 0.2, 0.2), 0, 1)
    called = score > 0.5
    tp, fp = called[y == 1].sum(), called[y == 0].sum()
    n_bin, n_single = 300, 5000
    ours = precision_at_prior(y, score, threshold=0.5, ratio=0.5)
    # T = singles, P = binaries, r = singles per binary (2 for 1:2): equal.
    assert ours == pytest.approx(_eq4_as_printed(tp, fp, n_single, n_bin, 2.0))
    # The text's reading (T = binaries, P = singles, r = 0.5) is different.
    literal = _eq4_as_printed(tp, fp, n_bin, n_single, 0.5)
    assert abs(literal - ours) > 0.1
    # Only swapping T and P (r = 0.5 kept) is also different.
    swapped = _eq4_as_printed(tp, fp, n_single, n_bin, 0.5)
    assert abs(swapped - ours) > 0.01


@settings(max_examples=50, deadline=None)
@given(
    seed=st.integers(0, 2**31),
    n_pos=st.integers(2, 40),
    n_neg=st.integers(2, 40),
    threshold=st.floats(0.05, 0.95),
)
def test_equals_plain_precision_when_labelled_ratio_is_the_prior(
    seed, n_pos, n_neg, threshold
):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(n_pos, int), np.zeros(n_neg, int)]
    score = rng.uniform(size=y.size)
    called = score > threshold
    if not called.any():
        return
    ours = precision_at_prior(y, score, threshold=threshold, ratio=n_pos / n_neg)
    assert ours == pytest.approx(precision_score(y, called.astype(int)))


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**31), copies=st.integers(2, 5))
def test_independent_of_labelled_class_balance(seed, copies):
    rng = np.random.default_rng(seed)
    y = np.r_[np.ones(20, int), np.zeros(30, int)]
    score = rng.uniform(size=y.size)
    if not (score > 0.5).any():
        return
    more_neg_y = np.r_[y, np.zeros(30 * (copies - 1), int)]
    more_neg_s = np.r_[score, np.tile(score[y == 0], copies - 1)]
    a = precision_at_prior(y, score, ratio=0.5)
    b = precision_at_prior(more_neg_y, more_neg_s, ratio=0.5)
    assert a == pytest.approx(b)
    # ...whereas plain precision drops with more negatives.
    if (score[y == 0] > 0.5).any():
        assert precision_score(more_neg_y, more_neg_s > 0.5) < precision_score(
            y, score > 0.5
        )


def test_curve_matches_pointwise_values():
    X, y = make_classification(n_samples=300, weights=[0.8], random_state=0)
    score = LogisticRegression().fit(X, y).predict_proba(X)[:, 1]
    prec, tpr, fpr, thr = precision_at_prior_curve(y, score, ratio=0.5)
    assert np.all(np.diff(thr) > 0)
    assert np.all(np.diff(tpr) <= 0) and np.all(np.diff(fpr) <= 0)
    assert tpr[0] == 1.0 and fpr[0] == 1.0
    for i in range(0, thr.size - 1, 37):
        assert prec[i] == pytest.approx(
            precision_at_prior(y, score, threshold=thr[i], ratio=0.5)
        )
        assert tpr[i] == pytest.approx(detection_rate(y, score, threshold=thr[i]))
    assert np.isnan(prec[-1])  # nothing above the highest score


def test_detection_rate_on_positive_only_sample():
    assert detection_rate([1, 1, 1, 1], [0.9, 0.7, 0.4, 0.6]) == 0.75
    assert detection_rate(["EB"] * 3, [0.9, 0.1, 0.6], pos_label="EB") == 2 / 3
    with pytest.raises(ValueError, match="no positive sample"):
        detection_rate([0, 0], [0.9, 0.1])


def test_zero_division():
    y, score = [1, 0, 1, 0], [0.1, 0.2, 0.3, 0.4]
    with pytest.warns(UndefinedMetricWarning, match="no sample scores above"):
        assert precision_at_prior(y, score, threshold=0.9) == 0.0
    assert precision_at_prior(y, score, threshold=0.9, zero_division=1.0) == 1.0


@pytest.mark.parametrize(
    "y, score, kw, match",
    [
        ([0, 1, 2], [0.1, 0.2, 0.3], {}, "binary"),
        ([0, 0, 0], [0.1, 0.2, 0.3], {}, "no positive"),
        ([1, 1, 1], [0.1, 0.2, 0.3], {}, "no negative"),
        ([0, 1], [0.1, np.nan], {}, "NaN"),
        ([0, 1, 1], [0.1, 0.2], {}, "inconsistent"),
        ([0, 1], [0.1, 0.9], {"ratio": 0.0}, "ratio"),
        ([0, 1], [0.1, 0.9], {"ratio": -1.0}, "ratio"),
        (["a", "b"], [0.1, 0.9], {}, "no positive"),
    ],
)
def test_bad_input(y, score, kw, match):
    with pytest.raises(ValueError, match=match):
        precision_at_prior(y, score, **kw)


def test_scorer_in_gridsearch_uses_positive_probability():
    X, y = make_classification(n_samples=120, weights=[0.7], random_state=0)
    scorer = make_precision_at_prior_scorer(threshold=0.5, ratio=0.5)
    search = GridSearchCV(
        LogisticRegression(), {"C": [0.01, 1.0]}, scoring=scorer, cv=3
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    est = search.best_estimator_
    assert scorer(est, X, y) == pytest.approx(
        precision_at_prior(y, est.predict_proba(X)[:, 1], threshold=0.5, ratio=0.5)
    )


def test_scorer_with_string_labels():
    X, y = make_classification(n_samples=120, random_state=1)
    names = np.where(y == 1, "binary", "single")
    est = LogisticRegression().fit(X, names)
    scorer = make_precision_at_prior_scorer(pos_label="binary")
    col = list(est.classes_).index("binary")
    assert scorer(est, X, names) == pytest.approx(
        precision_at_prior(names, est.predict_proba(X)[:, col], pos_label="binary")
    )
    with pytest.raises(ValueError, match="ratio"):
        make_precision_at_prior_scorer(ratio=0)
