"""Tests for sklearn_stellar.pipelines and the lazy top-level names."""

import logging
import subprocess
import sys

import numpy as np
import pytest
from imblearn.pipeline import Pipeline as ImbPipeline
from sklearn.base import clone

import sklearn_stellar
from sklearn_stellar.datasets import make_be_spectra, make_binary_spectra
from sklearn_stellar.filters import FilteredClassifier, FilterRejectionWarning
from sklearn_stellar.pipelines import make_be_pipeline, make_binary_pipeline

TOP_LEVEL = (
    "ContinuumNormalizer",
    "HalphaRasterizer",
    "EWFilter",
    "QColorFilter",
    "BinarySpectrumCNN",
    "BeResNet18",
)

# Tiny BeResNet18 for tests; channels_last=False: width < 8 with channels_last
# crashes the interpreter on this AMD CPU (the lead is fixing it).
TINY_BE = {
    "image_size": 32,
    "width": 4,
    "max_epochs": 2,
    "batch_size": 16,
    "channels_last": False,
    "random_state": 0,
}


# ---------------------------------------------------------- top-level names
def test_import_is_lazy_and_does_not_load_torch():
    code = (
        "import sys, sklearn_stellar\n"
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('torch', 'numpy', 'sklearn', 'sklearn_stellar')))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    # Only the package itself: no subpackage, no numpy, no torch.
    assert out.stdout.strip() == "['sklearn_stellar']"


def test_top_level_names_are_the_subpackages_objects():
    from sklearn_stellar import (  # the six names of the issue, lazily
        BeResNet18,
        BinarySpectrumCNN,
        ContinuumNormalizer,
        EWFilter,
        HalphaRasterizer,
        QColorFilter,
        filters,
        neural,
        pipelines,
        preprocessing,
    )

    assert BeResNet18.__module__ == "sklearn_stellar.neural._be_resnet"
    assert QColorFilter is filters.QColorFilter
    assert ContinuumNormalizer is preprocessing.ContinuumNormalizer
    assert (EWFilter, HalphaRasterizer) == (
        filters.EWFilter,
        preprocessing.HalphaRasterizer,
    )

    assert sklearn_stellar.EWFilter is filters.EWFilter
    assert sklearn_stellar.BinarySpectrumCNN is neural.BinarySpectrumCNN
    assert BinarySpectrumCNN is neural.BinarySpectrumCNN
    assert sklearn_stellar.HalphaRasterizer is preprocessing.HalphaRasterizer
    assert sklearn_stellar.make_be_pipeline is pipelines.make_be_pipeline
    assert set(TOP_LEVEL) <= set(sklearn_stellar.__all__) <= set(dir(sklearn_stellar))
    with pytest.raises(AttributeError, match="no attribute 'NotAnEstimator'"):
        sklearn_stellar.NotAnEstimator  # noqa: B018


# ---------------------------------------------------------- binary recipe
@pytest.fixture(scope="module")
def binaries():
    return make_binary_spectra(n_samples=160, binary_fraction=0.5, random_state=0)


def test_binary_recipe_has_the_documented_defaults():
    wave = np.linspace(3700.0, 7400.0, 500)
    pipe = make_binary_pipeline(wave, random_state=3)
    assert isinstance(pipe, ImbPipeline)
    params = pipe.get_params()
    assert [name for name, _ in pipe.steps] == ["norm", "ros", "cnn"]
    assert params["norm__sigma"] == 350.0 and params["norm__method"] == "gaussian"
    assert params["cnn__lr"] == 1e-4 and params["cnn__max_epochs"] == 16
    assert params["cnn__patience"] == 10 and params["cnn__validation_fraction"] == 0.1
    assert params["cnn__n_filters"] == 16
    assert params["ros__random_state"] == params["cnn__random_state"] == 3
    assert make_binary_pipeline(wave, oversample=False).named_steps["ros"] == (
        "passthrough"
    )
    # Unfitted, and a fresh object each call (no shared state between recipes).
    assert not hasattr(pipe.named_steps["cnn"], "module_")
    assert make_binary_pipeline(wave).named_steps["cnn"] is not pipe.named_steps["cnn"]


def test_binary_recipe_fits_and_predicts_real_spectra(binaries):
    d = binaries
    train, test = d.split == "train", d.split != "train"
    pipe = make_binary_pipeline(
        d.wavelength, max_epochs=2, validation_fraction=None, random_state=0
    )
    pipe.fit(d.data[train], d.target[train])
    proba = pipe.predict_proba(d.data[test])
    assert proba.shape == (test.sum(), 2)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=1e-6)
    assert pipe.named_steps["cnn"].n_epochs_ == 2
    # Same seed, same data: same probabilities (the recipe seeds every step).
    again = clone(pipe).fit(d.data[train], d.target[train])
    np.testing.assert_allclose(again.predict_proba(d.data[test]), proba, atol=1e-6)


