"""ContinuumNormalizer: exactness on real LAMOST spectra, invariants, bad input."""

import numpy as np
import pytest
import sklearn
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.interpolate import make_lsq_spline
from sklearn.base import clone
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV
from sklearn.pipeline import Pipeline, make_pipeline
from sklearn.utils.estimator_checks import parametrize_with_checks

from sklearn_stellar.preprocessing import ContinuumNormalizer, normalize_continuum

LRS_PLAN = "lamost/lrs/dr7_plan_HD103621N361936B01"
MRS_FILE = "lamost/mrs/med-58408-TD230151N343645T01_sp01-015.fits"
HALPHA_VACUUM = 6564.61


def _dense(wave, flux, ivar, scale):
    """Jing et al. (2024) eqs. 1-2 with the full P x P weight matrix (reference)."""
    w = np.exp(-(((wave[:, None] - wave[None, :]) / scale) ** 2))
    ok = np.isfinite(flux)
    weight = np.where(ok, ivar, 0.0)
    top = (np.where(ok, flux, 0.0) * weight) @ w.T
    with np.errstate(divide="ignore", invalid="ignore"):  # no weight nearby
        return top / (weight @ w.T)


@pytest.fixture(scope="module")
def lrs(data_home):
    """Eight real LAMOST DR7 LRS spectra on their native 3909-pixel grid."""
    files = sorted((data_home / LRS_PLAN).glob("*.fits"))[:8]
    rows = [fits.getdata(f).astype(np.float64) for f in files]
    wave = rows[0][2]
    flux = np.array([r[0] for r in rows])
    ivar = np.array([r[1] for r in rows])
    flux[ivar == 0] = np.nan
    return wave, flux, ivar


@pytest.fixture(scope="module")
def mrs_red(data_home):
    """A real LAMOST MRS red-arm coadd (6300-6800 A), sorted by wavelength."""
    with fits.open(data_home / MRS_FILE) as hdul:
        table = hdul["COADD_R"].data
        order = np.argsort(table["LOGLAM"])
        wave = 10.0 ** table["LOGLAM"][order].astype(np.float64)
        flux = table["FLUX"][order].astype(np.float64)
        ivar = table["IVAR"][order].astype(np.float64)
    flux[ivar == 0] = np.nan
    return wave, flux


# --------------------------------------------------------------------------
# Gaussian method: exact against the dense formula
# --------------------------------------------------------------------------


@pytest.mark.parametrize("kernel", ["paper", "cannon"])
def test_gaussian_matches_dense_formula_on_real_lrs(lrs, kernel):
    wave, flux, ivar = lrs
    assert wave.size >= 3700 and np.isnan(flux).any()
    est = ContinuumNormalizer(wavelength=wave, kernel=kernel).fit(flux)
    assert est._models[0].kind == "blocked"  # the fast path is the one tested
    scale = 350.0 * (np.sqrt(2.0) if kernel == "cannon" else 1.0)
    for weights in (None, ivar):
        ref = _dense(
            wave, flux, np.ones_like(flux) if weights is None else weights, scale
        )
        cont = est.continuum(flux, ivar=weights)
        ok = np.isfinite(flux)
        np.testing.assert_allclose(cont[ok], ref[ok], rtol=1e-9, atol=0)
        out = est.transform(flux, ivar=weights)
        np.testing.assert_allclose(out[ok], flux[ok] / ref[ok], rtol=1e-9, atol=0)
        assert np.array_equal(np.isnan(out), np.isnan(flux))


def _masked_lrs(lrs):
    """Real LRS rows with NaN runs placed in full blocks, across a block edge,
    in the short tail block, and one pixel with finite flux but zero ivar."""
    wave, flux, ivar = lrs
    flux, ivar = flux.copy(), ivar.copy()
    flux[0, 150:260] = np.nan  # crosses the 200-pixel block edge
    flux[1, -40:] = np.nan  # in the tail block
    flux[2, ::97] = np.nan  # scattered single pixels, every block
    flux[3, 1000:1100] = np.nan
    flux[3, 3850:3860] = np.nan
    ivar[4, 2000] = 0.0
    return wave, flux, ivar


