"""Prediction chunk by chunk over arrays, memory maps and dask arrays."""

from __future__ import annotations

import logging
import mmap
import time
from collections.abc import Callable, Iterator
from numbers import Integral

import numpy as np
from sklearn.utils.validation import check_is_fitted

__all__ = ["chunk_slices", "predict_chunked"]

logger = logging.getLogger(__name__)

METHODS = (
    "predict_proba",
    "predict_log_proba",
    "predict",
    "decision_function",
    "transform",
)


def chunk_slices(n_rows: int, chunk_size: int) -> Iterator[slice]:
    """Consecutive row slices of at most ``chunk_size`` rows covering ``n_rows``.

    Parameters
    ----------
    n_rows : int
        Number of rows (spectra), >= 0.
    chunk_size : int
        Rows per slice, >= 1; the last slice may be shorter.

    Yields
    ------
    slice
        ``slice(start, stop)`` with ``stop - start <= chunk_size``.

    Raises
    ------
    TypeError
        If ``n_rows`` or ``chunk_size`` is not an integer.
    ValueError
        If ``n_rows`` < 0 or ``chunk_size`` < 1.

    Examples
    --------
    >>> from sklearn_stellar.scale import chunk_slices
    >>> list(chunk_slices(5, 2))
    [slice(0, 2, None), slice(2, 4, None), slice(4, 5, None)]
    """
    n_rows = _check_int(n_rows, "n_rows", minimum=0)
    chunk_size = _check_int(chunk_size, "chunk_size", minimum=1)
    for start in range(0, n_rows, chunk_size):
        yield slice(start, min(start + chunk_size, n_rows))


def _check_int(value, name, *, minimum):
    if isinstance(value, bool) or not isinstance(value, Integral):
        raise TypeError(
            f"`{name}` must be an int >= {minimum}, got {value!r} "
            f"of type {type(value).__name__}."
        )
    if value < minimum:
        raise ValueError(f"`{name}` must be an int >= {minimum}, got {value}.")
    return int(value)


def _is_dask_array(X) -> bool:
    # Checked by module name so that dask stays an optional import.
    return type(X).__module__.split(".")[0] == "dask" and hasattr(X, "map_blocks")


def _check_input(estimator, X, method):
    if not isinstance(method, str) or method not in METHODS:
        raise ValueError(f"`method` must be one of {METHODS}, got {method!r}.")
    if not callable(getattr(estimator, method, None)):
        raise TypeError(
            f"`estimator` must have a `{method}` method, got "
            f"{type(estimator).__name__} without one."
        )
    check_is_fitted(estimator)
    if not (hasattr(X, "shape") and hasattr(X, "__getitem__")):
        X = np.asarray(X)
    kind = np.dtype(getattr(X, "dtype", object)).kind
    if kind in "cSUV":
        raise TypeError(
            f"`X` must hold real numbers (fluxes), got dtype {np.dtype(X.dtype)}."
        )
    if len(X.shape) != 2:
        raise ValueError(
            "`X` must be 2-D (n_spectra, n_pixels), got an array of shape "
            f"{tuple(X.shape)}."
        )
    if X.shape[0] == 0:
        raise ValueError("`X` must hold at least one spectrum, got 0 rows.")
    return X


def _release_pages(X) -> None:
    """Drop this process's resident pages of a read-only/shared memmap input.

    Pages of a file mapping that were read count in the process's resident
    memory until the kernel needs them back; over a file larger than RAM
    that makes the resident size grow with the rows read. ``MADV_DONTNEED``
    unmaps them (the data stay in the page cache and the file is unchanged;
    only ``mode="r"`` and ``"r+"`` shared mappings are touched, never
    copy-on-write ones, whose private changes it would discard).
    """
    mm = getattr(X, "_mmap", None)
    if (
        not isinstance(mm, mmap.mmap)
        or getattr(X, "mode", None) not in ("r", "r+")
        or not hasattr(mmap, "MADV_DONTNEED")
    ):
        return
    try:
        mm.madvise(mmap.MADV_DONTNEED)
    except (OSError, ValueError):  # closed map or a platform without it
        pass


def _prepare_out(out, first, n_rows):
    shape = (n_rows,) + first.shape[1:]
    if out is None:
        return np.empty(shape, dtype=first.dtype)
    if tuple(getattr(out, "shape", ())) != shape:
        raise ValueError(
            f"`out` must have shape {shape}, got {tuple(getattr(out, 'shape', ()))!r}."
        )
    out_dtype = np.dtype(getattr(out, "dtype", object))
    if not np.can_cast(first.dtype, out_dtype, casting="same_kind"):
        raise TypeError(
            f"`out` must have a dtype that {first.dtype} casts to, got {out_dtype}."
        )
    return out


def _progress_callback(progress, n_rows):
    if callable(progress):
        return progress, lambda: None
    if progress:
        from tqdm.auto import tqdm

        bar = tqdm(total=n_rows, unit="spectra")
        return lambda done, total: bar.update(done - bar.n), bar.close
    return None, lambda: None


