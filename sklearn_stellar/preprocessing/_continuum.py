"""Continuum normalisation: Gaussian-smoothed flux and sigma-clipped splines.

Two pseudo-continua, both computed for a whole batch of spectra on one
wavelength grid:

* ``method="gaussian"``: the Gaussian-weighted mean of Ho et al. (2017) used by
  Jing et al. (2024, eqs. 1-2). It is evaluated *exactly* (to ~1e-12
  relative) but without the dense ``P x P`` products of TheCannon: the kernel
  matrix is smooth, so it is factorised once in ``fit``: local Chebyshev
  interpolation in blocks of ~1.2 kernel scales around a small dense kernel
  between the block nodes (the fast form for broad kernels), a global
  low-rank product, or, for a narrow kernel, a banded sparse matrix. Every
  output pixel whose error bound could exceed ``1e-9`` relative is recomputed
  with the exact kernel row.
* ``method="spline"``: the pseudo-continuum of Wang et al. (2022), a cubic B-spline with
  knots every ``knot_spacing`` Angstrom, lightly penalised, refitted with
  asymmetric sigma clipping so that emission (a Be star's H-alpha) and
  absorption lines do not pull the continuum. A block of spectra is fitted at once:
  the design matrix is shared, so each iteration is one batched banded
  least-squares solve.

Both work through the rows in blocks of ~2 MB per array, converting each to
float64 on its own: beyond the output, memory stays under 256 MB whatever the
number of spectra (see the class Notes, "Memory").
"""

from __future__ import annotations

from numbers import Integral, Real

import numpy as np
from sklearn.base import (
    BaseEstimator,
    OneToOneFeatureMixin,
    TransformerMixin,
    _fit_context,
)
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils import check_ivar
from ..utils._validation import grid_or_pixel_index, validate_named_data
from ._continuum_helpers import (
    _as_float64,
    _check_2d,
    _check_ivar_array,
    _finish,
    _HandedBack,
    _segments,
    _UnusableReport,
)
from ._gaussian import (
    _ROW_BLOCK_BYTES,
    _gaussian_blocked,
    _gaussian_fast,
    _gaussian_segment,
)
from ._kernel_operator import _KernelOperator
from ._spline import _spline_continuum, _SplineBasis

