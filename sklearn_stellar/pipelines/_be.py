"""Wang et al. (2022) recipe: EW/Q filters, spline, H-alpha images, ResNet."""

from __future__ import annotations

import logging

from sklearn.pipeline import Pipeline

from ..filters import EWFilter, FilteredClassifier, QColorFilter
from ..filters._ew_filter import DEFAULT_CUTS
from ..lines._common import window_in_medium, window_weights
from ..neural import BeResNet18
from ..preprocessing import ContinuumNormalizer, HalphaRasterizer
from ..utils import check_wavelength
from ._domain import be_domain

__all__ = ["make_be_pipeline"]

logger = logging.getLogger(__name__)


def _seed_cuts(grid, medium):
    """Wang et al.'s (2022) EW cuts whose window is on the grid (not in an arm gap)."""
    kept = []
    for cut in DEFAULT_CUTS:
        try:
            window_weights(grid, *window_in_medium(cut[0], medium))
        except ValueError:
            logger.warning(
                "make_be_pipeline: the wavelength grid (%.0f-%.0f A) does not "
                "cover the EW window %s A (air) of the Wang et al. (2022) "
                "cut EW < %g A; the "
                "cut is left out (a red-arm-only MRS grid has no Mg b: add the "
                "blue arm, or photometry for the Q filter, to remove late types).",
                grid[0],
                grid[-1],
                cut[0],
                cut[2],
            )
            continue
        kept.append(cut)
    if not any(cut[0] == DEFAULT_CUTS[0][0] for cut in kept):
        raise ValueError(
            f"`wavelength` ({grid[0]:.1f}-{grid[-1]:.1f} A, {medium}) must cover the "
            f"H-alpha window {DEFAULT_CUTS[0][0]} A (air) that the EW cut and the "
            "H-alpha images need."
        )
    return kept


