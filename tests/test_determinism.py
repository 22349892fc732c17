"""Determinism: a seed fixes the result, at a fixed torch thread count.

For every estimator that draws random numbers or runs torch kernels: the same
``random_state`` gives bit-identical ``predict_proba``/``transform`` output,
so do a :func:`sklearn.base.clone` refitted and a pickle round trip; between
one and two torch threads the probabilities may differ by float32 rounding
(reduction order), bounded by ``THREAD_TOLERANCE``. docs/hardening.rst
("Determinism") gives the sizes measured. GPU/CPU agreement is checked in
tests/test_device.py where CUDA exists.
"""

from __future__ import annotations

import pickle
import warnings

import numpy as np
import pytest
import torch
from sklearn.base import clone

from sklearn_stellar.filters import FilteredClassifier
from sklearn_stellar.neural import BeResNet18, BinarySpectrumCNN
from sklearn_stellar.pipelines import make_be_pipeline, make_binary_pipeline
from sklearn_stellar.preprocessing import ContinuumNormalizer, HalphaRasterizer

# Largest |p(1 thread) - p(2 threads)| allowed; measured sizes are in the docs.
# oneDNN picks thread-count-dependent float32 algorithms for the 2-D
# convolutions of ResNet-18 (measured 1.4e-4 after one epoch); the 1-D CNN,
# the normalizer and the rasterizer stay within 1e-5 (measured <= 7.2e-6).
THREAD_TOLERANCE = 1e-5
THREAD_TOLERANCE_RESNET = 1e-3
RESNET = ("BeResNet18", "make_be_pipeline")

WAVE = np.geomspace(6450.0, 6680.0, 96)  # vacuum, covers H-alpha


def _data(n=24, seed=0):
    """Tiny spectra: a sloped continuum, noise, H-alpha emission in class 1."""
    rng = np.random.default_rng(seed)
    y = np.arange(n) % 2
    slope = 1.0 + 2e-4 * (WAVE - WAVE[0])
    line = np.exp(-0.5 * ((WAVE - 6564.6) / 3.0) ** 2)
    X = slope * (1.0 + 0.6 * y[:, None] * line) + rng.normal(0, 0.01, (n, WAVE.size))
    return X, y


def _quiet(factory, *args, **kwargs):
    # A red-arm grid has no Mg b window: make_be_pipeline warns that it drops
    # that cut, which is expected here.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return factory(*args, **kwargs)


def _factories():
    return {
        "BinarySpectrumCNN": lambda: BinarySpectrumCNN(
            n_filters=2,
            hidden_units=4,
            max_epochs=2,
            batch_size=8,
            validation_fraction=None,
            lr=1e-2,
            random_state=0,
        ),
        "BeResNet18": lambda: BeResNet18(
            width=2,
            max_epochs=1,
            batch_size=8,
            augment=True,
            random_state=0,
        ),
        "ContinuumNormalizer": lambda: ContinuumNormalizer(wavelength=WAVE, sigma=30.0),
        "HalphaRasterizer": lambda: HalphaRasterizer(wavelength=WAVE, size=16),
        "make_binary_pipeline": lambda: make_binary_pipeline(
            WAVE,
            sigma=30.0,
            n_filters=2,
            max_epochs=1,
            batch_size=8,
            validation_fraction=None,
            random_state=0,
        ),
        "make_be_pipeline": lambda: _quiet(
            make_be_pipeline,
            WAVE,
            knot_spacing=40.0,
            image_size=16,
            width=2,
            max_epochs=1,
            batch_size=8,
            random_state=0,
        ),
        "FilteredClassifier": lambda: FilteredClassifier(
            filters=[],
            estimator=BinarySpectrumCNN(
                n_filters=2,
                hidden_units=4,
                max_epochs=1,
                batch_size=8,
                validation_fraction=None,
                random_state=0,
            ),
        ),
    }


FACTORIES = _factories()


def _output(model, X, y):
    """Fit and return predict_proba (classifiers) or transform output."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(model, "predict_proba"):
            return model.fit(X, y).predict_proba(X)
        return model.fit(X, y).transform(X).astype(np.float64)


def _again(model, X):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if hasattr(model, "predict_proba"):
            return model.predict_proba(X)
        return model.transform(X).astype(np.float64)


@pytest.fixture
def threads():
    before = torch.get_num_threads()
    yield torch.set_num_threads
    torch.set_num_threads(before)


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_same_seed_clone_and_pickle_are_bit_identical(name, threads):
    threads(1)
    X, y = _data()
    first = _output(FACTORIES[name](), X, y)
    assert np.all(np.isfinite(first))
    second = _output(FACTORIES[name](), X, y)
    np.testing.assert_array_equal(first, second, err_msg=f"{name}: same seed")
    model = FACTORIES[name]()
    _output(model, X, y)
    refit = _output(clone(model), X, y)
    np.testing.assert_array_equal(first, refit, err_msg=f"{name}: clone + refit")
    loaded = pickle.loads(pickle.dumps(model))
    np.testing.assert_array_equal(
        _again(model, X), _again(loaded, X), err_msg=f"{name}: pickle round trip"
    )


def _thread_difference(name):
    X, y = _data()
    out = {}
    for n in (1, 2):
        torch.set_num_threads(n)
        out[n] = _output(FACTORIES[name](), X, y)
    return float(np.max(np.abs(out[1] - out[2])))


@pytest.mark.parametrize("name", sorted(FACTORIES))
def test_thread_count_changes_results_within_bound(name, threads):
    diff = _thread_difference(name)
    bound = THREAD_TOLERANCE_RESNET if name in RESNET else THREAD_TOLERANCE
    assert diff <= bound, f"{name}: 1 vs 2 threads differ by {diff:.3g}"


if __name__ == "__main__":  # the sizes quoted in docs/hardening.rst
    for name in sorted(FACTORIES):
        print(f"{name}: max |1 thread - 2 threads| = {_thread_difference(name):.3g}")
