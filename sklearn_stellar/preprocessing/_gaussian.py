"""Gaussian-weighted mean of Jing et al. (2024, eq. 1) through a kernel operator.

The fast path (:func:`_gaussian_blocked`) interpolates the continuum from the
block nodes of a blocked :class:`._kernel_operator._KernelOperator` and hands
back the rows it cannot vouch for; the bounded path
(:func:`_gaussian_segment`) bounds the error of every output pixel and
recomputes with exact kernel rows those above ``_EXACT_TOL``.
"""

from __future__ import annotations

import logging

import numpy as np
from scipy import sparse

logger = logging.getLogger(__name__)

# Output pixels whose relative error bound exceeds this are recomputed exactly.
_EXACT_TOL = 1e-9
# ... unless the continuum there is below this fraction of the row's mean
# |flux| (sum |f w| / sum w): such a continuum is ill-conditioned (it crosses
# zero), its relative error is meaningless even for the dense formula, and its
# absolute error stays below ~1e-12 of the mean |flux|.
_NEGLIGIBLE = 1e-4
# Blocked fast path: accepted interpolation tail, relative to the continuum
# (the interpolation error is of the order of the two last Chebyshev
# coefficients times the Lebesgue constant, ~3 for 16 nodes: ~1e-10, ten times
# below _EXACT_TOL), and the smallest denominator (relative to the row's
# largest) it handles.
_TAIL_TOL = 3e-11
_BOT_FLOOR = 1e-3
# Rows per block of work in transform: ~2 MB of float64 per array.
_ROW_BLOCK_BYTES = 2**21
# Rows handed back to the exact path are processed in blocks of ~8 MB of
# float64 per array (~270 LRS spectra); its temporaries are ~10 such arrays.
_EXACT_BLOCK_BYTES = 2**23


def _sparse_mask(bad):
    """CSR float matrix of a sparse boolean mask, built from its coordinates
    (much faster than scipy's conversion of the dense boolean array)."""
    flat = np.flatnonzero(bad)  # row-major: already CSR order
    indptr = np.zeros(bad.shape[0] + 1, dtype=np.int64)
    np.cumsum(np.count_nonzero(bad, axis=1), out=indptr[1:])
    return sparse.csr_matrix(
        (np.ones(flat.size), flat % bad.shape[1], indptr), shape=bad.shape
    )


def _min_abs_over_valid(top, ok):
    """Per row, min |top| over valid pixels, or a lower bound of it.

    Rows whose ``top`` is positive everywhere (the usual case) use the plain
    minimum over all pixels, a lower bound; only the others pay for the masked
    absolute minimum.
    """
    low = np.min(top, axis=1)
    out = low[:, None].copy()
    odd = np.flatnonzero(~(low > 0))
    if odd.size:
        out[odd, 0] = np.min(np.abs(top[odd]), axis=1, where=ok[odd], initial=np.inf)
    return out


def _flag(eps, top, bot, sum_fw, w_bound):
    """Entries whose relative error bound ``eps (S_fw/|top| + S_w/bot)`` > tol.

    ``|error(top)| <= eps * sum|f w|`` and ``|error(bot)| <= eps * sum w``
    (elementwise kernel error ``eps``), which bounds the error of top / bot.
    Entries where the continuum is negligible (``_NEGLIGIBLE``) are not flagged.
    """
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        atop = np.abs(top)
        slack = _EXACT_TOL - eps * (w_bound / bot)
        flagged = ~(atop * slack > eps * sum_fw)
        flagged &= atop * w_bound >= _NEGLIGIBLE * sum_fw * bot
    return flagged


