"""Domain of applicability on real LAMOST files and MILES-built training sets."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.linear_model import LogisticRegression

from sklearn_stellar.domain import (
    DomainGuard,
    SpectralNoveltyDetector,
    find_domain_guard,
    lamost_subclass,
    metadata_problem,
    spectrum_domain_problem,
)
from sklearn_stellar.filters import FilteredClassifier, FilterRejectionWarning
from sklearn_stellar.io import read_lamost, read_lamost_file, spectra_to_array
from sklearn_stellar.pipelines import make_be_pipeline, make_binary_pipeline
from sklearn_stellar.pipelines._domain import BINARY_DOMAIN

PLAN = "lamost/lrs/dr7_plan_HD103621N361936B01"
RED_ONLY = "lamost/mrs/KIC8098300__DR6_medium__med-58270-HIP95119KP01_sp12-076.fits.gz"


@pytest.fixture(scope="module")
def plan_spectra(data_home):
    """The 100 DR7 LRS spectra of one plan, CLASS/SUBCLASS in their headers."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return list(read_lamost(data_home / PLAN, errors="report"))


@pytest.fixture(scope="module")
def binary_training():
    from sklearn_stellar.datasets import make_binary_spectra

    data = make_binary_spectra(300, binary_fraction=0.5, random_state=0)
    return data.data, data.target, data.wavelength


def _pick(spectra, test):
    return [s for s in spectra if test(s.meta)]


def test_lamost_subclass_prefixes():
    assert lamost_subclass("dM0") == ((60.0, 60.0), "V")
    assert lamost_subclass("gM")[1] == "III"
    assert lamost_subclass("G3") == ((43.0, 43.0), "")
    assert lamost_subclass("Non") is None and lamost_subclass(None) is None


def test_rules_of_bad_type_are_named_not_attribute_errors():
    with pytest.raises(TypeError, match="`meta` must be a dict"):
        metadata_problem(None)
    with pytest.raises(TypeError, match="`classes` must be a tuple of str"):
        metadata_problem({}, classes=1.0)
    with pytest.raises(TypeError, match="`snr_bands` must be a tuple of str"):
        metadata_problem({}, snr_bands=None)
    with pytest.raises(TypeError, match="`subclass_range` must be a pair"):
        metadata_problem({}, subclass_range="F5")
    with pytest.raises(ValueError, match="`min_snr` must be >= 0"):
        metadata_problem({}, min_snr=-1.0)
    with pytest.raises(TypeError, match="`spectrum` must be a specutils Spectrum"):
        spectrum_domain_problem("abc", wavelength=[6500.0, 6600.0])
    import astropy.units as u
    from specutils import Spectrum

    wave = np.linspace(6500.0, 6600.0, 11)
    spectrum = Spectrum(flux=np.ones(11) * u.Jy, spectral_axis=wave * u.AA)
    with pytest.raises(TypeError, match="`wavelength` must be numeric"):
        spectrum_domain_problem(spectrum, wavelength="abc")
    with pytest.raises(ValueError, match="`min_coverage` must be >= 0 and <= 1"):
        spectrum_domain_problem(spectrum, wavelength=wave, min_coverage=2.0)
    assert spectrum_domain_problem(spectrum, wavelength=wave) == ""


def test_header_rules_on_real_plan_files(plan_spectra):
    rules = {
        k: v for k, v in BINARY_DOMAIN.items() if k not in ("min_der_snr", "snr_window")
    }
    galaxies = _pick(plan_spectra, lambda m: m["class"] == "GALAXY")
    m_dwarfs = _pick(plan_spectra, lambda m: str(m["subclass"]).startswith("dM"))
    a_stars = _pick(plan_spectra, lambda m: str(m["subclass"]).startswith("A"))
    g_dwarfs = _pick(
        plan_spectra,
        lambda m: str(m["subclass"]).startswith("G") and m["snr"]["g"] > 20,
    )
    assert galaxies and m_dwarfs and a_stars and g_dwarfs
    for s in galaxies:
        assert metadata_problem(s.meta, **rules).startswith("header CLASS GALAXY")
    for s in m_dwarfs:
        assert "later than K7" in metadata_problem(s.meta, **rules)
    for s in a_stars:
        assert "earlier than F5" in metadata_problem(s.meta, **rules)
    assert all(metadata_problem(s.meta, **rules) == "" for s in g_dwarfs)

    def in_types(meta):
        parsed = lamost_subclass(meta["subclass"])
        return parsed is not None and 35 <= parsed[0][0] <= 57

    low = _pick(plan_spectra, lambda m: in_types(m) and m["snr"]["g"] < 20)
    assert low
    for s in low:
        assert "below the floor 20" in metadata_problem(s.meta, **rules)


