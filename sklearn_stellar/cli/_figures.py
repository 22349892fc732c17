"""Figures of the commands, drawn by the Display classes of ``plotting``.

matplotlib is the optional ``plotting`` extra: without it the figures are
skipped with a logged warning, never an error.
"""

from __future__ import annotations

import logging

import numpy as np

logger = logging.getLogger(__name__)


def _pyplot():
    try:
        import matplotlib
    except ImportError:
        logger.warning("matplotlib is not installed: figures skipped (pip "
                       "install 'sklearn-stellar[plotting]')")  # fmt: skip
        return None
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(display, path, plt):
    figure = display.figure_
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
    return path


def evaluation_figures(y_true, scores, path, labels) -> list:
    """ROC curve (Jing et al. 2024, Fig. 2) and the probabilities by class with the
    precision at a 1:2 prior (Fig. 3); returns the files written."""
    from ..plotting import BinaryProbabilityDisplay, RocDisplay

    plt = _pyplot()
    if plt is None:
        return []
    positive = list(labels)[1]
    names = list(labels.values())
    truth = np.asarray(y_true).astype(str) == str(positive)
    fig, (roc, dist) = plt.subplots(1, 2, figsize=(11, 4))
    RocDisplay.from_predictions(truth, scores, pos_label=True, name=names[1], ax=roc)
    display = BinaryProbabilityDisplay.from_predictions(
        truth, scores, pos_label=True, class_names=(names[1], names[0]), ax=dist
    )
    return [_save(display, path, plt)]


def catalog_figure(table, path, title) -> list:
    """Spectra (and stars) above each threshold (Jing et al. 2024, Fig. 6)."""
    from ..plotting import ThresholdCountDisplay

    plt = _pyplot()
    ok = np.asarray(table["status"]) == "ok" if len(table) else []
    if plt is None or not np.any(ok):
        return []
    rows = table[ok]
    p = np.asarray(rows["probability"], dtype=float)
    metadata = [{"designation": str(d)} for d in rows["designation"]]
    display = ThresholdCountDisplay.from_predictions(p, metadata=metadata)
    display.ax_.set_title(title)
    return [_save(display, path, plt)]


def gallery_figure(model, X, y, path, positive) -> list:
    """H-alpha images the network saw, with P(Be) (Wang et al. 2022, Figs. 4-6)."""
    import warnings

    from ..filters import FilterRejectionWarning
    from ..plotting import HalphaGalleryDisplay

    plt = _pyplot()
    if plt is None or not len(y):
        return []
    y = np.asarray(y)
    pos, neg = np.flatnonzero(y == positive)[:6], np.flatnonzero(y != positive)[:6]
    rows = np.r_[pos, neg]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilterRejectionWarning)
        display = HalphaGalleryDisplay.from_estimator(
            model, X[rows], y[rows], pos_label=positive, max_images=12, n_cols=6
        )
    return [_save(display, path, plt)]