def _refine(op, top, bot, fw, w, flagged):
    """Recompute flagged entries of top and bot with exact kernel rows."""
    r_idx, p_idx = np.nonzero(flagged)
    chunk = max(1, _ROW_BLOCK_BYTES // (8 * op.grid.size))  # cache-sized
    for start in range(0, r_idx.size, chunk):
        rr, pp = r_idx[start : start + chunk], p_idx[start : start + chunk]
        k_rows = op.rows(pp)
        top[rr, pp] = np.einsum("ij,ij->i", k_rows, fw[rr])
        bot[rr, pp] = np.einsum("ij,ij->i", k_rows, w[rr])
    return int(r_idx.size)


def _gaussian_blocked(flux, ivar, op, out=None):
    """Fast path of the blocked form: the continuum interpolated from nodes.

    Numerator and denominator of eq. (1) are evaluated at the Chebyshev nodes
    of every block (exact to the kernel form's ~1e-13), and their ratio, the
    continuum, a smooth function on the kernel scale, is interpolated to every
    pixel in one product. A row is accepted when, in every block, the two
    highest Chebyshev coefficients of the continuum are below ``_TAIL_TOL`` of
    the row's smallest node value (the a-posteriori test of Chebyshev
    interpolation: the error is of the order of the last coefficients) and the
    continuum is positive at every node. Other rows (a continuum near zero or
    changing sign, a row with almost no valid pixel) are handed back for the
    pixel-by-pixel bounded path.

    ``flux`` holds NaN at masked pixels (:meth:`_KernelOperator.node_sums`
    repairs the rows they spoil), so a batch costs one read of ``flux`` (two
    for rows with NaN), the products and one write of the continuum (into
    ``out`` if given, float64).

    Returns the continuum (unset in refused rows), the accepted mask and the
    mask of rows without any usable pixel.
    """
    n = flux.shape[0]
    top, bot, empty = op.node_sums(flux, ivar)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = top / bot
    # The two highest Chebyshev coefficients of every block, as one product.
    tail = ratio.reshape(-1, op.n_nodes) @ op.cheb_tail
    tail = np.maximum(np.abs(tail[:, 0]), np.abs(tail[:, 1])).reshape(n, -1)
    # Accepted: positive continuum at every node, a converged interpolant in
    # every block (tail against the row's smallest node value first: one
    # cheap row reduction, stricter than per block) and a denominator not
    # vanishing (no block of almost only masked pixels).
    floor = np.min(ratio, axis=1)
    converged = np.all(tail <= (_TAIL_TOL * floor)[:, None], axis=1)
    # Rows that fail only against the row's floor get the per-block test
    # (a continuum much lower in one block, e.g. a red star's blue end).
    retry = np.flatnonzero(~converged & (floor > 0))
    if retry.size:
        block_floor = np.min(ratio[retry].reshape(retry.size, -1, op.n_nodes), axis=2)
        converged[retry] = np.all(tail[retry] <= _TAIL_TOL * block_floor, axis=1)
    accepted = (
        (floor > 0)
        & converged
        & (np.min(bot, axis=1) >= _BOT_FLOOR * np.max(bot, axis=1))
    )
    return op.interpolate(ratio, out=out), accepted, empty


def _gaussian_segment(flux, ok, ivar, op):
    """Gaussian-weighted mean (Jing et al. 2024, eq. 1) of every row on one segment.

    Returns the continuum and a per-row flag: True where the continuum may be
    zero or undefined at some finite pixel (e.g. no usable pixel in the
    segment). Row-level bounds decide which rows need the elementwise error
    check, so a well-conditioned batch costs the skinny products plus a few
    passes over the data.
    """
    n_pix = flux.shape[1]
    fw = np.where(ok, flux, 0.0)
    if ivar is None:
        # Unit weights: the denominator is the exact row sum of K minus the
        # share of the masked pixels, so only rows with holes need a product.
        sum_w = np.count_nonzero(ok, axis=1).astype(np.float64)[:, None]
        w_bound = np.maximum(sum_w, n_pix - sum_w)
        holes = np.flatnonzero(sum_w[:, 0] < n_pix)
        w = None
        if op.kind == "blocked":
            top, bot = (op.interpolate(v) for v in op.node_sums(flux)[:2])
        elif holes.size and op.factorised:
            # Masks are sparse: project them with a sparse product, then share
            # one product with the numerator for the evaluation at all pixels.
            mask = _sparse_mask(~ok[holes])
            both = op.evaluate(np.vstack([op.project(fw), op.project_sparse(mask)]))
            top = both[: flux.shape[0]]
            bot = np.broadcast_to(op.bot0, top.shape).copy()
            bot[holes] -= both[flux.shape[0] :]
        else:
            top = op.apply(fw)
            bot = np.broadcast_to(op.bot0, top.shape)
            if holes.size:
                bot = bot.copy()
                bot[holes] -= op.apply((~ok[holes]).astype(np.float64))
    else:
        w = np.where(ok, ivar, 0.0)
        fw *= w
        if op.kind == "blocked":
            top, bot = (op.interpolate(v) for v in op.node_sums(flux, ivar)[:2])
        elif op.factorised:  # one pair of products for numerator and weights
            both = op.evaluate(op.project(np.vstack([fw, w])))
            top, bot = both[: flux.shape[0]], both[flux.shape[0] :]
        else:
            top = op.apply(fw)
            bot = op.apply(w)
        sum_w = w.sum(axis=1, keepdims=True)
        w_bound = sum_w
    sum_fw = np.linalg.norm(fw, ord=1, axis=1)[:, None]
    min_top = _min_abs_over_valid(top, ok)
    if op.eps > 0.0:
        # The minimum over all pixels is <= that over valid ones: a
        # conservative (larger) bound, one plain reduction.
        min_bot = np.min(bot, axis=1)[:, None]
        with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
            bound = op.eps * (sum_fw / (min_top * min_bot) + w_bound / min_bot)
        rows = np.flatnonzero(~(bound[:, 0] <= _EXACT_TOL) & (sum_w[:, 0] > 0))
        if rows.size:
            flagged = _flag(op.eps, top[rows], bot[rows], sum_fw[rows], w_bound[rows])
            flagged &= ok[rows]  # NaN pixels stay NaN whatever their continuum
            if np.any(flagged):
                if not bot.flags.writeable:
                    bot = bot.copy()
                full = np.zeros(top.shape, dtype=bool)
                full[rows] = flagged
                if w is None:
                    w = ok.astype(np.float64)
                n_exact = _refine(op, top, bot, fw, w, full)
                logger.debug("recomputed %d pixels with exact kernel rows", n_exact)
                min_top[rows] = np.min(
                    np.abs(top[rows]), axis=1, where=ok[rows], initial=np.inf
                )[:, None]
    with np.errstate(divide="ignore", invalid="ignore"):
        cont = np.divide(top, bot, out=top)
    empty = sum_w[:, 0] <= 0
    cont[empty] = np.nan
    suspect = (min_top[:, 0] == 0) | (empty & ok.any(axis=1))
    return cont, suspect


def _gaussian_fast(flux, ok, ivar, op):
    """Continuum of one segment (of several) where the fast path takes it.

    Returns the continuum, the per-row ``suspect`` flag of
    :func:`_gaussian_segment` and the rows the blocked fast path hands back
    (their continuum is left unset): the caller collects those over a whole
    call and sends them to :func:`_gaussian_segment` together, once.
    """
    none = np.zeros(flux.shape[0], dtype=bool)
    if op.kind != "blocked":
        return (*_gaussian_segment(flux, ok, ivar, op), none)
    cont, accepted, _ = _gaussian_blocked(flux, ivar, op)
    return cont, none, ~accepted