@pytest.mark.parametrize("weighted", [False, True])
def test_masked_blocks_are_repaired_exactly(lrs, weighted):
    # The fast path projects raw rows and repairs only the blocks that NaN
    # spoilt: wherever the NaN sit, the result is the dense formula's.
    wave, flux, ivar = _masked_lrs(lrs)
    est = ContinuumNormalizer(wavelength=wave).fit(flux)
    op = est._models[0]
    assert op.kind == "blocked" and op.tail is not None
    weights = ivar if weighted else None
    ref = _dense(wave, flux, ivar if weighted else np.ones_like(flux), 350.0)
    out = est.transform(flux, ivar=weights)
    ok = np.isfinite(flux)
    np.testing.assert_allclose(out[ok], flux[ok] / ref[ok], rtol=1e-9, atol=0)
    assert np.array_equal(np.isnan(out), ~ok)


def test_fast_path_rejects_inf_anywhere_and_flags_empty_rows(lrs):
    wave, flux, _ = lrs
    est = ContinuumNormalizer(wavelength=wave).fit(flux)
    for col in (5, 1999, 3905):  # first block, a block edge, the tail block
        bad = flux.copy()
        bad[1, col] = -np.inf
        for weights in (None, np.where(col == 5, 0.0, np.ones_like(bad))):
            with pytest.raises(ValueError, match="Input X contains infinity"):
                est.transform(bad, ivar=weights)
    empty = flux.copy()
    empty[2] = np.nan
    with pytest.warns(UserWarning, match=r"no usable pixel.*rows \[2\]"):
        out = est.transform(empty)
    assert np.isnan(out[2]).all() and np.isfinite(out[[0, 1]]).any()
    ivar = np.ones_like(flux)
    ivar[3] = 0.0
    with pytest.warns(UserWarning, match=r"no usable pixel.*rows \[3\]"):
        out = est.transform(flux, ivar=ivar)
    assert np.isnan(out[3]).all()


def test_two_arms_on_real_grids_use_the_fast_path_per_arm(lrs):
    # Cutting the LRS grid in two long arms gives one blocked operator each;
    # every arm must still match the dense formula on its own pixels.
    wave, flux, ivar = _masked_lrs(lrs)
    keep = (wave < 5500.0) | (wave > 6500.0)
    wave, flux, ivar = wave[keep], flux[:, keep], ivar[:, keep]
    est = ContinuumNormalizer(wavelength=wave, max_gap=500.0).fit(flux)
    assert len(est.segments_) == 2
    assert [op.kind for op in est._models] == ["blocked", "blocked"]
    for weights in (None, ivar):
        out = est.transform(flux, ivar=weights)
        for start, stop in est.segments_:
            part = slice(start, stop)
            w = np.ones_like(flux[:, part]) if weights is None else weights[:, part]
            ref = _dense(wave[part], flux[:, part], w, 350.0)
            ok = np.isfinite(flux[:, part])
            np.testing.assert_allclose(
                out[:, part][ok], flux[:, part][ok] / ref[ok], rtol=1e-9, atol=0
            )


@pytest.mark.parametrize("form", ["blocked", "lowrank"])
def test_factorised_kernel_forms_match_the_dense_matrix(lrs, form):
    from sklearn_stellar.preprocessing._kernel_operator import _kernel, _KernelOperator

    wave, flux, _ = lrs
    op = _KernelOperator(wave, 350.0)
    if form == "lowrank":
        assert op._set_lowrank(int(5.0 * np.ptp(wave) / 350.0) + 24)
    assert op.kind == form
    fw = np.nan_to_num(np.vstack([flux, flux[::-1], np.ones_like(flux)]))
    exact = fw @ _kernel(wave, wave, 350.0)
    approx = op.apply(fw)
    # The stored elementwise bound holds for every entry, not just sampled rows.
    bound = op.eps * np.abs(fw).sum(axis=1, keepdims=True)
    assert np.all(np.abs(approx - exact) <= bound)
    np.testing.assert_allclose(approx, exact, rtol=1e-10)


def test_cannon_kernel_is_paper_kernel_with_sqrt2_width(lrs):
    wave, flux, _ = lrs
    kw = {"return_continuum": True}
    cannon = normalize_continuum(flux, wave, kernel="cannon", sigma=200.0, **kw)
    paper = normalize_continuum(flux, wave, sigma=200.0 * np.sqrt(2), **kw)
    np.testing.assert_allclose(cannon, paper, rtol=1e-9)
    other = normalize_continuum(flux, wave, kernel="paper", sigma=200.0, **kw)
    assert np.max(np.abs(other - paper) / np.abs(paper)) > 1e-3