def predict_chunked(
    estimator,
    X,
    *,
    chunk_size: int = 4096,
    method: str = "predict_proba",
    out=None,
    progress: bool | Callable[[int, int], object] = False,
):
    """Apply a fitted estimator to ``X`` ``chunk_size`` spectra at a time.

    Memory stays bounded by the chunk, not by the number of spectra: each
    chunk of rows is read (a copy from a memory map, a computed block of a
    dask array), passed to ``getattr(estimator, method)`` and its result
    written into ``out``; nothing else of ``X`` is held. Over a memory-mapped
    input opened read-only (``np.load(path, mmap_mode="r")`` or
    ``np.memmap(..., mode="r")``) the pages a chunk read are released after
    it, so the process's resident memory does not grow with the file either.
    The result equals ``getattr(estimator, method)(X)`` whenever the
    estimator treats rows independently, as every prediction of this
    library does.

    Two ways for a dask array:

    - ``out=None``: returns a lazy dask array built with
      :meth:`dask.array.Array.map_blocks` over row blocks of at most
      ``chunk_size`` spectra (one column block); the estimator is one
      ``dask.delayed`` object in the graph, sent once to every worker that
      runs a block. Nothing is computed until ``.compute()``,
      :func:`dask.array.store` or ``.to_zarr()``; under a
      :class:`distributed.Client` the workers predict in parallel.
    - ``out`` given: the row blocks are computed one at a time and predicted
      in this process (the streaming loop), as for any other array.

    Parameters
    ----------
    estimator : fitted estimator or Pipeline
        Anything with the method ``method``, e.g. a fitted
        ``Pipeline(ContinuumNormalizer, BinarySpectrumCNN)``.
    X : array-like of shape (n_spectra, n_pixels)
        An ndarray, :class:`numpy.memmap`, dask array, or any object with a
        ``shape`` and row slicing (``X[start:stop]`` giving an array-like),
        such as an ``h5py`` or ``zarr`` dataset. Fluxes on the estimator's
        wavelength grid.
    chunk_size : int, default=4096
        Spectra per chunk (and per dask block). Peak memory grows with it:
        a 3,909-pixel float32 chunk of 4096 spectra is 64 MB, and the
        estimator's own temporaries come on top.
    method : {"predict_proba", "predict_log_proba", "predict", \
"decision_function", "transform"}, default="predict_proba"
        Method of ``estimator`` to apply.
    out : array-like or None, default=None
        Preallocated output with shape ``(n_spectra,) + result.shape[1:]``
        (for a binary ``predict_proba``: ``(n_spectra, 2)``) and a dtype the
        result casts to (same kind), e.g. an ``np.lib.format.open_memmap``
        opened with ``mode="w+"``. None allocates an ndarray (or, for a dask
        array, returns a dask array).
    progress : bool or callable, default=False
        True shows a ``tqdm`` bar; a callable is called as
        ``progress(n_done, n_spectra)`` after every chunk (a command line's
        own progress report).

    Returns
    -------
    result : ndarray, ``out`` or dask array
        ``out`` when given; a lazy dask array for a dask ``X`` with
        ``out=None``; else a new ndarray.

    Raises
    ------
    sklearn.exceptions.NotFittedError
        If ``estimator`` is not fitted.
    TypeError
        If ``chunk_size`` is not an int, ``estimator`` lacks ``method``,
        ``X`` holds complex numbers or text, or ``out`` has a dtype the
        result does not cast to.
    ValueError
        If ``chunk_size`` < 1, ``method`` is unknown, ``X`` is not 2-D or
        has no rows, or ``out`` has the wrong shape.

    See Also
    --------
    chunk_slices : The row slices used here.

    References
    ----------
    Rocklin, M. (2015), "Dask: Parallel Computation with Blocked algorithms
    and Task Scheduling", Proc. 14th Python in Science Conf., 130-136.

    Examples
    --------
    >>> import numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_stellar.scale import predict_chunked
    >>> rng = np.random.default_rng(0)
    >>> X = rng.standard_normal((100, 8)).astype(np.float32)
    >>> y = (X[:, 0] > 0).astype(int)
    >>> clf = LogisticRegression().fit(X, y)
    >>> p = predict_chunked(clf, X, chunk_size=32)
    >>> p.shape
    (100, 2)
    >>> bool(np.array_equal(p, clf.predict_proba(X)))
    True
    """
    chunk_size = _check_int(chunk_size, "chunk_size", minimum=1)
    X = _check_input(estimator, X, method)
    if _is_dask_array(X) and out is None:
        return _map_dask_blocks(estimator, X, chunk_size, method)
    return _stream(estimator, X, chunk_size, method, out, progress)


def _stream(estimator, X, chunk_size, method, out, progress):
    """The streaming loop: one chunk in memory at a time."""
    n_rows = X.shape[0]
    apply = getattr(estimator, method)
    report, close = _progress_callback(progress, n_rows)
    t0 = time.perf_counter()
    try:
        for rows in chunk_slices(n_rows, chunk_size):
            result = np.asarray(apply(np.asarray(X[rows])))
            _release_pages(X)
            if rows.start == 0:
                out = _prepare_out(out, result, n_rows)
            out[rows] = result
            if report is not None:
                report(rows.stop, n_rows)
            logger.debug("predicted %d/%d spectra", rows.stop, n_rows)
    finally:
        close()
    logger.info(
        "%s over %d spectra in %.1f s", method, n_rows, time.perf_counter() - t0
    )
    return out


def _map_dask_blocks(estimator, X, chunk_size, method):
    import dask
    import dask.array as da

    X = X.rechunk({0: chunk_size, 1: -1})
    # One block of one row fixes the output's trailing shape and dtype.
    probe = np.asarray(getattr(estimator, method)(np.asarray(X[:1].compute())))
    est = dask.delayed(estimator, pure=True, traverse=False)
    kwargs = {"dtype": probe.dtype, "meta": np.empty((0,) * probe.ndim, probe.dtype)}
    if probe.ndim == 1:
        kwargs["drop_axis"] = 1
    else:
        kwargs["chunks"] = (X.chunks[0],) + tuple((n,) for n in probe.shape[1:])
    return da.map_blocks(_apply_block, X, est, method, **kwargs)


def _apply_block(block, estimator, method):
    return np.asarray(getattr(estimator, method)(block))
