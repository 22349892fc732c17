"""Continuum normalisation: Gaussian-smoothed flux and sigma-clipped splines.

Two pseudo-continua, both computed for a whole batch of spectra on one
wavelength grid:

* ``method="gaussian"``: the Gaussian-weighted mean of Ho et al. (2017) used by
  Liu et al. (paper 000, eqs. 1-2). It is evaluated *exactly* (to ~1e-12
  relative) but without the dense ``P x P`` products of TheCannon: the kernel
  matrix is smooth, so it is factorised once in ``fit``: local Chebyshev
  interpolation in blocks of ~1.2 kernel scales around a small dense kernel
  between the block nodes (the fast form for broad kernels), a global
  low-rank product, or, for a narrow kernel, a banded sparse matrix. Every
  output pixel whose error bound could exceed ``1e-9`` relative is recomputed
  with the exact kernel row.
* ``method="spline"``: the pseudo-continuum of paper 004, a cubic B-spline with
  knots every ``knot_spacing`` Angstrom, lightly penalised, refitted with
  asymmetric sigma clipping so that emission (a Be star's H-alpha) and
  absorption lines do not pull the continuum. All spectra are fitted at once:
  the design matrix is shared, so each iteration is one batched banded
  least-squares solve.
"""

from __future__ import annotations

import copy
import logging
import warnings
from numbers import Integral, Real

import numpy as np
from scipy import sparse
from scipy.interpolate import BSpline
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted, validate_data

from ..utils import check_wavelength

__all__ = ["ContinuumNormalizer", "normalize_continuum"]

logger = logging.getLogger(__name__)

# Target elementwise error of a factorised kernel matrix (entries are <= 1).
_KERNEL_EPS = 1e-12
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
# Segments at most this long use the dense kernel matrix.
_DENSE_MAX_PIXELS = 300
# Dense kernel matrices above this many entries are never built (~240 MB).
_DENSE_MAX_ENTRIES = 30_000_000
# Kernel values below exp(-_CUT**2) ~ 1e-18 are dropped by the banded form.
_CUT = float(np.sqrt(-np.log(1e-18)))
# Blocked form: Chebyshev nodes per block (first try) and the widest block, in
# kernel scales: 16 nodes over 1.2 scales interpolate the kernel to ~2e-13.
_BLOCK_NODES = 16
_BLOCK_WIDTH = 1.2


def _chebyshev_basis(x, lo, hi, n_nodes):
    """Lagrange basis of Chebyshev (first-kind) nodes on [lo, hi], at ``x``.

    Returns the (len(x), n_nodes) basis values and the nodes. Barycentric form,
    stable for any ``n_nodes``.
    """
    theta = np.pi * (2 * np.arange(n_nodes) + 1) / (2 * n_nodes)
    nodes = np.cos(theta)
    u = (2.0 * x - (lo + hi)) / (hi - lo)
    diff = u[:, None] - nodes[None, :]
    hit = diff == 0.0
    diff[hit] = 1.0
    basis = ((-1.0) ** np.arange(n_nodes) * np.sin(theta)) / diff
    basis /= basis.sum(axis=1, keepdims=True)
    hit_rows, hit_cols = np.nonzero(hit)
    basis[hit_rows] = 0.0
    basis[hit_rows, hit_cols] = 1.0
    return basis, 0.5 * (lo + hi) + 0.5 * (hi - lo) * nodes


def _kernel(a, b, scale):
    """Paper-form Gaussian ``exp(-((a - b) / scale) ** 2)`` on an outer grid."""
    d = np.subtract.outer(a / scale, b / scale)
    np.square(d, out=d)
    np.negative(d, out=d)
    return np.exp(d, out=d)