def test_coverage_rule_moved_from_the_cli(data_home):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        red = [
            s for s in read_lamost_file(data_home / RED_ONLY) if s.meta["arm"] == "R"
        ]
    lrs_grid = np.geomspace(3700.0, 7400.0, 3000)
    problem = spectrum_domain_problem(red[0], wavelength=lrs_grid)
    assert problem.startswith("wavelength coverage") and "needs 95%" in problem
    assert spectrum_domain_problem(red[0], wavelength=lrs_grid, survey="LRS") == (
        "model reads LRS spectra, this is MRS"
    )
    mrs_grid = np.geomspace(6320.0, 6800.0, 3000)
    assert spectrum_domain_problem(red[0], wavelength=mrs_grid, survey="MRS") == ""


def test_binary_guard_flags_real_galaxies_and_m_dwarfs(plan_spectra, binary_training):
    X, y, grid = binary_training
    clf = make_binary_pipeline(grid, domain=True)
    assert [name for name, _ in clf.filters] == ["domain"]
    # The guard alone, fitted on MILES-built spectra; the network is replaced
    # by a logistic regression to keep the test fast (the status machinery is
    # the same).
    clf.set_params(estimator=LogisticRegression(max_iter=200)).fit(X, y)
    spectra = _pick(
        plan_spectra,
        lambda m: (
            m["class"] == "GALAXY"
            or str(m["subclass"]).startswith("dM")
            or (str(m["subclass"]).startswith("G") and m["snr"]["g"] > 60)
        ),
    )
    Xr, _ = spectra_to_array(spectra, wavelength=grid)
    Xr = np.nan_to_num(Xr, nan=np.nanmedian(Xr))  # edges outside the files
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilterRejectionWarning)
        report = clf.filter_report(Xr)
        proba = clf.predict_proba(Xr)[:, 1]
    odd = np.array(
        [
            s.meta["class"] == "GALAXY" or s.meta["subclass"].startswith("dM")
            for s in spectra
        ]
    )
    ood = report.status == "out_of_domain"
    assert np.mean(ood[odd]) >= 0.8, report.reason[odd]
    assert np.mean(ood[~odd]) <= 0.5
    assert not report.classified[ood].any() and np.all(proba[ood] == 0.0)
    reasons = report.reason[ood]
    assert all("outside the training domain" in r for r in reasons if "novelty" in r)
    assert find_domain_guard(clf) is dict(clf.filters_)["domain"]


def test_guard_outranks_a_cut_and_is_never_rejected():
    """A row failing both a domain cut and a selection cut is out_of_domain."""
    from sklearn_stellar.filters import QColorFilter, stack_photometry

    rng = np.random.default_rng(0)
    flux = 1.0 + 0.01 * rng.normal(size=(60, 40))
    flux[:5, 10:20] -= 0.6  # unlike the others
    jhk = np.tile([10.0, 9.95, 9.92], (60, 1))
    jhk[:3] = [10.0, 9.3, 9.15]  # late-type colours: Q rejects them
    y = np.arange(60) % 2
    clf = FilteredClassifier(
        filters=[
            ("q", QColorFilter()),
            ("domain", DomainGuard(novelty=SpectralNoveltyDetector(quantile=0.9))),
        ],
        estimator=LogisticRegression(),
        photometry=("J", "H", "Ks"),
    ).fit(stack_photometry(flux, jhk), y)
    test = flux.copy()
    test[:3, 10:20] -= 2.0
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilterRejectionWarning)
        report = clf.filter_report(stack_photometry(test, jhk))
    assert list(report.status[:3]) == ["out_of_domain"] * 3
    assert set(report.filter[:3]) == {"domain"}


