"""Gallery of H-alpha images with the network's P(Be) (Wang et al. 2022, Figs. 4-6)."""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.pipeline import Pipeline
from sklearn.utils.validation import check_is_fitted

from ..filters import FilteredClassifier, split_photometry
from ..filters._layout import check_bands
from ..preprocessing import HalphaRasterizer
from ..utils._validation import check_real_array
from ._base import check_matplotlib, estimator_scores

__all__ = ["HalphaGalleryDisplay"]


def _check_images(images, proba, image_shape):
    """``(n, h, w)`` images and ``(n,)`` probabilities, checked against each other."""
    images = np.asarray(images)
    if images.dtype.kind not in "biuf":  # uint8 raster rows stay uint8
        images = check_real_array(images, name="images")
    proba = check_real_array(proba, name="proba")
    if proba.ndim != 1:
        raise ValueError(f"`proba` must be 1-D, got shape {proba.shape}.")
    if images.ndim == 2:
        n_pixels = images.shape[1]
        if image_shape is None:
            side = int(round(np.sqrt(n_pixels)))
            if side * side != n_pixels:
                raise ValueError(
                    f"`images` rows hold {n_pixels} pixels, not a square image: "
                    "pass `image_shape`."
                )
            image_shape = (side, side)
        image_shape = tuple(int(s) for s in image_shape)
        if len(image_shape) != 2 or image_shape[0] * image_shape[1] != n_pixels:
            raise ValueError(
                f"`image_shape` must be (height, width) with {n_pixels} pixels, got "
                f"{image_shape}."
            )
        images = images.reshape(images.shape[0], *image_shape)
    elif images.ndim != 3:
        raise ValueError(
            "`images` must be (n_images, n_pixels) rows (HalphaRasterizer output) "
            f"or (n_images, height, width), got shape {images.shape}."
        )
    if images.shape[0] != proba.size:
        raise ValueError(
            f"`images` and `proba` must have the same length, got {images.shape[0]} "
            f"and {proba.size}."
        )
    if images.shape[0] == 0:
        raise ValueError("`images` must hold at least one image, got none.")
    if not np.all(np.isfinite(proba)) or np.any((proba < 0) | (proba > 1)):
        raise ValueError(f"`proba` must be probabilities in [0, 1], got {proba!r}.")
    return images, proba


def _rasterize(estimator, X):
    """Images the fitted ``estimator`` classifies, from its HalphaRasterizer step.

    Goes through a :class:`FilteredClassifier` (photometry columns dropped)
    to its pipeline and applies the steps up to the rasterizer.
    """
    check_is_fitted(estimator)
    inner, flux = estimator, X
    if isinstance(inner, FilteredClassifier):
        bands = check_bands(inner.photometry, name="photometry")
        flux, _ = split_photometry(np.asarray(X, dtype=np.float64), len(bands))
        inner = inner.estimator_
    if isinstance(inner, Pipeline):
        for k, (_, step) in enumerate(inner.steps):
            if isinstance(step, HalphaRasterizer):
                return inner[: k + 1].transform(flux), step.image_shape_
    raise TypeError(
        "`estimator` must be a fitted Pipeline (or a FilteredClassifier around "
        "one) with a HalphaRasterizer step, such as make_be_pipeline(); got "
        f"{type(estimator).__name__}."
    )


