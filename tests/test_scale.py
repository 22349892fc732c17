"""Chunked prediction over ndarrays, memory maps and dask arrays (real estimators)."""

import tracemalloc

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.exceptions import NotFittedError
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline

from sklearn_stellar.neural import BinarySpectrumCNN
from sklearn_stellar.preprocessing import ContinuumNormalizer, log_linear_grid
from sklearn_stellar.scale import chunk_slices, predict_chunked

WAVE = log_linear_grid(4000.0, 4150.0)  # 160 pixels of 1e-4 dex
TINY_CNN = {
    "n_filters": 4,
    "kernel_size": 3,
    "stem_stride": 2,
    "hidden_units": 8,
    "lr": 1e-2,
    "max_epochs": 3,
    "batch_size": 16,
    "validation_fraction": None,
    "random_state": 0,
}


def _spectra(n, seed):
    """Sloped continua with one absorption line; class 1 has it split in two."""
    rng = np.random.default_rng(seed)
    n_pix = len(WAVE)
    y = np.arange(n) % 2
    pix = np.arange(n_pix)
    centre = rng.integers(n_pix // 3, 2 * n_pix // 3, n)[:, None]
    split = np.where(y == 1, 4, 0)[:, None]
    lines = 0.25 * np.exp(-0.5 * ((pix - centre - split) / 2.0) ** 2)
    lines += 0.25 * np.exp(-0.5 * ((pix - centre + split) / 2.0) ** 2)
    continuum = 1.0 + 0.3 * pix / n_pix
    X = continuum * (1 - lines) + 0.01 * rng.standard_normal((n, n_pix))
    return X.astype(np.float32), y


@pytest.fixture(scope="module")
def cnn_pipeline():
    X, y = _spectra(64, 0)
    return make_pipeline(
        ContinuumNormalizer(wavelength=WAVE, sigma=30.0),
        BinarySpectrumCNN(**TINY_CNN),
    ).fit(X, y)


@pytest.fixture(scope="module")
def spectra():
    return _spectra(157, 1)[0]


def test_chunk_slices_cover_rows_once():
    slices = list(chunk_slices(10, 3))
    assert [(s.start, s.stop) for s in slices] == [(0, 3), (3, 6), (6, 9), (9, 10)]
    assert list(chunk_slices(0, 3)) == []


@settings(max_examples=15, deadline=None)
@given(n_batches=st.integers(1, 12), n_rows=st.integers(1, 157))
def test_chunked_equals_unchunked_ndarray(cnn_pipeline, spectra, n_batches, n_rows):
    """Chunks a multiple of the network's batch size: the same torch batches,
    hence bit-identical probabilities."""
    X = spectra[:n_rows]
    expected = cnn_pipeline.predict_proba(X)
    got = predict_chunked(cnn_pipeline, X, chunk_size=16 * n_batches)
    np.testing.assert_array_equal(got, expected)


@settings(max_examples=15, deadline=None)
@given(chunk_size=st.integers(1, 200), n_rows=st.integers(1, 157))
def test_chunked_close_to_unchunked_any_chunk(
    cnn_pipeline, spectra, chunk_size, n_rows
):
    """Other chunk sizes change the torch batches: float32 rounding only."""
    X = spectra[:n_rows]
    expected = cnn_pipeline.predict_proba(X)
    got = predict_chunked(cnn_pipeline, X, chunk_size=chunk_size)
    np.testing.assert_allclose(got, expected, rtol=1e-6, atol=1e-7)


@pytest.mark.parametrize(
    "method", ["predict", "predict_log_proba", "predict_proba", "transform"]
)
def test_every_method_matches(cnn_pipeline, spectra, method):
    estimator = cnn_pipeline[0] if method == "transform" else cnn_pipeline
    expected = getattr(estimator, method)(spectra)
    got = predict_chunked(estimator, spectra, chunk_size=32, method=method)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)


