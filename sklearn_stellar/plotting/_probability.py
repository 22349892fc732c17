"""p_b by class and the precision at a prior (Jing et al. 2024, Fig. 3)."""

from __future__ import annotations

import numbers

import numpy as np

from ..metrics import precision_at_prior_curve
from ..utils._validation import check_real_array
from ._base import check_binary_scores, estimator_scores, get_axes

__all__ = ["BinaryProbabilityDisplay"]


def _bin_edges(scores, bins):
    """Edges over [0, 1] for probabilities, else over the scores' range."""
    if isinstance(bins, numbers.Integral) and not isinstance(bins, bool):
        if bins < 1:
            raise ValueError(f"`bins` must be a positive integer, got {bins}.")
        inside = scores.min() >= 0.0 and scores.max() <= 1.0
        span = (0.0, 1.0) if inside else None
        return np.histogram_bin_edges(scores, bins=int(bins), range=span)
    edges = check_real_array(bins, name="bins")
    if edges.ndim != 1 or edges.size < 2 or np.any(np.diff(edges) <= 0):
        raise ValueError(
            "`bins` must be a positive integer or increasing edges (at least 2), "
            f"got {bins!r}."
        )
    return edges


class BinaryProbabilityDisplay:
    """Distribution of ``p_b`` for each class and the precision at a prior.

    Fig. 3 of Jing et al. (2024): the probability density of ``p_b`` of the binaries
    (filled) and of the single stars (line) in the test set, and on a second
    axis the precision expected in a population of ``ratio`` binaries per
    single star as a function of the threshold ``p_th``
    (:func:`~sklearn_stellar.metrics.precision_at_prior_curve`, eq. 4).

    Parameters
    ----------
    pos_scores : ndarray of shape (n_positive,)
        ``p_b`` of the positive class (binaries).
    neg_scores : ndarray of shape (n_negative,)
        ``p_b`` of the negative class (single stars).
    edges : ndarray of shape (n_bins + 1,)
        Histogram bin edges.
    thresholds : ndarray of shape (n_thresholds,)
        Thresholds ``p_th`` of the precision curve.
    precision : ndarray of shape (n_thresholds,)
        Precision at the prior at each threshold; NaN where nothing is above.
    ratio : float, default=0.5
        Positives per negative of the population (1:2 in the paper).
    class_names : tuple of str, default=("binary", "single")
        Legend names of the positive and the negative class.
    density : bool, default=True
        Histograms normalised to unit area (a PDF) rather than counts.

    Attributes
    ----------
    hist_ : tuple of matplotlib.patches.StepPatch
        The positive (filled) and the negative histogram; their
        ``get_data()`` holds the bar heights and edges.
    precision_line_ : matplotlib.lines.Line2D
        The precision curve, on ``ax_precision_``.
    ax_ : matplotlib.axes.Axes
        The histogram axes.
    ax_precision_ : matplotlib.axes.Axes
        Twin axes (right) of the precision curve.
    figure_ : matplotlib.figure.Figure

    References
    ----------
    Jing, Y., Mao, T.-X., Wang, J., et al. 2024 (LAMOST LRS binary stars), eq. 4 and
    Figure 3.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_stellar.plotting import BinaryProbabilityDisplay
    >>> y = [1, 1, 1, 0, 0, 0, 0, 0, 0]
    >>> p_b = [0.9, 0.8, 0.3, 0.6, 0.1, 0.1, 0.2, 0.05, 0.1]
    >>> disp = BinaryProbabilityDisplay.from_predictions(y, p_b, bins=4, density=False)
    >>> disp.hist_[0].get_data().values.tolist()
    [0, 1, 0, 2]
    >>> disp.hist_[1].get_data().values.tolist()
    [5, 0, 1, 0]
    >>> import matplotlib.pyplot as plt
    >>> plt.close(disp.figure_)
    """

    def __init__(
        self,
        *,
        pos_scores,
        neg_scores,
        edges,
        thresholds,
        precision,
        ratio=0.5,
        class_names=("binary", "single"),
        density=True,
    ):
        self.pos_scores = pos_scores
        self.neg_scores = neg_scores
        self.edges = edges
        self.thresholds = thresholds
        self.precision = precision
        self.ratio = ratio
        self.class_names = class_names
        self.density = density

    def plot(self, ax=None):
        """Draw the histograms and, on a twin axis, the precision curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes of the histograms; None makes a new figure.

        Returns
        -------
        self : BinaryProbabilityDisplay
            This display, drawn (its figure and axes are set).
        """
        ax, fig = get_axes(ax, "BinaryProbabilityDisplay.plot")
        pos_name, neg_name = self.class_names
        pos, _ = np.histogram(self.pos_scores, self.edges, density=self.density)
        neg, _ = np.histogram(self.neg_scores, self.edges, density=self.density)
        self.hist_ = (
            ax.stairs(
                pos, self.edges, fill=True, alpha=0.5, color="tab:blue", label=pos_name
            ),
            ax.stairs(neg, self.edges, color="tab:red", linewidth=1.5, label=neg_name),
        )
        ax.set(
            xlabel="$p_b$",
            ylabel="probability density" if self.density else "number",
            xlim=(self.edges[0], self.edges[-1]),
        )
        twin = ax.twinx()
        (self.precision_line_,) = twin.plot(
            self.thresholds,
            self.precision,
            color="black",
            label=f"precision at {_ratio_text(self.ratio)}",
        )
        twin.set(ylabel="precision", ylim=(0.0, 1.02))
        handles = [*self.hist_, self.precision_line_]
        ax.legend(handles=handles, loc="best")
        self.ax_, self.ax_precision_, self.figure_ = ax, twin, fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y,
        *,
        pos_label=None,
        ratio=0.5,
        bins=20,
        density=True,
        class_names=("binary", "single"),
        ax=None,
    ):
        """Distributions of a fitted classifier's ``p_b`` on ``(X, y)``.

        Parameters
        ----------
        estimator : fitted classifier with ``predict_proba``
            The classifier whose positive-class probability is shown.
        X : array-like of shape (n_samples, n_features)
            Spectra (the estimator's input).
        y : array-like of shape (n_samples,)
            True labels, two classes.
        pos_label : label, default=None
            Positive class; None means the last of ``estimator.classes_``.
        ratio : float, default=0.5
            Positives per negative in the target population.
        bins : int or array-like, default=20
            Number of bins or the bin edges.
        density : bool, default=True
            Normalise each histogram to unit area.
        class_names : tuple of str, default=("binary", "single")
            Legend names of the positive and the negative class.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.

        Returns
        -------
        display : BinaryProbabilityDisplay
        """
        scores, pos_label = estimator_scores(estimator, X, pos_label)
        return cls.from_predictions(
            y,
            scores,
            pos_label=pos_label,
            ratio=ratio,
            bins=bins,
            density=density,
            class_names=class_names,
            ax=ax,
        )

    @classmethod
    def from_predictions(
        cls,
        y_true,
        y_score,
        *,
        pos_label=None,
        ratio=0.5,
        bins=20,
        density=True,
        class_names=("binary", "single"),
        ax=None,
    ):
        """Distributions of ``p_b`` by true class, and the precision curve.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels, two classes.
        y_score : array-like of shape (n_samples,)
            ``p_b``, the probability of the positive class.
        pos_label : label, default=None
            Positive class; None means 1 for 0/1 or -1/1 labels.
        ratio : float, default=0.5
            Positives per negative in the target population (binary:single
            = 1:2 in Jing et al. 2024).
        bins : int or array-like, default=20
            Number of bins (over [0, 1] when the scores are probabilities) or
            the bin edges.
        density : bool, default=True
            Normalise each histogram to unit area.
        class_names : tuple of str, default=("binary", "single")
            Legend names of the positive and the negative class.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.

        Returns
        -------
        display : BinaryProbabilityDisplay

        Raises
        ------
        ValueError
            If the lengths differ, a score is not finite, ``y_true`` does not
            hold exactly two classes, ``pos_label`` is not one of them,
            ``ratio`` is not positive or ``bins`` is invalid.
        TypeError
            If ``y_score`` or ``bins`` is not numeric.
        """
        positive, scores, pos_label = check_binary_scores(y_true, y_score, pos_label)
        precision, _, _, thresholds = precision_at_prior_curve(
            positive, scores, ratio=ratio, pos_label=True
        )
        names = tuple(class_names)
        if len(names) != 2:
            raise ValueError(
                f"`class_names` must hold two names (positive, negative), got "
                f"{class_names!r}."
            )
        display = cls(
            pos_scores=scores[positive],
            neg_scores=scores[~positive],
            edges=_bin_edges(scores, bins),
            thresholds=thresholds,
            precision=precision,
            ratio=ratio,
            class_names=names,
            density=bool(density),
        )
        return display.plot(ax=ax)


def _ratio_text(ratio: float) -> str:
    """``1:2`` for 0.5, ``1:1`` for 1, else ``ratio=r``."""
    inverse = 1.0 / ratio
    if ratio <= 1 and abs(inverse - round(inverse)) < 1e-9:
        return f"1:{round(inverse)}"
    return f"ratio {ratio:g}"
