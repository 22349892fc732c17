"""Tests for sklearn_stellar.filters: EW/Q filters, IR colours, FilteredClassifier."""

import numpy as np
import pytest
from astropy.io import fits
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.pipeline import make_pipeline as make_imb_pipeline
from scipy.ndimage import maximum_filter1d, uniform_filter1d
from sklearn.base import clone
from sklearn.impute import SimpleImputer
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.neighbors import KNeighborsClassifier
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from sklearn_stellar.filters import (
    IR_EXTINCTION,
    EWFilter,
    FilteredClassifier,
    FilterRejectionWarning,
    QColorFilter,
    classify_ir_colours,
    deredden_ir,
    q_index,
    split_photometry,
    stack_photometry,
)
from sklearn_stellar.lines import equivalent_width
from sklearn_stellar.metrics import make_precision_at_prior_scorer
from sklearn_stellar.preprocessing import ContinuumNormalizer, air_to_vacuum

BANDS = ("J", "H", "Ks")


# ---------------------------------------------------------------- real data
def pseudo_continuum(X):
    """Divide by the running maximum (55 A) of the 9-pixel smoothed flux."""
    smooth = uniform_filter1d(X, 9, axis=1)
    return X / maximum_filter1d(smooth, 61, axis=1, mode="nearest")


# Approximate intrinsic (J-H, H-Ks) against Teff, rounded from dwarf/giant
# sequences (Koornneef 1983; Pecaut & Mamajek 2013): Q ~ 0 for early types,
# 0.4-0.5 for K/M stars. Used only to give MILES stars plausible 2MASS colours.
_TEFF = np.array([3600, 4200, 4800, 5500, 6500, 8000, 10000, 15000, 30000])
_JH = np.array([0.85, 0.70, 0.55, 0.35, 0.20, 0.08, 0.00, -0.05, -0.10])
_HK = np.array([0.22, 0.15, 0.10, 0.08, 0.05, 0.03, 0.00, -0.03, -0.05])


def photometry_for(teff, rng):
    """J, H, Ks for each Teff: intrinsic colours, reddening along the Q law,
    0.03 mag noise."""
    jh = np.interp(teff, _TEFF, _JH)
    hk = np.interp(teff, _TEFF, _HK)
    e_hk = rng.uniform(0.0, 0.3, teff.size)
    ks = rng.uniform(7.0, 12.0, teff.size)
    h = ks + hk + e_hk
    j = h + jh + 1.70 * e_hk
    return np.column_stack([j, h, ks]) + rng.normal(0.0, 0.03, (teff.size, 3))


@pytest.fixture(scope="module")
def miles(data_home, miles_teff):
    """All MILES stars with Teff >= 9000 K plus every 6th cooler one (air grid)."""
    folder = data_home / "libraries" / "miles"
    teff = dict(miles_teff)
    ids = [i for i in sorted(teff) if teff[i] >= 9000]
    ids += [i for i in sorted(teff) if teff[i] < 9000][::6]
    flux = np.array(
        [fits.getdata(folder / f"MILES_res2.50_star_m{i:04d}V.fits") for i in ids]
    )
    wave = 3540.5 + 0.9 * np.arange(flux.shape[1])
    # 5000-6800 A holds both Wang et al. (2022) windows (Mg b, H-alpha).
    cols = (wave > 5000) & (wave < 6800)
    good = (flux > 0).all(axis=1)
    return wave[cols], flux[good][:, cols], np.array([teff[i] for i in ids])[good]


# Wang et al. (2022) Table 7: the first ten new classical Be stars, real 2MASS/WISE
# magnitudes (J, H, K, W1) and E(B-V).
TABLE7 = np.array(
    [
        [11.030, 10.944, 10.921, 10.591, 0.320],
        [9.484, 9.274, 9.063, 9.082, 0.560],
        [10.667, 10.527, 10.448, 10.426, 0.392],
        [10.092, 9.857, 9.632, 9.274, 0.436],
        [9.407, 9.196, 9.022, 9.132, 0.816],
        [9.592, 9.390, 9.187, 9.054, 0.570],
        [11.371, 11.157, 10.955, 10.645, 0.581],
        [10.048, 9.715, 9.430, 9.638, 0.820],
        [10.796, 10.708, 10.662, 10.624, 0.450],
        [10.748, 10.527, 10.289, 10.017, 0.520],
    ]
)


