"""Number of spectra and stars above a p_b threshold (Jing et al. 2024, Fig. 6)."""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np

from ..catalog import binary_catalog, count_above
from ..utils._validation import check_real_array
from ._base import estimator_scores, get_axes

__all__ = ["ThresholdCountDisplay"]


def _check_series(p_b):
    """``{label: p_b}`` from one array (label "spectra") or a mapping."""
    series = dict(p_b) if isinstance(p_b, Mapping) else {"spectra": p_b}
    if not series:
        raise ValueError("`p_b` must hold at least one series, got an empty mapping.")
    out = {}
    for label, values in series.items():
        name = f"p_b[{label!r}]" if isinstance(p_b, Mapping) else "p_b"
        values = check_real_array(values, name=name)
        if values.ndim != 1 or values.size == 0:
            raise ValueError(
                f"`p_b` ({label!r}) must be a non-empty 1-D array, got shape "
                f"{values.shape}."
            )
        out[str(label)] = values
    return out


class ThresholdCountDisplay:
    """How many spectra (and stars) have ``p_b`` above each threshold.

    Fig. 6 of Jing et al. (2024): for all spectra and for individual stars (a star's
    highest ``p_b``), the number distribution of ``p_b`` (solid, per bin) and
    the number above a threshold ``p_th`` as a function of ``p_th`` (dashed,
    :func:`~sklearn_stellar.catalog.count_above`), on a logarithmic axis.

    Parameters
    ----------
    thresholds : ndarray of shape (n_thresholds,)
        Thresholds ``p_th`` in [0, 1].
    counts : dict of str to ndarray of shape (n_thresholds,)
        Number above each threshold, per series ("spectra", "stars").
    distributions : dict of str to ndarray of shape (n_bins,), default=None
        Number per bin of ``edges``, per series; None draws no distribution.
    edges : ndarray of shape (n_bins + 1,), default=None
        Bin edges of ``distributions``.

    Attributes
    ----------
    lines_ : dict of str to matplotlib.lines.Line2D
        The dashed count curves, by series.
    hist_ : dict of str to matplotlib.patches.StepPatch
        The solid distributions, by series (empty without distributions).
    ax_ : matplotlib.axes.Axes
    figure_ : matplotlib.figure.Figure

    References
    ----------
    Jing, Y., Mao, T.-X., Wang, J., et al. 2024 (LAMOST LRS binary stars), Figure 6 and
    section 3.3.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> from sklearn_stellar.plotting import ThresholdCountDisplay
    >>> disp = ThresholdCountDisplay.from_predictions(
    ...     [0.1, 0.6, 0.9, 0.95], thresholds=[0.0, 0.5, 0.8])
    >>> disp.lines_["spectra"].get_ydata().tolist()
    [4, 3, 2]
    >>> import matplotlib.pyplot as plt
    >>> plt.close(disp.figure_)
    """

    def __init__(self, *, thresholds, counts, distributions=None, edges=None):
        self.thresholds = thresholds
        self.counts = counts
        self.distributions = distributions
        self.edges = edges

    def plot(self, ax=None, *, log=True):
        """Draw the count curves (dashed) and distributions (solid).

        Parameters
        ----------
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        log : bool, default=True
            Logarithmic number axis (the counts span decades); linear when
            every count is zero.

        Returns
        -------
        self : ThresholdCountDisplay
            This display, drawn (its figure and axes are set).
        """
        ax, fig = get_axes(ax, "ThresholdCountDisplay.plot")
        colours = ("tab:blue", "tab:red", "tab:green", "tab:purple")
        self.lines_, self.hist_ = {}, {}
        for k, (label, counts) in enumerate(self.counts.items()):
            colour = colours[k % len(colours)]
            (self.lines_[label],) = ax.plot(
                self.thresholds,
                counts,
                linestyle="--",
                color=colour,
                label=f"{label} with $p_b > p_{{th}}$",
            )
            if self.distributions is not None:
                self.hist_[label] = ax.stairs(
                    self.distributions[label],
                    self.edges,
                    color=colour,
                    label=f"{label} per bin",
                )
        ax.set(xlabel="$p_b$ / $p_{th}$", ylabel="number", xlim=(0.0, 1.0))
        if log and any(np.any(np.asarray(c) > 0) for c in self.counts.values()):
            ax.set_yscale("log")
        ax.legend(loc="best")
        self.ax_, self.figure_ = ax, fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        *,
        metadata=None,
        star_key="position",
        pos_label=None,
        thresholds=None,
        bins=20,
        ax=None,
        **kwargs,
    ):
        """Counts of a fitted classifier's ``p_b`` over the spectra ``X``.

        Parameters
        ----------
        estimator : fitted classifier with ``predict_proba``
            The classifier whose positive-class probability is shown.
        X : array-like of shape (n_spectra, n_features)
            Spectra (the estimator's input).
        metadata : list of dict or astropy.table.Table, default=None
            Metadata of the spectra (see
            :func:`~sklearn_stellar.catalog.binary_catalog`); when given, a
            "stars" series with each star's highest ``p_b`` is added.
        star_key : str, default="position"
            How spectra are grouped into stars, as in
            :func:`~sklearn_stellar.catalog.binary_catalog`: ``"position"``
            (3 arcsec friends-of-friends) or a metadata field such as
            ``"designation"``.
        pos_label : label, default=None
            The binary class; None means the last of ``estimator.classes_``.
        thresholds : array-like of shape (n_thresholds,), default=None
            Thresholds in [0, 1]; None means 101 from 0 to 1.
        bins : int or None, default=20
            Bins over [0, 1] of the solid distributions; None draws none.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`plot` (``log``).

        Returns
        -------
        display : ThresholdCountDisplay
        """
        scores, _ = estimator_scores(estimator, X, pos_label)
        return cls.from_predictions(
            scores,
            metadata=metadata,
            star_key=star_key,
            thresholds=thresholds,
            bins=bins,
            ax=ax,
            **kwargs,
        )

    @classmethod
    def from_predictions(
        cls,
        p_b,
        *,
        metadata=None,
        star_key="position",
        thresholds=None,
        bins=20,
        ax=None,
        **kwargs,
    ):
        """Counts above each threshold of given probabilities.

        Parameters
        ----------
        p_b : array-like of shape (n_spectra,) or dict of str to array-like
            Binary probabilities in [0, 1]; one array is the series
            "spectra", a mapping gives named series (e.g. ``{"spectra": p,
            "stars": catalog["p_b"]}``).
        metadata : list of dict or astropy.table.Table, default=None
            With one array ``p_b``: metadata of its spectra, to add the
            series "stars" (highest ``p_b`` per ``star_key``, through
            :func:`~sklearn_stellar.catalog.binary_catalog`).
        star_key : str, default="position"
            How spectra are grouped into stars, as in
            :func:`~sklearn_stellar.catalog.binary_catalog`: ``"position"``
            (3 arcsec friends-of-friends) or a metadata field such as
            ``"designation"``.
        thresholds : array-like of shape (n_thresholds,), default=None
            Thresholds in [0, 1]; None means 101 from 0 to 1.
        bins : int or None, default=20
            Bins over [0, 1] of the solid distributions; None draws none.
        ax : matplotlib Axes, default=None
            Axes to draw on; None makes a new figure.
        **kwargs : dict
            Passed to :meth:`plot` (``log``).

        Returns
        -------
        display : ThresholdCountDisplay

        Raises
        ------
        ValueError
            If a series is empty or not 1-D, a ``p_b`` or threshold is
            outside [0, 1] or NaN, ``metadata`` does not match ``p_b``, or
            ``bins`` is not a positive integer.
        TypeError
            If ``p_b`` or ``thresholds`` is not numeric.
        """
        series = _check_series(p_b)
        if metadata is not None:
            if isinstance(p_b, Mapping):
                raise ValueError(
                    "`metadata` needs `p_b` as one array of spectra, got a mapping."
                )
            catalog = binary_catalog(series["spectra"], metadata, star_key=star_key)
            series["stars"] = np.asarray(catalog["p_b"], dtype=np.float64)
        if thresholds is None:
            thresholds = np.linspace(0.0, 1.0, 101)
        thresholds = np.atleast_1d(check_real_array(thresholds, name="thresholds"))
        counts = {label: count_above(p, thresholds) for label, p in series.items()}
        distributions = edges = None
        if bins is not None:
            if isinstance(bins, bool) or not isinstance(bins, int | np.integer):
                raise ValueError(f"`bins` must be an integer or None, got {bins!r}.")
            if bins < 1:
                raise ValueError(f"`bins` must be a positive integer, got {bins}.")
            edges = np.linspace(0.0, 1.0, int(bins) + 1)
            distributions = {
                label: np.histogram(p, edges)[0] for label, p in series.items()
            }
        display = cls(
            thresholds=thresholds,
            counts=counts,
            distributions=distributions,
            edges=edges,
        )
        return display.plot(ax=ax, **kwargs)