class HalphaGalleryDisplay:
    """A grid of H-alpha images, each titled with its probability of being Be.

    The images are what the ResNet of Wang et al. (2022) classifies
    (:class:`~sklearn_stellar.preprocessing.HalphaRasterizer` output, ink
    dark on a light background); Figs. 4-6 of Wang et al. (2022) show such
    images of Be and non-Be stars and the network's verdicts.

    Parameters
    ----------
    images : ndarray of shape (n_images, height, width)
        The images.
    proba : ndarray of shape (n_images,)
        Probability of the positive class (Be) of each image.
    y_true : ndarray of shape (n_images,), default=None
        True labels, shown under the probability when given.
    proba_name : str, default="P(Be)"
        Name of the probability in the titles.

    Attributes
    ----------
    axes_ : ndarray of matplotlib.axes.Axes of shape (n_images,)
        One axes per image, in order.
    images_ : list of matplotlib.image.AxesImage
        The drawn images; ``get_array()`` gives the pixels.
    figure_ : matplotlib.figure.Figure

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars), Figures 4-6.

    Examples
    --------
    >>> import matplotlib
    >>> matplotlib.use("Agg")
    >>> import numpy as np
    >>> from sklearn_stellar.plotting import HalphaGalleryDisplay
    >>> images = np.zeros((3, 16), dtype=np.uint8)  # three blank 4 x 4 images
    >>> disp = HalphaGalleryDisplay.from_images(images, [0.97, 0.5, 0.02], n_cols=2)
    >>> [ax.get_title() for ax in disp.axes_]
    ['P(Be) = 0.97', 'P(Be) = 0.50', 'P(Be) = 0.02']
    >>> import matplotlib.pyplot as plt
    >>> plt.close(disp.figure_)
    """

    def __init__(self, *, images, proba, y_true=None, proba_name="P(Be)"):
        self.images = images
        self.proba = proba
        self.y_true = y_true
        self.proba_name = proba_name

    def plot(self, ax=None, *, n_cols=6, cmap="gray_r"):
        """Draw the images in a grid.

        Parameters
        ----------
        ax : array-like of matplotlib Axes, default=None
            At least one axes per image, used in order (others are blanked);
            None makes a new figure with ``n_cols`` columns.
        n_cols : int, default=6
            Columns of a new grid.
        cmap : str, default="gray_r"
            Colour map (ink is high: dark with ``gray_r``).

        Returns
        -------
        self : HalphaGalleryDisplay
            This display, drawn (its figure and axes are set).
        """
        plt = check_matplotlib("HalphaGalleryDisplay.plot")
        n = len(self.images)
        if ax is None:
            if not isinstance(n_cols, numbers.Integral) or n_cols < 1:
                raise ValueError(
                    f"`n_cols` must be a positive integer, got {n_cols!r}."
                )
            cols = min(int(n_cols), n)
            rows = -(-n // cols)
            fig, grid = plt.subplots(
                rows, cols, squeeze=False, figsize=(1.8 * cols, 2.0 * rows)
            )
            grid = grid.ravel()
        else:
            grid = np.ravel(np.asarray(ax, dtype=object))
            if grid.size < n or not all(hasattr(a, "imshow") for a in grid):
                raise ValueError(
                    f"`ax` must hold at least {n} matplotlib Axes (one per image), "
                    f"got {grid.size} object(s)."
                )
            fig = grid[0].figure
        vmax = 255 if np.issubdtype(self.images.dtype, np.integer) else None
        self.images_ = []
        for k, axes in enumerate(grid):
            axes.set_axis_off()
            if k >= n:
                continue
            self.images_.append(
                axes.imshow(self.images[k], cmap=cmap, vmin=0, vmax=vmax)
            )
            title = f"{self.proba_name} = {self.proba[k]:.2f}"
            if self.y_true is not None:
                title += f"\ntrue: {self.y_true[k]}"
            axes.set_title(title, fontsize="small")
        self.axes_, self.figure_ = grid[:n], fig
        return self

    @classmethod
    def from_estimator(
        cls,
        estimator,
        X,
        y=None,
        *,
        pos_label=None,
        max_images=24,
        proba_name="P(Be)",
        ax=None,
        **kwargs,
    ):
        """Images and probabilities of a fitted H-alpha image classifier.

        The images come from the estimator's own
        :class:`~sklearn_stellar.preprocessing.HalphaRasterizer` step (after
        its normaliser), so they are exactly what its network saw. A row
        that a :class:`~sklearn_stellar.filters.FilteredClassifier` kept from
        the network has probability 0 (see its ``filter_report``).

        Parameters
        ----------
        estimator : fitted Pipeline or FilteredClassifier
            With a HalphaRasterizer step, e.g.
            :func:`~sklearn_stellar.pipelines.make_be_pipeline`.
        X : array-like of shape (n_spectra, n_features)
            Spectra (with trailing photometry columns for a filtered
            classifier that has them).
        y : array-like of shape (n_spectra,), default=None
            True labels, shown in the titles.
        pos_label : label, default=None
            The Be class; None means the last of ``estimator.classes_``.
        max_images : int, default=24
            Draw the first ``max_images`` rows of X only.
        proba_name : str, default="P(Be)"
            Name of the probability in the titles.
        ax : array-like of matplotlib Axes, default=None
            As in :meth:`plot`.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : HalphaGalleryDisplay

        Raises
        ------
        TypeError
            If the estimator has no HalphaRasterizer step.
        """
        if not isinstance(max_images, numbers.Integral) or max_images < 1:
            raise ValueError(
                f"`max_images` must be a positive integer, got {max_images!r}."
            )
        X = X[:max_images]
        images, shape = _rasterize(estimator, X)
        proba, _ = estimator_scores(estimator, X, pos_label)
        y = None if y is None else np.asarray(y)[:max_images]
        return cls.from_images(
            images,
            proba,
            image_shape=shape,
            y_true=y,
            proba_name=proba_name,
            ax=ax,
            **kwargs,
        )

    @classmethod
    def from_images(
        cls,
        images,
        proba,
        *,
        image_shape=None,
        y_true=None,
        proba_name="P(Be)",
        ax=None,
        **kwargs,
    ):
        """Gallery of given images and probabilities.

        Parameters
        ----------
        images : array-like of shape (n_images, n_pixels) or (n_images, h, w)
            Rows of :class:`~sklearn_stellar.preprocessing.HalphaRasterizer`
            output, or images.
        proba : array-like of shape (n_images,)
            Probability of the positive class, in [0, 1].
        image_shape : tuple of int, default=None
            ``(height, width)`` of flattened rows; None means square.
        y_true : array-like of shape (n_images,), default=None
            True labels, shown in the titles.
        proba_name : str, default="P(Be)"
            Name of the probability in the titles.
        ax : array-like of matplotlib Axes, default=None
            As in :meth:`plot`.
        **kwargs : dict
            Passed to :meth:`plot`.

        Returns
        -------
        display : HalphaGalleryDisplay

        Raises
        ------
        ValueError
            If the lengths differ, a row is not a (square or ``image_shape``)
            image, or a probability is outside [0, 1].
        TypeError
            If ``images`` or ``proba`` is not numeric (complex, text, objects).
        """
        images, proba = _check_images(images, proba, image_shape)
        if y_true is not None:
            y_true = np.asarray(y_true)
            if y_true.shape != proba.shape:
                raise ValueError(
                    f"`y_true` must have one label per image ({proba.size}), got "
                    f"shape {y_true.shape}."
                )
        display = cls(images=images, proba=proba, y_true=y_true, proba_name=proba_name)
        return display.plot(ax=ax, **kwargs)
