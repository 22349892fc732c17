"""One metadata table for spectra: the reader's keys spelled once."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from astropy.table import Table

__all__ = ["METADATA_COLUMNS", "SNR_BANDS", "metadata_row", "metadata_table"]

#: Columns every table of spectra carries, in order: name (the key of the
#: reader's ``spectrum.meta``) -> (dtype, value when missing, unit). ``snr``
#: is the best S/N the reader recorded over the bands (LRS) or the arm (MRS).
METADATA_COLUMNS = {
    "obsid": (np.int64, -1, None),
    "designation": (str, "", None),
    "ra": (np.float64, np.nan, "deg"),
    "dec": (np.float64, np.nan, "deg"),
    "snr": (np.float64, np.nan, None),
    "survey": (str, "", None),
    "arm": (str, "", None),
    "exposure": (str, "", None),
}
#: LAMOST LRS bands of the per-band S/N (``meta["snr"]`` keys).
SNR_BANDS = ("u", "g", "r", "i", "z")


def _best_snr(meta: Mapping) -> float:
    values = [v for v in (meta.get("snr") or {}).values() if v is not None]
    return float(max(values)) if values else float("nan")


def _value(meta: Mapping, name: str):
    kind, fill, _ = METADATA_COLUMNS[name]
    if name == "snr":
        return _best_snr(meta)
    value = meta.get(name)
    if value is None or (kind is str and value == ""):
        return fill
    try:
        return kind(value)
    except (TypeError, ValueError):
        return fill


def _check_columns(columns):
    """The column names asked for, all known (ValueError/TypeError by name)."""
    if columns is None:
        return list(METADATA_COLUMNS)
    if isinstance(columns, (str, bytes)) or not isinstance(columns, Sequence):
        raise TypeError(
            "`columns` must be a sequence of names among "
            f"{list(METADATA_COLUMNS)}, got {columns!r}."
        )
    unknown = [c for c in columns if c not in METADATA_COLUMNS]
    if unknown:
        raise ValueError(
            f"`columns` holds {unknown!r}, not among {list(METADATA_COLUMNS)}."
        )
    return list(columns)


def metadata_row(meta: Mapping | None, columns=None) -> dict:
    """One spectrum's metadata as the columns of :data:`METADATA_COLUMNS`.

    Parameters
    ----------
    meta : dict or None
        ``spectrum.meta`` from :func:`read_lamost`; None (e.g. an unreadable
        file) gives every column its missing value.
    columns : sequence of str, default=None
        Names among :data:`METADATA_COLUMNS`; None takes them all.

    Returns
    -------
    row : dict
        Column name -> value (-1, "" or NaN where missing).

    Raises
    ------
    TypeError
        If ``meta`` is not a dict or None.
    ValueError
        If ``columns`` names a column not in :data:`METADATA_COLUMNS`.

    Examples
    --------
    >>> from sklearn_stellar.io import metadata_row
    >>> metadata_row({"obsid": 7, "ra": 10.5, "snr": {"g": 20.0, "r": 31.0}})
    ... # doctest: +NORMALIZE_WHITESPACE
    {'obsid': 7, 'designation': '', 'ra': 10.5, 'dec': nan, 'snr': 31.0,
     'survey': '', 'arm': '', 'exposure': ''}
    """
    if meta is not None and not isinstance(meta, Mapping):
        raise TypeError(
            f"`meta` must be a dict of spectrum metadata or None, got {type(meta)!r}."
        )
    meta = {} if meta is None else meta
    row = {name: _value(meta, name) for name in _check_columns(columns)}
    return {k: v.item() if isinstance(v, np.generic) else v for k, v in row.items()}


def _check_rows(metadata):
    if isinstance(metadata, (str, bytes)) or not isinstance(metadata, Sequence):
        raise TypeError(
            "`metadata` must be an astropy Table or a list of dicts (spectrum "
            f".meta from sklearn_stellar.io.read_lamost), got {type(metadata)!r}."
        )
    rows = list(metadata)
    for i, row in enumerate(rows):
        if not isinstance(row, Mapping):
            raise TypeError(
                f"`metadata[{i}]` must be a dict of spectrum metadata, got "
                f"{type(row)!r}."
            )
    return rows


def _table_column(table, name, kind, fill):
    if name not in table.colnames:
        return np.full(len(table), fill)
    values = table[name]
    if hasattr(values, "filled"):
        values = values.filled(fill)
    return np.asarray(values).astype(kind)


def metadata_table(metadata, *, columns=None, snr_bands: bool = False) -> Table:
    """The metadata of many spectra as one astropy Table.

    Parameters
    ----------
    metadata : list of dict or astropy.table.Table
        One entry per spectrum: ``spectrum.meta`` dicts from
        :func:`read_lamost`, or a Table already holding (some of) the columns.
    columns : sequence of str, default=None
        Names among :data:`METADATA_COLUMNS`, in the order wanted; None takes
        them all.
    snr_bands : bool, default=False
        Also add ``snr_u`` ... ``snr_z``, the LRS per-band S/N
        (``meta["snr"][band]``, or a Table's ``snr_<band>`` columns).

    Returns
    -------
    table : astropy.table.Table
        One row per spectrum; missing values are -1 (obsid), "" or NaN;
        ``ra`` and ``dec`` in degrees.

    Raises
    ------
    TypeError
        If ``metadata`` is not a Table or a list of dicts.
    ValueError
        If ``columns`` names a column not in :data:`METADATA_COLUMNS`.

    Examples
    --------
    >>> from sklearn_stellar.io import metadata_table
    >>> meta = [{"obsid": 1, "designation": "J1", "ra": 10.0, "dec": 5.0},
    ...         {"obsid": 2, "snr": {"g": 12.5}}]
    >>> metadata_table(meta, columns=["obsid", "designation", "snr"]).pprint()
    ... # doctest: +NORMALIZE_WHITESPACE
    obsid designation snr
    ----- ----------- ----
        1          J1  nan
        2             12.5
    """
    names = _check_columns(columns)
    bands = SNR_BANDS if snr_bands else ()
    if isinstance(metadata, Table):
        out = {
            name: _table_column(metadata, name, *METADATA_COLUMNS[name][:2])
            for name in names
        }
        for band in bands:
            out[f"snr_{band}"] = _table_column(
                metadata, f"snr_{band}", np.float64, np.nan
            )
    else:
        rows = _check_rows(metadata)
        out = {}
        for name in names:
            kind, fill, _ = METADATA_COLUMNS[name]
            values = [_value(row, name) for row in rows]
            out[name] = np.array(values, dtype=kind) if values else np.full(0, fill)
        for band in bands:
            out[f"snr_{band}"] = np.array(
                [(row.get("snr") or {}).get(band, np.nan) for row in rows],
                dtype=np.float64,
            )
    table = Table(out)
    _set_units(table)
    return table


def _set_units(table: Table) -> Table:
    """Give the metadata columns of ``table`` their units (``ra``, ``dec``: deg)."""
    for name, (_, _, unit) in METADATA_COLUMNS.items():
        if unit is not None and name in table.colnames:
            table[name].unit = unit
    return table