def test_banded_kernel_for_narrow_sigma_matches_dense(lrs):
    wave, flux, ivar = lrs
    est = ContinuumNormalizer(wavelength=wave, sigma=8.0).fit(flux)
    assert est._models[0].kind == "banded"
    ref = _dense(wave, flux, ivar, 8.0)
    ok = np.isfinite(flux) & np.isfinite(ref)
    assert ok.mean() > 0.9
    # Relative to 1e-9 unless the continuum is negligible (< 1e-4 of the mean
    # |flux|, where it crosses zero): there the error is absolute and tiny.
    atol = 1e-12 * np.nanmean(np.abs(flux))
    cont = est.continuum(flux, ivar=ivar)
    np.testing.assert_allclose(cont[ok], ref[ok], rtol=1e-9, atol=atol)


def test_gaussian_nan_pixels_get_zero_weight(rng):
    wave = np.linspace(4000.0, 4400.0, 81)
    flux = 10.0 + rng.random((3, 81))
    flux[0, 10:20] = np.nan
    flux[2, ::7] = np.nan
    cont = normalize_continuum(flux, wave, sigma=60.0, return_continuum=True)
    for row in range(3):
        ok = np.isfinite(flux[row])
        ref = _dense(wave[ok], flux[row, ok][None], np.ones((1, ok.sum())), 60.0)
        np.testing.assert_allclose(cont[row, ok], ref[0], rtol=1e-12)


def test_zero_ivar_pixel_has_no_weight_but_is_still_normalised(rng):
    wave = np.linspace(5000.0, 5200.0, 41)
    flux = 3.0 + rng.random((1, 41))
    ivar = np.ones_like(flux)
    ivar[0, 5] = 0.0
    spiked = flux.copy()
    spiked[0, 5] = 1e6  # an outlier with no weight must not move the continuum
    est = ContinuumNormalizer(wavelength=wave, sigma=30.0).fit(flux)
    np.testing.assert_allclose(
        est.continuum(spiked, ivar=ivar), est.continuum(flux, ivar=ivar), rtol=1e-12
    )
    out = est.transform(spiked, ivar=ivar)
    assert np.isfinite(out[0, 5]) and out[0, 5] > 1e4


def test_max_gap_splits_arms_and_each_is_normalised_alone(rng):
    blue = np.linspace(4950.0, 5350.0, 200)
    red = np.linspace(6300.0, 6800.0, 250)
    wave = np.concatenate([blue, red])
    flux = np.concatenate([np.full(200, 2.0), np.full(250, 50.0)])[None] + rng.random(
        (2, 450)
    )
    for method in ("gaussian", "spline"):
        est = ContinuumNormalizer(wavelength=wave, method=method).fit(flux)
        assert est.segments_ == [(0, 200), (200, 450)]
        whole = est.transform(flux)
        alone = np.hstack(
            [
                normalize_continuum(flux[:, :200], blue, method=method),
                normalize_continuum(flux[:, 200:], red, method=method),
            ]
        )
        np.testing.assert_allclose(whole, alone, rtol=1e-10)
    joined = normalize_continuum(flux, wave, max_gap=None, sigma=2000.0)
    assert abs(np.median(joined[:, :200]) - 1.0) > 0.5  # smoothing crossed the gap
    assert np.allclose(np.median(normalize_continuum(flux, wave, sigma=2000.0)), 1, 0.2)


# --------------------------------------------------------------------------
# Spline method
# --------------------------------------------------------------------------


def test_spline_ignores_be_star_halpha_emission_on_real_mrs(mrs_red):
    wave, flux = mrs_red
    level = np.nanmedian(flux)
    line = 3.0 * level * np.exp(-0.5 * ((wave - HALPHA_VACUUM) / 4.0) ** 2)
    X = np.vstack([flux, flux + line])
    est = ContinuumNormalizer(wavelength=wave, method="spline").fit(X)
    cont = est.continuum(X)
    near = np.abs(wave - HALPHA_VACUUM) < 30.0
    assert np.max(np.abs(cont[1, near] / cont[0, near] - 1.0)) < 0.03
    # The line survives normalisation: peak ~ 1 + 3 continuum units.
    assert np.nanmax(est.transform(X)[1, near]) > 3.0
    assert abs(np.nanmedian(est.transform(X)[0]) - 1.0) < 0.03
    # Without clipping the spline does follow the emission: the test has teeth.
    naive = ContinuumNormalizer(wavelength=wave, method="spline", n_iter=0).fit(X)
    lifted = naive.continuum(X)
    assert np.max(np.abs(lifted[1, near] / lifted[0, near] - 1.0)) > 0.1


