"""Columns from an astropy Table, a mapping or plain arrays, in known units.

Every follow-up function takes its inputs the same way: a keyword is either
a column name (looked up in ``data``: an astropy ``Table``/``QTable``, a
dict of arrays or a pandas ``DataFrame``) or the values themselves (array,
list or astropy ``Quantity``). Values with a unit are converted to the unit
the function documents; values without one are taken to be in it already.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
from astropy import units as u
from astropy.table import Table

__all__ = [
    "column_names",
    "get_column",
    "get_labels",
    "check_same_length",
    "check_n_draws",
    "get_error_columns",
]


def column_names(data) -> list[str]:
    """Column names of a Table, mapping or DataFrame."""
    if isinstance(data, Table):
        return list(data.colnames)
    if isinstance(data, Mapping):
        return [str(k) for k in data]
    columns = getattr(data, "columns", None)  # pandas.DataFrame
    if columns is not None:
        return [str(c) for c in columns]
    raise TypeError(
        "`data` must be an astropy Table, a mapping of column name to array or "
        f"a pandas DataFrame, got {type(data).__name__}."
    )


def _lookup(data, value, name):
    if not isinstance(value, str):
        return value
    if data is None:
        raise TypeError(
            f"`{name}`={value!r} names a column, but no `data` table was given: "
            "pass `data` or the values themselves."
        )
    names = column_names(data)
    if value not in names:
        raise ValueError(
            f"`{name}`: column {value!r} is not in `data`; its columns are {names}."
        )
    return data[value]


def get_column(data, value, *, name: str, unit=None) -> np.ndarray:
    """Values of one input as a float64 array in ``unit`` (NaN where masked).

    Parameters
    ----------
    data : Table, mapping, DataFrame or None
    value : str, array-like or Quantity
        A column name in ``data`` or the values.
    name : str
        The argument's name, for error messages.
    unit : str or astropy unit, default=None
        The unit the caller works in; None for a dimensionless number.

    Returns
    -------
    ndarray of shape (n,)

    Raises
    ------
    ValueError
        Missing column, a unit that does not convert, or not 1-D.
    TypeError
        A column name without ``data``, or values that are not numbers.
    """
    if value is None:
        raise ValueError(f"`{name}` is required, got None.")
    values = _lookup(data, value, name)
    have = getattr(values, "unit", None)
    array = _as_float(values.value if isinstance(values, u.Quantity) else values, name)
    if have is not None:
        want = u.dimensionless_unscaled if unit is None else u.Unit(unit)
        try:
            array = array * u.Unit(have).to(want)
        except u.UnitConversionError:
            raise ValueError(
                f"`{name}` must be in a unit convertible to {want}, got {have}."
            ) from None
    return _check_1d(array, name)


def _as_float(values, name):
    if isinstance(values, np.ma.MaskedArray):
        values = values.astype(np.float64).filled(np.nan)
    try:
        return np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"`{name}` must hold numbers, got {np.asarray(values).dtype} values."
        ) from None


def _check_1d(values, name):
    values = np.atleast_1d(values)
    if values.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, got shape {values.shape}.")
    return values


def get_labels(data, value, *, name: str) -> tuple[np.ndarray, np.ndarray]:
    """Values of an identifier or text input and a mask of missing entries.

    Returns
    -------
    values : ndarray of shape (n,)
    missing : ndarray of bool, shape (n,)
        True where the entry is masked or None.
    """
    if value is None:
        raise ValueError(f"`{name}` is required, got None.")
    values = _lookup(data, value, name)
    mask = np.ma.getmaskarray(values) if np.ma.isMaskedArray(values) else None
    array = np.asarray(getattr(values, "data", values) if mask is not None else values)
    if array.ndim == 0:
        array = array.reshape(1)
    if array.ndim != 1:
        raise ValueError(f"`{name}` must be 1-D, got shape {array.shape}.")
    missing = np.zeros(array.shape, dtype=bool) if mask is None else mask.copy()
    if array.dtype == object:
        missing |= np.array([v is None for v in array], dtype=bool)
    return array, missing


def check_same_length(**arrays) -> int:
    """Common length of the named arrays; ValueError naming those that differ."""
    lengths = {k: len(v) for k, v in arrays.items()}
    if len(set(lengths.values())) > 1:
        raise ValueError(f"inputs must have the same length, got {lengths}.")
    return next(iter(lengths.values()), 0)


def check_n_draws(n_draws) -> None:
    """ValueError unless ``n_draws`` (Monte Carlo draws) is 0 or an int >= 2."""
    # bool is an int: True would mean one draw, whose spread is undefined.
    ok = isinstance(n_draws, (int, np.integer)) and not isinstance(n_draws, bool)
    if not (ok and (n_draws == 0 or n_draws >= 2)):
        raise ValueError(f"`n_draws` must be 0 or an integer >= 2, got {n_draws!r}.")


def get_error_columns(data, given: dict, n_draws: int) -> dict:
    """1-sigma errors ``{"pmra": ...}`` of the astrometry Monte Carlo draws.

    ``given`` maps ``pmra``, ``pmdec`` and optionally ``parallax`` to a column
    name or values; an error that cannot be read names ``n_draws`` too, the
    argument that asked for it.
    """
    units = {"pmra": u.mas / u.yr, "pmdec": u.mas / u.yr, "parallax": u.mas}
    try:
        return {
            k: get_column(data, v, name=f"{k}_error", unit=units[k])
            for k, v in given.items()
        }
    except (TypeError, ValueError) as exc:
        raise type(exc)(
            f"{exc} The errors are needed because `n_draws`={n_draws!r}; pass "
            "them or n_draws=0 (no uncertainties)."
        ) from None
