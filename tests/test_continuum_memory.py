"""ContinuumNormalizer at survey scale: bounded memory, blocks, float32."""

import tracemalloc
import warnings

import numpy as np
import pytest

from sklearn_stellar.io import read_lamost
from sklearn_stellar.preprocessing import ContinuumNormalizer
from sklearn_stellar.preprocessing._gaussian import _gaussian_blocked

LRS_PLAN = "lamost/lrs/dr7_plan_HD103621N361936B01"


@pytest.fixture(scope="module")
def batch(data_home):
    """Real LAMOST DR7 LRS spectra (float32, as read) plus rows that the
    Gaussian fast path hands to the exact path: continua crossing zero and
    mostly masked rows; 120 rows on the native 3909-pixel grid."""
    spectra = read_lamost(sorted((data_home / LRS_PLAN).glob("*.fits"))[:40])
    wave = spectra[0].spectral_axis.value.astype(np.float64)
    flux = np.array([s.flux.value for s in spectra], dtype=np.float32)
    ivar = np.array([s.uncertainty.array for s in spectra], dtype=np.float32)
    flux[ivar == 0] = np.nan
    crossing = flux - np.nanmedian(flux, axis=1, keepdims=True)
    holes = flux.copy()
    holes[:, 300:3600] = np.nan
    flux = np.vstack([flux, crossing, holes])
    ivar = np.tile(ivar, (3, 1))
    ivar[np.isnan(flux)] = 0.0
    return wave, flux, ivar


def _run(est, X, ivar, **bounds):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)  # rows without continuum
        return est._normalize(X, ivar, return_continuum=False, **bounds)


@pytest.mark.parametrize("method", ["gaussian", "spline"])
@pytest.mark.parametrize("weighted", [False, True])
def test_float32_input_is_the_float64_result_rounded(batch, method, weighted):
    """Blocks of float32 are converted on their own: the output is float32
    and bit for bit the float64 computation on the same values, rounded."""
    wave, flux, ivar = batch
    est = ContinuumNormalizer(wavelength=wave, method=method).fit(flux)
    iv32 = ivar if weighted else None
    iv64 = ivar.astype(np.float64) if weighted else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        for fn in (est.transform, est.continuum):
            out32 = fn(flux, ivar=iv32)
            out64 = fn(flux.astype(np.float64), ivar=iv64)
            assert out32.dtype == np.float32 and out64.dtype == np.float64
            assert np.array_equal(out32, out64.astype(np.float32), equal_nan=True)


@pytest.mark.parametrize("weighted", [False, True])
def test_exact_path_in_many_small_blocks_matches_one_block(batch, weighted):
    """Rows handed back in blocks of 3 give the continuum of one single block
    (to rounding: BLAS sums depend on the batch shape) and the same NaN."""
    wave, flux, ivar = batch
    iv = ivar if weighted else None
    est = ContinuumNormalizer(wavelength=wave).fit(flux)
    x64 = flux.astype(np.float64)
    iv64 = None if iv is None else iv.astype(np.float64)
    _, accepted, _ = _gaussian_blocked(x64, iv64, est._models[0])
    assert np.count_nonzero(~accepted) >= 30  # ten blocks of 3 rows at least
    n_pix = flux.shape[1]
    small = {"block_bytes": 8 * n_pix * 7, "exact_bytes": 8 * n_pix * 3}
    huge = {"block_bytes": 2**40, "exact_bytes": 2**40}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", UserWarning)
        a = est._normalize(x64, iv, return_continuum=True, **small)
        b = est._normalize(x64, iv, return_continuum=True, **huge)
    scale = np.nanmean(np.abs(x64), axis=1, keepdims=True)
    assert np.array_equal(np.isnan(a), np.isnan(b))
    ok = ~np.isnan(b)
    assert np.all(np.abs(a - b)[ok] <= (1e-12 * (np.abs(b) + scale))[ok])


def _traced_extra(est, X, ivar, **bounds):
    """Peak traced memory of one transform, less its output (bytes)."""
    tracemalloc.start()
    try:
        out = _run(est, X, ivar, **bounds)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    return peak - out.nbytes


@pytest.mark.parametrize("method", ["gaussian", "spline"])
@pytest.mark.parametrize("weighted", [False, True])
def test_memory_beyond_the_output_does_not_grow_with_rows(batch, method, weighted):
    """With blocks of 256 KB per array, transform of 500 or 2,000 float32
    spectra (50 or 200 for the slower spline) needs the output plus the
    same few MB (measured 2.5-5.1 MB; before the blocked conversion: a
    float64 copy of X and ivar and every handed-back row at once, 150-280 MB
    beyond the output at 4,000 spectra)."""
    wave, flux, ivar = batch
    est = ContinuumNormalizer(wavelength=wave, method=method).fit(flux)
    bounds = {"block_bytes": 2**18, "exact_bytes": 2**18}
    _run(est, flux, ivar if weighted else None, **bounds)  # builds the lazy twin
    extra = {}
    small, large = (500, 2_000) if method == "gaussian" else (50, 200)
    for n in (small, large):
        X = np.resize(flux, (n, flux.shape[1]))
        iv = np.resize(ivar, X.shape) if weighted else None
        extra[n] = _traced_extra(est, X, iv, **bounds)
    assert extra[large] < 8 * 2**20, extra
    assert extra[large] < extra[small] + 2**20, extra