def test_spline_without_clipping_equals_scipy_lsq_spline(mrs_red):
    wave, flux = mrs_red
    X = np.vstack([flux, 0.5 * flux[::-1]])
    est = ContinuumNormalizer(
        wavelength=wave, method="spline", n_iter=0, smoothing=0.0, knot_spacing=40.0
    ).fit(X)
    cont = est.continuum(X)
    n_int = int(round((wave[-1] - wave[0]) / 40.0))
    knots = np.r_[
        [wave[0]] * 3, np.linspace(wave[0], wave[-1], n_int + 1), [wave[-1]] * 3
    ]
    for row in range(2):
        ok = np.isfinite(X[row])
        ref = make_lsq_spline(wave[ok], X[row, ok], knots, k=3)(wave)
        np.testing.assert_allclose(cont[row], ref, rtol=1e-7)


def test_spline_recovers_smooth_continuum_under_absorption_lines():
    wave = np.linspace(6300.0, 6800.0, 2001)
    true = 100.0 + 0.05 * (wave - 6300.0) + 5.0 * np.sin(wave / 90.0)
    lines = 1.0 - 0.6 * np.exp(
        -0.5 * ((wave[:, None] - [6400.0, 6563.0, 6700.0]) / 2) ** 2
    )
    flux = (true * lines.prod(axis=1))[None]
    cont = normalize_continuum(flux, wave, method="spline", return_continuum=True)
    assert np.max(np.abs(cont[0] / true - 1.0)) < 0.01


# --------------------------------------------------------------------------
# scikit-learn integration
# --------------------------------------------------------------------------


@parametrize_with_checks([ContinuumNormalizer(method="spline", knot_spacing=2.0)])
def test_sklearn_checks_spline(estimator, check):
    check(estimator)


