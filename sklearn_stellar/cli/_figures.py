"""Figures of the commands: plain matplotlib (the ``plotting`` extra).

Small functions on purpose: the Display classes of ``sklearn_stellar.plotting``
replace them when they land. Without matplotlib the figures are skipped with
a logged warning, never an error.
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


def evaluation_figures(y_true, scores, path, labels) -> list:
    """ROC curve and score histograms per class; returns the files written."""
    from sklearn.metrics import roc_curve

    plt = _pyplot()
    if plt is None:
        return []
    names = list(labels.values())
    truth = np.asarray(y_true).astype(str) == list(labels)[1]
    scores = np.asarray(scores)
    fig, (roc, hist) = plt.subplots(1, 2, figsize=(10, 4))
    fpr, tpr, _ = roc_curve(truth, scores)
    roc.plot(fpr, tpr)
    roc.plot([0, 1], [0, 1], ls=":", color="grey")
    roc.set_xlabel("false positive rate")
    roc.set_ylabel("true positive rate")
    bins = np.linspace(0, 1, 21)
    hist.hist(scores[~truth], bins=bins, alpha=0.6, label=names[0])
    hist.hist(scores[truth], bins=bins, alpha=0.6, label=names[1])
    hist.set_xlabel(f"P({names[1]})")
    hist.set_ylabel("spectra")
    hist.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]


def catalog_figure(table, path, title) -> list:
    """Histogram of the probabilities of a catalog's classified rows."""
    plt = _pyplot()
    if plt is None or not len(table):
        return []
    p = np.asarray(table["probability"], dtype=float)
    fig, ax = plt.subplots(figsize=(5, 4))
    ax.hist(p[np.isfinite(p)], bins=np.linspace(0, 1, 21))
    ax.set_xlabel("probability")
    ax.set_ylabel("spectra")
    ax.set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return [path]