# ---------------------------------------------------------------- layout
def test_stack_and_split_photometry_round_trip(rng):
    flux = rng.normal(size=(5, 7))
    phot = rng.normal(size=(5, 3))
    X = stack_photometry(flux, phot)
    assert X.shape == (5, 10)
    f2, p2 = split_photometry(X, 3)
    np.testing.assert_array_equal(f2, flux)
    np.testing.assert_array_equal(p2, phot)
    with pytest.raises(ValueError, match="one row per spectrum"):
        stack_photometry(flux, phot[:4])
    with pytest.raises(ValueError, match="cannot hold 10 photometry"):
        split_photometry(X, 10)


# ---------------------------------------------------------------- EWFilter
def test_ew_filter_defaults_reproduce_seed_004_on_miles(miles):
    wave, flux, teff = miles
    flt = EWFilter(
        wavelength=wave, medium="air", normalizer=FunctionTransformer(pseudo_continuum)
    ).fit(flux)
    ew = flt.transform(flux)
    assert flt.get_feature_names_out().tolist() == ["ew_6548_6578", "ew_5160_5193"]
    mask = flt.pass_mask(flux)
    np.testing.assert_array_equal(mask, (ew[:, 0] < 10.0) & (ew[:, 1] < 1.2))
    # B stars pass, late types (strong Mg b) are removed.
    assert mask[teff >= 11000].mean() > 0.85
    assert mask[teff < 6000].mean() < 0.1
    assert np.median(ew[teff < 5000, 1]) > 2.0


def test_ew_filter_vacuum_grid_matches_air_grid(miles):
    wave, flux, _ = miles
    norm = pseudo_continuum(flux[:20])
    air = EWFilter(wavelength=wave, medium="air").fit(norm).transform(norm)
    vac_wave = air_to_vacuum(wave)
    vac = EWFilter(wavelength=vac_wave, medium="vacuum").fit(norm).transform(norm)
    # Same pixels, windows converted: equal up to the air/vacuum Angstrom scale.
    np.testing.assert_allclose(vac, air, rtol=5e-4, atol=1e-6)


def test_ew_filter_custom_cuts_and_nan():
    wave = np.arange(6500.0, 6600.0, 0.5)
    flux = np.ones((4, wave.size))
    line = (wave >= 6560) & (wave < 6566)
    flux[1, line] = 0.5  # EW 3
    flux[2, line] = 1.5  # EW -3
    flux[3, (wave > 6530) & (wave < 6590)] = np.nan
    flt = EWFilter(wavelength=wave, medium="air", cuts=[((6540, 6580), -1.0, 2.0)]).fit(
        flux
    )
    # The NaN EW is the `missing` policy's business, not a generic warning.
    ew = flt.transform(flux)
    assert np.isnan(ew[3, 0]) and np.all(np.isfinite(ew[:3]))
    # Only the flat spectrum is inside (-1, 2); NaN EW fails ("drop").
    assert flt.pass_mask(flux).tolist() == [True, False, False, False]
    keep = flt.set_params(missing="keep").fit(flux)
    assert keep.pass_mask(flux).tolist() == [True, False, False, True]
    with pytest.raises(ValueError, match=r"1 spectra have no valid pixel.*rows \[3\]"):
        flt.set_params(missing="error").fit(flux).transform(flux)


@pytest.mark.parametrize(
    "cuts, match",
    [
        ([((6578, 6548), None, 10.0)], "reversed"),
        ([((6400, 6450), None, 10.0)], "outside the wavelength grid"),
        ([((6548, 6578), 5.0, 1.0)], "min < max"),
        ([(6548, 6578)], "triple"),
        ([], "empty"),
    ],
)
def test_ew_filter_bad_cuts(cuts, match):
    wave = np.arange(6500.0, 6600.0, 0.5)
    with pytest.raises(ValueError, match=match):
        EWFilter(wavelength=wave, medium="air", cuts=cuts).fit(np.ones((2, wave.size)))