def make_be_pipeline(
    wavelength,
    *,
    medium: str = "vacuum",
    photometry: tuple | None = None,
    ew_cuts=None,
    knot_spacing: float = 100.0,
    image_size: int = 128,
    width: int = 32,
    max_epochs: int = 25,
    batch_size: int = 32,
    lr: float = 1e-3,
    augment: bool = True,
    channels_last: bool = True,
    negative_label=0,
    random_state=None,
    verbose: int = 0,
    domain: bool = False,
) -> FilteredClassifier:
    """Classical Be star finder of Wang et al. (2022), unfitted, best defaults.

    A :class:`~sklearn_stellar.filters.FilteredClassifier` whose filters are
    ``"ew"`` (:class:`~sklearn_stellar.filters.EWFilter`: EW(H-alpha) < 10 A,
    EW(Mg b) < 1.2 A, measured on a spline-normalised copy) and, with
    ``photometry``, ``"q"`` (:class:`~sklearn_stellar.filters.QColorFilter`,
    Q < 0.2), around a :class:`~sklearn.pipeline.Pipeline` of ``"norm"``
    (spline :class:`~sklearn_stellar.preprocessing.ContinuumNormalizer`),
    ``"raster"`` (:class:`~sklearn_stellar.preprocessing.HalphaRasterizer`)
    and ``"resnet"`` (:class:`~sklearn_stellar.neural.BeResNet18`). Fit it on
    raw LAMOST MRS flux (n_spectra, n_pixels) on ``wavelength`` (followed by
    the photometry columns, see :func:`~sklearn_stellar.filters.stack_photometry`)
    with labels 1 = Be, 0 = non-Be; ``predict_proba(X)[:, 1]`` is P(Be) and
    :meth:`~sklearn_stellar.filters.FilteredClassifier.filter_report` says
    which rows the filters kept from the network and why. Parameters of the
    steps are reachable with ``set_params`` (``ew__missing``,
    ``q__missing``, ``estimator__resnet__pretrained``).

    The defaults are the best measured on ``make_be_spectra``
    (``benchmarks/results_be.md`` S3.4): 128 px images and a width-32
    ResNet-18 trained 25 epochs (Adam 1e-3, cosine schedule, augmentation),
    spline knots every 100 A. With 4,168 training spectra of both MRS arms
    (``make_be_spectra(4168, blue_arm=True)``) this scored 0.993 / 0.996 /
    0.995 held-out accuracy on three star-disjoint splits; with the paper's
    2,084 spectra 0.987 on average. The paper used 256 px and a full-width,
    ImageNet-pretrained ResNet-18 (``image_size=256, width=64,
    pretrained=...``); on one split 256 px did as well (0.978 vs 0.974).

    **Out of domain.** A row with no valid pixel in a cut's window (e.g. NaN
    blue-arm columns of a red-arm-only spectrum on a two-arm grid) cannot be
    measured: its ``filter_report`` status is ``"out_of_domain"`` with the
    reason, and under the EW filter's default ``missing="drop"`` it does not
    reach the network (``ew__missing="keep"`` classifies it without that
    cut). A cut whose window the *grid* does not cover (Mg b on a
    red-arm-only grid, the default ``make_be_spectra``) is left out of the
    recipe, with a logged warning: late types are then removed by the
    H-alpha cut and, with ``photometry``, the Q filter only.

    Parameters
    ----------
    wavelength : array-like of shape (n_pixels,)
        Wavelength grid of the flux columns of X in Angstrom, in ``medium``;
        both MRS arms concatenated (blue first) or the red arm alone. It must
        cover the H-alpha window 6530-6590 A (air).
    medium : {"vacuum", "air"}, default="vacuum"
        Medium of ``wavelength`` (LAMOST: vacuum).
    photometry : tuple of str or None, default=None
        Names of trailing J, H, Ks columns of X, in that order (e.g.
        ``("J", "H", "Ks")``); when given, the Q colour filter is added.
    ew_cuts : sequence of (window, min, max) or None, default=None
        EW cuts (windows in air Angstrom, see ``EWFilter``). None: Wang et al.'s (2022)
        two cuts, those the grid covers.
    knot_spacing : float, default=100.0
        Spline knot spacing in Angstrom of both continuum normalisers.
    image_size : int, default=128
        Side in pixels of the H-alpha images.
    width : int, default=32
        Channels of the ResNet's first stage (64 is ResNet-18).
    max_epochs : int, default=25
        Training epochs.
    batch_size : int, default=32
        Mini-batch size.
    lr : float, default=1e-3
        Initial Adam learning rate (cosine decay over ``max_epochs``).
    augment : bool, default=True
        Random rotation, zoom, warp and flips of the training images.
    channels_last : bool, default=True
        Channels-last convolutions (faster on CPU).
    negative_label : int or str, default=0
        Label of the non-Be class, given to rows the filters keep from the
        network.
    random_state : int, RandomState instance or None, default=None
        Seeds the network (initialisation, shuffling, augmentation).
    verbose : int, default=0
        Print skorch's per-epoch log when > 0.
    domain : bool, default=False
        Put a :class:`~sklearn_stellar.domain.DomainGuard` of the
        training domain of Wang et al. (2022) first among the filters, as ``"domain"``
        (``pipelines._domain.BE_DOMAIN``: MRS, CLASS STAR, O-A9, S/N > 10
        per pixel, a PCA novelty detector fitted on the spline-normalised
        training spectra): galaxies, late types, LRS input and spectra below
        the S/N floor get ``"out_of_domain"``, not a P(Be). Opt-in so that
        saved models load as they were; ``sklearn-stellar train`` turns it
        on (docs/domain.rst).

    Returns
    -------
    classifier : FilteredClassifier
        Unfitted.

    Raises
    ------
    ValueError
        If ``wavelength`` does not cover the H-alpha window.

    See Also
    --------
    make_binary_pipeline : The Jing et al. (2024) recipe.
    sklearn_stellar.datasets.make_be_spectra : A training set.

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars), sections 3 and 4.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.pipelines import make_be_pipeline
    >>> blue = np.geomspace(4950.0, 5350.0, 800)
    >>> red = np.geomspace(6300.0, 6800.0, 1000)
    >>> clf = make_be_pipeline(np.r_[blue, red], photometry=("J", "H", "Ks"))
    >>> [name for name, _ in clf.filters], [n for n, _ in clf.estimator.steps]
    (['ew', 'q'], ['norm', 'raster', 'resnet'])
    >>> clf.get_params()["ew__cuts"]
    (((6548.0, 6578.0), None, 10.0), ((5160.0, 5193.0), None, 1.2))
    """
    grid = check_wavelength(wavelength)
    cuts = _seed_cuts(grid, medium) if ew_cuts is None else ew_cuts

    def normalizer():
        return ContinuumNormalizer(
            wavelength=grid, method="spline", knot_spacing=knot_spacing
        )

    filters = [
        (
            "ew",
            EWFilter(
                wavelength=grid,
                medium=medium,
                cuts=tuple(cuts),
                normalizer=normalizer(),
            ),
        )
    ]
    if photometry is not None:
        filters.append(("q", QColorFilter(bands=tuple(photometry))))
    if domain:
        filters.insert(0, ("domain", be_domain(grid, medium, normalizer())))
    network = BeResNet18(
        width=width,
        max_epochs=max_epochs,
        batch_size=batch_size,
        lr=lr,
        augment=augment,
        channels_last=channels_last,
        random_state=random_state,
        verbose=verbose,
    )
    estimator = Pipeline(
        [
            ("norm", normalizer()),
            (
                "raster",
                HalphaRasterizer(wavelength=grid, medium=medium, size=image_size),
            ),
            ("resnet", network),
        ]
    )
    return FilteredClassifier(
        filters=filters,
        estimator=estimator,
        photometry=tuple(photometry or ()),
        negative_label=negative_label,
    )