@settings(max_examples=20, deadline=None, derandomize=True, database=None)
@given(
    quantile=st.floats(0.5, 0.99),
    n=st.integers(30, 120),
    seed=st.integers(0, 1000),
    residual=st.sampled_from(["flux", "noise"]),
)
def test_novelty_flags_about_one_minus_quantile_of_training(
    quantile, n, seed, residual
):
    rng = np.random.default_rng(seed)
    X = 1.0 + rng.normal(size=(n, 3)) @ rng.normal(size=(3, 60)) * 0.05
    X += 0.01 * rng.normal(size=X.shape)
    det = SpectralNoveltyDetector(n_components=3, quantile=quantile, residual=residual)
    flagged = np.mean(det.fit(X).predict(X) == -1)
    # Two parts, each flags at most its tail: at most twice 1 - quantile.
    assert flagged <= 2 * (1 - quantile) + 2.0 / n
    assert np.allclose(det.decision_function(X), det.score_samples(X) + 1.0)


def test_novelty_nan_rows_and_bad_input():
    X = np.ones((20, 10)) + np.linspace(0, 1, 200).reshape(20, 10)
    det = SpectralNoveltyDetector(n_components=2).fit(X)
    row = X[:1].copy()
    row[0, :] = np.nan
    assert np.isnan(det.novelty(row)[0]) and det.predict(row)[0] == -1
    bad = X.copy()
    bad[:, 3] = np.nan
    with pytest.raises(ValueError, match="columns have no finite value"):
        SpectralNoveltyDetector().fit(bad)
    with pytest.raises(ValueError, match="snr_window"):
        DomainGuard(snr_window=(6500.0, 6600.0)).fit(X)


def test_red_arm_only_spectrum_is_out_of_domain_for_a_two_arm_model(data_home):
    """Issue 14 item 3: the documented policy on a real red-arm-only file."""
    from sklearn_stellar.datasets import make_be_spectra

    data = make_be_spectra(120, blue_arm=True, random_state=0)
    grid = data.wavelength
    recipe = make_be_pipeline(grid)
    clf = FilteredClassifier(
        filters=recipe.filters,
        estimator=LogisticRegression(max_iter=50),
        negative_label=0,
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        clf.fit(data.data, data.target)
        red = [
            s for s in read_lamost_file(data_home / RED_ONLY) if s.meta["arm"] == "R"
        ]
    X = np.full((len(red), grid.size), np.nan)
    is_red = grid > 6000.0
    X[:, is_red], _ = spectra_to_array(red, wavelength=grid[is_red])
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        proba = clf.predict_proba(X)
    report = clf.filter_report(X)
    measured = np.isfinite(report["ew__ew_6548_6578"])
    assert measured.all()
    assert set(report.status) == {"out_of_domain"}
    assert not report.classified.any() and np.all(proba[:, 1] == 0.0)
    assert all("ew__ew_5160_5193 not measurable" in r for r in report.reason)
    assert any("out of domain" in str(w.message) for w in caught)


def test_guard_travels_in_a_model_file(tmp_path, plan_spectra, binary_training):
    """A saved model carries its domain: same statuses after load_model."""
    from sklearn_stellar.persistence import load_model, save_model

    X, y, grid = binary_training
    clf = make_binary_pipeline(grid, domain=True)
    clf.set_params(estimator=LogisticRegression(max_iter=200)).fit(X, y)
    save_model(clf, tmp_path / "m.model")
    loaded = load_model(tmp_path / "m.model")
    guard = find_domain_guard(loaded)
    assert guard is not None and guard.subclass_range == ("F5", "K7")
    Xr, _ = spectra_to_array(plan_spectra[:20], wavelength=grid)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilterRejectionWarning)
        a, b = clf.filter_report(Xr), loaded.filter_report(Xr)
    assert list(a.status) == list(b.status)
    np.testing.assert_allclose(a["domain__novelty"], b["domain__novelty"])
    galaxy = next(s for s in plan_spectra if s.meta["class"] == "GALAXY")
    assert guard.check_metadata(galaxy.meta).startswith("header CLASS GALAXY")
