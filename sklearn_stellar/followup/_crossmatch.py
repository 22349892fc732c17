"""Cross-matching catalogs by position and by identifier, keeping every row.

Both papers join their samples to other catalogs: Jing et al. (2024) to ZTF eclipsing
binaries (Chen et al. 2020) and the NASA Exoplanet Archive, Wang et al. (2022) to
2MASS (3 arcsec aperture), AllWISE, Gaia EDR3 (1 arcsec) and literature Be
star lists. The result here is a left join: one output row per input row, in
input order, with ``<prefix>matched`` False (and catalog columns masked)
where nothing matched, so no star leaves the sample unreported.
"""

from __future__ import annotations

import logging

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import MaskedColumn, Table

from ..utils._validation import check_positive, check_real_array
from ._input import check_same_length, column_names, get_column, get_labels

__all__ = ["crossmatch_sky", "crossmatch_id"]

logger = logging.getLogger(__name__)

#: Default matching radius: Wang et al.'s (2022) 2MASS aperture (section 3).
DEFAULT_RADIUS = 3.0 * u.arcsec


def _is_table(data) -> bool:
    return isinstance(data, Table) or hasattr(data, "keys") or hasattr(data, "columns")


def _coords(data, ra, dec, name) -> SkyCoord:
    """SkyCoord of a SkyCoord, an (n, 2) array of degrees or a table."""
    if data is None:
        raise TypeError(
            f"`{name}` is required: a table, a SkyCoord or an (n, 2) array."
        )
    if isinstance(data, SkyCoord):
        coords = data.icrs
        return coords.reshape(1) if coords.isscalar else coords
    if not _is_table(data):
        # NaN passes here to be reported with its rows below.
        array = check_real_array(data, name=name, allow_nan=True)
        if array.ndim != 2 or array.shape[1] != 2:
            raise ValueError(
                f"`{name}` as an array must have shape (n, 2) holding RA and "
                f"Dec in degrees, got shape {array.shape}."
            )
        data, ra, dec = {"ra": array[:, 0], "dec": array[:, 1]}, "ra", "dec"
    ra_deg = get_column(data, ra, name=f"{name}[{ra!r}]", unit=u.deg)
    dec_deg = get_column(data, dec, name=f"{name}[{dec!r}]", unit=u.deg)
    check_same_length(ra=ra_deg, dec=dec_deg)
    bad = ~(np.isfinite(ra_deg) & np.isfinite(dec_deg)) | (np.abs(dec_deg) > 90.0)
    if np.any(bad):
        rows = np.flatnonzero(bad)[:5].tolist()
        raise ValueError(
            f"`{name}` has {int(bad.sum())} row(s) with missing RA/Dec or "
            f"|Dec| > 90 deg (first rows {rows}); drop or fix them first."
        )
    return SkyCoord(ra=ra_deg * u.deg, dec=dec_deg * u.deg, frame="icrs")


def _check_radius(radius) -> u.Quantity:
    if not isinstance(radius, u.Quantity):
        try:
            radius = check_positive(radius, name="radius") * u.arcsec
        except ValueError:
            raise ValueError(
                "`radius` must be a positive angle (a Quantity, or a float in "
                f"arcsec), got {radius!r}."
            ) from None
    try:
        radius = radius.to(u.arcsec)
    except u.UnitConversionError:
        raise ValueError(f"`radius` must be an angle, got {radius!r}.") from None
    if not (radius.isscalar and np.isfinite(radius.value) and radius.value > 0):
        raise ValueError(f"`radius` must be a positive angle, got {radius!r}.")
    return radius


def _base_table(data, n) -> Table:
    if isinstance(data, Table):
        return Table(data, copy=True, masked=False)
    if _is_table(data):
        return Table({k: np.asarray(data[k]) for k in column_names(data)})
    return Table({"row": np.arange(n)})


def _attach(out, catalog, index, matched, prefix):
    """Catalog columns with ``prefix`` added to ``out``, masked if unmatched."""
    if not isinstance(catalog, Table):
        return
    safe = np.where(matched, index, 0)
    for name in catalog.colnames:
        col = catalog[name]
        if len(catalog):
            values = np.asarray(col)[safe]
        else:
            values = np.zeros((len(out), *col.shape[1:]), dtype=col.dtype)
        mask = np.broadcast_to(
            ~matched.reshape((-1,) + (1,) * (values.ndim - 1)), values.shape
        )
        out[prefix + name] = MaskedColumn(values, mask=mask, unit=col.unit)


