"""Gaussian kernel matrix of one grid segment, stored in a factorised form.

The kernel matrix of Jing et al. (2024) eq. (2) is smooth, so ``fit`` factorises it
once: local Chebyshev interpolation in blocks of ~1.2 kernel scales around a
small dense kernel between the block nodes (the fast form for broad kernels),
a global low-rank product, or, for a narrow kernel, a banded sparse matrix
(:class:`_KernelOperator`). The continuum computed from it lives in
``_gaussian.py``.
"""

from __future__ import annotations

import copy
import logging

import numpy as np
from scipy import sparse

logger = logging.getLogger(__name__)

# Target elementwise error of a factorised kernel matrix (entries are <= 1).
_KERNEL_EPS = 1e-12
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
