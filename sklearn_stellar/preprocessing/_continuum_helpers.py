"""Helpers of ContinuumNormalizer: segments, ivar checks, output, warnings and
the queue of rows for the exact path."""

from __future__ import annotations

import warnings

import numpy as np

from ..exceptions import EmptySpectrumWarning
from ._gaussian import _EXACT_BLOCK_BYTES


def _segments(grid, max_gap):
    """Contiguous pixel ranges: split where the grid jumps by more than max_gap."""
    if max_gap is None or grid.size < 2:
        return [(0, grid.size)]
    cuts = np.flatnonzero(np.diff(grid) > max_gap) + 1
    bounds = np.concatenate([[0], cuts, [grid.size]])
    return [(int(a), int(b)) for a, b in zip(bounds[:-1], bounds[1:], strict=True)]


def _check_ivar_array(ivar, shape):
    """Type and shape of ``ivar``; its values are checked block by block.

    A boolean, integer or float array is returned as it is (no copy): blocks
    of it are converted to float64 as they are used. Anything else is
    converted as a whole.
    """
    arr = np.asarray(ivar)
    if arr.dtype.kind in "biuf":
        dtype = None
    else:
        dtype = np.float64
    try:
        arr = np.asarray(ivar, dtype=dtype)
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
    continuum, and warns once for the whole call.

    Only counts and the ``_SHOWN`` smallest row indices are kept, so its
    memory does not grow with the number of spectra.
    """

    _SHOWN = 10

    def __init__(self):
        self.n_no_usable, self.no_usable = 0, []
        self.n_lost, self.lost_rows = 0, []
        self._start = 0

    def offset(self, start):
        self._start = start
        return self

    def add(self, cont, usable, suspect):
        bad = ~usable.any(axis=1)
        self._add_no_usable(np.flatnonzero(bad) + self._start)
        check = np.flatnonzero(suspect & ~bad)
        self.add_lost(check + self._start, cont[check], usable[check])

    def add_empty(self, empty):
        """Rows (of the current block) without any usable pixel."""
        self._add_no_usable(np.flatnonzero(empty) + self._start)

    def _add_no_usable(self, rows):
        self.n_no_usable += rows.size
        self.no_usable = sorted(self.no_usable + rows[: self._SHOWN].tolist())
        del self.no_usable[self._SHOWN :]

    def add_lost(self, rows, cont, usable, suspect=None):
        """Count usable pixels of ``rows`` (global indices) whose continuum is
        zero or undefined; ``suspect`` (optional) restricts the check."""
        if suspect is not None:
            rows, cont, usable = rows[suspect], cont[suspect], usable[suspect]
        if rows.size == 0:
            return
        lost = ((cont == 0) | np.isnan(cont)) & usable
        if np.any(lost):
            shown = set(self.lost_rows) | set(rows[lost.any(axis=1)].tolist())
            self.lost_rows = sorted(shown)[: self._SHOWN]
            self.n_lost += int(lost.sum())

    def warn(self):
        if self.n_no_usable:
            more = " ..." if self.n_no_usable > self._SHOWN else ""
            warnings.warn(
                f"{self.n_no_usable} spectra have no usable pixel (all NaN or "
                f"zero ivar): rows {self.no_usable}{more}; their output is NaN.",
                EmptySpectrumWarning,
                stacklevel=4,
            )
        if self.n_lost:
            warnings.warn(
                f"the continuum is zero or undefined for {self.n_lost} usable "
                f"pixels in rows {self.lost_rows} (e.g. a segment with no "
                "usable pixel); their output is NaN.",
                UserWarning,
                stacklevel=4,
            )


def _as_float64(block):
    """A block of rows as float64 (a view when it already is)."""
    return np.asarray(block, dtype=np.float64)


class _HandedBack:
    """Queue, per segment, of the rows the Gaussian fast path handed back.

    Rows are sent to :meth:`ContinuumNormalizer._normalize_handed_back` in
    blocks of ``max(1, exact_bytes // (8 * segment pixels))`` rows as soon as
    that many are queued, and the rest by :meth:`drain`, so at most two
    blocks' worth of row indices are held whatever the number of spectra.
    When a whole call hands back no more than one block, they go together in
    one block, as before blocks of the exact path existed.
    """

    def __init__(self, est, X, ivar, out, return_continuum, report, exact_bytes):
        self.args = (X, ivar, out, return_continuum, report)
        self.est = est
        nbytes = exact_bytes or _EXACT_BLOCK_BYTES
        self.size = [max(1, nbytes // (8 * (b - a))) for a, b in est.segments_]
        self.queued = [[] for _ in est.segments_]
        self.count = [0] * len(est.segments_)

    def add(self, k, rows):
        """Queue ``rows`` (ascending global indices) of segment ``k``."""
        if rows.size == 0:
            return
        self.queued[k].append(rows)
        self.count[k] += rows.size
        if self.count[k] >= self.size[k]:
            self._send(k, final=False)

    def drain(self):
        """Send every queued row."""
        for k in range(len(self.queued)):
            self._send(k, final=True)

    def _send(self, k, final):
        rows = np.concatenate(self.queued[k]) if self.queued[k] else np.empty(0, int)
        size = self.size[k]
        n_send = rows.size if final else rows.size - rows.size % size
        for start in range(0, n_send, size):
            chunk = rows[start : min(start + size, n_send)]
            self.est._normalize_handed_back(k, chunk, *self.args)
        self.queued[k] = [rows[n_send:]]
        self.count[k] = rows.size - n_send
