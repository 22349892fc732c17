"""ROC curve of a binary classifier (Jing et al. 2024, Fig. 2)."""

from __future__ import annotations

from sklearn.metrics import auc, roc_curve

from ._base import check_binary_scores, estimator_scores, get_axes

__all__ = ["RocDisplay"]


class RocDisplay:
    """Receiver operating characteristic: true against false positive rate.

    The solid line is the classifier, the dashed diagonal random selection,
    as in Fig. 2 of Jing et al. (2024) (AUC 0.949 on its test set). Build it with
    :meth:`from_estimator` or :meth:`from_predictions`; they compute the
    curve with :func:`sklearn.metrics.roc_curve` and draw it.

    Parameters
    ----------
    fpr : ndarray of shape (n_thresholds,)
        False positive rates, increasing.
    tpr : ndarray of shape (n_thresholds,)
        True positive rates.
    roc_auc : float, default=None
        Area under the curve, shown in the legend.
    name : str, default=None
        Name of the classifier in the legend.
    pos_label : int, float, bool or str, default=None
        The positive class (shown on the axis labels).

    Attributes
    ----------
    line_ : matplotlib.lines.Line2D
        The ROC curve.
    chance_level_ : matplotlib.lines.Line2D or None
        The diagonal of random selection.
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure

    See Also
    --------
    sklearn.metrics.RocCurveDisplay : Scikit-learn's display of the same curve.

    References
    ----------
    Jing, Y., Mao, T.-X., Wang, J., et al. 2024 (LAMOST LRS binary stars), Figure 2.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_stellar.plotting import RocDisplay
    >>> disp = RocDisplay.from_predictions([0, 0, 1, 1], [0.1, 0.4, 0.35, 0.8])
    >>> disp.line_.get_xdata().tolist(), round(disp.roc_auc, 2)
    ([0.0, 0.0, 0.5, 0.5, 1.0], 0.75)
    >>> import matplotlib.pyplot as plt
    >>> plt.close(disp.figure_)
    """

    def __init__(self, *, fpr, tpr, roc_auc=None, name=None, pos_label=None):
        self.fpr = fpr
        self.tpr = tpr
        self.roc_auc = roc_auc
        self.name = name
        self.pos_label = pos_label

    def plot(self, ax=None, *, name=None, chance_level=True, **kwargs):
        """Draw the curve.

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        name : str, default=None
            Legend name; None uses ``self.name``.
        chance_level : bool, default=True
            Draw the dashed diagonal of random selection.
        **kwargs : dict
            Passed to :meth:`matplotlib.axes.Axes.plot` for the curve.

        Returns
        -------
        self : RocDisplay
            This display, drawn (its figure and axes are set).
        """
        ax, fig = get_axes(ax, "RocDisplay.plot")
        name = self.name if name is None else name
        label = name or "classifier"
        if self.roc_auc is not None:
            label = f"{label} (AUC = {self.roc_auc:.3f})"
        (self.line_,) = ax.plot(self.fpr, self.tpr, label=label, **kwargs)
        self.chance_level_ = None
        if chance_level:
            (self.chance_level_,) = ax.plot(
                [0, 1], [0, 1], linestyle="--", color="tab:orange", label="random"
            )
        suffix = "" if self.pos_label is None else f" (positive: {self.pos_label})"
        ax.set(
            xlabel=f"False positive rate{suffix}",
            ylabel=f"True positive rate{suffix}",
            xlim=(-0.01, 1.01),
            ylim=(-0.01, 1.01),
            aspect="equal",
        )
        ax.legend(loc="lower right")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(
        cls, estimator, X, y, *, pos_label=None, name=None, ax=None, **kwargs
    ):
        """ROC curve of a fitted classifier on ``(X, y)``.

        Parameters
        ----------
        estimator : fitted classifier with ``predict_proba``
            A pipeline such as :func:`~sklearn_stellar.pipelines.make_binary_pipeline`.
        X : array-like of shape (n_samples, n_features)
            Spectra (or whatever the estimator takes).
        y : array-like of shape (n_samples,)
            True labels, two classes.
        pos_label : label, default=None
            Positive class; None means the last of ``estimator.classes_``.
        name : str, default=None
            Legend name; None uses the estimator's class name.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : RocDisplay
        """
        scores, pos_label = estimator_scores(estimator, X, pos_label)
        name = type(estimator).__name__ if name is None else name
        return cls.from_predictions(
            y, scores, pos_label=pos_label, name=name, ax=ax, **kwargs
        )

    @classmethod
    def from_predictions(
        cls, y_true, y_score, *, pos_label=None, name=None, ax=None, **kwargs
    ):
        """ROC curve of scores against true labels.

        Parameters
        ----------
        y_true : array-like of shape (n_samples,)
            True labels, two classes.
        y_score : array-like of shape (n_samples,)
            Score or probability of the positive class (``p_b``).
        pos_label : label, default=None
            Positive class; None means 1 for 0/1 or -1/1 labels.
        name : str, default=None
            Legend name.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : RocDisplay

        Raises
        ------
        ValueError
            If the lengths differ, a score is not finite, ``y_true`` does not
            hold exactly two classes or ``pos_label`` is not one of them.
        TypeError
            If ``y_score`` is not numeric.
        """
        positive, scores, pos_label = check_binary_scores(y_true, y_score, pos_label)
        fpr, tpr, _ = roc_curve(positive, scores)
        display = cls(
            fpr=fpr,
            tpr=tpr,
            roc_auc=float(auc(fpr, tpr)),
            name=name,
            pos_label=pos_label,
        )
        return display.plot(ax=ax, **kwargs)
