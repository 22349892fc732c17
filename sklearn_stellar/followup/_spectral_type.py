"""Wang et al.'s (2022) spectral-type test for classical Be candidates (section 5.2)."""

from __future__ import annotations

import logging

import numpy as np
from astropy.table import Table

from ..utils import CBE_EXCLUDED_LUMINOSITY_CLASSES, parse_spectral_type
from ._input import get_labels

__all__ = ["spectral_type_cut"]

logger = logging.getLogger(__name__)

SELECTED = "selected"
NO_TYPE = "no spectral type"
UNPARSED = "unparsed"
TOO_EARLY = "too early"
TOO_LATE = "too late"
STRADDLES = "range straddles a limit"
LUMINOSITY = "excluded luminosity class"


def _limit(text, name) -> float:
    parsed = parse_spectral_type(text)
    if parsed is None or parsed.code_range[0] != parsed.code_range[1]:
        raise ValueError(
            f"`{name}` must be one MK type with a subtype such as 'O8' or 'A2', "
            f"got {text!r}."
        )
    return parsed.code_range[0]


def _is_missing(value) -> bool:
    if value is None or type(value).__name__ == "NAType":
        return True
    return isinstance(value, float) and bool(np.isnan(value))


def _types(data, column):
    """The types as a 1-D array and a mask of missing ones (None, NaN, NA).

    Anything else that is not text is a TypeError: a number is no spectral
    type, and str() of it would only be reported as unparsed.
    """
    is_table = isinstance(data, Table) or hasattr(data, "keys")
    if isinstance(data, str):
        raise TypeError(
            f"`data` must be a table or a sequence of types, got a str ({data!r}): "
            "wrap a single type in a list."
        )
    if not is_table and np.ndim(data) == 0:
        raise TypeError(
            "`data` must be a table or a sequence of spectral types (str), got "
            f"{data!r}."
        )
    if isinstance(data, (list, tuple)):
        # Keep each entry's type: numpy would turn ["B2", 1.5] into text.
        data = np.array(data, dtype=object)
    name = f"data[{column!r}]" if is_table else "data"
    types, missing = get_labels(
        data if is_table else None, column if is_table else data, name=name
    )
    if types.dtype.kind not in "US":
        # pandas marks a missing type as NaN or pd.NA: missing, not an error.
        missing = missing | np.array([_is_missing(t) for t in types], dtype=bool)
        bad = [i for i, t in enumerate(types) if not (missing[i] or isinstance(t, str))]
    else:
        bad = []
    if bad:
        value = types[bad[0]]
        raise TypeError(
            f"`{name}` must hold spectral types as text (str) or None, got "
            f"{getattr(value, 'item', lambda: value)()!r} ({type(value).__name__}) "
            f"at index {bad[0]}."
        )
    return types, missing


def _reason(parsed, lo_limit, hi_limit, excluded, straddling) -> str:
    if parsed is None:
        return UNPARSED
    lo, hi = parsed.code_range
    if hi <= lo_limit:
        return TOO_EARLY
    if lo >= hi_limit:
        return TOO_LATE
    if (lo <= lo_limit or hi >= hi_limit) and straddling == "drop":
        return STRADDLES
    if parsed.luminosity_classes & excluded:
        return LUMINOSITY
    return SELECTED


