"""Per-star table of a per-spectrum catalog (Jing et al. 2024, section 4)."""

from __future__ import annotations

import numpy as np
from astropy.table import Table

from ..io._metadata import _set_units

__all__ = ["star_table"]

_NAMES = ("designation", "ra", "dec", "n_spectra", "max_probability",
          "mean_probability", "obsid")  # fmt: skip


def star_table(catalog: Table, *, probability: str = "probability") -> Table:
    """One row per star (designation) with classified spectra.

    A star's probability is the maximum over its spectra (Jing et al. 2024,
    section 4); the mean is given beside it.

    Parameters
    ----------
    catalog : astropy.table.Table
        One row per spectrum with the columns ``designation``, ``ra``,
        ``dec``, ``obsid`` (see :data:`sklearn_stellar.io.METADATA_COLUMNS`)
        and ``probability``, e.g. the catalog of ``sklearn-stellar predict``.
        Rows without a finite probability or a designation are left out.
    probability : str, default="probability"
        Column holding each spectrum's probability.

    Returns
    -------
    table : astropy.table.Table
        Columns ``designation, ra, dec, n_spectra, max_probability,
        mean_probability, obsid``; ``ra, dec, obsid`` are those of the
        spectrum with the highest probability, ``n_spectra`` counts the
        classified spectra; stars in order of their first spectrum.

    Raises
    ------
    TypeError
        If ``catalog`` is not an astropy Table.
    ValueError
        If a needed column is missing.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from sklearn_stellar.catalog import star_table
    >>> cat = Table({"designation": ["A", "A", "B"], "ra": [1.0, 1.0, 2.0],
    ...              "dec": [0.0, 0.0, 3.0], "obsid": [10, 11, 12],
    ...              "probability": [0.2, 0.6, 0.9]})
    >>> star_table(cat)["designation", "n_spectra", "max_probability",
    ...                 "mean_probability", "obsid"].pprint()
    designation n_spectra max_probability mean_probability obsid
    ----------- --------- --------------- ---------------- -----
              A         2             0.6              0.4    11
              B         1             0.9              0.9    12
    """
    _check_catalog(catalog, probability)
    p = np.asarray(catalog[probability], dtype=float) if len(catalog) else []
    keep = np.isfinite(p) & (np.asarray(catalog["designation"]) != "")
    rows = catalog[keep]
    if not len(rows):
        return _set_units(
            Table(names=_NAMES, dtype=(str, float, float, int, float, float, int))
        )
    p = np.asarray(rows[probability], dtype=float)
    keys, first, inverse = np.unique(
        np.asarray(rows["designation"]), return_index=True, return_inverse=True
    )
    inverse = inverse.ravel()
    n = np.bincount(inverse)
    mean = np.bincount(inverse, weights=p) / n
    order = np.lexsort((-p, inverse))
    best = order[np.r_[0, np.flatnonzero(np.diff(inverse[order])) + 1]]
    table = Table(
        [keys, rows["ra"][best], rows["dec"][best], n, p[best], mean,
         rows["obsid"][best]],
        names=_NAMES,
    )  # fmt: skip
    return table[np.argsort(first, kind="stable")]


def _check_catalog(catalog, probability):
    if not isinstance(catalog, Table):
        raise TypeError(
            f"`catalog` must be an astropy Table, got {type(catalog).__name__}."
        )
    if not isinstance(probability, str) or probability not in catalog.colnames:
        raise ValueError(
            f"`probability`={probability!r} is not a column of `catalog` "
            f"({catalog.colnames})."
        )
    missing = [
        c for c in ("designation", "ra", "dec", "obsid") if c not in catalog.colnames
    ]
    if missing:
        raise ValueError(f"`catalog` lacks the column(s) {missing}.")
