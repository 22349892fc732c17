"""Non-finite weights are refused: from a weights file, or after a diverged fit."""

import numpy as np
import pytest
import torch
from sklearn.exceptions import ConvergenceWarning

from sklearn_stellar.neural import BinarySpectrumCNN, ResNet18
from sklearn_stellar.neural._checks import check_finite_state, check_trained_module
from sklearn_stellar.neural._resnet import load_imagenet_resnet18

TINY = {
    "n_filters": 4,
    "kernel_size": 3,
    "stem_stride": 2,
    "hidden_units": 16,
    "dropout": 0.1,
    "max_epochs": 3,
    "batch_size": 16,
    "validation_fraction": None,
    "random_state": 0,
}


def _spectra(n=48, n_pix=64, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, n)
    pix = np.arange(n_pix)
    depth = np.where(y == 1, 0.5, 0.25)[:, None]
    X = 1 - depth * np.exp(-0.5 * ((pix - n_pix / 2) / 2.0) ** 2)
    return X + 0.02 * rng.standard_normal(X.shape), y


@pytest.fixture(scope="module")
def resnet_state():
    torch.manual_seed(0)
    return ResNet18(num_classes=1000, in_channels=3).state_dict()


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("conv1.weight", float("nan")),
        ("layer2.0.conv1.weight", float("inf")),
        ("bn1.running_var", float("-inf")),  # a buffer, not a parameter
    ],
)
def test_weights_file_with_non_finite_values_is_refused(
    tmp_path, resnet_state, key, value
):
    state = {k: v.clone() for k, v in resnet_state.items()}
    state[key].view(-1)[:3] = value
    path = tmp_path / "resnet18.pth"
    torch.save(state, path)
    with pytest.raises(ValueError, match=rf"{path}: weights '{key}' hold 3 of"):
        load_imagenet_resnet18(path, num_classes=2)


def test_weights_file_all_nan_is_refused(tmp_path, resnet_state):
    state = {
        k: torch.full_like(v, float("nan")) if v.is_floating_point() else v
        for k, v in resnet_state.items()
    }
    torch.save(state, tmp_path / "nan.pth")
    with pytest.raises(ValueError, match="non-finite values"):
        load_imagenet_resnet18(tmp_path / "nan.pth", num_classes=2)


def test_finite_weights_file_still_loads(tmp_path, resnet_state):
    torch.save(resnet_state, tmp_path / "ok.pth")
    net = load_imagenet_resnet18(tmp_path / "ok.pth", num_classes=3)
    assert all(torch.isfinite(p).all() for p in net.parameters())


def test_diverged_training_raises_instead_of_predicting_one_class():
    X, y = _spectra()
    # lr = 1e12: Adam's first steps overflow the weights to inf, then NaN.
    with pytest.raises(ValueError, match=r"training diverged .*epoch 1.*Lower `lr`"):
        BinarySpectrumCNN(**TINY, lr=1e12).fit(X, y)


def test_sane_training_passes_the_check():
    X, y = _spectra()
    clf = BinarySpectrumCNN(**TINY, lr=1e-2).fit(X, y)
    assert np.isfinite(clf.predict_proba(X)).all()


def test_nan_loss_with_finite_restored_weights_warns():
    module = torch.nn.Linear(4, 2)
    history = [
        {"train_loss": 0.7, "valid_loss": 0.6},
        {"train_loss": float("nan"), "valid_loss": float("nan")},
    ]
    with pytest.warns(ConvergenceWarning, match="non-finite at epoch 2"):
        check_trained_module(module, history)
    check_trained_module(module, history[:1])  # finite: silent


def test_check_finite_state_ignores_integer_tensors():
    check_finite_state(
        {"num_batches_tracked": torch.tensor(3), "w": torch.zeros(2)}, source="f"
    )
    with pytest.raises(ValueError, match="f: weights 'w' hold 2 of 2"):
        check_finite_state({"w": torch.tensor([np.nan, np.inf])}, source="f")