# ---------------------------------------------------------------- Q filter
def test_q_filter_on_table7_be_stars_and_late_types():
    jhk = TABLE7[:, :3]
    q = QColorFilter().fit(jhk)
    values = q.transform(jhk)[:, 0]
    np.testing.assert_allclose(
        values, (jhk[:, 0] - jhk[:, 1]) - 1.70 * (jhk[:, 1] - jhk[:, 2])
    )
    assert q.pass_mask(jhk).all()  # real classical Be stars are early type
    late = np.array([[10.0, 9.30, 9.15], [8.0, 7.15, 6.93]])  # Q = 0.445, 0.476
    assert not q.pass_mask(late).any()
    assert QColorFilter(threshold=0.5).fit(late).pass_mask(late).all()


def test_q_filter_missing_photometry_policies():
    jhk = np.array([[10.0, 9.95, 9.92], [np.nan, 9.9, 9.8], [10.0, 9.3, 9.15]])
    with pytest.raises(
        ValueError, match=r"1 rows have NaN J/H/Ks photometry \(rows \[1\]"
    ):
        QColorFilter().fit(jhk)
    keep = QColorFilter(missing="keep").fit(jhk)
    assert keep.pass_mask(jhk).tolist() == [True, True, False]
    assert np.isnan(keep.transform(jhk)[1, 0])  # flagged for catalogs
    drop = QColorFilter(missing="drop").fit(jhk)
    assert drop.pass_mask(jhk).tolist() == [True, False, False]
    flag = QColorFilter(missing="flag").fit(jhk)
    assert flag.pass_mask(jhk).tolist() == [True, True, False]
    assert flag.transform(jhk)[:, 1].tolist() == [0.0, 1.0, 0.0]
    assert flag.get_feature_names_out().tolist() == ["q", "photometry_missing"]


def test_missing_photometry_flag_reaches_the_catalog(toy):
    X, y, late = toy
    X = X.copy()
    X[3, -2] = np.nan  # row 3: no H magnitude
    clf = FilteredClassifier(
        filters=[("q", QColorFilter(missing="flag"))],
        estimator=LogisticRegression(),
        photometry=BANDS,
    ).fit(X, y)
    res = clf.measure(X)
    assert res.measurement_names.tolist() == ["q__q", "q__photometry_missing"]
    assert np.flatnonzero(res.measurements[:, 1]).tolist() == [3]
    assert res.pass_mask[3] and np.isnan(res.measurements[3, 0])


def test_q_filter_bad_input():
    with pytest.raises(ValueError, match="n_features = 2"):
        QColorFilter().fit(np.ones((3, 2)))
    with pytest.raises(ValueError, match="3 names"):
        QColorFilter(bands=("J", "H")).fit(np.ones((3, 3)))
    with pytest.raises(ValueError, match="infinity"):
        QColorFilter().fit(np.array([[10.0, np.inf, 9.0]]))


@settings(max_examples=40, deadline=None)
@given(
    j=st.floats(5, 15),
    jh=st.floats(-0.3, 1.2),
    hk=st.floats(-0.2, 0.6),
    e_hk=st.floats(0, 3),
    a_k=st.floats(0, 2),
)
def test_q_invariant_under_reddening_along_its_law(j, jh, hk, e_hk, a_k):
    h, k = j - jh, j - jh - hk
    q0 = q_index(j, h, k)
    # Extinction with E(J-H) / E(H-Ks) = 1.70 and any A_Ks.
    k_red = k + a_k
    h_red = h + a_k + e_hk
    j_red = j + a_k + e_hk + 1.70 * e_hk
    np.testing.assert_allclose(q_index(j_red, h_red, k_red), q0, atol=1e-9)
    # ...but not along another law (checks the test can fail).
    if e_hk > 0.1:  # E(J-H) / E(H-Ks) = 1 changes Q by -0.7 E(H-Ks)
        assert abs(q_index(j + 2 * e_hk, h + e_hk, k) - q0) > 0.05


# ---------------------------------------------------------------- IR colours
def test_table7_stars_are_classical_be_after_dereddening():
    labels = classify_ir_colours(TABLE7[:, :4], TABLE7[:, 4])
    assert labels.tolist() == ["classical Be"] * 10
    # Without the reddening correction, star 4 (E(B-V) = 0.436, H-K = 0.225)
    # would be ambiguous: the correction matters.
    raw = classify_ir_colours(TABLE7[:, :4], 0.0)
    assert raw[3] == "ambiguous"