def _check_new_names(out, catalog, prefix, extra=()):
    """ValueError if the columns to add would overwrite the input's."""
    names = [f"{prefix}{n}" for n in ("matched", "index", "shared", *extra)]
    if isinstance(catalog, Table):
        names += [prefix + n for n in catalog.colnames]
    taken = sorted(set(names) & set(out.colnames))
    if taken or len(set(names)) < len(names):
        raise ValueError(
            f"`prefix`={prefix!r} would overwrite columns {taken or names}; pass "
            "another prefix (e.g. 'tmass_' then 'gaia_' when chaining matches)."
        )


def _finish(out, index, matched, prefix, what):
    shared = np.zeros(len(out), dtype=bool)
    if matched.any():
        hit, counts = np.unique(index[matched], return_counts=True)
        shared[matched] = np.isin(index[matched], hit[counts > 1])
    out[f"{prefix}matched"] = matched
    out[f"{prefix}index"] = np.where(matched, index, -1)
    out[f"{prefix}shared"] = shared
    n_unmatched = int((~matched).sum())
    out.meta[f"{prefix}n_unmatched"] = n_unmatched
    logger.info(
        "%s: %d of %d rows matched, %d unmatched, %d sharing a match",
        what,
        int(matched.sum()),
        len(out),
        n_unmatched,
        int(shared.sum()),
    )
    return out


def crossmatch_sky(
    data,
    catalog,
    *,
    radius=DEFAULT_RADIUS,
    ra="ra",
    dec="dec",
    catalog_ra="ra",
    catalog_dec="dec",
    prefix: str = "cat_",
) -> Table:
    """Nearest catalog source within ``radius`` of each input position.

    Uses :meth:`astropy.coordinates.SkyCoord.match_to_catalog_sky` (the
    nearest neighbour on the sky, no proper-motion propagation between
    epochs). Every input row is kept.

    Parameters
    ----------
    data : Table, mapping, DataFrame, SkyCoord or array of shape (n, 2)
        The sample. A table needs RA and Dec columns (degrees, or any angle
        unit on the column); an array holds RA, Dec in degrees.
    catalog : same kinds as ``data``
        The catalog searched. When it is an astropy Table, its columns are
        copied into the output with ``prefix``.
    radius : Quantity or float, default=3 arcsec
        Matching radius (a float is in arcsec). Wang et al. (2022) used 3 arcsec for
        2MASS and 1 arcsec for Gaia EDR3.
    ra, dec, catalog_ra, catalog_dec : str, default="ra", "dec"
        Column names in ``data`` and ``catalog``.
    prefix : str, default ``"cat_"``
        Prefix of every added column, so that matches can be chained
        (``"tmass_"``, then ``"gaia_"``).

    Returns
    -------
    Table
        The input's columns (or ``row`` for array input) plus, with the
        default prefix, ``cat_matched`` (bool), ``cat_index`` (catalog row,
        -1 if unmatched), ``cat_shared`` (another input row matched the same
        source), ``cat_separation`` (arcsec, to the nearest source even when
        it is beyond ``radius``; NaN for an empty catalog) and the catalog's
        columns (masked where unmatched). ``meta["cat_n_unmatched"]`` counts
        the rows with no match.

    Raises
    ------
    ValueError
        Missing columns, coordinates that are NaN or out of range, a
        non-angle or non-positive ``radius``, added columns that would
        overwrite the input's.
    TypeError
        ``data`` or ``catalog`` that is neither a table, a SkyCoord nor
        numbers.

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars), sections 3 and 6;
    Jing, Y., Mao, T.-X., Wang, J., et al. 2024, section 3.2.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from sklearn_stellar.followup import crossmatch_sky
    >>> sample = Table({"ra": [10.0, 20.0], "dec": [5.0, 5.0]})
    >>> twomass = Table({"ra": [10.0003], "dec": [5.0], "Ks": [9.1]})
    >>> out = crossmatch_sky(sample, twomass, radius=3.0)
    >>> out["cat_matched"].tolist(), out["cat_Ks"].tolist()
    ([True, False], [9.1, None])
    >>> round(float(out["cat_separation"][0]), 2)
    1.08
    """
    radius = _check_radius(radius)
    coords = _coords(data, ra, dec, "data")
    cat = _coords(catalog, catalog_ra, catalog_dec, "catalog")
    out = _base_table(data, len(coords))
    if len(cat) == 0 or len(coords) == 0:
        index = np.zeros(len(coords), dtype=int)
        separation = np.full(len(coords), np.nan)
    else:
        index, sep, _ = coords.match_to_catalog_sky(cat)
        index = np.asarray(index, dtype=int)
        separation = sep.to_value(u.arcsec)
    matched = np.asarray(separation <= radius.value) & (len(cat) > 0)
    _check_new_names(out, catalog, prefix, extra=("separation",))
    out[f"{prefix}separation"] = separation * u.arcsec
    _attach(out, catalog, index, matched, prefix)
    return _finish(out, index, matched, prefix, "crossmatch_sky")