def test_pipeline_clone_gridsearch_and_feature_names(lrs):
    wave, flux, _ = lrs
    rng = np.random.default_rng(1)
    X = np.nan_to_num(np.repeat(flux, 4, axis=0), nan=1.0)[:, ::20]
    X *= 1.0 + 0.1 * rng.random(X.shape)
    y = np.tile([0, 1], X.shape[0] // 2)
    norm = ContinuumNormalizer(wavelength=wave[::20])
    pipe = make_pipeline(norm, LogisticRegression(max_iter=500))
    search = GridSearchCV(pipe, {"continuumnormalizer__sigma": [100.0, 400.0]}, cv=2)
    search.fit(X, y)
    assert search.best_params_["continuumnormalizer__sigma"] in (100.0, 400.0)
    cloned = clone(norm)
    assert np.array_equal(cloned.get_params()["wavelength"], norm.wavelength)
    assert not hasattr(cloned, "wavelength_")
    fitted = cloned.fit(X)
    names = fitted.get_feature_names_out()
    assert names.shape == (X.shape[1],) and names[0] == "x0"
    frame = fitted.set_output(transform="pandas").transform(X)
    assert list(frame.columns) == list(names)


def test_ivar_routed_through_pipeline():
    rng = np.random.default_rng(2)
    X = 5.0 + rng.random((20, 30))
    y = np.tile([0, 1], 10)
    ivar = rng.random((20, 30)) ** 4
    ref = ContinuumNormalizer(sigma=5.0).fit(X).transform(X, ivar=ivar)
    assert not np.allclose(ref, ContinuumNormalizer(sigma=5.0).fit_transform(X))
    # Without metadata routing: step-prefixed fit parameter.
    pipe = Pipeline(
        [("norm", ContinuumNormalizer(sigma=5.0)), ("clf", LogisticRegression())]
    )
    pipe.fit(X, y, norm__ivar=ivar)
    with sklearn.config_context(enable_metadata_routing=True):
        norm = ContinuumNormalizer(sigma=5.0).set_transform_request(ivar=True)
        pipe = Pipeline([("norm", norm), ("clf", LogisticRegression())])
        pipe.fit(X, y, ivar=ivar)
        np.testing.assert_allclose(pipe[:-1].transform(X, ivar=ivar), ref)
        assert pipe.predict(X, ivar=ivar).shape == (20,)


def test_function_twin_equals_transformer(lrs):
    wave, flux, ivar = lrs
    est = ContinuumNormalizer(wavelength=wave, method="spline").fit(flux)
    np.testing.assert_array_equal(
        normalize_continuum(flux, wave, ivar=ivar, method="spline"),
        est.transform(flux, ivar=ivar),
    )


# --------------------------------------------------------------------------
# Properties (hypothesis)
# --------------------------------------------------------------------------

_SETTINGS = settings(max_examples=25, deadline=None)


def _spectra(min_pix=6, max_pix=40):
    shape = st.tuples(st.integers(1, 4), st.integers(min_pix, max_pix))
    values = st.floats(0.5, 100.0, allow_nan=False, allow_infinity=False)
    return shape.flatmap(lambda s: arrays(np.float64, s, elements=values))


def _params(method, n_pix):
    # A grid of 2 A pixels with kernel/knot scales of a few pixels.
    wave = 5000.0 + 2.0 * np.arange(n_pix)
    if method == "gaussian":
        return {"wavelength": wave, "sigma": 9.0}
    return {"wavelength": wave, "method": "spline", "knot_spacing": 16.0}


@pytest.mark.parametrize("method", ["gaussian", "spline"])
@_SETTINGS
@given(X=_spectra(), data=st.data())
def test_property_scale_invariance(method, X, data):
    if method == "gaussian":
        c = data.draw(st.floats(1e-3, 1e3))
    else:  # clipping compares residuals to thresholds: exact powers of 2
        c = 2.0 ** data.draw(st.integers(-10, 10))
    est = ContinuumNormalizer(**_params(method, X.shape[1])).fit(X)
    np.testing.assert_allclose(est.transform(c * X), est.transform(X), rtol=1e-9)


@pytest.mark.parametrize("method", ["gaussian", "spline"])
@_SETTINGS
@given(
    shape=st.tuples(st.integers(1, 4), st.integers(2, 40)),
    level=st.floats(1e-3, 1e4),
)
def test_property_constant_spectrum_normalises_to_one(method, shape, level):
    X = np.full(shape, level)
    out = ContinuumNormalizer(**_params(method, shape[1])).fit_transform(X)
    np.testing.assert_allclose(out, 1.0, rtol=1e-9)


@pytest.mark.parametrize("method", ["gaussian", "spline"])
@_SETTINGS
@given(X=_spectra(), data=st.data())
def test_property_nan_positions_preserved(method, X, data):
    mask = data.draw(arrays(bool, X.shape))
    mask[:, 0] = False  # every row keeps at least one usable pixel
    X = np.where(mask, np.nan, X)
    out = ContinuumNormalizer(**_params(method, X.shape[1])).fit_transform(X)
    assert np.array_equal(np.isnan(out), mask)


@pytest.mark.parametrize("method", ["gaussian", "spline"])
@_SETTINGS
@given(X=_spectra(), data=st.data())
def test_property_row_order_commutes(method, X, data):
    perm = data.draw(st.permutations(range(X.shape[0])))
    est = ContinuumNormalizer(**_params(method, X.shape[1])).fit(X)
    np.testing.assert_allclose(
        est.transform(X[perm]), est.transform(X)[perm], rtol=1e-12
    )


@pytest.mark.parametrize("method", ["gaussian", "spline"])
@_SETTINGS
@given(X=_spectra())
def test_property_float32_and_float64_agree(method, X):
    X32 = X.astype(np.float32)
    est = ContinuumNormalizer(**_params(method, X.shape[1]))
    out32 = est.fit_transform(X32)
    out64 = est.fit_transform(X32.astype(np.float64))
    assert out32.dtype == np.float32 and out64.dtype == np.float64
    np.testing.assert_allclose(out32, out64, rtol=1e-5)


# --------------------------------------------------------------------------
# Bad input
# --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wavelength", "match"),
    [
        ([4000.0, 4002.0, 4001.0, 4003.0], "`wavelength` is not monotonically"),
        ([4000.0, 4001.0, 4001.0, 4003.0], "`wavelength` has duplicated values"),
        ([4000.0, 4001.0, 4002.0], "`wavelength` has 3 pixels but X has 4 columns"),
    ],
)
def test_bad_wavelength_grid(wavelength, match):
    with pytest.raises(ValueError, match=match):
        ContinuumNormalizer(wavelength=wavelength).fit(np.ones((2, 4)))


def test_transform_with_other_number_of_pixels():
    est = ContinuumNormalizer().fit(np.ones((2, 4)))
    with pytest.raises(ValueError, match="X has 5 features"):
        est.transform(np.ones((2, 5)))


def test_all_nan_row_gives_nan_row_and_warning():
    X = np.ones((3, 10))
    X[1] = np.nan
    for method in ("gaussian", "spline"):
        with pytest.warns(UserWarning, match=r"no usable pixel.*rows \[1\]"):
            out = ContinuumNormalizer(method=method).fit_transform(X)
        assert np.isnan(out[1]).all()
        np.testing.assert_allclose(out[[0, 2]], 1.0)


