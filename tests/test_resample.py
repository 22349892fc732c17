"""Tests for sklearn_stellar.preprocessing.resample."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from sklearn_stellar.preprocessing import (
    log_linear_grid,
    pixel_edges,
    resample,
)

METHODS = ["linear", "flux_conserving"]


@st.composite
def grids(draw, min_size=3, max_size=40):
    """Strictly increasing, irregular wavelength grids in Angstrom."""
    n = draw(st.integers(min_size, max_size))
    steps = draw(
        arrays(np.float64, n - 1, elements=st.floats(0.05, 5.0, allow_nan=False))
    )
    start = draw(st.floats(3500.0, 9000.0))
    return start + np.concatenate(([0.0], np.cumsum(steps)))


def _step_integral(edges, flux, a, b):
    """Integral of the piecewise-constant flux between a and b (reference)."""
    cumulative = np.concatenate(([0.0], np.cumsum(flux * np.diff(edges))))
    return np.interp(b, edges, cumulative) - np.interp(a, edges, cumulative)


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_same_grid_is_identity(method, data):
    wave = data.draw(grids())
    flux = data.draw(arrays(np.float64, (2, wave.size), elements=st.floats(-1e4, 1e4)))
    ivar = data.draw(arrays(np.float64, (2, wave.size), elements=st.floats(1e-3, 1e3)))
    new_flux, new_ivar = resample(flux, wave, wave, method=method, ivar=ivar)
    np.testing.assert_array_equal(new_flux, flux)
    np.testing.assert_allclose(new_ivar, ivar, rtol=1e-12)


@settings(max_examples=60, deadline=None)
@given(data=st.data())
def test_flux_conserving_preserves_integral_over_covered_bins(data):
    wave = data.draw(grids(min_size=5))
    flux = data.draw(arrays(np.float64, wave.size, elements=st.floats(0.0, 1e3)))
    edges = pixel_edges(wave)
    # An output grid drawn inside the input span, coarser or finer.
    new_wave = np.sort(
        data.draw(
            arrays(
                np.float64,
                data.draw(st.integers(2, 30)),
                elements=st.floats(edges[0], edges[-1]),
                unique=True,
            )
        )
    )
    new_wave = new_wave[np.concatenate(([True], np.diff(new_wave) > 1e-6))]
    if new_wave.size < 2:
        return
    new_flux = resample(flux, wave, new_wave, method="flux_conserving")
    new_edges = pixel_edges(new_wave)
    widths = np.diff(new_edges)
    covered = np.isfinite(new_flux)
    # Coverage is exactly "output bin inside the input bins".
    inside = (new_edges[:-1] >= edges[0]) & (new_edges[1:] <= edges[-1])
    np.testing.assert_array_equal(covered, inside)
    expected = _step_integral(edges, flux, new_edges[:-1], new_edges[1:])
    np.testing.assert_allclose(
        (new_flux * widths)[covered], expected[covered], rtol=1e-9, atol=1e-7
    )


@settings(max_examples=60, deadline=None)
@given(
    data=st.data(),
    slope=st.floats(-10.0, 10.0),
    intercept=st.floats(-1e3, 1e3),
)
def test_linear_resampling_of_linear_function_is_exact(data, slope, intercept):
    wave = data.draw(grids())
    new_wave = np.sort(
        data.draw(
            arrays(
                np.float64,
                data.draw(st.integers(2, 30)),
                elements=st.floats(wave[0] - 5.0, wave[-1] + 5.0),
                unique=True,
            )
        )
    )
    new_wave = new_wave[np.concatenate(([True], np.diff(new_wave) > 1e-9))]
    if new_wave.size < 2:
        return
    line = intercept + slope * (wave - 5000.0)
    new_flux = resample(line, wave, new_wave)
    inside = (new_wave >= wave[0]) & (new_wave <= wave[-1])
    np.testing.assert_array_equal(np.isfinite(new_flux), inside)
    np.testing.assert_allclose(
        new_flux[inside],
        intercept + slope * (new_wave[inside] - 5000.0),
        rtol=1e-9,
        atol=1e-8,
    )


@pytest.mark.parametrize("method", METHODS)
@settings(max_examples=40, deadline=None)
@given(data=st.data())
def test_nan_stays_local(method, data):
    wave = data.draw(grids(min_size=6))
    flux = np.ones((1, wave.size))
    k = data.draw(st.integers(0, wave.size - 1))
    flux[0, k] = np.nan
    new_wave = np.linspace(wave[0], wave[-1], data.draw(st.integers(3, 60)))
    new_flux = resample(flux, wave, new_wave, method=method)[0]
    if method == "linear":
        lo = wave[k - 1] if k > 0 else -np.inf
        hi = wave[k + 1] if k < wave.size - 1 else np.inf
        touches = (new_wave > lo) & (new_wave < hi)
        uncovered = np.zeros(new_wave.size, bool)
    else:
        edges, new_edges = pixel_edges(wave), pixel_edges(new_wave)
        touches = (new_edges[:-1] < edges[k + 1]) & (new_edges[1:] > edges[k])
        uncovered = (new_edges[:-1] < edges[0]) | (new_edges[1:] > edges[-1])
    # NaN exactly where an output pixel draws on the NaN (or is uncovered).
    np.testing.assert_array_equal(np.isnan(new_flux), touches | uncovered)
    np.testing.assert_allclose(new_flux[~(touches | uncovered)], 1.0)


def test_rows_are_resampled_independently_and_match_1d(rng):
    wave = log_linear_grid(4000.0, 4100.0)
    flux = rng.normal(size=(4, wave.size))
    flux[2, 10:20] = np.nan
    new_wave = np.linspace(4001.0, 4099.0, 77)
    for method in METHODS:
        batch = resample(flux, wave, new_wave, method=method)
        assert batch.shape == (4, 77)
        for row in range(4):
            np.testing.assert_array_equal(
                batch[row], resample(flux[row], wave, new_wave, method=method)
            )
        # A NaN block in row 2 leaves the other rows finite.
        assert np.isfinite(batch[[0, 1, 3]]).all()
        assert np.isnan(batch[2]).any()


def test_flux_conserving_downsampling_averages_pixels():
    wave = np.arange(4000.0, 4010.0)
    flux = np.arange(10.0)
    # Output bins of width 2 aligned on input pixel edges: plain pair means.
    new_wave = np.arange(4000.5, 4009.0, 2.0)
    np.testing.assert_allclose(
        resample(flux, wave, new_wave, method="flux_conserving"),
        [0.5, 2.5, 4.5, 6.5, 8.5],
    )


def test_ivar_propagation_and_masking():
    wave = np.arange(4000.0, 4006.0)
    flux = np.ones(6)
    ivar = np.array([4.0, 4.0, 0.0, 4.0, 4.0, 4.0])
    # Midpoints: each output pixel averages two inputs with weight 1/2.
    new_wave = np.array([4000.5, 4001.5, 4003.5, 4004.5])
    new_flux, new_ivar = resample(flux, wave, new_wave, ivar=ivar)
    # ivar == 0 masks pixel 2, so both outputs touching it are NaN, ivar 0.
    np.testing.assert_array_equal(np.isnan(new_flux), [False, True, False, False])
    # var = (1/4 + 1/4) / 4 = 1/8 -> ivar 8.
    np.testing.assert_allclose(new_ivar, [8.0, 0.0, 8.0, 8.0])


def test_float32_in_float32_out():
    wave = np.arange(4000.0, 4010.0)
    flux = np.ones((2, 10), dtype=np.float32)
    out, out_ivar = resample(flux, wave, wave[1:-1] + 0.5, ivar=flux)
    assert out.dtype == np.float32 and out_ivar.dtype == np.float32
    assert resample(flux.astype(int), wave, wave).dtype == np.float64


@pytest.mark.parametrize(
    ("kwargs", "error", "match"),
    [
        ({"wavelength": [3.0, 2.0, 1.0, 4.0]}, ValueError, "`wavelength` is not mono"),
        ({"wavelength": [1.0, 1.0, 2.0, 3.0]}, ValueError, "`wavelength` has dup"),
        ({"new_wavelength": [5.0, 4.0]}, ValueError, "`new_wavelength` is not mono"),
        ({"new_wavelength": [np.nan, 4.0]}, ValueError, "`new_wavelength` contains"),
        ({"wavelength": [1.0, 2.0, 3.0]}, ValueError, "`flux` has 4 pixels"),
        ({"flux": np.ones((1, 1, 4))}, ValueError, "`flux` must be 1-D"),
        ({"flux": ["a", "b", "c", "d"]}, TypeError, "`flux` must be a real"),
        ({"flux": [1.0, np.inf, 1.0, 1.0]}, ValueError, "`flux` contains inf"),
        ({"method": "cubic"}, ValueError, "`method` must be one of"),
        ({"ivar": [1.0, -1.0, 1.0, 1.0]}, ValueError, "`ivar` must be finite"),
        (
            {"ivar": [[1.0, 1.0, 1.0, 1.0]]},
            ValueError,
            "`ivar` must have the same shape as `flux`",
        ),
    ],
)
def test_bad_input_is_rejected_with_named_argument(kwargs, error, match):
    args = {
        "flux": [1.0, 2.0, 3.0, 4.0],
        "wavelength": [1.0, 2.0, 3.0, 4.0],
        "new_wavelength": [1.5, 2.5],
    }
    args.update(kwargs)
    flux = args.pop("flux")
    wavelength = args.pop("wavelength")
    new_wavelength = args.pop("new_wavelength")
    with pytest.raises(error, match=match):
        resample(flux, wavelength, new_wavelength, **args)