def test_deredden_coefficients_and_classes():
    out = deredden_ir([[10.0, 10.0, 10.0, 10.0]], [1.0], r_v=3.1)
    expected = 10.0 - 3.1 * np.array([IR_EXTINCTION[b] for b in ("J", "H", "Ks", "W1")])
    np.testing.assert_allclose(out[0], expected)
    phot = [
        [9.0, 8.9, 8.8, 8.5],  # H-K 0.1, K-W1 0.3 -> classical Be
        [9.0, 8.5, 7.9, 6.8],  # H-K 0.6, K-W1 1.1 -> Herbig
        [9.0, 8.8, 8.5, 8.2],  # H-K 0.3 -> ambiguous
        [9.0, 8.9, 8.8, np.nan],  # no W1
    ]
    labels = classify_ir_colours(phot, ebv=0.0).tolist()
    assert labels == ["classical Be", "Herbig Ae/Be", "ambiguous", "no photometry"]
    with pytest.raises(ValueError, match="4 columns"):
        classify_ir_colours(np.ones((2, 3)), 0.0)
    with pytest.raises(ValueError, match="ebv"):
        classify_ir_colours(np.ones((2, 4)), [0.1, 0.2, 0.3])


# ---------------------------------------------------------- FilteredClassifier
class CountingLogisticRegression(LogisticRegression):
    """A real LogisticRegression that records how many rows it was given."""

    def fit(self, X, y, sample_weight=None):
        self.rows_fit_ = len(X)
        self.rows_predicted_ = []
        return super().fit(X, y, sample_weight=sample_weight)

    def predict(self, X):
        self.rows_predicted_.append(len(X))
        return super().predict(X)

    def predict_proba(self, X):
        self.rows_predicted_.append(len(X))
        return super().predict_proba(X)


