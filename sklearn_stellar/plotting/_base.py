"""Shared checks of the Display classes: matplotlib, axes, labels and scores."""

from __future__ import annotations

import numpy as np

from ..catalog import binary_probability
from ..utils._validation import check_real_array

__all__ = ["check_matplotlib", "get_axes", "check_binary_scores", "estimator_scores"]

_EXTRA = "pip install sklearn-stellar[plotting]"


def check_matplotlib(caller: str):
    """Import ``matplotlib.pyplot``, or raise an ImportError naming the extra."""
    try:
        import matplotlib.pyplot as plt
    except ImportError as exc:
        raise ImportError(
            f"{caller} needs matplotlib, the optional `plotting` extra of "
            f"sklearn-stellar: {_EXTRA}"
        ) from exc
    return plt


def get_axes(ax, caller: str):
    """The axes to draw on and their figure; a new figure when ``ax`` is None."""
    plt = check_matplotlib(caller)
    if ax is None:
        _, ax = plt.subplots()
    elif not hasattr(ax, "figure") or not hasattr(ax, "plot"):
        raise TypeError(
            f"`ax` must be a matplotlib Axes or None, got {type(ax).__name__}."
        )
    return ax, ax.figure


def _default_pos_label(labels):
    """1 for 0/1 or -1/1 labels (sklearn's rule), else an error naming it."""
    values = set(labels.tolist())
    if values <= {0, 1} or values <= {-1, 1}:
        return 1
    raise ValueError(
        f"`pos_label` must be given when `y_true` is not 0/1 or -1/1, got labels "
        f"{sorted(values, key=str)!r}."
    )


def check_binary_scores(y_true, y_score, pos_label=None):
    """Validated ``(positive mask, float scores, pos_label)`` of a two-class set.

    Raises a ValueError naming the argument for different lengths, a score
    that is not finite, fewer or more than two classes, or a ``pos_label``
    that is not one of them; a TypeError for scores that are not numbers.
    """
    y_true = np.asarray(y_true)
    y_score = check_real_array(y_score, name="y_score")
    if y_true.ndim != 1 or y_score.ndim != 1:
        raise ValueError(
            f"`y_true` and `y_score` must be 1-D, got shapes {y_true.shape} and "
            f"{y_score.shape}."
        )
    if y_true.size != y_score.size:
        raise ValueError(
            f"`y_true` and `y_score` must have the same length, got {y_true.size} "
            f"and {y_score.size}."
        )
    labels = np.unique(y_true)
    if labels.size != 2:
        raise ValueError(
            f"`y_true` must hold exactly two classes, got {labels.size}: "
            f"{labels.tolist()!r}."
        )
    if pos_label is None:
        pos_label = _default_pos_label(labels)
    elif pos_label not in labels.tolist():
        raise ValueError(
            f"`pos_label`={pos_label!r} is not one of the labels "
            f"{labels.tolist()!r} of `y_true`."
        )
    return y_true == pos_label, y_score, pos_label


def estimator_scores(estimator, X, pos_label=None):
    """``(scores, pos_label)``: the positive-class probability of a classifier."""
    if not hasattr(estimator, "predict_proba"):
        raise TypeError(
            "`estimator` must be a fitted classifier with predict_proba, got "
            f"{type(estimator).__name__}."
        )
    scores = binary_probability(estimator, X, pos_label=pos_label)
    if pos_label is None:
        pos_label = np.asarray(estimator.classes_)[-1]
    return scores, pos_label