def test_memmap_in_and_out(cnn_pipeline, spectra, tmp_path):
    np.save(tmp_path / "flux.npy", spectra)
    X = np.load(tmp_path / "flux.npy", mmap_mode="r")
    out = np.lib.format.open_memmap(
        tmp_path / "proba.npy", mode="w+", dtype=np.float64, shape=(len(X), 2)
    )
    got = predict_chunked(cnn_pipeline, X, chunk_size=48, out=out)
    assert got is out
    out.flush()
    del got, out
    np.testing.assert_array_equal(
        np.load(tmp_path / "proba.npy"), cnn_pipeline.predict_proba(spectra)
    )
    # The input file was only read (its pages released, never changed).
    np.testing.assert_array_equal(np.load(tmp_path / "flux.npy"), spectra)


def test_progress_callback_sees_every_chunk(cnn_pipeline, spectra):
    seen = []
    predict_chunked(
        cnn_pipeline,
        spectra,
        chunk_size=64,
        progress=lambda done, total: seen.append((done, total)),
    )
    assert seen == [(64, 157), (128, 157), (157, 157)]


def test_progress_bar(cnn_pipeline, spectra, capsys):
    got = predict_chunked(cnn_pipeline, spectra, chunk_size=64, progress=True)
    np.testing.assert_array_equal(got, cnn_pipeline.predict_proba(spectra))
    assert "157/157" in capsys.readouterr().err


def test_memory_bounded_by_chunks(tmp_path):
    """Peak numpy memory of chunked prediction over a memmap: a few chunks,
    not the array (tracemalloc counts numpy's buffers; not a timing test)."""
    n_rows, n_pix, chunk = 20_000, 300, 250
    wave = log_linear_grid(4000.0, 4000.0 * 10 ** (1e-4 * (n_pix - 0.5)))
    rng = np.random.default_rng(2)
    X = (1.0 + 0.01 * rng.standard_normal((n_rows, n_pix))).astype(np.float32)
    y = np.arange(n_rows) % 2
    X[y == 1, 100:104] -= 0.2
    pipe = make_pipeline(
        ContinuumNormalizer(wavelength=wave, sigma=30.0), LogisticRegression()
    ).fit(X[:500], y[:500])
    np.save(tmp_path / "flux.npy", X)
    expected = pipe.predict_proba(X)
    del X
    X = np.load(tmp_path / "flux.npy", mmap_mode="r")
    out = np.empty((n_rows, 2))
    peaks = []
    for size in (chunk, n_rows):  # chunked, then the whole array at once
        tracemalloc.start()
        try:
            predict_chunked(pipe, X, chunk_size=size, out=out)
            peaks.append(tracemalloc.get_traced_memory()[1])
        finally:
            tracemalloc.stop()
    chunk_bytes = chunk * n_pix * 8  # one float64 chunk
    assert peaks[0] < 8 * chunk_bytes, (peaks, chunk_bytes)
    # Unchunked, the transformed array alone is >= X.nbytes (24 MB float32).
    assert peaks[0] < peaks[1] / 4, peaks
    np.testing.assert_array_equal(out, expected)


def test_dask_array_lazy_and_streamed(cnn_pipeline, spectra):
    da = pytest.importorskip("dask.array")
    import dask

    X = da.from_array(spectra, chunks=(30, 80))
    expected = cnn_pipeline.predict_proba(spectra)
    lazy = predict_chunked(cnn_pipeline, X, chunk_size=48)
    assert isinstance(lazy, da.Array)
    assert lazy.chunks == ((48, 48, 48, 13), (2,))
    with dask.config.set(scheduler="threads"):
        np.testing.assert_array_equal(lazy.compute(), expected)
    labels = predict_chunked(cnn_pipeline, X, chunk_size=48, method="predict")
    assert labels.shape == (157,)
    with dask.config.set(scheduler="threads"):
        np.testing.assert_array_equal(labels.compute(), cnn_pipeline.predict(spectra))
    out = np.zeros((157, 2))
    with dask.config.set(scheduler="sync"):
        assert predict_chunked(cnn_pipeline, X, chunk_size=48, out=out) is out
    np.testing.assert_array_equal(out, expected)


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"chunk_size": 0}, ValueError, "`chunk_size` must be an int >= 1, got 0"),
        ({"chunk_size": 2.5}, TypeError, "`chunk_size` must be an int"),
        ({"chunk_size": True}, TypeError, "got True of type bool"),
        ({"method": "score"}, ValueError, "`method` must be one of"),
        ({"out": np.empty((157, 3))}, ValueError, r"`out` must have shape \(157, 2\)"),
        ({"out": np.empty((157, 2), int)}, TypeError, "float64 casts to, got int"),
    ],
)
def test_bad_arguments(cnn_pipeline, spectra, kwargs, error, match):
    with pytest.raises(error, match=match):
        predict_chunked(cnn_pipeline, spectra, **kwargs)


