"""Per-star table of a per-spectrum catalog (Jing et al. 2024, section 4)."""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from ..followup._crossmatch import _check_radius
from ..io._metadata import _set_units
from ._grouping import (
    DEFAULT_STAR_RADIUS,
    _assign_stars,
    _best_per_star,
    _merged_designations,
)

__all__ = ["star_table"]

_NAMES = ("star", "designation", "designations", "n_designations", "ra", "dec",
          "n_spectra", "max_probability", "mean_probability", "obsid",
          "grouped_by")  # fmt: skip


def star_table(
    catalog: Table,
    *,
    probability: str = "probability",
    star_key: str = "position",
    radius=DEFAULT_STAR_RADIUS,
) -> Table:
    """One row per star with classified spectra.

    A star's probability is the maximum over its spectra (Jing et al. 2024,
    section 4); the mean is given beside it. By default spectra are grouped
    into stars by position (:func:`group_by_position`), because one star's
    LAMOST designation can change between epochs.

    Parameters
    ----------
    catalog : astropy.table.Table
        One row per spectrum with the columns ``designation``, ``ra``,
        ``dec`` (degrees), ``obsid`` (see
        :data:`sklearn_stellar.io.METADATA_COLUMNS`) and ``probability``,
        e.g. the catalog of ``sklearn-stellar predict``. Rows without a
        finite probability (unread files) are left out; with
        ``star_key="designation"`` so are rows without a designation.
    probability : str, default="probability"
        Column holding each spectrum's probability.
    star_key : {"position", "designation"}, default="position"
        ``"position"``: friends-of-friends within ``radius`` on the sky;
        a classified row without RA/Dec is a star of its own
        (``grouped_by`` says so). ``"designation"``: one star per LAMOST
        designation (splits a star whose designation changed).
    radius : Quantity or float, default=3 arcsec
        Linking length of ``star_key="position"`` (a float is in arcsec).

    Returns
    -------
    table : astropy.table.Table
        Columns ``star`` (index in order of first spectrum for positions,
        else the designation), ``designation`` (of the spectrum with the
        highest probability), ``designations`` (all distinct ones, joined
        by "|"), ``n_designations``, ``ra, dec, n_spectra, max_probability,
        mean_probability, obsid`` (``ra, dec, obsid`` of the spectrum with
        the highest probability; ``n_spectra`` counts classified spectra)
        and ``grouped_by`` (``"position"``, ``"no position: own star"`` or
        ``"designation"``); stars in order of their first spectrum.

    Raises
    ------
    TypeError
        If ``catalog`` is not an astropy Table.
    ValueError
        If a needed column is missing, ``star_key`` is unknown, or
        ``radius`` is not a positive angle.

    References
    ----------
    Jing, Y., Mao, T.-X., Wang, J., et al. 2024, section 4.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from sklearn_stellar.catalog import star_table
    >>> cat = Table({"designation": ["A", "A2", "B"], "ra": [1.0, 1.0001, 2.0],
    ...              "dec": [0.0, 0.0, 3.0], "obsid": [10, 11, 12],
    ...              "probability": [0.2, 0.6, 0.9]})
    >>> star_table(cat)["star", "designations", "n_spectra", "max_probability",
    ...                 "mean_probability", "obsid"].pprint()
    star designations n_spectra max_probability mean_probability obsid
    ---- ------------ --------- --------------- ---------------- -----
       0         A|A2         2             0.6              0.4    11
       1            B         1             0.9              0.9    12
    """
    _check_catalog(catalog, probability, star_key)
    radius = _check_radius(radius)
    n = len(catalog)
    p = np.asarray(catalog[probability], dtype=float) if n else np.zeros(0)
    designation = np.asarray(catalog["designation"]).astype(str)
    keep = np.isfinite(p)
    if star_key == "designation":
        keep &= designation != ""
    rows = catalog[keep]
    if not len(rows):
        return _set_units(Table(names=_NAMES, dtype=(
            int if star_key == "position" else str, str, str, int, float,
            float, int, float, float, int, str)))  # fmt: skip
    ra, dec = (np.asarray(rows[c], dtype=float) for c in ("ra", "dec"))
    stars, index, reason = _assign_stars(star_key, designation[keep], ra, dec, radius)
    p = p[keep]
    best, n_spectra = _best_per_star(index, p)
    names, n_names = _merged_designations(designation[keep], index, len(stars))
    table = Table(
        [stars, designation[keep][best], names, n_names, rows["ra"][best],
         rows["dec"][best], n_spectra, p[best],
         np.bincount(index, weights=p) / n_spectra, rows["obsid"][best],
         reason[best]],
        names=_NAMES,
    )  # fmt: skip
    return _set_units(table)


def _check_catalog(catalog, probability, star_key):
    if not isinstance(catalog, Table):
        raise TypeError(
            f"`catalog` must be an astropy Table, got {type(catalog).__name__}."
        )
    if not isinstance(probability, str) or probability not in catalog.colnames:
        raise ValueError(
            f"`probability`={probability!r} is not a column of `catalog` "
            f"({catalog.colnames})."
        )
    if star_key not in ("position", "designation"):
        raise ValueError(
            f"`star_key` must be 'position' or 'designation', got {star_key!r}."
        )
    missing = [
        c for c in ("designation", "ra", "dec", "obsid") if c not in catalog.colnames
    ]
    if missing:
        raise ValueError(f"`catalog` lacks the column(s) {missing}.")
