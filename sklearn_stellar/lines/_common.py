"""Pixel bins, window placement and NaN filling shared by the line measurements."""

from __future__ import annotations

import numpy as np

from ..preprocessing import air_to_vacuum
from ..utils import check_medium, check_window

__all__ = []

# A step larger than this many times both neighbouring steps is a gap in the
# grid (e.g. LAMOST MRS blue and red arms concatenated): pixels next to it get
# a half-width bin on that side instead of one reaching across the gap.
_GAP_FACTOR = 3.0


def window_in_medium(window, medium, *, name="window"):
    """Validate an air-wavelength window and express it in the grid's medium."""
    lo, hi = check_window(window, name=name)
    check_medium(medium)
    if medium == "vacuum":
        lo, hi = (float(v) for v in air_to_vacuum(np.array([lo, hi])))
    return lo, hi


def bin_edges(grid):
    """Left and right edges of each pixel's bin (midpoints between centres).

    The outer pixels extend half a step beyond their centre. Across a gap (a
    step ``_GAP_FACTOR`` times larger than its neighbours) each side stops half
    its own neighbouring step from its centre, leaving the gap uncovered.
    """
    step = np.diff(grid)
    left = np.empty_like(grid)
    right = np.empty_like(grid)
    mid = 0.5 * (grid[1:] + grid[:-1])
    left[1:] = mid
    right[:-1] = mid
    left[0] = grid[0] - 0.5 * step[0]
    right[-1] = grid[-1] + 0.5 * step[-1]
    if step.size >= 3:
        prev_step = np.r_[step[1], step[:-1]]
        next_step = np.r_[step[1:], step[-2]]
        gaps = np.flatnonzero(step > _GAP_FACTOR * np.maximum(prev_step, next_step))
        for i in gaps:  # a handful of gaps at most
            right[i] = grid[i] + 0.5 * prev_step[i]
            left[i + 1] = grid[i + 1] - 0.5 * next_step[i]
    return left, right


def window_weights(grid, lo, hi, *, name="window"):
    """Overlap (Angstrom) of each pixel bin with ``[lo, hi]``.

    Returns the index range ``start, stop`` of the overlapping pixels and their
    overlap lengths. Raises ``ValueError`` when the window is not inside the
    grid or falls in a gap of it.
    """
    left, right = bin_edges(grid)
    if lo < left[0] or hi > right[-1]:
        raise ValueError(
            f"`{name}` ({lo:.3f}, {hi:.3f}) A in the grid's medium is outside the "
            f"wavelength grid, which covers {left[0]:.3f}-{right[-1]:.3f} A."
        )
    holes = np.flatnonzero(right[:-1] < left[1:])
    for i in holes:
        if lo < left[i + 1] and hi > right[i]:
            raise ValueError(
                f"`{name}` ({lo:.3f}, {hi:.3f}) A overlaps a gap in the wavelength "
                f"grid between {grid[i]:.3f} and {grid[i + 1]:.3f} A."
            )
    overlap = np.clip(np.minimum(right, hi) - np.maximum(left, lo), 0.0, None)
    inside = np.flatnonzero(overlap > 0)
    start, stop = int(inside[0]), int(inside[-1]) + 1
    return start, stop, overlap[start:stop]


def fill_missing(flux, wave):
    """Fill non-finite pixels of each row by linear interpolation in wavelength.

    Between two finite pixels of the same row the value is interpolated
    linearly; before the first or after the last finite pixel the nearest finite
    value is carried. Rows without any finite pixel stay NaN. Vectorised over
    rows with running max/min indices (no Python loop).
    """
    finite = np.isfinite(flux)
    if finite.all():
        return flux
    n_pix = flux.shape[1]
    idx = np.arange(n_pix)
    prev = np.maximum.accumulate(np.where(finite, idx, -1), axis=1)
    nxt = np.minimum.accumulate(np.where(finite, idx, n_pix)[:, ::-1], axis=1)[:, ::-1]
    has_prev = prev >= 0
    has_next = nxt < n_pix
    p = np.clip(prev, 0, n_pix - 1)
    q = np.clip(nxt, 0, n_pix - 1)
    fp = np.take_along_axis(flux, p, axis=1)
    fq = np.take_along_axis(flux, q, axis=1)
    wp, wq = wave[p], wave[q]
    with np.errstate(invalid="ignore", divide="ignore"):
        t = np.where(q > p, (wave - wp) / np.where(q > p, wq - wp, 1.0), 0.0)
        between = fp + t * (fq - fp)
    filled = np.where(has_prev & has_next, between, np.where(has_prev, fp, fq))
    filled = np.where(has_prev | has_next, filled, np.nan)
    return np.where(finite, flux, filled)