def spectral_type_cut(
    data,
    *,
    column: str = "spectral_type",
    later_than: str = "O8",
    earlier_than: str = "A2",
    excluded_classes=CBE_EXCLUDED_LUMINOSITY_CLASSES,
    straddling: str = "keep",
) -> Table:
    """Keep types later than O8 and earlier than A2, not of class I or II.

    Wang et al. (2022, section 5.2) kept "stars with spectral types later than O8 and
    earlier than A2-type" and excluded "stars with the luminosity class of I
    and II appearing in their spectral classification". Both limits are
    strict (O8 and A2 themselves are out; its Table 7 holds O9 stars while
    its Table 5 lists the O8 ones among the Oe stars), and a class range such
    as ``"II-III"`` counts as showing class II. Types are read by
    :func:`sklearn_stellar.utils.parse_spectral_type`.

    A type given as a range that crosses a limit (no subtype: ``"A"``,
    ``"OB"``, ``"O"``; or ``"A1/3"``) is kept by default: the paper's Table 7
    lists new classical Be stars typed only ``"A"``, ``"Ae"``, ``"OB"`` and
    ``"OBe"``. Pass ``straddling="drop"`` for the strict reading.

    Types that cannot be parsed (``"WN7"``, ``"..."``, ``"Em"``) and missing
    ones are not selected and are reported with their own reason; Wang et al. (2022)
    "conservatively excluded stars ... with no record of spectral type".

    Parameters
    ----------
    data : Table, mapping, DataFrame or sequence of str
        The types, or a table with them in ``column``.
    column : str, default="spectral_type"
        Column of ``data`` holding the types (ignored for a sequence).
    later_than, earlier_than : str, default="O8", "A2"
        The exclusive limits.
    excluded_classes : iterable of str, default={"I", "II"}
        Roman luminosity classes that exclude a star.
    straddling : {"keep", "drop"}, default="keep"
        What to do with a type range that overlaps a limit.

    Returns
    -------
    Table
        One row per input in input order: ``spectral_type``, ``parsed``
        (bool), ``code_lo``/``code_hi`` (O0 = 0, B0 = 10, A0 = 20; NaN if
        unparsed), ``luminosity_class`` (e.g. ``"II,III"``), ``selected``
        (bool) and ``reason`` (``"selected"``, ``"too early"``, ``"too
        late"``, ``"excluded luminosity class"``, ``"range straddles a
        limit"``, ``"unparsed"``, ``"no spectral type"``).
        ``meta["n_unparsed"]`` counts unparsed and missing types.

    Raises
    ------
    ValueError
        Missing column, a limit that is not a single type, or an unknown
        ``straddling``.
    TypeError
        ``data`` that is not a table or a sequence, or types that are not
        text (numbers, objects).

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars), section 5.2.

    Examples
    --------
    >>> from sklearn_stellar.followup import spectral_type_cut
    >>> out = spectral_type_cut(["O8 Ve", "O9 III", "B1.5 Vep_sh", "B2 Ib",
    ...                          "A2 V", "Ae", "WN7"])
    >>> out["selected"].tolist()
    [False, True, True, False, False, True, False]
    >>> out["reason"].tolist()[::3]
    ['too early', 'excluded luminosity class', 'unparsed']
    """
    if straddling not in ("keep", "drop"):
        raise ValueError(f"`straddling` must be 'keep' or 'drop', got {straddling!r}.")
    lo_limit = _limit(later_than, "later_than")
    hi_limit = _limit(earlier_than, "earlier_than")
    if lo_limit >= hi_limit:
        raise ValueError(
            f"`later_than` ({later_than!r}) must be an earlier type than "
            f"`earlier_than` ({earlier_than!r})."
        )
    excluded = frozenset(excluded_classes)
    types, missing = _types(data, column)
    n = len(types)
    text = ["" if missing[i] else str(types[i]).strip() for i in range(n)]
    # A per-row loop: free-text types do not vectorise, and samples are small
    # (Wang et al. 2022 typed 822 stars).
    parsed = [parse_spectral_type(t) if t else None for t in text]
    reason = [
        NO_TYPE if not t else _reason(p, lo_limit, hi_limit, excluded, straddling)
        for t, p in zip(text, parsed, strict=True)
    ]
    out = Table()
    out["spectral_type"] = np.array(text, dtype=str) if n else np.array([], dtype=str)
    out["parsed"] = np.array([p is not None for p in parsed], dtype=bool)
    out["code_lo"] = [np.nan if p is None else p.code_range[0] for p in parsed]
    out["code_hi"] = [np.nan if p is None else p.code_range[1] for p in parsed]
    out["luminosity_class"] = [
        "" if p is None else ",".join(sorted(p.luminosity_classes)) for p in parsed
    ]
    out["selected"] = np.array([r == SELECTED for r in reason], dtype=bool)
    out["reason"] = reason
    out.meta["n_unparsed"] = int(sum(r in (UNPARSED, NO_TYPE) for r in reason))
    if out.meta["n_unparsed"]:
        logger.info(
            "spectral_type_cut: %d of %d types missing or not parsed",
            out.meta["n_unparsed"],
            n,
        )
    return out
