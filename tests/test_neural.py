"""BinarySpectrumCNN and the skorch-based classifier base: real torch training."""

import pickle

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from sklearn.base import clone
from sklearn.model_selection import GridSearchCV, StratifiedKFold
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_stellar.neural import (
    BaseSpectrumClassifier,
    BinarySpectrumCNN,
    ResidualBlock1d,
)

N_PIX = 64
TINY = {
    "n_filters": 4,
    "kernel_size": 3,
    "stem_stride": 2,
    "hidden_units": 16,
    "dropout": 0.1,
    "lr": 1e-2,
    "max_epochs": 15,
    "batch_size": 16,
    "validation_fraction": None,
    "random_state": 0,
}


def _spectra(n, seed, n_pix=N_PIX):
    """Continuum-normalised spectra with one absorption line; binaries have it split.

    A single star has one Gaussian line of depth 0.5 at a random position near
    the centre; a "binary" has two half-depth lines 6 pixels apart (an SB2
    line doubling). Noise sigma 0.02.
    """
    rng = np.random.default_rng(seed)
    pix = np.arange(n_pix)
    y = np.array(["single", "binary"])[rng.integers(0, 2, n)]
    centre = rng.uniform(n_pix * 0.35, n_pix * 0.65, n)[:, None]

    def line(c):
        return np.exp(-0.5 * ((pix[None, :] - c) / 1.5) ** 2)

    X = 1 - 0.5 * line(centre)
    binary = y == "binary"
    X[binary] = 1 - 0.25 * line(centre[binary] - 3) - 0.25 * line(centre[binary] + 3)
    X += 0.02 * rng.standard_normal(X.shape)
    return X, y


@pytest.fixture(scope="module")
def data():
    return _spectra(160, 0)


@pytest.fixture(scope="module")
def fitted(data):
    X, y = data
    return BinarySpectrumCNN(**TINY).fit(X, y)


def test_learns_line_doubling_on_held_out_spectra(fitted):
    X_test, y_test = _spectra(200, 1)
    assert np.mean(fitted.predict(X_test) == y_test) > 0.9


def test_string_labels_and_classes(fitted, data):
    X, _ = data
    assert fitted.classes_.tolist() == ["binary", "single"]
    assert set(fitted.predict(X)) <= {"binary", "single"}
    assert fitted.n_features_in_ == N_PIX


def test_predict_proba_shape_and_rows_sum_to_one(fitted, data):
    X, _ = data
    proba = fitted.predict_proba(X)
    assert proba.shape == (len(X), 2)
    assert np.all((proba >= 0) & (proba <= 1))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, rtol=0, atol=1e-12)
    np.testing.assert_array_equal(
        fitted.predict(X), fitted.classes_[np.argmax(proba, axis=1)]
    )
    np.testing.assert_allclose(np.exp(fitted.predict_log_proba(X)), proba, atol=1e-12)


def test_float32_and_float64_give_identical_results(data):
    X, y = data
    p64 = BinarySpectrumCNN(**TINY).fit(X.astype(np.float32), y).predict_proba(X)
    p32 = (
        BinarySpectrumCNN(**TINY)
        .fit(X.astype(np.float32), y)
        .predict_proba(X.astype(np.float32))
    )
    np.testing.assert_array_equal(p64, p32)


def test_same_seed_identical_other_seed_different(fitted, data):
    X, y = data
    again = BinarySpectrumCNN(**TINY).fit(X, y)
    np.testing.assert_array_equal(again.predict_proba(X), fitted.predict_proba(X))
    other = BinarySpectrumCNN(**{**TINY, "random_state": 1}).fit(X, y)
    assert not np.array_equal(other.predict_proba(X), fitted.predict_proba(X))


def test_fit_leaves_global_torch_rng_alone(data):
    X, y = data
    state = torch.get_rng_state()
    BinarySpectrumCNN(**{**TINY, "max_epochs": 1}).fit(X, y)
    assert torch.equal(state, torch.get_rng_state())


def test_pickle_and_clone_round_trips(fitted, data):
    X, y = data
    restored = pickle.loads(pickle.dumps(fitted))
    np.testing.assert_array_equal(restored.predict_proba(X), fitted.predict_proba(X))
    twin = clone(fitted)
    assert not hasattr(twin, "module_")
    assert twin.get_params() == fitted.get_params()
    np.testing.assert_array_equal(
        twin.fit(X, y).predict_proba(X), fitted.predict_proba(X)
    )


