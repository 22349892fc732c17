"""Draw the H-alpha region of each spectrum as an anti-aliased line image."""

from __future__ import annotations

import logging
import numbers
from concurrent.futures import ThreadPoolExecutor

import numpy as np
from joblib import effective_n_jobs
from sklearn.base import BaseEstimator, TransformerMixin, _fit_context
from sklearn.utils._param_validation import Interval, StrOptions
from sklearn.utils.validation import check_is_fitted

from ..utils import check_medium, check_window
from ..utils._validation import grid_or_pixel_index, validate_named_data
from ._wavelength import air_to_vacuum

__all__ = ["HalphaRasterizer"]

logger = logging.getLogger(__name__)


class HalphaRasterizer(TransformerMixin, BaseEstimator):
    """Draw each spectrum's H-alpha region as a square line-plot image.

    This is the image the ResNet of Wang et al. (2022) classifies: the plotted
    line of flux against wavelength over 6530-6590 A, drawn into a
    ``size`` x ``size`` grey-scale image. The line is connected between the
    spectrum's pixels and anti-aliased; the drawing is vectorised over the batch
    (numpy, in chunks of ``chunk_size`` spectra to bound memory, on
    ``n_jobs`` threads), so that thousands of spectra per second are drawn on
    one CPU core, much faster than drawing the same plot with matplotlib.

    How a spectrum is drawn:

    * the wavelength ``window`` (given in **air**, as in the paper) is converted
      to the grid's ``medium`` (vacuum for LAMOST) and mapped onto the image
      width: its lower edge is the left edge of column 0, its upper edge the
      right edge of the last column;
    * the flux axis runs upwards: ``y_range="auto"`` scales each spectrum on its
      own between its minimum and maximum in the window, widened by ``margin``
      times the range on both sides (a flat spectrum is centred); a pair
      ``(lo, hi)`` fixes the range for every spectrum (values outside are
      clipped by the image border);
    * the line is the polyline through the spectrum's pixels, drawn with a
      square pen of side ``line_width`` image pixels: in each image column the
      pen covers the polyline's vertical extent over the column (widened
      horizontally by the pen) plus half the pen above and below, and each
      image pixel holds the exact fraction of its height that is covered
      (anti-aliasing by pixel coverage, like a box filter). Ink is 255 (or
      1.0 with ``dtype="float32"``), the background 0.

    NaN rule: a NaN flux leaves a gap. A segment with a NaN end is not drawn;
    a finite pixel between NaNs is drawn as a dot. A spectrum with no finite
    flux in the window gives a blank (all-zero) image and a log message.
    ``inf`` is rejected with a ValueError.

    Parameters
    ----------
    wavelength : array-like of shape (n_features,), default=None
        Wavelength grid of X's columns in Angstrom, strictly increasing.
        Keyword-only. None means the pixel index (no grid), on which the
        ``window`` in Angstrom cannot be placed: ``fit`` raises a ValueError.
    window : tuple of float, default=(6530.0, 6590.0)
        Wavelength interval to draw, in Angstrom **in air** (it is converted
        to the grid's medium).
    medium : {"vacuum", "air"}, default="vacuum"
        Medium of ``wavelength`` (LAMOST grids are vacuum).
    size : int, default=256
        Width and height of the image in pixels.
    line_width : float, default=2.0
        Side of the square pen in image pixels.
    y_range : "auto" or tuple of float, default="auto"
        Flux range of the image's vertical axis: per spectrum ("auto") or fixed.
    margin : float, default=0.05
        With ``y_range="auto"``, fraction of each spectrum's flux range added
        above and below.
    chunk_size : int, default=128
        Spectra drawn per vectorised step (the working buffers take about
        ``chunk_size * size**2 * 2`` bytes per thread).
    dtype : {"uint8", "float32"}, default="uint8"
        Pixel type of the output. ``"uint8"``: coverage quantised to 0-255, an
        8-bit grey-scale image like the PNG files the paper fed its ResNet (a
        quarter of the memory; writing fresh float32 memory is what limits the
        speed); ``"float32"``: the same 8-bit levels divided by 255.
    n_jobs : int, default=None
        Threads drawing chunks at the same time (numpy releases the GIL in
        its array loops, so they run on separate cores). ``None`` means 1
        unless in a :func:`joblib.parallel_config` context, ``-1`` all cores.
        The images do not depend on it.

    Attributes
    ----------
    n_features_in_ : int
        Number of columns of X seen in fit.
    window_indices_ : ndarray of shape (n_used,)
        Columns of X that are drawn (the window plus one pixel on each side, so
        that the line reaches the image border).
    window_ : tuple of float
        The window in the grid's medium, in Angstrom.
    image_shape_ : tuple of int
        ``(size, size)``; each row of the output is one image flattened
        row-major (row 0 is the top of the plot).

    See Also
    --------
    sklearn_stellar.neural.BeResNet18 : The classifier that takes these images.

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022, "Identification of new classical Be
    stars from the LAMOST MRS survey", section 4.1.2.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn_stellar.preprocessing import HalphaRasterizer
    >>> wave = np.linspace(6500.0, 6620.0, 800)
    >>> flux = 1.0 + 2.0 * np.exp(-0.5 * ((wave - 6564.6) / 2.0) ** 2)
    >>> raster = HalphaRasterizer(wavelength=wave, size=64).fit(flux[None, :])
    >>> images = raster.transform(flux[None, :])
    >>> images.shape, images.dtype
    ((1, 4096), dtype('uint8'))
    >>> img = images.reshape(64, 64)
    >>> int(img[:, 32].argmax()) < int(img[:, 2].argmax())  # the peak is higher
    True
    """

    _parameter_constraints: dict = {
        "wavelength": ["array-like", None],
        "window": [tuple, list],
        "medium": [StrOptions({"vacuum", "air"})],
        "size": [Interval(numbers.Integral, 2, None, closed="left")],
        "line_width": [Interval(numbers.Real, 0, None, closed="neither")],
        "y_range": [StrOptions({"auto"}), tuple, list],
        "margin": [Interval(numbers.Real, 0, None, closed="left")],
        "chunk_size": [Interval(numbers.Integral, 1, None, closed="left")],
        "dtype": [StrOptions({"uint8", "float32"})],
        "n_jobs": [numbers.Integral, None],
    }

    def __init__(
        self,
        *,
        wavelength=None,
        window=(6530.0, 6590.0),
        medium="vacuum",
        size=256,
        line_width=2.0,
        y_range="auto",
        margin=0.05,
        chunk_size=128,
        dtype="uint8",
        n_jobs=None,
    ):
        self.wavelength = wavelength
        self.window = window
        self.medium = medium
        self.size = size
        self.line_width = line_width
        self.y_range = y_range
        self.margin = margin
        self.chunk_size = chunk_size
        self.dtype = dtype
        self.n_jobs = n_jobs

    @_fit_context(prefer_skip_nested_validation=True)
    def fit(self, X, y=None):
        """Check X against the wavelength grid and prepare the drawing geometry.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_features)
            Fluxes on ``wavelength``; NaN allowed (gaps).
        y : None
            Ignored.

        Returns
        -------
        self : HalphaRasterizer
            The fitted rasterizer.

        Raises
        ------
        ValueError
            If ``wavelength`` is None or does not match X's columns, or
            ``window`` holds fewer than 2 pixels of the grid.
        """
        X = validate_named_data(
            self, X, reset=True, ensure_all_finite="allow-nan", dtype=np.float64
        )
        grid = grid_or_pixel_index(
            self.wavelength, X.shape[1], needs_angstrom="`window`"
        )
        check_medium(self.medium)
        lo, hi = check_window(self.window)
        if self.medium == "vacuum":
            lo, hi = (float(v) for v in air_to_vacuum(np.array([lo, hi])))
        if not isinstance(self.y_range, str):
            ylo, yhi = check_window(self.y_range, name="y_range")
            self._y_fixed = (ylo, yhi)
        else:
            self._y_fixed = None
        inside = np.flatnonzero((grid >= lo) & (grid <= hi))
        if inside.size < 2:
            raise ValueError(
                f"`window` {self.window} (air; {lo:.2f}-{hi:.2f} A in "
                f"{self.medium}) holds {inside.size} pixel(s) of `wavelength` "
                f"({grid[0]:.2f}-{grid[-1]:.2f} A); at least 2 are needed."
            )
        first = max(inside[0] - 1, 0)
        last = min(inside[-1] + 1, grid.size - 1)
        self.window_indices_ = np.arange(first, last + 1)
        self.window_ = (lo, hi)
        self.image_shape_ = (int(self.size), int(self.size))
        self._prepare_geometry(grid[self.window_indices_], lo, hi)
        return self

    def _prepare_geometry(self, wave, lo, hi):
        """Precompute, per image column, which spectrum pixels it sees.

        Everything here depends on the shared wavelength grid only, so the
        per-spectrum work in transform is pure gathering and arithmetic.
        """
        size = int(self.size)
        # x in image pixel units: window lo -> -0.5 (left edge of column 0).
        x = (wave - lo) / (hi - lo) * size - 0.5
        half = float(self.line_width) / 2.0
        reach = max(half - 0.5, 0.0)
        cols = np.arange(size, dtype=np.float64)
        left = cols - 0.5 - reach
        right = cols + 0.5 + reach
        # Interpolation of the polyline at each column's left/right pen edge.
        self._edge_index = []
        self._edge_weight = []
        for edge in (left, right):
            k = np.clip(np.searchsorted(x, edge, side="right") - 1, 0, x.size - 2)
            t = (edge - x[k]) / (x[k + 1] - x[k])
            outside = (t < 0) | (t > 1)  # beyond the grid: no ink from this edge
            t = np.clip(t, 0.0, 1.0)
            self._edge_index.append((k, k + 1))
            self._edge_weight.append(np.where(outside, np.nan, t).astype(np.float32))
        # Vertices strictly inside each column's pen extent, padded with the
        # index x.size, where _column_spans appends a NaN column.
        start = np.searchsorted(x, left, side="right")
        stop = np.searchsorted(x, right, side="left")
        count = np.maximum(stop - start, 0)
        width = max(int(count.max()), 1)
        idx = start[:, None] + np.arange(width)[None, :]
        idx = np.where(np.arange(width)[None, :] < count[:, None], idx, x.size)
        self._vertex_index = idx
        self._half = half

    def transform(self, X):
        """Draw every spectrum.

        Parameters
        ----------
        X : array-like of shape (n_spectra, n_features)
            Fluxes on ``wavelength``.

        Returns
        -------
        images : ndarray of shape (n_spectra, size * size), uint8 or float32
            One image per row, flattened row-major (reshape to
            ``image_shape_``); ink 255 (1.0 for float32), background 0.
        """
        check_is_fitted(self)
        X = validate_named_data(
            self,
            X,
            reset=False,
            ensure_all_finite="allow-nan",
            dtype=[np.float64, np.float32],
        )
        n = X.shape[0]
        size = int(self.size)
        out = np.empty((n, size * size), dtype=np.dtype(self.dtype))
        starts = range(0, n, int(self.chunk_size))
        n_workers = min(effective_n_jobs(self.n_jobs), len(starts))
        if n_workers <= 1:
            self._draw_chunks(X, out, starts)
            return out
        # numpy releases the GIL inside its array loops, which is where the
        # time goes, so threads drawing interleaved chunks into disjoint rows
        # of `out` scale without copying X to worker processes.
        with ThreadPoolExecutor(max_workers=n_workers) as pool:
            parts = [starts[k::n_workers] for k in range(n_workers)]
            for done in [pool.submit(self._draw_chunks, X, out, p) for p in parts]:
                done.result()  # re-raises a worker's exception here
        return out

    def _draw_chunks(self, X, out, starts):
        """Draw the chunks of X that begin at ``starts`` into ``out``."""
        size = int(self.size)
        chunk = min(int(self.chunk_size), X.shape[0])
        # One uint8 difference buffer per worker, rows first so that the
        # running sum down the rows works on contiguous blocks, reused for
        # every chunk (all zero between chunks: _write_images clears what it
        # read).
        buffer = np.zeros((size + 1) * chunk * size, dtype=np.uint8)
        m = self.window_indices_.size
        flux = np.empty((chunk, m + 1), dtype=np.float32)
        flux[:, m] = np.nan  # the padding vertex of _vertex_index
        for start in starts:
            stop = min(start + chunk, X.shape[0])
            f = flux[: stop - start]
            f[:, :m] = X[start:stop, self.window_indices_]
            top, bottom = self._column_spans(f)
            d = buffer[: (size + 1) * (stop - start) * size]
            d = d.reshape(size + 1, stop - start, size)
            self._row_differences(top, bottom, d)
            _write_images(d, out[start:stop].reshape(stop - start, size, size))

    def _column_spans(self, flux):
        """Top and bottom of the ink in every column, in image row units.

        ``flux`` is float32 (chunk, n_window + 1) with a NaN last column.
        """
        size = int(self.size)
        n = flux.shape[0]
        # Flux of every point the pen touches in each column: the vertices
        # strictly inside it and the polyline at its (pen-widened) edges.
        # Gathered as (n, n_vertices, size): reducing over the middle axis
        # combines contiguous rows, many times faster than over a short last
        # axis. Padding points index the NaN column.
        vertices = flux[:, self._vertex_index.T]
        cmax = np.fmax.reduce(vertices, axis=1)  # NaN only where all are NaN
        cmin = np.fmin.reduce(vertices, axis=1)
        for (k0, k1), t in zip(self._edge_index, self._edge_weight, strict=True):
            # float32 throughout: f0 + t (f1 - f0), NaN where t or f is.
            lower = flux[:, k0]
            edge = flux[:, k1]
            edge -= lower
            edge *= t
            edge += lower
            np.fmax(cmax, edge, out=cmax)
            np.fmin(cmin, edge, out=cmin)
        if self._y_fixed is None:
            fmin = np.fmin.reduce(cmin, axis=1)
            fmax = np.fmax.reduce(cmax, axis=1)
            empty = np.isnan(fmin)
            if empty.any():
                logger.info(
                    "%d spectra have no finite flux in the window: blank images.",
                    int(empty.sum()),
                )
            span = fmax - fmin
            pad = np.where(span > 0, span * np.float32(self.margin), 0.5)
            ylo, yhi = fmin - pad, fmax + pad
        else:
            ylo = np.full(n, self._y_fixed[0], dtype=np.float32)
            yhi = np.full(n, self._y_fixed[1], dtype=np.float32)
        # Image row coordinate: yhi -> -0.5 (top edge), ylo -> size - 0.5.
        scale = (size / (yhi - ylo)).astype(np.float32)[:, None]
        yhi = yhi.astype(np.float32)[:, None]
        half = np.float32(self._half)
        top = (yhi - cmax) * scale - (np.float32(0.5) + half)
        bottom = (yhi - cmin) * scale - (np.float32(0.5) - half)
        # Columns without ink (all candidates NaN) get an empty span.
        ink = ~np.isnan(top)
        top = np.where(ink, top, np.float32(0.0))
        bottom = np.where(ink, bottom, np.float32(0.0))
        return top, bottom

    @staticmethod
    def _row_differences(top, bottom, diff):
        """Add the row-to-row differences of the 8-bit coverage into ``diff``.

        ``diff`` is a zeroed C-contiguous (size + 1, n, size) buffer; row
        ``size`` is a sink (written, never read).
        With u = top + 0.5 and v = bottom + 0.5 (row r spans [r, r + 1]), the
        coverage of row r is G(v)[r] - G(u)[r] with G(t)[r] = clip(t - r, 0, 1):
        1 above row floor(t), frac(t) at it, 0 below. Its row-to-row difference
        is non-zero on two rows only, so the image is the cumulative sum down
        the columns (:func:`_write_images`) of four scattered values per column.
        In uint8 arithmetic (modulo 256) the sum is exact because every true
        value is in 0-255.
        """
        size = top.shape[1]
        u = np.add(top, np.float32(0.5))
        np.clip(u, 0.0, size, out=u)
        v = np.add(bottom, np.float32(0.5))
        np.clip(v, 0.0, size, out=v)
        np.maximum(u, v, out=v)
        # dG(t): +(q - 255) at floor(t), -q at floor(t) + 1 (G(v) - G(u)), with
        # q the 8-bit fraction of t's row; in uint8, q - 255 is q + 1.
        rows = np.empty((4, *u.shape), dtype=np.int64)
        values = np.empty((4, *u.shape), dtype=np.uint8)
        for j, t in ((0, v), (2, u)):
            floor = np.floor(t)
            rows[j] = floor
            np.add(rows[j], 1, out=rows[j + 1])
            np.subtract(t, floor, out=t)
            np.multiply(t, np.float32(255.0), out=t)
            values[j + 1] = np.rint(t, out=t)  # q in 0-255
        np.add(values[1], 1, out=values[0])  # G(v): q - 255 at floor(v)
        np.negative(values[1], out=values[1])  # -q below
        np.subtract(255, values[3], out=values[2])  # -G(u): 255 - q, then +q
        # Rows of G(u) that coincide with rows of G(v) (floor(u) == floor(v),
        # or floor(u) + 1 == floor(v)) are added into G(v)'s entries and their
        # own entries sent to the sink, so that no two entries share a pixel
        # and one plain (numpy) assignment writes them all.
        same = rows[2] == rows[0]
        np.add(values[0], values[2], out=values[0], where=same)
        np.add(values[1], values[3], out=values[1], where=same)
        rows[2][same] = size
        rows[3][same] = size
        touch = rows[3] == rows[0]
        np.add(values[0], values[3], out=values[0], where=touch)
        rows[3][touch] = size
        np.minimum(rows, size, out=rows)  # row `size` is a sink
        # Flat index of (row, spectrum, column) in the (size + 1, n, size) diff.
        plane = diff.shape[1] * diff.shape[2]
        rows *= plane
        rows += np.arange(plane).reshape(u.shape)
        flat = diff.reshape(-1)
        flat[rows.ravel()] = values.ravel()

    def get_feature_names_out(self, input_features=None):
        """Get the names of the output pixels, ``pixel_<row>_<column>``.

        Parameters
        ----------
        input_features : None
            Ignored (the output does not map to input columns).

        Returns
        -------
        names : ndarray of str of shape (size * size,)
            Row-major pixel names of the image, ``pixel_0_0`` first.
        """
        check_is_fitted(self)
        r, c = np.divmod(np.arange(self.size * self.size), self.size)
        return np.array(
            [f"pixel_{i}_{j}" for i, j in zip(r, c, strict=True)], dtype=object
        )

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        # The output type is the `dtype` parameter, whatever X's type is.
        tags.transformer_tags.preserves_dtype = (
            ["float32"] if self.dtype == "float32" else []
        )
        return tags


