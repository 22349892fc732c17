"""Helpers of ContinuumNormalizer: segments, ivar checks, output and warnings."""

from __future__ import annotations

import warnings

import numpy as np


def _segments(grid, max_gap):
    """Contiguous pixel ranges: split where the grid jumps by more than max_gap."""
    if max_gap is None or grid.size < 2:
        return [(0, grid.size)]
    cuts = np.flatnonzero(np.diff(grid) > max_gap) + 1
    bounds = np.concatenate([[0], cuts, [grid.size]])
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _check_ivar_array(ivar, shape):
    """Type and shape of ``ivar``; its values are checked block by block."""
    try:
        arr = np.asarray(ivar, dtype=np.float64)
    except (TypeError, ValueError):
        raise TypeError(
            f"`ivar` must be a numeric array of shape {shape}, "
            f"got {type(ivar).__name__}."
        ) from None
    if arr.shape != shape:
        raise ValueError(
            f"`ivar` must have the same shape as X {shape}, got {arr.shape}."
        )
    return arr


def _check_ivar_values(ivar):
    """Finite and non-negative inverse variances (NaN fails ``>= 0`` too)."""
    # Two read-only reductions; a NaN makes the minimum NaN, failing ">= 0".
    if not (ivar.min() >= 0 and ivar.max() < np.inf):
        if not np.all(np.isfinite(ivar)):
            raise ValueError("`ivar` contains NaN or inf; use 0 for masked pixels.")
        raise ValueError(f"`ivar` must be >= 0, got a minimum of {ivar.min()!r}.")
    return ivar


def _check_2d(X):
    if isinstance(X, (np.ndarray, list, tuple)) and np.ndim(X) == 1:
        raise ValueError(
            "`X` must be 2-D (n_spectra, n_pixels), got a 1-D array of "
            f"{np.shape(X)[0]} values. Reshape your data: one spectrum is "
            "X.reshape(1, -1)."
        )


def _finish(flux, cont, valid, suspect, out, return_continuum):
    """Write ``flux / cont`` (or ``cont``) into ``out``; in rows whose
    continuum may vanish, a usable pixel without a finite result becomes NaN
    (the report has counted it)."""
    if return_continuum:
        if cont is not out:
            out[...] = cont
        return
    with np.errstate(divide="ignore", invalid="ignore"):
        np.divide(flux, cont, out=out)
    if suspect is not None and np.any(suspect):
        sub = out[suspect]
        sub[~np.isfinite(sub) & valid[suspect]] = np.nan
        out[suspect] = sub


class _UnusableReport:
    """Collects, block by block, rows with no usable pixel and pixels with no
    continuum, and warns once for the whole call."""

    def __init__(self):
        self.no_usable, self.lost_rows, self.n_lost = [], [], 0
        self._start = 0

    def offset(self, start):
        self._start = start
        return self

    def add(self, cont, usable, suspect):
        bad = ~usable.any(axis=1)
        self.no_usable += (np.flatnonzero(bad) + self._start).tolist()
        check = np.flatnonzero(suspect & ~bad)
        self.add_lost(check + self._start, cont[check], usable[check])

    def add_empty(self, empty):
        """Rows (of the current block) without any usable pixel."""
        self.no_usable += (np.flatnonzero(empty) + self._start).tolist()

    def add_lost(self, rows, cont, usable, suspect=None):
        """Count usable pixels of ``rows`` (global indices) whose continuum is
        zero or undefined; ``suspect`` (optional) restricts the check."""
        if suspect is not None:
            rows, cont, usable = rows[suspect], cont[suspect], usable[suspect]
        if rows.size == 0:
            return
        lost = ((cont == 0) | np.isnan(cont)) & usable
        if np.any(lost):
            self.lost_rows += sorted(set(rows[lost.any(axis=1)].tolist()))
            self.n_lost += int(lost.sum())

    def warn(self):
        if self.no_usable:
            rows = self.no_usable
            warnings.warn(
                f"{len(rows)} spectra have no usable pixel (all NaN or zero ivar): "
                f"rows {rows[:10]}{' ...' if len(rows) > 10 else ''}; their "
                "output is NaN.",
                UserWarning,
                stacklevel=4,
            )
        if self.n_lost:
            warnings.warn(
                f"the continuum is zero or undefined for {self.n_lost} usable "
                f"pixels in rows {self.lost_rows[:10]} (e.g. a segment with no "
                "usable pixel); their output is NaN.",
                UserWarning,
                stacklevel=4,
            )
