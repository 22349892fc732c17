"""Tests of HalphaRasterizer: geometry, anti-aliasing, media, NaN gaps, errors."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.base import clone
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_stellar.preprocessing import HalphaRasterizer, air_to_vacuum

# A LAMOST MRS red-arm grid (vacuum, 1e-5 dex).
MRS_WAVE = 10 ** (3.79882 + 1e-5 * np.arange(3692))


def _gauss(wave, centre, sigma, amp):
    return 1.0 + amp * np.exp(-0.5 * ((wave - centre) / sigma) ** 2)


def _images(raster, flux):
    flux = np.atleast_2d(flux)
    out = raster.fit(flux).transform(flux)
    return out.reshape(-1, raster.size, raster.size)


def test_output_contract_and_feature_names():
    flux = _gauss(MRS_WAVE, 6564.6, 2.0, 1.0)[None].repeat(3, axis=0)
    raster = HalphaRasterizer(wavelength=MRS_WAVE, size=32)
    out = raster.fit_transform(flux)
    assert out.shape == (3, 1024) and out.dtype == np.uint8
    names = raster.get_feature_names_out()
    assert names.shape == (1024,) and names[0] == "pixel_0_0"
    assert names[33] == "pixel_1_1"
    assert raster.image_shape_ == (32, 32)
    f32 = HalphaRasterizer(wavelength=MRS_WAVE, size=32, dtype="float32")
    np.testing.assert_allclose(f32.fit_transform(flux), out / 255.0, atol=1e-6)


@settings(max_examples=30, deadline=None)
@given(
    level=st.floats(0.05, 0.95),
    line_width=st.floats(0.5, 4.0),
)
def test_flat_line_has_exact_ink_per_column(level, line_width):
    # Property: a horizontal line of width w covers exactly w pixel heights
    # in every column (up to the 8-bit quantisation), at the right height.
    wave = np.linspace(6500.0, 6620.0, 300)
    raster = HalphaRasterizer(
        wavelength=wave,
        medium="air",
        size=64,
        line_width=line_width,
        y_range=(0.0, 1.0),
        dtype="float32",
    )
    img = _images(raster, np.full(300, level))[0]
    ink = img.sum(axis=0)
    centre = (img * np.arange(64)[:, None]).sum(axis=0) / ink
    expected_centre = (1.0 - level) * 64 - 0.5
    half = line_width / 2
    inside = (expected_centre - half > -0.5) & (expected_centre + half < 63.5)
    if inside:
        np.testing.assert_allclose(ink, line_width, atol=2.5 / 255)
        np.testing.assert_allclose(centre, expected_centre, atol=0.5)


def test_peak_lands_at_the_line_wavelength_in_either_medium():
    size = 240  # 0.25 A per image column over the 60 A window
    air_grid = np.linspace(6500.0, 6620.0, 2400)
    flux = _gauss(air_grid, 6562.8, 1.5, 2.0)
    air = _images(HalphaRasterizer(wavelength=air_grid, medium="air", size=size), flux)
    vac = _images(HalphaRasterizer(wavelength=air_to_vacuum(air_grid), size=size), flux)
    # The same star drawn from an air or a vacuum grid gives the same image.
    assert np.abs(air.astype(int) - vac.astype(int)).max() <= 3
    # Highest ink (smallest row) is in the column of 6562.8 A (air).
    top_row = np.array([np.flatnonzero(c)[0] for c in air[0].T])
    column = int(np.argmin(top_row))
    expected = (6562.8 - 6530.0) / 60.0 * size - 0.5
    assert abs(column - expected) <= 1.0
    # The emission peak fills the top, the continuum sits near the bottom.
    assert top_row.min() <= 0.05 * size + 2
    assert top_row[0] >= 0.85 * size


def test_line_is_connected_across_a_steep_step():
    wave = np.linspace(6500.0, 6620.0, 121)  # 1 A pixels: 2 image columns each
    flux = np.where(wave < 6560.0, 0.0, 1.0)
    img = _images(
        HalphaRasterizer(wavelength=wave, medium="air", size=120, y_range=(-0.1, 1.1)),
        flux,
    )[0]
    rows_with_ink = np.flatnonzero(img.max(axis=1) > 0)
    # Every row between the two levels holds ink: no vertical gap.
    assert np.array_equal(
        rows_with_ink, np.arange(rows_with_ink[0], rows_with_ink[-1] + 1)
    )
    assert rows_with_ink[-1] - rows_with_ink[0] > 90


def test_autoscale_is_invariant_to_affine_flux_changes():
    rng = np.random.default_rng(0)
    flux = _gauss(MRS_WAVE, 6564.6, 3.0, -0.5) + rng.normal(0, 0.01, MRS_WAVE.size)
    raster = HalphaRasterizer(wavelength=MRS_WAVE, size=64)
    a = _images(raster, flux)
    b = _images(raster, 250.0 * flux + 1e4)
    assert np.abs(a.astype(int) - b.astype(int)).max() <= 1
    # With a margin the extremes stay inside the image.
    assert a[0, 0].max() == 0 and a[0, -1].max() == 0


def test_nan_leaves_a_gap_and_all_nan_is_blank():
    flux = _gauss(MRS_WAVE, 6564.6, 2.0, 1.0)
    holed = flux.copy()
    in_window = np.flatnonzero((MRS_WAVE > 6545.0) & (MRS_WAVE < 6548.0))
    holed[in_window] = np.nan
    raster = HalphaRasterizer(wavelength=MRS_WAVE, size=128, y_range=(0.8, 2.2))
    full, gap = _images(raster, np.vstack([flux, holed]))
    col = lambda lam: int((lam - 6531.8) / 60.0 * 128)  # noqa: E731 (vacuum)
    assert gap[:, col(6545.6) : col(6547.4)].max() == 0
    assert full[:, col(6545.6) : col(6547.4)].min(axis=0).max() == 0
    assert full[:, col(6545.6) : col(6547.4)].max() > 0
    # Away from the hole the images agree exactly.
    np.testing.assert_array_equal(gap[:, col(6552) :], full[:, col(6552) :])
    blank = _images(
        HalphaRasterizer(wavelength=MRS_WAVE, size=16), np.full(3692, np.nan)
    )
    assert blank.max() == 0


def test_chunking_does_not_change_the_result():
    rng = np.random.default_rng(1)
    flux = 1 + rng.normal(0, 0.1, (9, MRS_WAVE.size))
    a = HalphaRasterizer(wavelength=MRS_WAVE, size=48, chunk_size=1).fit_transform(flux)
    b = HalphaRasterizer(wavelength=MRS_WAVE, size=48, chunk_size=4).fit_transform(flux)
    np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("n_jobs", [2, 3, -1])
def test_threads_draw_the_same_images(n_jobs):
    # Chunks of 2 spread over threads; 9 rows leave a short last chunk and,
    # with 3 threads, one thread with fewer chunks than the others.
    rng = np.random.default_rng(2)
    flux = 1 + rng.normal(0, 0.1, (9, MRS_WAVE.size))
    flux[4, 100:900] = np.nan
    one = HalphaRasterizer(wavelength=MRS_WAVE, size=48, chunk_size=2)
    many = clone(one).set_params(n_jobs=n_jobs)
    np.testing.assert_array_equal(one.fit_transform(flux), many.fit_transform(flux))


def test_matches_a_matplotlib_drawing_of_the_same_plot():
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    wave = np.linspace(6525.0, 6595.0, 500)
    flux = _gauss(wave, 6562.8, 2.0, 1.5) - 0.4 * np.exp(
        -0.5 * ((wave - 6562.8) / 0.5) ** 2
    )
    size, lw = 128, 2.0
    ours = _images(
        HalphaRasterizer(
            wavelength=wave,
            medium="air",
            size=size,
            line_width=lw,
            y_range=(0.5, 2.5),
            dtype="float32",
        ),
        flux,
    )[0]
    fig = Figure(figsize=(1, 1), dpi=size)
    FigureCanvasAgg(fig)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    ax.plot(wave, flux, color="black", linewidth=lw * 72 / size)
    ax.set_xlim(6530, 6590)
    ax.set_ylim(0.5, 2.5)
    fig.canvas.draw()
    agg = 1.0 - np.asarray(fig.canvas.buffer_rgba())[..., 0] / 255.0
    assert agg.shape == ours.shape
    corr = np.corrcoef(ours.ravel(), agg.ravel())[0, 1]
    assert corr > 0.8
    assert abs(ours.sum() - agg.sum()) < 0.25 * agg.sum()


def test_bad_input_is_named():
    flux = np.ones((2, MRS_WAVE.size))
    with pytest.raises(ValueError, match="window.*holds 0 pixel"):
        HalphaRasterizer(wavelength=MRS_WAVE, window=(4000, 4100)).fit(flux)
    with pytest.raises(ValueError, match="wavelength.*3692 pixels but X has 10"):
        HalphaRasterizer(wavelength=MRS_WAVE).fit(np.ones((2, 10)))
    with pytest.raises(ValueError, match="y_range"):
        HalphaRasterizer(wavelength=MRS_WAVE, y_range=(2.0, 1.0)).fit(flux)
    with pytest.raises(ValueError, match="size"):
        HalphaRasterizer(wavelength=MRS_WAVE, size=1).fit(flux)
    bad = flux.copy()
    bad[0, 5] = np.inf
    with pytest.raises(ValueError, match="[Ii]nf"):
        HalphaRasterizer(wavelength=MRS_WAVE).fit(bad)
    with pytest.raises(ValueError, match="wavelength"):
        HalphaRasterizer().fit(flux)


def test_works_inside_a_pipeline_with_pandas_output():
    pd = pytest.importorskip("pandas")
    flux = _gauss(MRS_WAVE, 6564.6, 2.0, 1.0)[None].repeat(2, axis=0)
    pipe = make_pipeline(
        FunctionTransformer(np.negative, feature_names_out="one-to-one"),
        HalphaRasterizer(wavelength=MRS_WAVE, size=8),
    ).set_output(transform="pandas")
    df = pipe.fit_transform(flux)
    assert isinstance(df, pd.DataFrame) and df.shape == (2, 64)
    assert df.columns[-1] == "pixel_7_7"


@settings(max_examples=30, deadline=None)
@given(
    seed=st.integers(0, 2**32 - 1),
    size=st.integers(2, 40),
    n=st.integers(1, 5),
    snap=st.booleans(),
)
def test_row_differences_and_running_sum_match_the_coverage_formula(
    seed, size, n, snap
):
    # The scattered differences (coinciding rows merged, sink row) summed down
    # the rows must give, pixel by pixel, Gq(v) - Gq(u) with Gq(t)[r] = 255
    # above row floor(t), its 8-bit fraction at it, 0 below; spans reaching
    # past the image, empty spans and spans within one row included.
    from sklearn_stellar.preprocessing._rasterize import _write_images

    rng = np.random.default_rng(seed)
    top = rng.uniform(-3, size + 3, (n, size)).astype(np.float32)
    height = rng.choice([0.0, 0.3, 1.0, 1.7, size / 2], (n, size))
    bottom = (top + height).astype(np.float32)
    if snap:  # ends exactly on row boundaries
        top, bottom = np.floor(top) - 0.5, np.floor(bottom) - 0.5
    buffer = np.zeros((size + 1) * n * size, dtype=np.uint8)
    diff = buffer.reshape(size + 1, n, size)
    HalphaRasterizer._row_differences(top.copy(), bottom.copy(), diff)
    image = np.empty((n, size, size), dtype=np.uint8)
    _write_images(diff, image)
    assert not buffer.any()  # the buffer is left zeroed for the next chunk

    u = np.clip(top + np.float32(0.5), 0, size)
    v = np.maximum(u, np.clip(bottom + np.float32(0.5), 0, size))

    def gq(t):  # (n, row, column)
        f = np.floor(t)[:, None, :]
        q = np.rint((t - np.floor(t)) * np.float32(255.0))[:, None, :]
        r = np.arange(size)[None, :, None]
        return np.where(r < f, 255, np.where(r == f, q, 0)).astype(np.int16)

    expected = gq(v) - gq(u)
    assert expected.min() >= 0 and expected.max() <= 255
    np.testing.assert_array_equal(image, expected.astype(np.uint8))


def test_wavelength_is_keyword_only_and_none_is_the_pixel_index():
    with pytest.raises(TypeError, match="positional"):
        HalphaRasterizer(MRS_WAVE)
    flux = np.ones((2, MRS_WAVE.size))
    # None means the pixel index, where the window in Angstrom has no place.
    with pytest.raises(ValueError, match=r"pixel index 0\.\.\d+.*`window`"):
        HalphaRasterizer().fit(flux)
