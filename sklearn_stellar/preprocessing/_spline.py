"""Sigma-clipped penalised cubic B-spline continuum of Wang et al. (2022), batched.

The design matrix is shared by every spectrum of a segment, so each clipping
iteration is one batched banded least-squares solve
(:func:`_banded_cholesky_solve`), with no loop over spectra.
"""

from __future__ import annotations

import numpy as np
from scipy import sparse
from scipy.interpolate import BSpline


def _banded_cholesky_solve(band, rhs):
    """Solve SPD banded systems for a batch of spectra.

    ``band[d, i, :] = A[i + d, i]`` for every spectrum (lower band storage,
    bandwidth ``p = band.shape[0] - 1``), ``rhs`` of shape (k, n_spectra). The
    loops run over the basis index (a few dozen to a few hundred steps), each
    step vectorised over all spectra; there is no loop over spectra.
    """
    width, k, _ = band.shape
    p = width - 1
    low = np.zeros_like(band)
    tiny = np.finfo(np.float64).tiny
    for i in range(k):
        diag = band[0, i].copy()
        for d in range(1, min(p, i) + 1):
            diag -= low[d, i - d] ** 2
        diag = np.sqrt(np.maximum(diag, tiny))
        low[0, i] = diag
        for q in range(1, min(p, k - 1 - i) + 1):
            acc = band[q, i].copy()
            for j in range(max(0, i + q - p), i):
                acc -= low[i + q - j, j] * low[i - j, j]
            low[q, i] = acc / diag
    y = np.empty_like(rhs)
    for i in range(k):
        acc = rhs[i].copy()
        for d in range(1, min(p, i) + 1):
            acc -= low[d, i - d] * y[i - d]
        y[i] = acc / low[0, i]
    x = np.empty_like(rhs)
    for i in range(k - 1, -1, -1):
        acc = y[i].copy()
        for d in range(1, min(p, k - 1 - i) + 1):
            acc -= low[d, i] * x[i + d]
        x[i] = acc / low[0, i]
    return x


class _SplineBasis:
    """Cubic B-spline basis with uniform knots on one segment.

    Spectra are handled transposed, as (n_pixels, n_spectra) arrays, so that
    every sparse product reads and writes C-contiguous blocks.
    """

    def __init__(self, grid, knot_spacing):
        a, b = grid[0], grid[-1]
        n_int = max(1, int(round((b - a) / knot_spacing)))
        inner = np.linspace(a, b, n_int + 1)
        knots = np.concatenate([[a] * 3, inner, [b] * 3])
        k = self.n_basis = n_int + 3
        design = BSpline.design_matrix(grid, knots, 3).toarray()
        first = np.clip(np.searchsorted(inner, grid, side="right") - 1, 0, n_int - 1)
        pix = np.arange(grid.size)
        vals = design[pix[:, None], first[:, None] + np.arange(4)]
        self.design = sparse.csr_matrix(design)
        self.design_t = sparse.csr_matrix(design.T)
        # Row d * k + i of gram_t: pixel j contributes B_j,i+d * B_j,i, so that
        # gram_t @ w gives the 4 lower diagonals of B.T diag(w) B at once.
        gram = np.zeros((4, k, grid.size))
        for d in range(4):
            for a_ in range(4 - d):
                gram[d, first + a_, pix] += vals[:, a_] * vals[:, a_ + d]
        self.gram_t = sparse.csr_matrix(gram.reshape(4 * k, grid.size))
        # Second-difference penalty D2.T @ D2 in lower band storage.
        d2 = np.diff(np.eye(k), n=2, axis=0)
        pen = d2.T @ d2
        self.penalty = np.zeros((4, k))
        for d in range(3):
            self.penalty[d, : k - d] = np.diagonal(pen, -d)

    def fit(self, fw_t, w_t, smoothing):
        """Weighted penalised least squares for every column; returns the curves."""
        k = self.n_basis
        band = np.asarray(self.gram_t @ w_t).reshape(4, k, -1)
        rhs = np.asarray(self.design_t @ fw_t)
        scale = band[0].mean(axis=0)
        scale = np.where(scale > 0, scale, 1.0)
        band += smoothing * self.penalty[:, :, None] * scale
        band[0] += 1e-12 * scale
        coef = _banded_cholesky_solve(band, rhs)
        return np.asarray(self.design @ coef)


def _spline_continuum(flux, valid, ivar, basis, params):
    """Iteratively sigma-clipped penalised spline of every row of one segment."""
    lower, upper, n_iter, smoothing = params
    ok = valid.T.copy()
    f = np.where(ok, flux.T, 0.0)
    w = ok.astype(np.float64) if ivar is None else np.where(ok, ivar.T, 0.0)
    usable = ok & (w > 0)
    keep = usable
    min_keep = min(2 * basis.n_basis, f.shape[0])
    for it in range(n_iter + 1):
        wk = np.where(keep, w, 0.0)
        c = basis.fit(f * wk, wk, smoothing)
        if it == n_iter:
            break
        resid = np.where(usable, f - c, 0.0)
        sq = np.where(keep, resid * resid, 0.0)
        rms = np.sqrt(sq.sum(axis=0) / np.maximum(keep.sum(axis=0), 1))
        new = usable & (resid <= upper * rms) & (resid >= -lower * rms)
        # Never clip a spectrum below 2 pixels per basis function.
        starved = new.sum(axis=0) < min_keep
        new[:, starved] = keep[:, starved]
        if np.array_equal(new, keep):
            break
        keep = new
    c[:, ~usable.any(axis=0)] = np.nan
    return c.T
