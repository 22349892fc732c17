"""The per-star table of Jing et al. (2024) section 4 from a ``predict`` catalog."""

from __future__ import annotations

import numpy as np
from astropy.table import Table


def star_table(catalog) -> Table:
    """One row per star (designation) with classified spectra.

    Columns ``designation, ra, dec, n_spectra, max_probability,
    mean_probability`` and ``obsid`` of the spectrum with the highest
    probability (Jing et al. 2024 section 4: a star's p_b is the maximum
    over its spectra). Rows without a finite probability or a designation
    are left out; ``n_spectra`` counts the classified spectra.
    """
    p = np.asarray(catalog["probability"], dtype=float) if len(catalog) else []
    keep = np.isfinite(p) & (np.asarray(catalog["designation"]) != "")
    rows = catalog[keep]
    names = ("designation", "ra", "dec", "n_spectra", "max_probability",
             "mean_probability", "obsid")  # fmt: skip
    if not len(rows):
        return Table(names=names, dtype=(str, float, float, int, float, float, str))
    p = np.asarray(rows["probability"], dtype=float)
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
        names=names,
    )  # fmt: skip
    return table[np.argsort(first, kind="stable")]