def test_inference_batch_size_does_not_change_probabilities(fitted, data):
    X, _ = data
    small = clone(fitted)
    small.__dict__.update({k: v for k, v in fitted.__dict__.items() if k.endswith("_")})
    small.set_params(batch_size=7)
    np.testing.assert_allclose(
        small.predict_proba(X), fitted.predict_proba(X), rtol=1e-6, atol=1e-7
    )


def test_grid_search_over_network_hyperparameter(data):
    X, y = data
    search = GridSearchCV(
        BinarySpectrumCNN(**{**TINY, "max_epochs": 3}),
        {"n_filters": [2, 5]},
        cv=StratifiedKFold(2),
    )
    search.fit(X, y)
    assert len(search.cv_results_["params"]) == 2
    best = search.best_estimator_
    assert best.module_.stem[0].out_channels == search.best_params_["n_filters"]


def test_nan_pixels_follow_the_documented_rule(fitted, data):
    X, _ = data
    Xn = X[:5].copy()
    Xn[:, 10:14] = np.nan
    prepared = fitted._prepare_X(Xn)
    assert prepared.shape == (5, 2, N_PIX)
    assert prepared.dtype == np.float32
    np.testing.assert_array_equal(prepared[:, 0, 10:14], 1.0)
    np.testing.assert_array_equal(prepared[:, 1, 10:14], 1.0)
    assert prepared[:, 1].sum() == 5 * 4
    proba = fitted.predict_proba(Xn)
    assert np.all(np.isfinite(proba))


def test_inf_is_rejected_with_a_clear_error(fitted, data):
    X, _ = data
    Xi = X[:3].copy()
    Xi[0, 5] = np.inf
    with pytest.raises(ValueError, match="infinity"):
        fitted.predict_proba(Xi)


def test_wrong_number_of_pixels_is_rejected(fitted, data):
    X, _ = data
    with pytest.raises(ValueError, match="features"):
        fitted.predict(X[:, :-1])


def test_bad_parameters_raise():
    X, y = _spectra(20, 0)
    with pytest.raises(ValueError, match="kernel_size"):
        BinarySpectrumCNN(**{**TINY, "kernel_size": 4}).fit(X, y)
    with pytest.raises(InvalidParameterError, match="lr"):
        BinarySpectrumCNN(lr=-1.0).fit(X, y)
    with pytest.raises(ValueError, match="device"):
        BinarySpectrumCNN(**{**TINY, "device": "nonsense"}).fit(X, y)


def test_early_stopping_on_stratified_validation_split(data):
    X, y = data
    rng = np.random.default_rng(3)
    y_noise = rng.permutation(y)  # nothing to learn: validation loss stalls
    clf = BinarySpectrumCNN(
        **{**TINY, "validation_fraction": 0.25, "patience": 2, "max_epochs": 40}
    ).fit(X, y_noise)
    assert clf.n_epochs_ < 40
    assert 1 <= clf.best_epoch_ <= clf.n_epochs_ - 2
    assert all("valid_loss" in h for h in clf.history_)


def test_validation_split_too_small_is_a_clear_error():
    X, y = _spectra(6, 0)
    y = np.array(["a", "a", "a", "a", "a", "b"])
    with pytest.raises(ValueError, match="validation_fraction"):
        BinarySpectrumCNN(**{**TINY, "validation_fraction": 0.2}).fit(X, y)


def test_split_keeps_duplicate_rows_on_one_side(data):
    X, y = data
    Xd = np.r_[X, X[:40], X[:40]]  # oversampling-like copies
    y_enc = np.unique(np.r_[y, y[:40], y[:40]], return_inverse=True)[1]
    clf = BinarySpectrumCNN(**{**TINY, "validation_fraction": 0.2})
    train, valid = clf._split(Xd, y_enc, seed=0)
    assert len(train) + len(valid) == len(Xd)
    rows = {row.tobytes() for row in Xd[valid]}
    assert not any(row.tobytes() in rows for row in Xd[train])
    # stratified: both classes on the validation side
    assert set(y_enc[valid]) == {0, 1}


def test_device_auto_picks_cuda_only_when_available(fitted):
    assert fitted.device_ == ("cuda" if torch.cuda.is_available() else "cpu")


