"""Tests of ResNet18 (torchvision layout), the augmentation and BeResNet18."""

import pickle

import numpy as np
import pytest
import torch

from sklearn_stellar.neural import BeResNet18, ResNet18
from sklearn_stellar.neural._augment import augment_images, random_homographies
from sklearn_stellar.neural._resnet import load_imagenet_resnet18
from sklearn_stellar.preprocessing import HalphaRasterizer

# torchvision.models.resnet18().state_dict() keys, in order (torchvision 0.x,
# models/resnet.py: BasicBlock conv1/bn1/conv2/bn2/downsample.{0,1}).
TORCHVISION_RESNET18_KEYS = [
    "conv1.weight",
    "bn1.weight",
    "bn1.bias",
    "bn1.running_mean",
    "bn1.running_var",
    "bn1.num_batches_tracked",
    "layer1.0.conv1.weight",
    "layer1.0.bn1.weight",
    "layer1.0.bn1.bias",
    "layer1.0.bn1.running_mean",
    "layer1.0.bn1.running_var",
    "layer1.0.bn1.num_batches_tracked",
    "layer1.0.conv2.weight",
    "layer1.0.bn2.weight",
    "layer1.0.bn2.bias",
    "layer1.0.bn2.running_mean",
    "layer1.0.bn2.running_var",
    "layer1.0.bn2.num_batches_tracked",
    "layer1.1.conv1.weight",
    "layer1.1.bn1.weight",
    "layer1.1.bn1.bias",
    "layer1.1.bn1.running_mean",
    "layer1.1.bn1.running_var",
    "layer1.1.bn1.num_batches_tracked",
    "layer1.1.conv2.weight",
    "layer1.1.bn2.weight",
    "layer1.1.bn2.bias",
    "layer1.1.bn2.running_mean",
    "layer1.1.bn2.running_var",
    "layer1.1.bn2.num_batches_tracked",
    "layer2.0.conv1.weight",
    "layer2.0.bn1.weight",
    "layer2.0.bn1.bias",
    "layer2.0.bn1.running_mean",
    "layer2.0.bn1.running_var",
    "layer2.0.bn1.num_batches_tracked",
    "layer2.0.conv2.weight",
    "layer2.0.bn2.weight",
    "layer2.0.bn2.bias",
    "layer2.0.bn2.running_mean",
    "layer2.0.bn2.running_var",
    "layer2.0.bn2.num_batches_tracked",
    "layer2.0.downsample.0.weight",
    "layer2.0.downsample.1.weight",
    "layer2.0.downsample.1.bias",
    "layer2.0.downsample.1.running_mean",
    "layer2.0.downsample.1.running_var",
    "layer2.0.downsample.1.num_batches_tracked",
    "layer2.1.conv1.weight",
    "layer2.1.bn1.weight",
    "layer2.1.bn1.bias",
    "layer2.1.bn1.running_mean",
    "layer2.1.bn1.running_var",
    "layer2.1.bn1.num_batches_tracked",
    "layer2.1.conv2.weight",
    "layer2.1.bn2.weight",
    "layer2.1.bn2.bias",
    "layer2.1.bn2.running_mean",
    "layer2.1.bn2.running_var",
    "layer2.1.bn2.num_batches_tracked",
    "layer3.0.conv1.weight",
    "layer3.0.bn1.weight",
    "layer3.0.bn1.bias",
    "layer3.0.bn1.running_mean",
    "layer3.0.bn1.running_var",
    "layer3.0.bn1.num_batches_tracked",
    "layer3.0.conv2.weight",
    "layer3.0.bn2.weight",
    "layer3.0.bn2.bias",
    "layer3.0.bn2.running_mean",
    "layer3.0.bn2.running_var",
    "layer3.0.bn2.num_batches_tracked",
    "layer3.0.downsample.0.weight",
    "layer3.0.downsample.1.weight",
    "layer3.0.downsample.1.bias",
    "layer3.0.downsample.1.running_mean",
    "layer3.0.downsample.1.running_var",
    "layer3.0.downsample.1.num_batches_tracked",
    "layer3.1.conv1.weight",
    "layer3.1.bn1.weight",
    "layer3.1.bn1.bias",
    "layer3.1.bn1.running_mean",
    "layer3.1.bn1.running_var",
    "layer3.1.bn1.num_batches_tracked",
    "layer3.1.conv2.weight",
    "layer3.1.bn2.weight",
    "layer3.1.bn2.bias",
    "layer3.1.bn2.running_mean",
    "layer3.1.bn2.running_var",
    "layer3.1.bn2.num_batches_tracked",
    "layer4.0.conv1.weight",
    "layer4.0.bn1.weight",
    "layer4.0.bn1.bias",
    "layer4.0.bn1.running_mean",
    "layer4.0.bn1.running_var",
    "layer4.0.bn1.num_batches_tracked",
    "layer4.0.conv2.weight",
    "layer4.0.bn2.weight",
    "layer4.0.bn2.bias",
    "layer4.0.bn2.running_mean",
    "layer4.0.bn2.running_var",
    "layer4.0.bn2.num_batches_tracked",
    "layer4.0.downsample.0.weight",
    "layer4.0.downsample.1.weight",
    "layer4.0.downsample.1.bias",
    "layer4.0.downsample.1.running_mean",
    "layer4.0.downsample.1.running_var",
    "layer4.0.downsample.1.num_batches_tracked",
    "layer4.1.conv1.weight",
    "layer4.1.bn1.weight",
    "layer4.1.bn1.bias",
    "layer4.1.bn1.running_mean",
    "layer4.1.bn1.running_var",
    "layer4.1.bn1.num_batches_tracked",
    "layer4.1.conv2.weight",
    "layer4.1.bn2.weight",
    "layer4.1.bn2.bias",
    "layer4.1.bn2.running_mean",
    "layer4.1.bn2.running_var",
    "layer4.1.bn2.num_batches_tracked",
    "fc.weight",
    "fc.bias",
]