# ---------------------------------------------------------- Be recipe
@pytest.fixture(scope="module")
def be_two_arms():
    return make_be_spectra(n_samples=80, random_state=0, blue_arm=True)


def test_be_recipe_structure_and_defaults(be_two_arms):
    wave = be_two_arms.wavelength
    clf = make_be_pipeline(wave, photometry=("J", "H", "Ks"), random_state=1)
    assert isinstance(clf, FilteredClassifier)
    assert [name for name, _ in clf.filters] == ["ew", "q"]
    assert clf.photometry == ("J", "H", "Ks") and clf.negative_label == 0
    params = clf.get_params()
    assert params["ew__cuts"] == (
        ((6548.0, 6578.0), None, 10.0),
        ((5160.0, 5193.0), None, 1.2),
    )
    assert params["ew__normalizer"].method == "spline"
    assert params["ew__normalizer"].knot_spacing == 100.0
    net = clf.estimator.named_steps["resnet"]
    assert (net.width, net.max_epochs, net.lr, net.batch_size) == (32, 25, 1e-3, 32)
    assert clf.estimator.named_steps["raster"].size == 128
    assert net.random_state == 1
    assert [name for name, _ in make_be_pipeline(wave).filters] == ["ew"]


def test_be_recipe_fits_real_two_arm_spectra_and_reports(be_two_arms):
    d = be_two_arms
    train, test = d.split == "train", d.split == "test"
    clf = make_be_pipeline(d.wavelength, **TINY_BE)
    clf.fit(d.data[train], d.target[train])
    net = clf.estimator_.named_steps["resnet"]
    assert net.image_shape_ == (32, 32) and net.n_epochs_ == 2
    X = d.data[test].copy()
    blue = d.wavelength < 6000
    X[:4, blue] = np.nan  # four spectra of the red arm only: no Mg b
    with pytest.warns(FilterRejectionWarning, match="4 out of domain"):
        proba = clf.predict_proba(X)
    assert proba.shape == (test.sum(), 2)
    report = clf.filter_report(X)
    assert report.status[:4].tolist() == ["out_of_domain"] * 4
    assert set(report.measurement[:4]) == {"ew__ew_5160_5193"}
    np.testing.assert_array_equal(proba[:4], [[1.0, 0.0]] * 4)
    # The MILES O/B/A hosts pass the late-type cuts when both arms are there.
    assert np.all(report.status[4:] == "ok")
    assert np.all(report.classified[4:])


def test_be_recipe_on_a_red_arm_grid_leaves_out_the_mg_b_cut(caplog):
    d = make_be_spectra(n_samples=40, random_state=1)  # default: red arm only
    with caplog.at_level(logging.WARNING, logger="sklearn_stellar.pipelines._be"):
        clf = make_be_pipeline(d.wavelength, **TINY_BE)
    assert "does not cover the EW window (5160.0, 5193.0)" in caplog.text
    assert clf.get_params()["ew__cuts"] == (((6548.0, 6578.0), None, 10.0),)
    train = d.split == "train"
    clf.fit(d.data[train], d.target[train])
    assert clf.measurement_names_.tolist() == ["ew__ew_6548_6578"]
    assert clf.predict(d.data[~train]).shape == ((~train).sum(),)


def test_be_recipe_needs_the_halpha_window():
    blue = np.geomspace(4950.0, 5350.0, 400)
    with pytest.raises(ValueError, match="must cover the H-alpha window"):
        make_be_pipeline(blue)
    with pytest.raises(ValueError, match="wavelength"):
        make_be_pipeline(np.array([6600.0, 6500.0, 6400.0]))


def test_be_recipe_with_photometry_rejects_late_types_by_q(be_two_arms):
    from sklearn_stellar.filters import stack_photometry

    d = be_two_arms
    train, test = d.split == "train", d.split == "test"
    jhk = np.tile([10.0, 9.95, 9.92], (len(d.target), 1))  # B stars: Q ~ 0
    late = np.zeros(len(d.target), dtype=bool)
    late[np.flatnonzero(test)[:3]] = True
    jhk[late] = [10.0, 9.3, 9.15]  # K/M colours: Q ~ 0.45
    X = stack_photometry(d.data, jhk)
    clf = make_be_pipeline(d.wavelength, photometry=("J", "H", "Ks"), **TINY_BE)
    clf.fit(X[train], d.target[train])
    assert clf.measurement_names_.tolist() == [
        "ew__ew_6548_6578",
        "ew__ew_5160_5193",
        "q__q",
    ]
    with pytest.warns(FilterRejectionWarning, match="3 rejected by a cut"):
        proba = clf.predict_proba(X[test])
    report = clf.filter_report(X[test])
    assert report.status[:3].tolist() == ["rejected"] * 3
    assert set(report.filter[:3]) == {"q"} and set(report.cut[:3]) == {"< 0.2"}
    np.testing.assert_array_equal(proba[:3, 1], 0.0)