#: Image rows summed and written per block in _write_images: a block of a
#: 128-spectrum chunk at 256 px (32 rows: 1 MiB) stays in the L2 cache.
_ROW_BLOCK = 32


def _write_images(diff, dest):
    """Sum ``diff`` (size + 1, n, size) down its rows into ``dest`` and clear it.

    ``dest`` is the (n, size, size) output, uint8 or float32 (level / 255).
    The running sum is a loop over the image's rows, each step vectorised over
    the whole chunk (numpy's and torch's cumsum along an axis are not
    vectorised across the other axes and are 15x slower). It runs in blocks of
    ``_ROW_BLOCK`` rows, and each block is transposed into ``dest`` and zeroed
    while it is still in the cache, so the buffer is read from memory once.
    uint8 arithmetic (modulo 256).
    """
    size = diff.shape[0] - 1
    scale = None if dest.dtype == np.uint8 else np.float32(1 / 255)
    for lo in range(0, size, _ROW_BLOCK):
        hi = min(lo + _ROW_BLOCK, size)
        if lo:
            np.add(diff[lo], diff[lo - 1], out=diff[lo])
            diff[lo - 1] = 0
        for r in range(lo + 1, hi):
            np.add(diff[r], diff[r - 1], out=diff[r])
        block = diff[lo:hi].transpose(1, 0, 2)
        if scale is None:
            dest[:, lo:hi] = block
        else:
            np.multiply(block, scale, out=dest[:, lo:hi])
        diff[lo : hi - 1] = 0
    diff[size - 1 :] = 0  # the last row and the sink