def test_state_dict_keys_are_torchvision_resnet18():
    assert list(ResNet18().state_dict()) == TORCHVISION_RESNET18_KEYS
    shapes = {k: tuple(v.shape) for k, v in ResNet18().state_dict().items()}
    assert shapes["conv1.weight"] == (64, 3, 7, 7)
    assert shapes["layer4.1.conv2.weight"] == (512, 512, 3, 3)
    assert shapes["fc.weight"] == (1000, 512)
    n_params = sum(p.numel() for p in ResNet18().parameters())
    assert n_params == 11_689_512  # torchvision's resnet18


@pytest.fixture(scope="module")
def imagenet_file(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "resnet18.pth"
    reference = ResNet18(num_classes=1000, in_channels=3)
    # Non-trivial BN statistics so that copying them is checked too.
    reference.bn1.running_mean.uniform_(-1, 1)
    torch.save(reference.state_dict(), path)
    return path, reference


def test_pretrained_loading_sums_rgb_and_replaces_head(imagenet_file):
    path, reference = imagenet_file
    net = load_imagenet_resnet18(path, num_classes=2, in_channels=1)
    state = net.state_dict()
    ref = reference.state_dict()
    assert state["conv1.weight"].shape == (64, 1, 7, 7)
    torch.testing.assert_close(
        state["conv1.weight"], ref["conv1.weight"].sum(dim=1, keepdim=True)
    )
    for key in TORCHVISION_RESNET18_KEYS:
        if key in ("conv1.weight", "fc.weight", "fc.bias"):
            continue
        torch.testing.assert_close(state[key], ref[key])
    assert state["fc.weight"].shape == (2, 512)
    # A grey image seen as R = G = B gives the same features as the RGB net.
    grey = torch.rand(2, 1, 64, 64)
    net.eval()
    reference.eval()
    with torch.no_grad():
        f1 = net.layer1(net.maxpool(net.relu(net.bn1(net.conv1(grey)))))
        x3 = grey.expand(2, 3, 64, 64)
        r = reference
        f3 = r.layer1(r.maxpool(r.relu(r.bn1(r.conv1(x3)))))
    torch.testing.assert_close(f1, f3, atol=1e-4, rtol=1e-4)


def test_pretrained_file_errors(tmp_path, imagenet_file):
    with pytest.raises(FileNotFoundError, match="not found"):
        load_imagenet_resnet18(tmp_path / "nope.pth", num_classes=2)
    bad = dict(imagenet_file[1].state_dict())
    bad.pop("layer3.1.bn2.running_var")
    bad["head.weight"] = torch.zeros(1)
    torch.save(bad, tmp_path / "bad.pth")
    with pytest.raises(ValueError, match="missing keys.*layer3.1.bn2.running_var"):
        load_imagenet_resnet18(tmp_path / "bad.pth", num_classes=2)
    torch.save(ResNet18(width=8).state_dict(), tmp_path / "narrow.pth")
    with pytest.raises(ValueError, match="unexpected shape"):
        load_imagenet_resnet18(tmp_path / "narrow.pth", num_classes=2)
    (tmp_path / "junk.pth").write_bytes(b"not a torch file")
    with pytest.raises(ValueError, match="could not read"):
        load_imagenet_resnet18(tmp_path / "junk.pth", num_classes=2)


def test_be_resnet_pretrained_fit(imagenet_file):
    path, reference = imagenet_file
    X, y = _profiles(24, size=32)
    clf = BeResNet18(
        pretrained=str(path),
        max_epochs=1,
        batch_size=12,
        augment=False,
        random_state=0,
    ).fit(X, y)
    assert clf.module_.mean.item() == pytest.approx(0.449, abs=1e-3)
    assert clf.module_.std.item() == pytest.approx(0.226, abs=1e-3)
    assert clf.module_.resnet.fc.out_features == 2
    # Training started from the file: conv1 moved only a little from the sum.
    start = reference.state_dict()["conv1.weight"].sum(dim=1, keepdim=True)
    now = clf.module_.resnet.conv1.weight.detach().cpu()
    assert torch.mean(torch.abs(now - start)) < 0.1 * torch.mean(torch.abs(start))
    with pytest.raises(ValueError, match="width=64"):
        BeResNet18(pretrained=str(path), width=8).fit(X, y)


def test_augmentation_identity_and_flip():
    g = torch.Generator().manual_seed(1)
    x = torch.rand(6, 1, 12, 12)
    same = augment_images(x, g, max_rotation=0, zoom=(1, 1), warp=0, flip=False)
    torch.testing.assert_close(same, x, atol=1e-5, rtol=0)
    flipped = augment_images(x, g, max_rotation=0, zoom=(1, 1), warp=0, flip=True)
    for a, b in zip(flipped, x, strict=True):
        ok = torch.allclose(a, b, atol=1e-5) or torch.allclose(a, b.flip(-1), atol=1e-5)
        assert ok
    H = random_homographies(
        500,
        torch.Generator().manual_seed(0),
        max_rotation=10,
        zoom=(1, 1.5),
        warp=0,
    )
    # affine part: |det| = 1/zoom^2 in [1/2.25, 1], rotation within 10 degrees
    det = torch.linalg.det(H[:, :2, :2]).abs()
    assert det.min() >= 1 / 2.25 - 1e-5 and det.max() <= 1 + 1e-5
    angle = torch.rad2deg(torch.atan2(H[:, 1, 0].abs(), H[:, 0, 0].abs()))
    assert angle.max() <= 10.0 + 1e-3 and angle.max() > 8.0


def test_augmentation_is_reproducible_and_varies():
    x = torch.rand(4, 1, 16, 16)
    a = augment_images(x, torch.Generator().manual_seed(3))
    b = augment_images(x, torch.Generator().manual_seed(3))
    c = augment_images(x, torch.Generator().manual_seed(4))
    torch.testing.assert_close(a, b)
    assert not torch.allclose(a, c)
    assert not torch.allclose(a, x)


def _profiles(n, size=32, seed=0):
    """Rasterized emission (1) and absorption (0) H-alpha profiles."""
    rng = np.random.default_rng(seed)
    wave = np.linspace(6520.0, 6610.0, 600)
    depth = rng.uniform(0.3, 1.5, n)
    sign = np.where(np.arange(n) % 2 == 0, 1.0, -0.6)
    width = rng.uniform(1.0, 4.0, n)
    flux = 1.0 + (sign * depth)[:, None] * np.exp(
        -0.5 * ((wave - 6564.6) / width[:, None]) ** 2
    )
    flux += rng.normal(0, 0.02, flux.shape)
    raster = HalphaRasterizer(wavelength=wave, size=size, line_width=1.5)
    return raster.fit_transform(flux), (sign > 0).astype(int)


def test_learns_emission_vs_absorption_and_predicts_unseen():
    X, y = _profiles(80, size=32)
    Xt, yt = _profiles(40, size=32, seed=1)
    clf = BeResNet18(width=8, max_epochs=4, batch_size=16, random_state=0).fit(X, y)
    assert clf.image_shape_ == (32, 32)
    assert np.mean(clf.predict(Xt) == yt) >= 0.9
    proba = clf.predict_proba(Xt)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    # Augmentation only in training: inference is deterministic.
    np.testing.assert_array_equal(proba, clf.predict_proba(Xt))


def test_same_seed_same_model_and_pickle_round_trip():
    X, y = _profiles(20, size=16)
    labels = np.where(y == 1, "Be", "non-Be")
    a = BeResNet18(width=4, max_epochs=2, batch_size=8, random_state=5).fit(X, labels)
    b = BeResNet18(width=4, max_epochs=2, batch_size=8, random_state=5).fit(X, labels)
    np.testing.assert_array_equal(a.predict_proba(X), b.predict_proba(X))
    assert a.classes_.tolist() == ["Be", "non-Be"]
    c = pickle.loads(pickle.dumps(a))
    np.testing.assert_array_equal(c.predict_proba(X), a.predict_proba(X))
    assert c.device_ == "cpu"


def test_image_size_contract():
    X, y = _profiles(12, size=16)
    clf = BeResNet18(width=4, max_epochs=1, batch_size=6, image_size=(8, 32))
    assert clf.fit(X, y).image_shape_ == (8, 32)
    with pytest.raises(ValueError, match="image_size.*256 columns"):
        BeResNet18(width=4, max_epochs=1, image_size=(10, 10)).fit(X, y)
    # A row length that is not a square is read as one row of pixels.
    flat = BeResNet18(width=4, max_epochs=1, batch_size=6).fit(X[:, :20], y)
    assert flat.image_shape_ == (1, 20)
    with pytest.raises(ValueError, match="zoom"):
        BeResNet18(width=4, max_epochs=1, zoom=(1.5, 1.0)).fit(X, y)


def test_learning_rate_is_scheduled():
    X, y = _profiles(12, size=16)
    clf = BeResNet18(width=4, max_epochs=3, batch_size=6, random_state=0).fit(X, y)
    lrs = [h.get("event_lr") for h in clf.history_]
    assert lrs[0] == pytest.approx(1e-3) and lrs[-1] < lrs[0]


def test_uint8_images_are_not_cast_to_float64_in_full():
    import tracemalloc

    X, y = _profiles(12, size=32)
    assert X.dtype == np.uint8
    clf = BeResNet18(width=2, max_epochs=1, batch_size=6, random_state=0).fit(X, y)
    big = np.repeat(X, 40, axis=0)  # 480 images, 0.5 MB as uint8
    expected = clf.predict_proba(big.astype(np.float32))
    tracemalloc.start()
    proba = clf.predict_proba(big)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    # uint8 / 255 is rounded from float64, float32 / 255 in float32: 1 ulp apart.
    np.testing.assert_allclose(proba, expected, atol=1e-5)
    # A float64 copy of the batch alone would take 8x the uint8 images.
    assert peak < 4 * big.nbytes