def test_bad_estimator_or_x(cnn_pipeline, spectra):
    with pytest.raises(NotFittedError):
        predict_chunked(BinarySpectrumCNN(), spectra)
    with pytest.raises(TypeError, match="must have a `predict_proba` method"):
        predict_chunked(cnn_pipeline[0], spectra)
    with pytest.raises(
        ValueError, match=r"must be 2-D .* got an array of shape \(160,"
    ):
        predict_chunked(cnn_pipeline, spectra[0])
    with pytest.raises(ValueError, match="at least one spectrum, got 0 rows"):
        predict_chunked(cnn_pipeline, spectra[:0])
    for bad, dtype in ((spectra + 1j, "complex"), (spectra.astype(str), "<U")):
        with pytest.raises(TypeError, match=f"`X` must hold real numbers.*{dtype}"):
            predict_chunked(cnn_pipeline, bad)


@pytest.fixture(scope="module")
def dask_client():
    """A 2-worker LocalCluster, closed after the module. Workers are threads of
    this process (processes=False): process workers each import torch on a
    shared 2-core CI runner (~25 s apiece under load); pickling of the
    estimators is tested in test_neural.py."""
    distributed = pytest.importorskip("dask.distributed")
    with (
        distributed.LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=False,
            dashboard_address=None,
            worker_dashboard_address=None,
        ) as cluster,
        distributed.Client(cluster) as client,
    ):
        yield client


def test_distributed_prediction(dask_client, cnn_pipeline, spectra):
    da = pytest.importorskip("dask.array")
    from dask.distributed import get_task_stream

    X = da.from_array(spectra, chunks=(16, -1))
    lazy = predict_chunked(cnn_pipeline, X, chunk_size=16)  # 10 blocks
    with get_task_stream(dask_client) as stream:
        got = lazy.compute()
    workers = {task["worker"] for task in stream.data}
    assert workers <= set(dask_client.scheduler_info()["workers"])
    assert len(workers) == 2, workers
    np.testing.assert_array_equal(got, cnn_pipeline.predict_proba(spectra))


def test_grid_search_on_dask_backend(dask_client):
    pytest.importorskip("dask.distributed")
    import joblib
    from dask.distributed import get_task_stream
    from sklearn.model_selection import GridSearchCV

    X, y = _spectra(80, 3)
    pipe = make_pipeline(
        ContinuumNormalizer(wavelength=WAVE, sigma=30.0),
        LogisticRegression(max_iter=500),
    )
    grid = {"continuumnormalizer__sigma": [10.0, 30.0, 100.0]}
    serial = GridSearchCV(pipe, grid, cv=3, n_jobs=1).fit(X, y)
    with get_task_stream(dask_client) as stream:
        with joblib.parallel_backend("dask"):
            search = GridSearchCV(pipe, grid, cv=3, n_jobs=-1).fit(X, y)
    # The fits ran on the cluster (joblib's auto-batching may group the 9 fits
    # of 3 candidates x 3 folds into fewer tasks, so only >= 1 is certain).
    assert len(stream.data) >= 1
    np.testing.assert_array_equal(
        search.cv_results_["mean_test_score"], serial.cv_results_["mean_test_score"]
    )
    assert search.best_params_ == serial.best_params_
    np.testing.assert_array_equal(search.predict_proba(X), serial.predict_proba(X))