def test_architecture_matches_the_paper():
    clf = BinarySpectrumCNN(n_filters=4, hidden_units=8)
    net = clf._build_module(200, 2)
    blocks = [m for m in net.modules() if isinstance(m, ResidualBlock1d)]
    linears = [m for m in net.modules() if isinstance(m, torch.nn.Linear)]
    dropouts = [m for m in net.modules() if isinstance(m, torch.nn.Dropout)]
    assert len(blocks) == 1 and len(linears) == 2
    assert dropouts and all(d.p == 0.5 for d in dropouts)
    assert linears[-1].out_features == 2
    assert clf.lr == 1e-4


def test_residual_block_identity_shortcut_then_relu():
    torch.manual_seed(0)
    block = ResidualBlock1d(3, 3, 5).eval()
    assert isinstance(block.shortcut, torch.nn.Identity)
    with torch.no_grad():
        block.conv2.weight.zero_()
    x = torch.randn(2, 3, 11)
    with torch.inference_mode():
        np.testing.assert_allclose(block(x).numpy(), torch.relu(x).numpy(), atol=1e-6)
    projected = ResidualBlock1d(3, 6, 5, stride=2)
    assert isinstance(projected.shortcut, torch.nn.Sequential)
    assert projected(x).shape == (2, 6, 6)


class _CountingAugmenter(BaseSpectrumClassifier):
    def __init__(
        self,
        *,
        max_epochs=2,
        batch_size=8,
        lr=1e-2,
        validation_fraction=0.25,
        patience=5,
        device="auto",
        random_state=0,
        verbose=0,
    ):
        super().__init__(
            max_epochs=max_epochs,
            batch_size=batch_size,
            lr=lr,
            validation_fraction=validation_fraction,
            patience=patience,
            device=device,
            random_state=random_state,
            verbose=verbose,
        )

    def _build_module(self, n_features, n_classes):
        return torch.nn.Linear(n_features, n_classes)

    def _augment(self, X, generator):
        self.calls_ = getattr(self, "calls_", 0) + len(X)
        return X + 0.01 * torch.randn(X.shape, generator=generator)


def test_augmentation_hook_runs_only_on_training_batches(data):
    X, y = data
    clf = _CountingAugmenter().fit(X, y)
    n_valid = 40  # ceil(0.25 * 160) distinct rows
    assert clf.calls_ == 2 * (len(X) - n_valid)
    clf.predict_proba(X)
    assert clf.calls_ == 2 * (len(X) - n_valid)


@settings(max_examples=20, deadline=None)
@given(
    arrays(
        np.float64,
        st.tuples(st.integers(1, 9), st.just(N_PIX)),
        elements=st.one_of(st.floats(-1e3, 1e3), st.just(np.nan)),
    )
)
def test_probabilities_are_valid_for_any_finite_or_nan_input(fitted, X):
    proba = fitted.predict_proba(X)
    assert proba.shape == (X.shape[0], 2)
    assert np.all(np.isfinite(proba))
    np.testing.assert_allclose(proba.sum(axis=1), 1.0, atol=1e-12)


def test_augmentation_noise_and_shift(data):
    X, y = data
    clf = BinarySpectrumCNN(augment_noise=0.05, augment_shift=2)
    batch = torch.from_numpy(clf._prepare_X(X[:8]))
    gen = torch.Generator().manual_seed(0)
    out = clf._augment(batch, gen)
    assert out.shape == batch.shape
    assert not torch.equal(out[:, 0], batch[:, 0])
    # shift only: each row is a circular shift by at most 2 pixels
    only_shift = BinarySpectrumCNN(augment_shift=2)._augment(batch, gen)
    for row, orig in zip(only_shift[:, 0], batch[:, 0], strict=True):
        assert any(torch.equal(row, torch.roll(orig, k)) for k in range(-2, 3))
    off = BinarySpectrumCNN()
    assert off._augment(batch, gen) is batch


def test_augmented_training_is_deterministic_and_differs(data, fitted):
    X, y = data
    params = {**TINY, "augment_noise": 0.05, "augment_shift": 1}
    a = BinarySpectrumCNN(**params).fit(X, y).predict_proba(X)
    b = BinarySpectrumCNN(**params).fit(X, y).predict_proba(X)
    np.testing.assert_array_equal(a, b)
    assert not np.array_equal(a, fitted.predict_proba(X))
