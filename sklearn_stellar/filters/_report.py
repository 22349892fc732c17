"""Per-row status of the selection filters: ok, rejected or out of domain."""

from __future__ import annotations

import numpy as np
from sklearn.utils import Bunch

__all__ = ["FilterRejectionWarning", "STATUSES"]

#: Row statuses of :meth:`FilteredClassifier.filter_report`, by code 0, 1, 2.
STATUSES = ("ok", "rejected", "out_of_domain")
_OK, _REJECTED, _OUT = 0, 1, 2

# Why a filter's measurement can be NaN, by its `filter_input`.
_NOT_MEASURABLE = {
    "flux": "no valid flux pixel in its window",
    "photometry": "photometry missing",
}


class FilterRejectionWarning(UserWarning):
    """Rows that :class:`FilteredClassifier` did not classify, or did without a cut.

    Raised at predict time with the counts of rows rejected by a cut or out
    of a filter's domain (classified without the cut they could not be
    measured for, or not at all); silence it with
    ``warnings.simplefilter("ignore", FilterRejectionWarning)`` once the
    per-row :meth:`FilteredClassifier.filter_report` is used instead.

    Examples
    --------
    >>> import warnings
    >>> from sklearn_stellar.filters import FilterRejectionWarning
    >>> issubclass(FilterRejectionWarning, UserWarning)
    True
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore", FilterRejectionWarning)
    ...     warnings.warn("2 of 5 rows rejected", FilterRejectionWarning)
    """


def _bounds(flt, n_columns):
    get = getattr(flt, "get_cut_bounds", None)
    if get is None:
        return None
    bounds = np.asarray(get(), dtype=np.float64).reshape(-1, 2)
    return bounds if bounds.shape[0] == n_columns else None


def _is_domain(flt) -> bool:
    """Whether failing ``flt``'s cuts means out of domain (``DomainGuard``)."""
    return getattr(flt, "failure_status", "rejected") == "out_of_domain"


def row_status(parts, pass_mask):
    """Status code and deciding (filter, column) of every row.

    ``parts`` is a list of ``(name, filter, values, mask)`` with ``values``
    the filter's measurements (n_rows, n_columns) and ``mask`` its pass
    mask. A row is *out of domain* when it fails a cut of a filter whose
    ``failure_status`` is ``"out_of_domain"`` (a domain guard: the model
    cannot speak for the row, so no other cut's verdict is given); else
    *rejected* when a measured value lies outside its cut (the first such
    cut, in filter and column order, decides), else *out of domain* when a
    measurement is NaN, else *ok*. A row failing a filter that exposes no
    ``get_cut_bounds`` is rejected by that filter (column -1).
    """
    n = pass_mask.size
    status = np.zeros(n, dtype=np.int8)
    which = np.full((n, 2), -1, dtype=np.intp)
    ordered = sorted(range(len(parts)), key=lambda i: not _is_domain(parts[i][1]))
    for i in ordered:
        _, flt, values, _ = parts[i]
        bounds = _bounds(flt, values.shape[1])
        if bounds is None:
            continue
        verdict = _OUT if _is_domain(flt) else _REJECTED
        for j, (low, high) in enumerate(bounds):
            if np.isnan(low) and np.isnan(high):
                continue  # an informative column, not a cut
            v = values[:, j]
            with np.errstate(invalid="ignore"):
                fail = np.isfinite(v) & ~((v > low) & (v < high))
            new = fail & (status == _OK)
            status[new] = verdict
            which[new] = (i, j)
    for i, (_, _, values, _) in enumerate(parts):
        nan = np.isnan(values)
        for j in range(values.shape[1]):
            new = nan[:, j] & (status == _OK)
            status[new] = _OUT
            which[new] = (i, j)
    # Filters without bounds (custom ones): their rejections, unexplained.
    for i, (_, flt, values, mask) in enumerate(parts):
        if _bounds(flt, values.shape[1]) is None:
            new = ~mask & (status == _OK)
            status[new] = _REJECTED
            which[new] = (i, -1)
    return status, which


def _cut_text(low, high):
    if np.isinf(low):
        return f"< {high:g}"
    if np.isinf(high):
        return f"> {low:g}"
    return f"in ({low:g}, {high:g})"


def build_report(parts, pass_mask) -> Bunch:
    """The per-row report of :meth:`FilteredClassifier.filter_report`."""
    status, which = row_status(parts, pass_mask)
    n = status.size
    flt_name = np.full(n, "", dtype=object)
    measurement = np.full(n, "", dtype=object)
    value = np.full(n, np.nan)
    cut = np.full(n, "", dtype=object)
    reason = np.full(n, "", dtype=object)
    for i, (name, flt, values, _) in enumerate(parts):
        outs = flt.get_feature_names_out()
        bounds = _bounds(flt, values.shape[1])
        rows_i = which[:, 0] == i
        flt_name[rows_i] = name
        for j in np.unique(which[rows_i, 1]):
            rows = np.flatnonzero(rows_i & (which[:, 1] == j))
            if j < 0:
                reason[rows] = f"rejected by filter {name!r}"
                continue
            label = f"{name}__{outs[j]}"
            measurement[rows] = label
            value[rows] = values[rows, j]
            text = _cut_text(*bounds[j]) if bounds is not None else ""
            cut[rows] = text
            rejected = rows[status[rows] == _REJECTED]
            numbers = np.char.mod("%.4g", values[rejected, j])
            reason[rejected] = np.char.add(
                np.char.add(f"{label} = ", numbers), f", cut {text}"
            )
            why = _NOT_MEASURABLE.get(flt.filter_input, "NaN")
            out = rows[status[rows] == _OUT]
            nan = out[np.isnan(values[out, j])]
            reason[nan] = f"{label} not measurable ({why})"
            outside = out[~np.isnan(values[out, j])]
            numbers = np.char.mod("%.4g", values[outside, j])
            reason[outside] = np.char.add(
                np.char.add(f"{label} = ", numbers),
                f", domain cut {text}: outside the training domain",
            )
    return Bunch(
        status=np.asarray(STATUSES, dtype=object)[status],
        classified=np.asarray(pass_mask, dtype=bool),
        filter=flt_name,
        measurement=measurement,
        value=value,
        cut=cut,
        reason=reason,
    )


def warning_text(status, pass_mask, negative_label) -> str | None:
    """Counts for :class:`FilterRejectionWarning`, or None when all is ok."""
    n = status.size
    negative_label = getattr(negative_label, "item", lambda: negative_label)()
    rejected = int(np.sum(status == _REJECTED))
    out_dropped = int(np.sum((status == _OUT) & ~pass_mask))
    out_kept = int(np.sum((status == _OUT) & pass_mask))
    if rejected + out_dropped + out_kept == 0:
        return None
    text = ""
    if rejected + out_dropped:
        text = (
            f"{rejected + out_dropped} of {n} rows did not reach the classifier "
            f"({rejected} rejected by a cut, {out_dropped} out of domain: "
            "outside the training domain, or a filter could not measure them) "
            "and get the negative class "
            f"{negative_label!r} with probability 1."
        )
    if out_kept:
        text += (
            f"{' ' if text else ''}{out_kept} of {n} rows out of domain were "
            "classified without the cut they could not be measured for."
        )
    return text + " filter_report(X) gives each row's status and reason."