def crossmatch_id(
    data,
    catalog,
    *,
    key="source_id",
    catalog_key=None,
    prefix: str = "cat_",
) -> Table:
    """Left join on an identifier (Gaia ``source_id``, LAMOST ``obsid``, names).

    Parameters
    ----------
    data : Table, mapping, DataFrame or 1-D array of identifiers
        The sample; a table needs the ``key`` column.
    catalog : Table, mapping, DataFrame or 1-D array of identifiers
        Identifiers must be unique in the catalog.
    key : str, default="source_id"
        Identifier column of ``data``.
    catalog_key : str, default=None
        Identifier column of ``catalog``; None means ``key``.
    prefix : str, default ``"cat_"``
        Prefix of every added column.

    Returns
    -------
    Table
        Input columns (or ``key`` for array input) plus ``cat_matched``,
        ``cat_index`` (-1 if unmatched), ``cat_shared`` and the catalog's
        columns (Table catalogs); ``meta["cat_n_unmatched"]``. Masked or None
        identifiers never match.

    Raises
    ------
    ValueError
        Missing columns, an identifier repeated in ``catalog``, added columns
        that would overwrite the input's.

    Examples
    --------
    >>> from astropy.table import Table
    >>> from sklearn_stellar.followup import crossmatch_id
    >>> sample = Table({"source_id": [11, 12, 13]})
    >>> rv = Table({"source_id": [13, 11], "rv": [-5.0, 20.0]})
    >>> out = crossmatch_id(sample, rv)
    >>> out["cat_index"].tolist(), out["cat_rv"].tolist()
    ([1, -1, 0], [20.0, None, -5.0])
    """
    catalog_key = key if catalog_key is None else catalog_key
    ids, missing = _ids(data, key, "data")
    cat_ids, cat_missing = _ids(catalog, catalog_key, "catalog")
    known = cat_ids[~cat_missing]
    unique, counts = np.unique(known, return_counts=True)
    if np.any(counts > 1):
        raise ValueError(
            f"`catalog` identifiers in {catalog_key!r} must be unique; repeated: "
            f"{unique[counts > 1][:5].tolist()}."
        )
    rows = np.flatnonzero(~cat_missing)
    order = np.argsort(known, kind="stable")
    index = np.zeros(len(ids), dtype=int)
    matched = np.zeros(len(ids), dtype=bool)
    valid = ~missing
    if len(known) and valid.any():
        sorted_known = known[order]
        try:
            pos = np.searchsorted(sorted_known, ids[valid])
        except TypeError:
            raise TypeError(
                f"identifiers of `data` ({ids.dtype}) and `catalog` "
                f"({known.dtype}) cannot be compared."
            ) from None
        pos = np.clip(pos, 0, len(known) - 1)
        matched[valid] = sorted_known[pos] == ids[valid]
        index[valid] = rows[order[pos]]
    out = _base_table(data, len(ids)) if _is_table(data) else Table({key: ids})
    _check_new_names(out, catalog, prefix)
    _attach(out, catalog, index, matched, prefix)
    return _finish(out, index, matched, prefix, "crossmatch_id")


def _ids(data, key, name):
    if _is_table(data):
        return get_labels(data, key, name=f"{name}[{key!r}]")
    return get_labels(None, data, name=name)
