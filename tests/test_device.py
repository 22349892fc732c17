"""Device placement and precision of the neural classifiers (issue 12, item 4).

The CPU tests run everywhere; the CUDA tests run only where a GPU is present
(skipped on CPU CI) and compare against the CPU.
"""

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_stellar.neural import BeResNet18, BinarySpectrumCNN
from sklearn_stellar.neural._device import DeviceBatches, autocast, fits_on_device

CUDA = pytest.mark.skipif(not torch.cuda.is_available(), reason="needs CUDA")


def _spectra(n=60, n_pixels=64, seed=0):
    rng = np.random.default_rng(seed)
    X = 1.0 + 0.05 * rng.standard_normal((n, n_pixels))
    y = np.arange(n) % 2
    X[y == 1, 20:28] -= 0.3  # an absorption feature marks class 1
    return X.astype(np.float32), y


def _cnn(**params):
    base = {
        "n_filters": 4,
        "max_epochs": 3,
        "batch_size": 16,
        "lr": 1e-2,
        "validation_fraction": None,
        "random_state": 0,
    }
    return BinarySpectrumCNN(**{**base, **params})


@settings(max_examples=30, deadline=None)
@given(
    n=st.integers(1, 50),
    batch_size=st.integers(1, 17),
    shuffle=st.booleans(),
    seed=st.integers(0, 2**31 - 1),
)
def test_device_batches_cover_every_row_once(n, batch_size, shuffle, seed):
    X = np.arange(n, dtype=np.float32)[:, None]
    y = np.arange(n)
    gen = torch.Generator().manual_seed(seed)
    batches = DeviceBatches(
        X, y, batch_size, device="cpu", shuffle=shuffle, generator=gen
    )
    seen = torch.cat([yb for _, yb in batches]).numpy()
    assert len(list(batches)) == len(batches) == -(-n // batch_size)
    assert sorted(seen.tolist()) == list(range(n))
    xs = torch.cat([xb for xb, _ in batches]).numpy()[:, 0]
    assert np.all(np.diff(xs) >= 0) or shuffle  # X and y stay paired below
    for xb, yb in batches:
        np.testing.assert_array_equal(xb.numpy()[:, 0], yb.numpy())


def test_device_batches_are_reproducible_for_a_seed():
    X, y = np.arange(20.0)[:, None], np.arange(20)

    def order(seed):
        gen = torch.Generator().manual_seed(seed)
        b = DeviceBatches(X, y, 6, device="cpu", shuffle=True, generator=gen)
        return torch.cat([yb for _, yb in b]).tolist()

    assert order(3) == order(3)
    assert order(3) != order(4)


def test_nothing_is_resident_on_the_cpu():
    # The resident path is for CUDA only: CPU training keeps skorch's loader
    # (and with it the bit-identical CPU results of earlier releases).
    assert not fits_on_device(1, "cpu")


def test_precision_is_validated():
    X, y = _spectra()
    with pytest.raises(ValueError, match="precision"):
        _cnn(precision="fp8").fit(X, y)


def test_autocast_float32_changes_nothing():
    lin = torch.nn.Linear(4, 2)
    x = torch.randn(3, 4)
    with autocast("cpu", "float32"):
        y = lin(x)
    assert y.dtype == torch.float32
    torch.testing.assert_close(y, lin(x), rtol=0, atol=0)


def test_bf16_inference_is_close_to_float32():
    X, y = _spectra()
    clf = _cnn().fit(X, y)
    p32 = clf.predict_proba(X)
    p16 = clf.set_params(precision="bf16").predict_proba(X)
    assert p16.dtype == np.float64
    np.testing.assert_allclose(p16.sum(axis=1), 1.0, atol=1e-12)
    # bfloat16 keeps 8 bits of mantissa: probabilities move by ~1e-2 at most.
    assert np.max(np.abs(p16 - p32)) < 0.05


def test_bf16_training_runs_and_learns_on_cpu():
    X, y = _spectra(n=80)
    clf = _cnn(precision="bf16", max_epochs=8).fit(X, y)
    assert np.isfinite(clf.history_[-1]["train_loss"])
    assert clf.score(X, y) > 0.8
    assert all(p.dtype == torch.float32 for p in clf.module_.parameters())


@CUDA
def test_cuda_training_matches_cpu_predictions():
    X, y = _spectra(n=200, n_pixels=256)
    gpu = _cnn(device="cuda").fit(X, y)
    assert gpu.device_ == "cuda"
    p_gpu = gpu.predict_proba(X)
    cpu = gpu.set_params(device="cpu")
    p_cpu = cpu.predict_proba(X)
    # TF32/cuDNN convolutions against oneDNN float32: stated tolerance 1e-3.
    np.testing.assert_allclose(p_gpu, p_cpu, atol=1e-3)
    assert gpu.score(X, y) > 0.8


@CUDA
def test_cuda_resnet_bf16_channels_last():
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (64, 32 * 32)).astype(np.uint8)
    y = np.arange(64) % 2
    X[y == 1, 300:400] = 255
    clf = BeResNet18(
        width=8,
        max_epochs=3,
        batch_size=16,
        precision="bf16",
        channels_last=True,
        device="cuda",
        random_state=0,
    ).fit(X, y)
    p_gpu = clf.predict_proba(X)
    p_cpu = clf.set_params(device="cpu", precision="float32").predict_proba(X)
    np.testing.assert_allclose(p_gpu, p_cpu, atol=0.05)


def test_device_preparation_matches_the_cpu_preparation():
    # What CUDA inference feeds the network is what CPU inference feeds it,
    # here checked on the CPU (read-only input, NaN pixels, uint8 images).
    X, y = _spectra()
    X[0, :5] = np.nan
    X.setflags(write=False)
    cnn = _cnn(max_epochs=1).fit(X, y)
    dev = cnn._prepare_on_device(X, "cpu")
    torch.testing.assert_close(dev, torch.from_numpy(cnn._prepare_X(X)), rtol=0, atol=0)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (8, 16 * 16)).astype(np.uint8)
    resnet = BeResNet18(width=2, max_epochs=1, batch_size=4, random_state=0)
    resnet.fit(images, np.arange(8) % 2)
    dev = resnet._prepare_on_device(images, "cpu")
    torch.testing.assert_close(dev, torch.from_numpy(resnet._prepare_X(images)))