def test_all_zero_ivar_row_gives_nan_row_and_warning():
    X = np.ones((2, 10))
    ivar = np.ones_like(X)
    ivar[0] = 0.0
    with pytest.warns(UserWarning, match=r"rows \[0\]"):
        out = ContinuumNormalizer().fit_transform(X, ivar=ivar)
    assert np.isnan(out[0]).all() and np.allclose(out[1], 1.0)


def test_inf_in_X_is_rejected():
    X = np.ones((2, 5))
    X[0, 2] = np.inf
    with pytest.raises(ValueError, match="Input X contains infinity"):
        ContinuumNormalizer().fit(X)
    est = ContinuumNormalizer().fit(np.ones((2, 5)))
    with pytest.raises(ValueError, match="Input X contains infinity"):
        est.transform(X)


@pytest.mark.parametrize("sigma", [0.0, -350.0])
def test_non_positive_sigma_is_rejected(sigma):
    with pytest.raises(ValueError, match="'sigma' parameter .* range \\(0.0, inf\\)"):
        ContinuumNormalizer(sigma=sigma).fit(np.ones((2, 5)))


def test_one_dimensional_X_is_rejected():
    with pytest.raises(ValueError, match="`X` must be 2-D"):
        ContinuumNormalizer().fit(np.ones(5))
    est = ContinuumNormalizer().fit(np.ones((1, 5)))
    with pytest.raises(ValueError, match="`X` must be 2-D"):
        est.transform(np.ones(5))


@pytest.mark.parametrize(
    ("ivar", "error", "match"),
    [
        (np.ones((2, 4)), ValueError, r"`ivar` must have the same shape as X \(2, 5\)"),
        (-np.ones((2, 5)), ValueError, "`ivar` must be finite and >= 0"),
        (np.full((2, 5), np.nan), ValueError, "`ivar` must be finite and >= 0"),
        ([["a"] * 5] * 2, TypeError, "`ivar` must be a numeric array"),
    ],
)
def test_bad_ivar(ivar, error, match):
    est = ContinuumNormalizer().fit(np.ones((2, 5)))
    with pytest.raises(error, match=match):
        est.transform(np.ones((2, 5)), ivar=ivar)


def test_unknown_method_and_kernel_are_rejected():
    with pytest.raises(ValueError, match="'method' parameter"):
        ContinuumNormalizer(method="poly").fit(np.ones((2, 5)))
    with pytest.raises(ValueError, match="'kernel' parameter"):
        ContinuumNormalizer(kernel="box").fit(np.ones((2, 5)))


def test_pickled_gaussian_normalizer_is_small_and_identical(lrs):
    import pickle

    wave, flux, ivar = lrs
    est = ContinuumNormalizer(wavelength=wave).fit(flux)
    expected = est.transform(flux, ivar=ivar)
    blob = pickle.dumps(est)
    # Only the grid and scale of the kernel operator are stored; the factorised
    # form is rebuilt on load (it would be ~20 MB on the LRS grid).
    assert len(blob) < 20 * wave.nbytes
    np.testing.assert_array_equal(
        pickle.loads(blob).transform(flux, ivar=ivar), expected
    )


def test_rows_failing_the_fast_path_check_take_the_bounded_path(lrs):
    from sklearn_stellar.preprocessing._gaussian import _gaussian_blocked

    wave, flux, ivar = lrs
    # Shifting a real spectrum by its median makes its continuum cross zero:
    # the interpolated-ratio fast path must refuse it.
    crossing = flux[:2] - np.nanmedian(flux[:2], axis=1, keepdims=True)
    X = np.vstack([flux, crossing])
    est = ContinuumNormalizer(wavelength=wave).fit(X)
    op = est._models[0]
    _, accepted, empty = _gaussian_blocked(X, None, op)
    assert not empty.any()
    assert accepted[: len(flux)].mean() >= 0.75  # most real spectra
    assert not accepted[len(flux) :].any()
    cont = est.continuum(X)
    ref = _dense(wave, X, np.ones_like(X), 350.0)
    ok = np.isfinite(X)
    # 1e-9 relative, except where the continuum is negligible (< 1e-4 of the
    # row's mean |flux|, see the module notes), where it is absolute.
    scale = np.nanmean(np.abs(X), axis=1, keepdims=True)
    err = np.abs(cont - ref) / np.maximum(np.abs(ref), 1e-4 * scale)
    assert np.max(err[ok]) <= 1e-9