__all__ = ["ContinuumNormalizer", "normalize_continuum"]


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
        ``"gaussian"``: the Gaussian-weighted mean of Jing et al. (2024), eqs. (1)-(2),
        ``f_s(l) = sum_i f_i w_i(l) / sum_i w_i(l)``. ``"spline"``: Wang et al.'s (2022)
        pseudo-continuum, a cubic B-spline refitted with asymmetric sigma
        clipping.
    sigma : float, default=350.0
        Width of the Gaussian in Angstrom (35 nm in Jing et al. 2024). Gaussian only.
    kernel : {"paper", "cannon"}, default="paper"
        ``"paper"``: ``w_i = exp(-(l - l_i)**2 / sigma**2)`` as written in
        Jing et al. (2024) eq. (2). ``"cannon"``:
        ``w_i = exp(-0.5 (l - l_i)**2 / sigma**2)`` as in TheCannon's code
        (``sigma`` plays TheCannon's ``L``). The two agree when
        ``sigma_paper = sqrt(2) * L``. Gaussian only.
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

    **Memory.** ``transform`` and ``continuum`` allocate their output (X's
    shape; float32 for float32 X, float64 otherwise; the arithmetic is float64
    either way) plus a working set that does not grow with the number of
    spectra: rows are processed in blocks of ~2 MB of float64 per array, each
    block converted on its own (X and ivar are never copied whole), and the
    rows the Gaussian fast path hands back go to the exact path in blocks of
    ~8 MB per array. Beyond the output they need at most 256 MB (measured:
    under 80 MB, see ``benchmarks/results_continuum.md``) for spectra of up
    to 262,144 pixels; a longer spectrum is a block on its own, and the bound
    grows with its length. Input that is not a float32 or float64 array
    (a list, integers, a DataFrame) is converted first, a copy of X's size.

    References
    ----------
    .. [1] Jing, Y., Mao, T.-X., Wang, J., Liu, C., & Chen, X. (2024). Half a
       million binary stars identified from the low resolution spectra of
       LAMOST. Section 2.2.
    .. [2] Ho, A. Y. Q. et al. (2017). ApJ 836, 5 (TheCannon on LAMOST).
    .. [3] Wang, L., Li, J., Wu, Y., et al. (2022). Identification of new
       classical Be stars from the LAMOST MRS survey. Section 2.

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

    @_fit_context(prefer_skip_nested_validation=True)
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
            The fitted normaliser (``wavelength_``, ``segments_`` set).

        Raises
        ------
        ValueError
            If X is not 2-D or ``wavelength`` does not match its columns.
        """
        _check_2d(X)
        X = validate_named_data(
            self,
            X,
            reset=True,
            ensure_all_finite="allow-nan",
            dtype=[np.float64, np.float32],
        )
        self.wavelength_ = grid_or_pixel_index(self.wavelength, X.shape[1])
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
            every finite pixel equally, as in Jing et al. (2024).

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
            ``X / continuum``, same dtype as X (float32 or float64).
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
            The fitted continuum in the flux unit of X; NaN where a segment
            has no weighted pixel.
        """
        return self._normalize(X, ivar, return_continuum=True)

    def _normalize(self, X, ivar, return_continuum, block_bytes=None, exact_bytes=None):
        """``transform``/``continuum`` with memory bounded beyond the output.

        ``block_bytes`` and ``exact_bytes`` (default ``_ROW_BLOCK_BYTES`` and
        ``_EXACT_BLOCK_BYTES``) size the blocks of rows, in bytes of float64
        per array, of the fast path and of the exact path.
        """
        check_is_fitted(self)
        _check_2d(X)
        # Finiteness is checked block by block below, on data already in cache
        # (a separate pass over X costs as much as the smoothing products).
        X = validate_named_data(
            self,
            X,
            reset=False,
            ensure_all_finite=False,
            dtype=[np.float64, np.float32],
        )
        if ivar is not None:
            ivar = _check_ivar_array(ivar, X.shape)
        n_rows, n_pix = X.shape
        out = np.empty(X.shape, dtype=X.dtype)
        # Rows are independent: work on blocks of rows small enough for the
        # CPU cache, so the elementwise passes around the kernel products cost
        # little. Each block is converted to float64 on its own (no copy of X
        # or ivar as a whole), and the rows the fast path hands back are
        # queued and sent to the exact path in blocks of bounded size: the
        # memory used beyond the output does not grow with the number of rows.
        step = max(1, (block_bytes or _ROW_BLOCK_BYTES) // (8 * n_pix))
        report = _UnusableReport()
        queue = _HandedBack(self, X, ivar, out, return_continuum, report, exact_bytes)
        for start in range(0, n_rows, step):
            rows = slice(start, min(start + step, n_rows))
            block_ivar = None
            if ivar is not None:
                # The library's one ivar policy, block by block (rows without
                # a positive value are reported by ``report`` with NaN flux).
                block_ivar = check_ivar(
                    _as_float64(ivar[rows]),
                    (rows.stop - start, n_pix),
                    warn=False,
                    first_row=start,
                )
            refused = self._normalize_rows(
                _as_float64(X[rows]),
                block_ivar,
                out[rows],
                return_continuum,
                report.offset(start),
            )
            for k, segment_refused in enumerate(refused):
                queue.add(k, np.flatnonzero(segment_refused) + start)
        queue.drain()
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

    def _normalize_handed_back(self, k, rows, X, ivar, out, return_continuum, report):
        """The exact bounded path for ``rows`` (sorted global indices) of
        segment ``k``, which the fast path handed back."""
        if rows.size == 0:
            return
        start, stop = self.segments_[k]
        sub_flux = _as_float64(X[rows, start:stop])
        sub_ivar = None if ivar is None else _as_float64(ivar[rows, start:stop])
        valid = np.isfinite(sub_flux)
        cont, suspect = _gaussian_segment(
            sub_flux, valid, sub_ivar, self._models[k].precise()
        )
        usable = valid if sub_ivar is None else valid & (sub_ivar > 0)
        report.add_lost(rows, cont, usable, suspect)
        sub_out = np.empty(sub_flux.shape, dtype=out.dtype)
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
    method : {"gaussian", "spline"}, default="gaussian"
        Gaussian-weighted mean (Jing et al. 2024) or clipped cubic B-spline
        (Wang et al. 2022); see :class:`ContinuumNormalizer`.
    sigma : float, default=350.0
        Width of the Gaussian in Angstrom (pixels when ``wavelength`` is
        None). Gaussian only.
    kernel : {"paper", "cannon"}, default="paper"
        Form of the Gaussian weight, ``exp(-d**2 / sigma**2)`` or
        ``exp(-0.5 d**2 / sigma**2)``. Gaussian only.
    max_gap : float or None, default=50.0
        Gap in Angstrom above which the grid is split into independent
        segments; None never splits.
    knot_spacing : float, default=50.0
        Distance between spline knots in Angstrom. Spline only.
    lower_sigma : float, default=2.0
        Clip pixels more than this many RMS residuals below the spline.
        Spline only.
    upper_sigma : float, default=3.0
        Clip pixels more than this many RMS residuals above the spline.
        Spline only.
    n_iter : int, default=5
        Maximum number of clipping iterations. Spline only.
    smoothing : float, default=1e-3
        Relative weight of the second-difference penalty on the spline
        coefficients. Spline only.
    return_continuum : bool, default=False
        Return the continuum instead of ``X / continuum``.

    Returns
    -------
    X_norm : ndarray of shape (n_spectra, n_pixels)
        Normalised spectra (or the continuum, in X's flux unit), in X's
        float dtype.

    Raises
    ------
    ValueError
        If X is not 2-D, ``wavelength`` does not match its columns, or a
        parameter is out of range (named in the message).

    See Also
    --------
    ContinuumNormalizer : The transformer form, for pipelines.

    References
    ----------
    .. [1] Jing, Y., Mao, T.-X., Wang, J., Liu, C., & Chen, X. (2024). Half a
       million binary stars identified from the low resolution spectra of
       LAMOST. Section 2.2.
    .. [2] Wang, L., Li, J., Wu, Y., et al. (2022). Identification of new
       classical Be stars from the LAMOST MRS survey. Section 2.

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