@pytest.fixture
def toy(rng):
    """Separable flux, J/H/Ks with 12 late-type rows (Q ~ 0.45)."""
    n = 60
    y = np.tile([0, 1], n // 2)
    flux = rng.normal(size=(n, 6)) + 2.0 * y[:, None]
    jhk = np.tile([10.0, 9.95, 9.92], (n, 1))
    late = np.zeros(n, dtype=bool)
    late[::5] = True
    jhk[late] = [10.0, 9.3, 9.15]
    return stack_photometry(flux, jhk), y, late


# Rows are rejected on purpose here; the warning has its own tests.
_REJECTS_ROWS = pytest.mark.filterwarnings(
    "ignore::sklearn_stellar.filters.FilterRejectionWarning"
)


def _gate(estimator, **kw):
    return FilteredClassifier(
        filters=[("q", QColorFilter())], estimator=estimator, photometry=BANDS, **kw
    )


@_REJECTS_ROWS
def test_rejected_rows_never_reach_the_classifier(toy):
    X, y, late = toy
    knn = _gate(KNeighborsClassifier(n_neighbors=1)).fit(X, y)
    assert knn.estimator_.n_samples_fit_ == (~late).sum()
    assert knn.estimator_.n_features_in_ == 6  # flux only, no photometry
    clf = _gate(CountingLogisticRegression()).fit(X, y)
    assert clf.estimator_.rows_fit_ == (~late).sum()
    clf.predict(X)
    clf.predict_proba(X)
    assert clf.estimator_.rows_predicted_ == [(~late).sum()] * 2


@_REJECTS_ROWS
def test_one_row_per_input_and_rejected_rows_negative(toy):
    X, y, late = toy
    clf = _gate(LogisticRegression()).fit(X, y)
    pred = clf.predict(X)
    proba = clf.predict_proba(X)
    assert pred.shape == (len(X),) and proba.shape == (len(X), 2)
    assert np.all(pred[late] == 0)
    assert np.all(proba[late, 1] == 0.0) and np.all(proba[late, 0] == 1.0)
    # Passing rows are classified by the network (here: well).
    assert np.mean(pred[~late] == y[~late]) > 0.9
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # score counts every row; late positives are misses by construction.
    expected = np.mean(pred == y)
    assert clf.score(X, y) == pytest.approx(expected)
    assert clf.score(X, y) <= 1.0 - np.mean(late & (y == 1))


def test_measurements_and_masks_for_catalogs(toy):
    X, y, late = toy
    clf = _gate(LogisticRegression()).fit(X, y)
    np.testing.assert_array_equal(clf.pass_mask_, ~late)
    assert clf.measurement_names_.tolist() == ["q__q"]
    res = clf.measure(X)
    np.testing.assert_array_equal(res.pass_mask, ~late)
    np.testing.assert_array_equal(res.masks["q"], ~late)
    np.testing.assert_allclose(res.measurements[late, 0], 0.445, atol=1e-9)
    np.testing.assert_allclose(res.measurements, clf.measurements_)


@_REJECTS_ROWS
def test_string_labels_need_explicit_negative_label(toy):
    X, y, late = toy
    names = np.where(y == 1, "Be", "non-Be")
    with pytest.raises(ValueError, match="negative_label` must be given"):
        _gate(LogisticRegression()).fit(X, names)
    with pytest.raises(ValueError, match="not one of the training labels"):
        _gate(LogisticRegression(), negative_label="other").fit(X, names)
    clf = _gate(LogisticRegression(), negative_label="non-Be").fit(X, names)
    assert clf.negative_label_ == "non-Be"
    pred = clf.predict(X)
    assert set(pred[late]) == {"non-Be"}
    proba = clf.predict_proba(X)
    be = list(clf.classes_).index("Be")
    assert np.all(proba[late, be] == 0.0)
    # Numeric labels: the smallest is negative unless told otherwise.
    assert _gate(LogisticRegression()).fit(X, y).negative_label_ == 0
    flipped = _gate(LogisticRegression(), negative_label=1).fit(X, y)
    assert np.all(flipped.predict(X)[late] == 1)


@_REJECTS_ROWS
def test_filtered_classifier_inside_imblearn_pipeline_with_oversampler(toy):
    X, y, late = toy
    y = y.copy()
    y[~late & (np.arange(len(y)) % 3 == 0)] = 0  # imbalance among passing rows
    inner = make_imb_pipeline(
        RandomOverSampler(random_state=0), KNeighborsClassifier(n_neighbors=1)
    )
    pipe = ImbPipeline([("gate", _gate(inner))]).fit(X, y)
    gate = pipe.named_steps["gate"]
    counts = np.bincount(y[~late])
    # The oversampler saw only the passing rows: it balanced their counts.
    assert gate.estimator_[-1].n_samples_fit_ == 2 * counts.max()
    assert pipe.predict(X).shape == (len(X),)
    assert np.all(pipe.predict_proba(X)[late, 1] == 0.0)


def test_filtered_classifier_bad_input(toy):
    X, y, _ = toy
    with pytest.raises(ValueError, match="lacks \\['Ks'\\]"):
        FilteredClassifier(
            filters=[("q", QColorFilter())],
            estimator=LogisticRegression(),
            photometry=("J", "H", "K"),
        ).fit(X, y)
    with pytest.raises(ValueError, match="cannot hold 3 photometry"):
        _gate(LogisticRegression()).fit(X[:, -3:], y)
    nan_phot = X.copy()
    nan_phot[4, -1] = np.nan
    with pytest.raises(ValueError, match="NaN J/H/Ks photometry"):
        _gate(LogisticRegression()).fit(nan_phot, y)
    with pytest.raises(TypeError, match="pass_mask"):
        FilteredClassifier(
            filters=[("lr", LogisticRegression())], estimator=LogisticRegression()
        ).fit(X, y)
    with pytest.raises(ValueError, match="none of the 60 training rows"):
        FilteredClassifier(
            filters=[("q", QColorFilter(threshold=-5.0))],
            estimator=LogisticRegression(),
            photometry=BANDS,
        ).fit(X, y)
    clf = _gate(LogisticRegression()).fit(X, y)
    with pytest.raises(ValueError, match="features"):
        clf.predict(X[:, 1:])


@_REJECTS_ROWS
def test_real_spectra_and_photometry_through_gridsearch(miles, rng):
    """MILES spectra + 2MASS-like J, H, Ks through one pipeline in GridSearchCV."""
    wave, flux, teff = miles
    X = stack_photometry(flux, photometry_for(teff, rng))
    y = (teff >= 11000).astype(int)  # hot B/O stars vs the rest
    gate = FilteredClassifier(
        filters=[
            (
                "ew",
                EWFilter(
                    wavelength=wave,
                    medium="air",
                    normalizer=FunctionTransformer(pseudo_continuum),
                ),
            ),
            ("q", QColorFilter()),
        ],
        estimator=make_imb_pipeline(
            RandomOverSampler(random_state=0),
            FunctionTransformer(pseudo_continuum),
            CountingLogisticRegression(C=0.1, max_iter=5000),
        ),
        photometry=BANDS,
        negative_label=0,
    )
    search = GridSearchCV(
        ImbPipeline([("gate", gate)]),
        param_grid={
            "gate__estimator__countinglogisticregression__C": [0.01, 1.0],
            "gate__q__threshold": [0.2, 0.3],
        },
        scoring=make_precision_at_prior_scorer(threshold=0.5, ratio=0.5),
        cv=StratifiedKFold(3, shuffle=True, random_state=0),
    ).fit(X, y)
    assert np.all(np.isfinite(search.cv_results_["mean_test_score"]))
    assert search.best_score_ > 0.5
    best = search.best_estimator_.named_steps["gate"]
    passing = best.pass_mask_
    assert best.estimator_[-1].rows_fit_ > passing.sum()  # oversampled passing rows
    pred = search.predict(X)
    proba = search.predict_proba(X)
    assert pred.shape == (len(X),) and proba.shape == (len(X), 2)
    assert np.all(pred[~passing] == 0) and np.all(proba[~passing, 1] == 0.0)
    # Late-type stars are removed by the filters, hot stars mostly kept.
    assert passing[teff < 6000].mean() < 0.1
    assert passing[teff >= 11000].mean() > 0.8
    assert np.mean(pred[passing] == y[passing]) > 0.8
    catalog = best.measure(X)
    assert catalog.measurement_names.tolist() == [
        "ew__ew_6548_6578",
        "ew__ew_5160_5193",
        "q__q",
    ]
    ew_ha = equivalent_width(pseudo_continuum(flux), wave, (6548, 6578), medium="air")
    np.testing.assert_allclose(catalog.measurements[:, 0], ew_ha)


def test_ew_filter_on_lamost_mrs_blue_and_red_arms(data_home):
    """Real LAMOST MRS coadds: Mg b (blue arm) and H-alpha (red arm) on one
    concatenated vacuum grid; these stars are late types and are rejected."""
    from sklearn_stellar.io import read_lamost, spectra_to_array
    from sklearn_stellar.preprocessing import ContinuumNormalizer

    spectra = read_lamost(data_home / "lamost" / "mrs")
    coadds = [
        s
        for s in spectra
        if s.meta["exposure"] == "COADD" and s.meta["snr"].get("B", 0.0) > 50
    ]
    blue = [s for s in coadds if s.meta["arm"] == "B"]
    red = [
        s
        for s in spectra
        if s.meta["exposure"] == "COADD"
        and s.meta["arm"] == "R"
        and s.meta["filename"] in {b.meta["filename"] for b in blue}
    ]
    assert len(blue) == len(red) >= 3
    xb, wb = spectra_to_array(blue)
    xr, wr = spectra_to_array(red)
    # The library's NaN-aware spline pseudo-continuum (Wang et al. 2022): the coadds'
    # dead pixels are NaN and a running-maximum filter would smear them.
    nb = ContinuumNormalizer(wavelength=wb, method="spline").fit_transform(xb)
    nr = ContinuumNormalizer(wavelength=wr, method="spline").fit_transform(xr)
    X, wave = np.hstack([nb, nr]), np.r_[wb, wr]
    flt = EWFilter(wavelength=wave).fit(X)  # vacuum grid, air windows
    ew = flt.transform(X)
    assert np.all(np.isfinite(ew))
    # The gap between the arms changes nothing: same EW as on each arm alone.
    np.testing.assert_allclose(ew[:, 1], equivalent_width(nb, wb, (5160, 5193)))
    np.testing.assert_allclose(ew[:, 0], equivalent_width(nr, wr, (6548, 6578)))
    assert np.all(ew[:, 1] > 1.2)  # strong Mg b: late type
    assert not flt.pass_mask(X).any()


# ------------------------------------------------- what the filters did, per row
def test_filter_report_names_the_cut_value_and_status(toy):
    X, y, late = toy
    clf = _gate(LogisticRegression()).fit(X, y)
    report = clf.filter_report(X)
    assert report.status[late].tolist() == ["rejected"] * late.sum()
    assert report.status[~late].tolist() == ["ok"] * (~late).sum()
    np.testing.assert_array_equal(report.classified, ~late)
    assert set(report.filter[late]) == {"q"} and set(report.filter[~late]) == {""}
    assert set(report.measurement[late]) == {"q__q"}
    assert set(report.cut[late]) == {"< 0.2"}
    np.testing.assert_allclose(report.value[late], 0.445, atol=1e-9)
    assert np.all(np.isnan(report.value[~late]))
    assert report.reason[np.flatnonzero(late)[0]] == "q__q = 0.445, cut < 0.2"
    # Every measurement is a column too, and every field has one entry per
    # row: the report is a catalog table.
    np.testing.assert_array_equal(report["q__q"], clf.measure(X).measurements[:, 0])
    table = Table(dict(report))
    assert len(table) == len(X) and "q__q" in table.colnames
    assert table["status"][0] == "rejected"


def test_rejections_at_predict_time_warn_with_the_count(toy):
    X, y, late = toy
    clf = _gate(LogisticRegression()).fit(X, y)  # fit does not warn
    match = (
        f"{late.sum()} of {len(X)} rows did not reach the classifier \\({late.sum()}"
    )
    with pytest.warns(FilterRejectionWarning, match=match):
        proba = clf.predict_proba(X)
    # The shape contract is kept; the rejected rows are what the report says.
    assert np.all(proba[late] == [1.0, 0.0])
    with pytest.warns(FilterRejectionWarning, match="negative class 0 with"):
        clf.predict(X)
    # Only passing rows: no warning (warnings are errors under pytest).
    clf.predict_proba(X[~late])
    assert issubclass(FilterRejectionWarning, UserWarning)


@_REJECTS_ROWS
def test_missing_mg_b_flux_is_out_of_domain_not_rejected(miles, rng):
    """A spectrum without flux in the Mg b window (red arm only) is reported
    out_of_domain with the reason; the policy decides whether it is classified."""
    wave, flux, teff = miles
    hot = teff >= 11000
    X, y = flux[hot], (rng.random(hot.sum()) < 0.5).astype(int)
    y[:2] = [0, 1]
    blue = wave < 5400
    X_test = X.copy()
    X_test[:3, blue] = np.nan  # three spectra lack the blue arm
    # The library's NaN-aware spline continuum (a running maximum would spread
    # the NaN over the whole spectrum).
    norm = ContinuumNormalizer(wavelength=wave, method="spline")
    ew = EWFilter(wavelength=wave, medium="air", normalizer=norm)
    # The imputer lets the classifier take rows without blue arm ("keep").
    inner = make_pipeline(
        SimpleImputer(strategy="constant", fill_value=0.0),
        LogisticRegression(max_iter=2000),
    )
    clf = FilteredClassifier(filters=[("ew", ew)], estimator=inner).fit(X, y)
    # With both windows, these three hot stars pass.
    assert clf.filter_report(X).status[:3].tolist() == ["ok"] * 3
    report = clf.filter_report(X_test)
    assert report.status[:3].tolist() == ["out_of_domain"] * 3
    assert set(report.reason[:3]) == {
        "ew__ew_5160_5193 not measurable (no valid flux pixel in its window)"
    }
    assert set(report.measurement[:3]) == {"ew__ew_5160_5193"}
    assert not report.classified[:3].any()  # missing="drop"
    np.testing.assert_array_equal(report.status[3:], clf.filter_report(X).status[3:])
    with pytest.warns(FilterRejectionWarning, match="3 out of domain"):
        clf.predict_proba(X_test)
    # missing="keep": classified without the Mg b cut, still flagged.
    keep = clone(clf).set_params(ew__missing="keep").fit(X, y)
    report = keep.filter_report(X_test)
    assert report.status[:3].tolist() == ["out_of_domain"] * 3
    assert report.classified[:3].all()
    with pytest.warns(FilterRejectionWarning, match="classified without the cut"):
        keep.predict_proba(X_test)
    # missing="error": a clear error naming the rows.
    with pytest.raises(ValueError, match=r"rows \[0, 1, 2\]"):
        clone(clf).set_params(ew__missing="error").fit(X, y).predict(X_test)


def test_ew_filter_refuses_flux_that_is_not_normalised(miles):
    wave, flux, _ = miles
    counts = 1500.0 * flux  # raw counts: EWs would be huge negative numbers
    with pytest.raises(ValueError, match="not continuum-normalised.*normalizer="):
        EWFilter(wavelength=wave, medium="air").fit(counts)
    # Fitted on normalised flux, transforming counts is refused too.
    flt = EWFilter(wavelength=wave, medium="air").fit(pseudo_continuum(flux))
    with pytest.raises(ValueError, match="typical flux of X is 1"):
        flt.transform(counts)
    # With a normaliser, or on normalised flux, it measures.
    norm = FunctionTransformer(pseudo_continuum)
    ew = EWFilter(wavelength=wave, medium="air", normalizer=norm).fit(counts)
    np.testing.assert_allclose(
        ew.transform(counts), flt.transform(pseudo_continuum(flux))
    )
    # Far below the continuum is refused as well (e.g. physical flux units).
    with pytest.raises(ValueError, match="not continuum-normalised"):
        EWFilter(wavelength=wave, medium="air").fit(1e-3 * flux)


@settings(max_examples=40, deadline=None)
@given(
    q=st.lists(
        st.one_of(st.floats(-0.3, 0.8), st.just(float("nan"))), min_size=1, max_size=30
    ),
    threshold=st.floats(-0.1, 0.6),
    missing=st.sampled_from(["keep", "drop", "flag"]),
)
def test_report_statuses_agree_with_masks_and_warning(q, threshold, missing):
    """Invariants: rejected rows are never classified, ok rows always are, a
    NaN Q is out_of_domain, and the warning's counts are the report's."""
    clf = FilteredClassifier(
        filters=[("q", QColorFilter(threshold=threshold, missing=missing))],
        estimator=LogisticRegression(),
        photometry=BANDS,
    ).fit(*_q_training_rows())
    n = len(q)
    jhk = np.column_stack([np.add(10.0, q), np.full(n, 10.0), np.full(n, 10.0)])
    X = stack_photometry(np.c_[np.arange(n) % 2, np.ones(n)], jhk)
    report = clf.filter_report(X)
    q = q_index(*jhk.T)  # the Q the filter computes (rounding included)
    measured = np.isfinite(q)
    fails = measured & ~(np.where(measured, q, 0.0) < threshold)
    np.testing.assert_array_equal(report.status == "rejected", fails)
    np.testing.assert_array_equal(report.status == "out_of_domain", ~measured)
    np.testing.assert_array_equal(report.status == "ok", measured & ~fails)
    assert not report.classified[fails].any()
    assert report.classified[measured & ~fails].all()
    np.testing.assert_array_equal(report.classified[~measured], missing != "drop")
    dropped = int(np.sum(~measured & ~report.classified))
    kept = int(np.sum(~measured & report.classified))
    if not (fails.any() or kept or dropped):
        clf.predict(X)  # no warning: it would be an error under pytest
        return
    with pytest.warns(FilterRejectionWarning) as caught:
        clf.predict(X)
    text = str(caught[0].message)
    if fails.any() or dropped:
        assert text.startswith(
            f"{fails.sum() + dropped} of {n} rows did not reach the classifier "
            f"({fails.sum()} rejected by a cut, {dropped} out of domain"
        )
    if kept:
        assert f"{kept} of {n} rows out of domain were classified" in text


def _q_training_rows():
    """20 early-type rows (Q = -0.2, below every threshold drawn above)."""
    n = 20
    jhk = np.tile([9.8, 10.0, 10.0], (n, 1))
    return stack_photometry(np.c_[np.arange(n) % 2, np.ones(n)], jhk), np.arange(n) % 2