class _KernelOperator:
    """``M -> M @ K`` for the symmetric Gaussian kernel matrix of one segment.

    ``kind`` is ``"dense"`` (exact), ``"blocked"`` (``K ~= B Kn B.T``: local
    Chebyshev interpolation in blocks of ~1.2 kernel scales, ``B`` block
    diagonal, ``Kn`` the kernel between all block nodes), ``"lowrank"``
    (``K ~= U @ V.T``, global Chebyshev) or ``"banded"`` (sparse, entries below
    ~1e-18 dropped); ``eps`` bounds the elementwise error of the stored form.

    The blocked form is the fast one for broad kernels on long grids: per
    spectrum it costs ``2 P r + (n_blocks r)^2`` multiply-adds with ``r`` ~ 16
    nodes per block, against ``2 P m`` (``m`` ~ 100 global nodes) for the low
    rank form and ``P^2`` for the dense one.
    """

    def __init__(self, grid, scale):
        self.grid = grid
        self.scale = scale
        self._precise = None
        n_pix = grid.size
        span = grid[-1] - grid[0]
        self.eps = 0.0
        if n_pix <= _DENSE_MAX_PIXELS:
            self._set_dense()
            return
        lo = np.searchsorted(grid, grid - _CUT * scale, side="left")
        hi = np.searchsorted(grid, grid + _CUT * scale, side="right")
        nnz = int(np.sum(hi - lo))
        m = int(np.ceil(5.0 * span / scale)) + 24
        block = max(_BLOCK_NODES, int(_BLOCK_WIDTH * scale / np.max(np.diff(grid))))
        n_blocks = -(-n_pix // block)
        # Relative costs per spectrum: sparse products run ~3x slower per entry.
        costs = {
            "blocked": 2 * _BLOCK_NODES * n_pix + (_BLOCK_NODES * n_blocks) ** 2,
            "lowrank": 2 * m * n_pix,
            "banded": 3 * nnz,
            "dense": n_pix**2,
        }
        if n_pix**2 > _DENSE_MAX_ENTRIES:
            costs.pop("dense")
        if block >= n_pix:  # one block is just the global low-rank form
            costs.pop("blocked")
        for kind in sorted(costs, key=costs.get):
            if kind == "blocked" and self._set_blocked(block):
                break
            if kind == "lowrank" and self._set_lowrank(m):
                break
            if kind == "banded":
                self._set_banded(lo, hi)
                break
            if kind == "dense":
                self._set_dense()
                break
        else:  # low rank failed and no dense allowed: the banded form always works
            self._set_banded(lo, hi)
        logger.debug("Gaussian kernel on %d pixels stored as %s", n_pix, self.kind)

    def _set_dense(self):
        self.kind = "dense"
        self.matrix = _kernel(self.grid, self.grid, self.scale)
        self.eps = 0.0

    def _set_banded(self, lo, hi):
        counts = hi - lo
        indptr = np.concatenate([[0], np.cumsum(counts)])
        rows = np.repeat(np.arange(self.grid.size), counts)
        cols = np.arange(indptr[-1]) - np.repeat(indptr[:-1] - lo, counts)
        d = (self.grid[rows] - self.grid[cols]) / self.scale
        self.kind = "banded"
        self.matrix = sparse.csr_matrix(
            (np.exp(-(d * d)), cols, indptr), shape=(self.grid.size,) * 2
        )
        self.eps = 1e-18

    def _set_lowrank(self, m):
        """Chebyshev interpolation of the kernel in the source wavelength."""
        grid, n_pix = self.grid, self.grid.size
        a, b = grid[0], grid[-1]
        u = (2.0 * grid - (a + b)) / (b - a)
        rows = np.unique(np.linspace(0, n_pix - 1, min(n_pix, 257)).astype(int))
        exact = _kernel(grid[rows], grid, self.scale)
        while 2 * m <= n_pix:
            k = np.arange(m)
            nodes = np.cos(np.pi * k / (m - 1))
            bary = (-1.0) ** k
            bary[[0, -1]] *= 0.5
            diff = u[:, None] - nodes[None, :]
            hit = diff == 0.0
            diff[hit] = 1.0
            lagrange = bary / diff
            lagrange /= lagrange.sum(axis=1, keepdims=True)
            hit_rows, hit_cols = np.nonzero(hit)
            lagrange[hit_rows] = 0.0
            lagrange[hit_rows, hit_cols] = 1.0
            at_nodes = _kernel(grid, 0.5 * (a + b) + 0.5 * (b - a) * nodes, self.scale)
            err = float(np.max(np.abs(at_nodes[rows] @ lagrange.T - exact)))
            if err <= _KERNEL_EPS:
                # K ~= at_nodes @ lagrange.T; M @ K = (M @ lagrange) @ at_nodes.T.
                # (A QR/SVD recompression does not lower the rank at this
                # accuracy and adds ~1e-13 of rounding, so it is not used.)
                self.kind = "lowrank"
                self.right = np.ascontiguousarray(lagrange)
                self.left_t = np.ascontiguousarray(at_nodes.T)
                # Unsampled rows lie between sampled ones: keep a safety factor.
                self.eps = 4.0 * max(err, 1e-16)
                return True
            m = int(1.5 * m)
        return False

    def _sample_rows(self):
        n_pix = self.grid.size
        return np.unique(np.linspace(0, n_pix - 1, min(n_pix, 257)).astype(int))

    def __getstate__(self):
        # Everything else derives from the grid and scale: a pickled fitted
        # estimator stays small, and loading rebuilds the same operator.
        return {"grid": self.grid, "scale": self.scale}

    def __setstate__(self, state):
        self.__init__(state["grid"], state["scale"])
        self.bot0 = self.unmasked_denominator()

    def precise(self):
        """This operator with more nodes (elementwise error ~3e-14), built on
        first use, for the rows the blocked fast path hands back: it shrinks
        the set of pixels that need exact kernel rows to a few near zero
        crossings of the continuum."""
        if self._precise is None:
            twin = copy.copy(self)
            if not twin._set_blocked(
                self.block, node_counts=(_BLOCK_NODES + 8,), factor_nodes=False
            ):
                twin = self
            self._precise = twin
        return self._precise

    def _set_blocked(
        self, block, node_counts=(_BLOCK_NODES, _BLOCK_NODES + 6), factor_nodes=True
    ):
        """Local Chebyshev interpolation of the kernel in blocks of pixels.

        Full blocks of ``block`` pixels are stored as one (n_full, block, r)
        stack so that ``mat @ B`` is a single batched product over a reshaped
        view of ``mat`` (no copy, no Python loop per spectrum); the leftover
        pixels form one tail block.
        """
        grid, n_pix = self.grid, self.grid.size
        n_full = n_pix // block
        starts = list(range(0, n_full * block, block))
        if n_full * block < n_pix:
            starts.append(n_full * block)
        for n_nodes in node_counts:
            bases, nodes = [], []
            for start in starts:  # a few dozen blocks, once per fit
                stop = min(start + block, n_pix)
                lo = grid[min(start, n_pix - 2)]
                basis, at = _chebyshev_basis(
                    grid[start:stop], lo, grid[stop - 1], n_nodes
                )
                bases.append(basis)
                nodes.append(at)
            self.kind = "blocked"
            self.block, self.n_full, self.n_nodes = block, n_full, n_nodes
            self.basis = np.ascontiguousarray(np.stack(bases[:n_full]))
            self.basis_t = np.ascontiguousarray(self.basis.transpose(0, 2, 1))
            self.tail = bases[n_full] if len(bases) > n_full else None
            basis = sparse.block_diag(bases, format="csr").toarray()
            self.ones_coef = basis.sum(axis=0)  # project(ones)
            theta = np.pi * (2 * np.arange(n_nodes) + 1) / (2 * n_nodes)
            # Node values -> Chebyshev coefficients (the two last ones are read).
            self.cheb_tail = (2.0 / n_nodes) * np.cos(
                np.outer(theta, [n_nodes - 2, n_nodes - 1])
            )
            all_nodes = np.concatenate(nodes)
            self.node_kernel = _kernel(all_nodes, all_nodes, self.scale)
            # The kernel between nodes is smooth: its eigen-decomposition
            # truncated at 1e-15 of the largest eigenvalue (rank ~64 of 320 on
            # the LRS grid, elementwise error ~1e-14) halves the node product.
            # (Not for the precise twin: its mixed-sign factors would add
            # rounding where the bounded path must be most accurate.)
            self.node_left = self.node_right = None
            if factor_nodes:
                lam, vec = np.linalg.eigh(self.node_kernel)
                keep = np.abs(lam) > 1e-15 * np.abs(lam).max()
                self.node_left = np.ascontiguousarray(vec[:, keep])
                self.node_right = np.ascontiguousarray((vec[:, keep] * lam[keep]).T)
            self.bot0_nodes = self.smooth_nodes(self.ones_coef[None])[0]
            rows = self._sample_rows()
            unit = np.zeros((rows.size, n_pix))
            unit[np.arange(rows.size), rows] = 1.0
            approx = self._apply_blocked(unit)  # rows of K (K is symmetric)
            err = float(np.max(np.abs(approx - self.rows(rows))))
            if err <= _KERNEL_EPS:
                self.eps = 4.0 * max(err, 1e-16)
                return True
        self.kind = None
        return False

    def _apply_blocked(self, mat):
        return self.evaluate(self.project(mat))

    def project(self, mat, out=None):
        """First factor of a factorised form: ``mat @ B`` (or ``mat @ U``)."""
        if self.kind == "lowrank":
            return mat @ self.right
        mat = np.ascontiguousarray(mat, dtype=np.float64)
        n = mat.shape[0]
        block, n_full, r = self.block, self.n_full, self.n_nodes
        head, n_head_nodes = n_full * block, n_full * r
        # (n, n_full*block) viewed as (n_full, n, block): one batched product.
        coef = np.empty((n, self.node_kernel.shape[0])) if out is None else out
        np.matmul(
            mat[:, :head].reshape(n, n_full, block).transpose(1, 0, 2),
            self.basis,
            out=coef[:, :n_head_nodes].reshape(n, n_full, r).transpose(1, 0, 2),
        )
        if self.tail is not None:
            coef[:, n_head_nodes:] = mat[:, head:] @ self.tail
        return coef

    def repair_masked(self, flux, coef, ivar=None, w_coef=None):
        """Blocked form: fix node coefficients spoilt by NaN pixels.

        ``coef`` is ``project(flux)`` (or ``project(flux * ivar)``, with
        ``w_coef = project(ivar)``) computed on the raw rows, NaN included:
        only the rows holding a NaN get non-finite coefficients, and only
        those rows are copied, cleaned (masked pixels at zero weight) and
        projected again, so a batch is never scanned or copied whole to zero
        its masked pixels. Returns the indices of those rows and, for unit
        weights, the projection of their weights (1 where usable, else 0);
        raises ValueError if a non-finite pixel is infinite.
        """
        with np.errstate(invalid="ignore", over="ignore"):  # inf - inf, huge
            spoilt = np.flatnonzero(~np.isfinite(coef.sum(axis=1)))
        sub = flux[spoilt]
        bad = ~np.isfinite(sub)
        if np.isinf(sub[bad]).any():
            raise ValueError(
                "Input X contains infinity; mark masked pixels with NaN instead."
            )
        sub[bad] = 0.0
        if ivar is None:
            w = np.logical_not(bad, out=bad).astype(np.float64)
            spoilt_w_coef = self.project(w)
        else:
            w = ivar[spoilt]
            w[bad] = 0.0
            w_coef[spoilt] = spoilt_w_coef = self.project(w)
            sub *= w
        coef[spoilt] = self.project(sub)
        return spoilt, spoilt_w_coef

    def node_sums(self, flux, ivar=None):
        """Blocked form: numerator and denominator of eq. (1) at every node.

        ``flux`` holds NaN at masked pixels: it is projected as it is and the
        rows NaN spoilt are repaired (:meth:`repair_masked`), so a batch is
        read once (rows with NaN twice). With unit weights the denominator of
        a row without NaN is the cached unmasked one. Returns ``top``, ``bot``
        (n_rows, n_nodes) and the mask of rows without any usable pixel.
        """
        n, n_nodes = flux.shape[0], self.node_kernel.shape[0]
        if ivar is None:
            coef = np.empty((n, n_nodes))
            self.project(flux, out=coef)
            spoilt, w_coef = self.repair_masked(flux, coef)
            both = self.smooth_nodes(np.concatenate([coef, w_coef]))
            top = both[:n]
            bot = np.repeat(self.bot0_nodes[None], n, axis=0)
            bot[spoilt] = both[n:]
        else:
            coef = np.empty((2 * n, n_nodes))
            with np.errstate(invalid="ignore"):  # inf * 0: rejected by the repair
                self.project(flux * ivar, out=coef[:n])
            self.project(ivar, out=coef[n:])
            spoilt, w_coef = self.repair_masked(flux, coef[:n], ivar, coef[n:])
            top, bot = np.split(self.smooth_nodes(coef), 2)
        # The Lagrange basis sums to one at every pixel: sum(coef_w) = sum(w).
        empty = np.zeros(n, dtype=bool)
        empty[spoilt] = ~(w_coef.sum(axis=1) > 0)
        return top, bot, empty

    def project_sparse(self, mat):
        """Low-rank form: ``project`` for a sparse matrix (masks: a few pixels
        per row; the blocked form uses :meth:`repair_masked`)."""
        return np.asarray(mat @ self.right)

    def evaluate(self, coef):
        """Second factor: the smoothed values at every pixel from ``project``."""
        if self.kind == "lowrank":
            return coef @ self.left_t
        return self.interpolate(self.smooth_nodes(coef))

    def smooth_nodes(self, coef):
        """Blocked form: ``coef @ Kn`` (node coefficients to node values),
        through the truncated eigen-decomposition of ``Kn``."""
        if self.node_left is None:
            return coef @ self.node_kernel
        return (coef @ self.node_left) @ self.node_right

    def interpolate(self, values, out=None):
        """Blocked form: from values at every block's nodes to every pixel."""
        n, n_pix = values.shape[0], self.grid.size
        block, n_full, r = self.block, self.n_full, self.n_nodes
        head, n_head_nodes = n_full * block, n_full * r
        coef = values
        out = np.empty((n, n_pix)) if out is None else out
        np.matmul(
            coef[:, :n_head_nodes].reshape(n, n_full, r).transpose(1, 0, 2),
            self.basis_t,
            out=out[:, :head].reshape(n, n_full, block).transpose(1, 0, 2),
        )
        if self.tail is not None:
            out[:, head:] = coef[:, n_head_nodes:] @ self.tail.T
        return out

    def apply(self, mat):
        """Return ``mat @ K`` for ``mat`` of shape (n, n_pixels)."""
        if self.kind == "dense":
            return mat @ self.matrix
        if self.kind == "blocked":
            return self._apply_blocked(mat)
        if self.kind == "lowrank":
            return (mat @ self.right) @ self.left_t
        return np.asarray((self.matrix @ mat.T).T)

    @property
    def factorised(self):
        return self.kind in ("blocked", "lowrank")

    def rows(self, idx):
        """Exact kernel rows ``K[idx, :]``."""
        return _kernel(self.grid[idx], self.grid, self.scale)

    def unmasked_denominator(self):
        """``K @ 1``: exact for the dense and banded forms; from the factorised
        form otherwise (its error, <= eps * n_pixels, is covered by the
        denominator term of the error bound), which avoids P^2 exponentials."""
        if self.factorised:
            return self.apply(np.ones((1, self.grid.size)))[0]
        return self.row_sums()

    def row_sums(self):
        """Exact ``K @ 1`` (the denominator for unit weights), in chunks."""
        out = np.empty(self.grid.size)
        for start in range(0, self.grid.size, 512):
            stop = min(start + 512, self.grid.size)
            out[start:stop] = self.rows(np.arange(start, stop)).sum(axis=1)
        return out


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
    """Gaussian-weighted mean (paper 000 eq. 1) of every row on one segment.

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


class ContinuumNormalizer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Divide spectra by a pseudo-continuum: Gaussian smoothing or clipped spline.

    ``transform`` returns ``X / continuum`` for every row of ``X`` (one spectrum
    per row, one pixel per column, all on the grid ``wavelength``).

    Parameters
    ----------
    wavelength : array-like of shape (n_pixels,), default=None
        Wavelength of every column of X in Angstrom, strictly increasing. When
        None the grid is the pixel index ``0, 1, ..., n_pixels - 1``, so
        ``sigma``, ``knot_spacing`` and ``max_gap`` are then in pixels.
    method : {"gaussian", "spline"}, default="gaussian"
        ``"gaussian"``: the Gaussian-weighted mean of paper 000, eqs. (1)-(2),
        ``f_s(l) = sum_i f_i w_i(l) / sum_i w_i(l)``. ``"spline"``: paper 004's
        pseudo-continuum, a cubic B-spline refitted with asymmetric sigma
        clipping.
    sigma : float, default=350.0
        Width of the Gaussian in Angstrom (35 nm in paper 000). Gaussian only.
    kernel : {"paper", "cannon"}, default="paper"
        ``"paper"``: ``w_i = exp(-(l - l_i)**2 / sigma**2)`` as written in paper
        000 eq. (2). ``"cannon"``: ``w_i = exp(-0.5 (l - l_i)**2 / sigma**2)`` as
        in TheCannon's code (``sigma`` plays TheCannon's ``L``). The two agree
        when ``sigma_paper = sqrt(2) * L``. Gaussian only.
    max_gap : float or None, default=50.0
        Wavelength gap (Angstrom) above which the grid is split into
        independent segments (e.g. the blue and red arms of LAMOST MRS): no
        smoothing or spline crosses such a gap. None never splits.
    knot_spacing : float, default=50.0
        Distance between spline knots in Angstrom. Spline only.
    lower_sigma, upper_sigma : float, default=2.0, 3.0
        Asymmetric clipping: pixels more than ``lower_sigma`` times the RMS
        residual below the spline, or ``upper_sigma`` times above it, are
        rejected before the next fit. Spline only.
    n_iter : int, default=5
        Maximum number of clipping iterations (``n_iter + 1`` fits). Spline only.
    smoothing : float, default=1e-3
        Weight of the second-difference penalty on the spline coefficients,
        relative to the mean diagonal of each row's normal matrix. It keeps a
        fit well posed where clipping or masking empties a knot interval.
        Spline only.

    Attributes
    ----------
    wavelength_ : ndarray of shape (n_features,)
        The validated grid (pixel index when ``wavelength`` is None).
    segments_ : list of tuple of int
        ``(start, stop)`` column ranges normalised independently.
    n_features_in_ : int
        Number of pixels seen during fit.
    feature_names_in_ : ndarray of shape (n_features,)
        Column names, when X has them.

    See Also
    --------
    normalize_continuum : Function form of this transformer.

    Notes
    -----
    **Masks.** NaN pixels get zero weight and stay NaN in the output. A row (or
    a segment of a row) with no usable pixel becomes NaN and a
    ``UserWarning`` names it; so does a pixel whose continuum is exactly zero.

    **Inverse variances.** ``transform(X, ivar=...)`` weights each pixel by its
    inverse variance (Ho et al. 2017; TheCannon): eq. (1) becomes
    ``sum_i ivar_i f_i w_i / sum_i ivar_i w_i`` and the spline a weighted fit.
    Pixels with ``ivar == 0`` get zero weight but are still divided by the
    continuum. ``ivar`` is per-sample metadata, so in a
    :class:`~sklearn.pipeline.Pipeline` it is routed with
    ``sklearn.set_config(enable_metadata_routing=True)`` and
    ``ContinuumNormalizer().set_transform_request(ivar=True)``, or without
    routing by ``pipe.fit(X, y, normalizer__ivar=ivar)``.

    **Exactness and speed.** The Gaussian method never forms a ``P x P``
    product per call: ``fit`` stores the kernel of each segment as a low-rank
    factorisation (elementwise error <= 1e-12) or a banded matrix, and
    ``transform`` costs two skinny matrix products. Pixels whose error bound
    exceeds 1e-9 relative are recomputed with exact kernel rows, so the result
    matches the dense formula to 1e-9 relative or better.

    References
    ----------
    .. [1] Liu et al., binary stars from LAMOST LRS spectra with CNNs, §2.2
       (paper 000 in this project).
    .. [2] Ho, A. Y. Q. et al. 2017, ApJ 836, 5 (TheCannon on LAMOST).
    .. [3] Identification of classical Be stars from LAMOST MRS, §2 (paper 004).

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.preprocessing import ContinuumNormalizer
    >>> wave = np.linspace(4000.0, 5000.0, 501)
    >>> flux = np.vstack([2.0 + wave / 1000.0, 5.0 * np.ones_like(wave)])
    >>> norm = ContinuumNormalizer(wavelength=wave, sigma=50.0).fit(flux)
    >>> out = norm.transform(flux)
    >>> out.shape
    (2, 501)
    >>> bool(np.allclose(out[1], 1.0))
    True
    """

    _parameter_constraints: dict = {
        "wavelength": ["array-like", None],
        "method": [StrOptions({"gaussian", "spline"})],
        "sigma": [Interval(Real, 0, None, closed="neither")],
        "kernel": [StrOptions({"paper", "cannon"})],
        "max_gap": [Interval(Real, 0, None, closed="neither"), None],
        "knot_spacing": [Interval(Real, 0, None, closed="neither")],
        "lower_sigma": [Interval(Real, 0, None, closed="neither")],
        "upper_sigma": [Interval(Real, 0, None, closed="neither")],
        "n_iter": [Interval(Integral, 0, None, closed="left")],
        "smoothing": [Interval(Real, 0, None, closed="left")],
    }

    def __init__(
        self,
        *,
        wavelength=None,
        method="gaussian",
        sigma=350.0,
        kernel="paper",
        max_gap=50.0,
        knot_spacing=50.0,
        lower_sigma=2.0,
        upper_sigma=3.0,
        n_iter=5,
        smoothing=1e-3,
    ):
        self.wavelength = wavelength
        self.method = method
        self.sigma = sigma
        self.kernel = kernel
        self.max_gap = max_gap
        self.knot_spacing = knot_spacing
        self.lower_sigma = lower_sigma
        self.upper_sigma = upper_sigma
        self.n_iter = n_iter
        self.smoothing = smoothing

    def fit(self, X, y=None):
        """Validate the grid against X and precompute the kernel or spline basis.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Spectra; only the number of columns is used.
        y : None
            Ignored.

        Returns
        -------
        self : ContinuumNormalizer
        """
        self._validate_params()
        _check_2d(X)
        X = validate_data(
            self,
            X,
            reset=True,
            ensure_all_finite="allow-nan",
            dtype=[np.float64, np.float32],
        )
        n_pix = X.shape[1]
        if self.wavelength is None:
            self.wavelength_ = np.arange(n_pix, dtype=np.float64)
        else:
            self.wavelength_ = check_wavelength(self.wavelength, n_features=n_pix)
        self.segments_ = _segments(self.wavelength_, self.max_gap)
        self._models = []
        for start, stop in self.segments_:
            grid = self.wavelength_[start:stop]
            if self.method == "gaussian":
                scale = self.sigma * (np.sqrt(2.0) if self.kernel == "cannon" else 1.0)
                op = _KernelOperator(grid, scale)
                op.bot0 = op.unmasked_denominator()
                self._models.append(op)
            elif stop - start >= 2:
                self._models.append(_SplineBasis(grid, self.knot_spacing))
            else:
                self._models.append(None)
        return self

    def transform(self, X, ivar=None):
        """Divide every spectrum by its continuum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes on the grid ``wavelength``; NaN marks masked pixels.
        ivar : array-like of shape (n_spectra, n_pixels), default=None
            Inverse variances used as weights (0 = no weight). None weights
            every finite pixel equally, as in paper 000.

        Returns
        -------
        X_norm : ndarray of shape (n_spectra, n_pixels)
            ``X / continuum``, same dtype as X (float32 or float64).
        """
        return self._normalize(X, ivar, return_continuum=False)

    def fit_transform(self, X, y=None, ivar=None):
        """Fit to X, then normalise it (see :meth:`transform`).

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes; NaN marks masked pixels.
        y : None
            Ignored.
        ivar : array-like of shape (n_spectra, n_pixels), default=None
            Inverse variances used as weights.

        Returns
        -------
        X_norm : ndarray of shape (n_spectra, n_pixels)
        """
        return self.fit(X, y).transform(X, ivar=ivar)

    def continuum(self, X, ivar=None):
        """Return the continuum itself (same shape and dtype as X).

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_pixels)
            Fluxes; NaN marks masked pixels.
        ivar : array-like of shape (n_spectra, n_pixels), default=None
            Inverse variances used as weights.

        Returns
        -------
        continuum : ndarray of shape (n_spectra, n_pixels)
        """
        return self._normalize(X, ivar, return_continuum=True)

    def _normalize(self, X, ivar, return_continuum):
        check_is_fitted(self)
        _check_2d(X)
        # Finiteness is checked block by block below, on data already in cache
        # (a separate pass over X costs as much as the smoothing products).
        X = validate_data(
            self,
            X,
            reset=False,
            ensure_all_finite=False,
            dtype=[np.float64, np.float32],
        )
        flux = X.astype(np.float64, copy=False)
        if ivar is not None:
            ivar = _check_ivar_array(ivar, X.shape)
        n_rows, n_pix = flux.shape
        out = np.empty(flux.shape, dtype=X.dtype)
        # Rows are independent: work on blocks of rows small enough for the
        # CPU cache, so the elementwise passes around the kernel products cost
        # little, and memory stays bounded whatever the number of spectra.
        step = max(1, _ROW_BLOCK_BYTES // (8 * n_pix))
        report = _UnusableReport()
        handed_back = [[] for _ in self.segments_]
        for start in range(0, n_rows, step):
            rows = slice(start, min(start + step, n_rows))
            block_ivar = None if ivar is None else _check_ivar_values(ivar[rows])
            for k, refused in enumerate(
                self._normalize_rows(
                    flux[rows],
                    block_ivar,
                    out[rows],
                    return_continuum,
                    report.offset(start),
                )
            ):
                handed_back[k].append(np.flatnonzero(refused) + start)
        for k, segment_rows in enumerate(handed_back):
            self._normalize_handed_back(
                k,
                np.concatenate(segment_rows),
                flux,
                ivar,
                out,
                return_continuum,
                report,
            )
        report.warn()
        return out

    def _normalize_rows(self, flux, ivar, out, return_continuum, report):
        """Normalise one block of rows into ``out``; return, per segment, the
        rows the Gaussian fast path handed back (their output is not set)."""
        n_rows = flux.shape[0]
        if self.method == "gaussian" and self._models[0].kind == "blocked":
            if len(self.segments_) == 1:
                # A float64 output doubles as the continuum's buffer (one
                # array less through the cache); the division is in place.
                buffer = out if out.dtype == np.float64 else None
                cont, accepted, empty = _gaussian_blocked(
                    flux, ivar, self._models[0], buffer
                )
                report.add_empty(empty)
                _finish(flux, cont, None, None, out, return_continuum)
                return [~accepted]
        valid = np.isfinite(flux)
        if not valid.all() and np.isinf(flux[~valid]).any():
            raise ValueError(
                "Input X contains infinity; mark masked pixels with NaN instead."
            )
        if self.method == "gaussian":
            cont, suspect, refused = self._gaussian(flux, valid, ivar)
        else:
            cont = self._spline(flux, valid, ivar)
            suspect = np.ones(n_rows, dtype=bool)
            refused = [np.zeros(n_rows, dtype=bool)] * len(self.segments_)
        usable = valid if ivar is None else valid & (ivar > 0)
        report.add(cont, usable, suspect)
        _finish(flux, cont, valid, suspect, out, return_continuum)
        return refused

    def _normalize_handed_back(
        self, k, rows, flux, ivar, out, return_continuum, report
    ):
        """The exact bounded path, in one call, for the rows of segment ``k``
        that the fast path handed back anywhere in this call."""
        if rows.size == 0:
            return
        start, stop = self.segments_[k]
        sub_flux = flux[rows, start:stop]
        sub_ivar = None if ivar is None else ivar[rows, start:stop]
        valid = np.isfinite(sub_flux)
        cont, suspect = _gaussian_segment(
            sub_flux, valid, sub_ivar, self._models[k].precise()
        )
        usable = valid if sub_ivar is None else valid & (sub_ivar > 0)
        report.add_lost(rows, cont, usable, suspect)
        sub_out = np.empty_like(out[rows, start:stop])
        _finish(sub_flux, cont, valid, suspect, sub_out, return_continuum)
        out[rows, start:stop] = sub_out

    def _gaussian(self, flux, valid, ivar):
        cont = np.empty_like(flux)
        suspect = np.zeros(flux.shape[0], dtype=bool)
        refused = []
        for (start, stop), op in zip(self.segments_, self._models, strict=True):
            sub_ivar = None if ivar is None else ivar[:, start:stop]
            c, s, r = _gaussian_fast(
                flux[:, start:stop], valid[:, start:stop], sub_ivar, op
            )
            cont[:, start:stop] = c
            suspect |= s
            refused.append(r)
        return cont, suspect, refused

    def _spline(self, flux, valid, ivar):
        cont = np.full_like(flux, np.nan)
        params = (self.lower_sigma, self.upper_sigma, self.n_iter, self.smoothing)
        for seg, basis in zip(self.segments_, self._models, strict=True):
            start, stop = seg
            if basis is None:  # a one-pixel segment is its own continuum
                cont[:, start:stop] = flux[:, start:stop]
                continue
            sub_ivar = None if ivar is None else ivar[:, start:stop]
            cont[:, start:stop] = _spline_continuum(
                flux[:, start:stop], valid[:, start:stop], sub_ivar, basis, params
            )
        return cont

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        tags.transformer_tags.preserves_dtype = ["float64", "float32"]
        return tags


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


def normalize_continuum(
    X,
    wavelength=None,
    *,
    ivar=None,
    method: str = "gaussian",
    sigma: float = 350.0,
    kernel: str = "paper",
    max_gap: float | None = 50.0,
    knot_spacing: float = 50.0,
    lower_sigma: float = 2.0,
    upper_sigma: float = 3.0,
    n_iter: int = 5,
    smoothing: float = 1e-3,
    return_continuum: bool = False,
) -> np.ndarray:
    """Continuum-normalise spectra: the function form of ContinuumNormalizer.

    Parameters
    ----------
    X : array-like of shape (n_spectra, n_pixels)
        Fluxes; NaN marks masked pixels.
    wavelength : array-like of shape (n_pixels,), default=None
        Grid in Angstrom (None: pixel index).
    ivar : array-like of shape (n_spectra, n_pixels), default=None
        Inverse variances used as weights.
    method, sigma, kernel, max_gap, knot_spacing, lower_sigma, upper_sigma, \
n_iter, smoothing
        See :class:`ContinuumNormalizer`.
    return_continuum : bool, default=False
        Return the continuum instead of ``X / continuum``.

    Returns
    -------
    ndarray of shape (n_spectra, n_pixels)
        Normalised spectra (or the continuum), in X's float dtype.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.preprocessing import normalize_continuum
    >>> wave = np.linspace(6300.0, 6800.0, 1001)
    >>> flux = np.full((1, wave.size), 7.0)
    >>> bool(np.allclose(normalize_continuum(flux, wave, method="spline"), 1.0))
    True
    """
    est = ContinuumNormalizer(
        wavelength=wavelength,
        method=method,
        sigma=sigma,
        kernel=kernel,
        max_gap=max_gap,
        knot_spacing=knot_spacing,
        lower_sigma=lower_sigma,
        upper_sigma=upper_sigma,
        n_iter=n_iter,
        smoothing=smoothing,
    ).fit(X)
    if return_continuum:
        return est.continuum(X, ivar=ivar)
    return est.transform(X, ivar=ivar)
