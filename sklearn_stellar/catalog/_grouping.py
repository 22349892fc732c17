"""Spectra grouped into stars by sky position (friends-of-friends).

A LAMOST designation is built from the position measured at each epoch, so
one star can carry several designations (in the data home's
``lamost/lrs/repeat_epochs``, 75 designations for 49 stars). Grouping by
position joins the epochs of one star before the per-star maximum of Jing et
al. (2024, section 4) is taken.
"""

from __future__ import annotations

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord, search_around_sky
from scipy.sparse import coo_matrix
from scipy.sparse.csgraph import connected_components

from ..followup._crossmatch import _check_radius
from ..utils._validation import check_real_array

__all__ = ["group_by_position"]

#: Default linking length: measured on ``lamost/lrs/repeat_epochs`` (epochs of
#: one star <= 1.45 arcsec apart, different stars >= 277.6 arcsec apart).
DEFAULT_STAR_RADIUS = 3.0 * u.arcsec

#: ``grouped_by`` values of the per-star tables.
BY_POSITION = "position"
NO_POSITION = "no position: own star"


def group_by_position(ra, dec, *, radius=DEFAULT_STAR_RADIUS) -> np.ndarray:
    """Star index of every spectrum: friends-of-friends on the sky.

    Two spectra belong to one star when a chain of spectra links them, each
    step closer than ``radius`` (pairs from
    :func:`astropy.coordinates.search_around_sky`, chains from
    :func:`scipy.sparse.csgraph.connected_components`). The result does not
    depend on the order of the rows except for the numbering. Rows with a
    missing RA/Dec (NaN) are each a star of their own, never dropped.

    The default radius comes from the real repeat epochs in the data home
    (``lamost/lrs/repeat_epochs``, 110 spectra of the 49 stars of
    ``epochs.csv``): the header positions of one star's epochs lie at most
    1.45 arcsec apart, those of different stars at least 277.6 arcsec apart;
    3 arcsec is twice the largest epoch-to-epoch offset and is also Wang et
    al.'s (2022) 2MASS aperture.

    Parameters
    ----------
    ra, dec : array-like of shape (n_spectra,)
        Position in degrees (ICRS); NaN where unknown.
    radius : Quantity or float, default=3 arcsec
        Linking length (a float is in arcsec).

    Returns
    -------
    star : ndarray of int of shape (n_spectra,)
        Star index, 0 for the star of the first row, numbered in the order of
        each star's first row.

    Raises
    ------
    TypeError
        If ``ra`` or ``dec`` is not numbers.
    ValueError
        If ``ra`` and ``dec`` differ in shape or are not 1-D, a Dec is
        beyond +-90 deg, an RA or Dec is infinite, or ``radius`` is not a
        positive angle.

    References
    ----------
    Jing, Y., Mao, T.-X., Wang, J., et al. 2024, section 4 (a star's p_b is
    the maximum over its spectra);
    Wang, L., Li, J., Wu, Y., et al. 2022, section 3 (3 arcsec aperture).

    Examples
    --------
    >>> from sklearn_stellar.catalog import group_by_position
    >>> ra = [10.0, 10.0003, 20.0, float("nan")]
    >>> dec = [5.0, 5.0, 5.0, float("nan")]
    >>> group_by_position(ra, dec).tolist()
    [0, 0, 1, 2]
    """
    radius = _check_radius(radius)
    ra = check_real_array(ra, name="ra", allow_nan=True)
    dec = check_real_array(dec, name="dec", allow_nan=True)
    if ra.ndim != 1 or ra.shape != dec.shape:
        raise ValueError(
            "`ra` and `dec` must be 1-D and of one length (degrees, one value "
            f"per spectrum), got shapes {ra.shape} and {dec.shape}."
        )
    known = np.isfinite(ra) & np.isfinite(dec)
    bad = np.flatnonzero(np.isinf(ra) | np.isinf(dec) | (np.abs(dec) > 90.0))
    if len(bad):
        raise ValueError(
            f"`ra`/`dec` rows {bad[:5].tolist()} are infinite or have |Dec| > 90 "
            "deg; use NaN for an unknown position."
        )
    n = len(ra)
    rows = np.flatnonzero(known)
    labels = np.arange(n)
    if len(rows) > 1:
        coords = SkyCoord(ra=ra[rows] * u.deg, dec=dec[rows] * u.deg, frame="icrs")
        i, j, _, _ = search_around_sky(coords, coords, radius)
        graph = coo_matrix((np.ones(len(i)), (i, j)), shape=(len(rows),) * 2)
        _, comp = connected_components(graph, directed=False)
        # Every component is labelled by its first row: order-free partition.
        first = np.full(comp.max() + 1, n)
        np.minimum.at(first, comp, rows)
        labels[rows] = first[comp]
    _, star = np.unique(labels, return_inverse=True)
    return star.ravel()


def _assign_stars(star_key, keys, ra, dec, radius):
    """(star value per star, star index per row, grouped_by per row).

    Star indices are numbered in order of each star's first row.
    """
    if star_key == "position":
        index = group_by_position(ra, dec, radius=radius)
        known = np.isfinite(np.asarray(ra, float)) & np.isfinite(np.asarray(dec, float))
        reason = np.where(known, BY_POSITION, NO_POSITION)
        return np.arange(index.max() + 1 if len(index) else 0), index, reason
    keys = np.asarray(keys).astype(str)
    uniq, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    order = np.argsort(first, kind="stable")
    rank = np.empty_like(order)
    rank[order] = np.arange(len(order))
    return uniq[order], rank[inverse.ravel()], np.full(len(keys), str(star_key))


def _best_per_star(index, p):
    """Row of the highest ``p`` of each star, and each star's row count."""
    order = np.lexsort((-p, index))
    best = order[np.r_[0, np.flatnonzero(np.diff(index[order])) + 1]]
    return best, np.bincount(index)


def _merged_designations(designation, index, n_stars):
    """Distinct designations of each star ("|"-joined, first-seen order), count."""
    order = np.argsort(index, kind="stable")
    cuts = np.flatnonzero(np.diff(index[order])) + 1
    groups = np.split(np.asarray(designation, dtype=str)[order], cuts)
    names = [[d for d in dict.fromkeys(g) if d] for g in groups][:n_stars]
    joined = np.array(["|".join(m) for m in names] or [""], dtype=str)[: len(names)]
    return joined, np.array([len(m) for m in names], dtype=int)
