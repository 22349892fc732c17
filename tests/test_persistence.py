"""Model files: round trips, bit-identical predictions, and what is refused."""

import io
import pickle
import sys
import warnings
import zipfile

import numpy as np
import pytest
import torch
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from imblearn.over_sampling import SMOTE, RandomOverSampler
from imblearn.pipeline import Pipeline as ImbPipeline
from imblearn.under_sampling import RandomUnderSampler
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import LabelEncoder, MinMaxScaler, StandardScaler
from sklearn.svm import SVC

from sklearn_stellar.domain import DomainGuard, SpectralNoveltyDetector
from sklearn_stellar.filters import (
    EWFilter,
    FilteredClassifier,
    FilterRejectionWarning,
    QColorFilter,
    stack_photometry,
)
from sklearn_stellar.lines import EWTransformer
from sklearn_stellar.neural import BeResNet18, BinarySpectrumCNN
from sklearn_stellar.persistence import (
    FORMAT_VERSION,
    ModelFileError,
    allowed_classes,
    load_model,
    read_manifest,
    save_model,
)
from sklearn_stellar.persistence._archive import read_archive, write_archive
from sklearn_stellar.persistence._codec import Decoder, Encoder
from sklearn_stellar.preprocessing import ContinuumNormalizer, HalphaRasterizer
from sklearn_stellar.utils import all_estimators

WAVE = np.linspace(6500.0, 6620.0, 60)  # air, Angstrom, around H-alpha


@pytest.fixture(scope="module")
def spectra():
    """30 noisy flat spectra; class 1 has an H-alpha emission bump."""
    rng = np.random.default_rng(0)
    X = 1.0 + 0.01 * rng.standard_normal((30, WAVE.size))
    y = np.r_[[0] * 20, [1] * 10]
    X[y == 1, 28:32] += 0.3
    X[3, 10] = np.nan  # a masked pixel
    return X, y


def _round_trip(estimator, tmp_path, name="model.skstellar", **kwargs):
    path = save_model(estimator, tmp_path / name, **kwargs)
    return load_model(path), path


def _outputs(est, X):
    """Everything an estimator computes from X (transform, masks, probabilities)."""
    out = {}
    # A filtered classifier warns when its filters reject rows of X; here the
    # rejections are data, compared between the saved and the loaded model.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilterRejectionWarning)
        for method in ("transform", "pass_mask", "predict_proba", "predict"):
            if hasattr(est, method):
                out[method] = getattr(est, method)(X)
    return out


def _assert_same_outputs(a, b, X):
    left, right = _outputs(a, X), _outputs(b, X)
    assert left.keys() == right.keys() and left
    for key in left:
        assert left[key].dtype == right[key].dtype, key
        assert np.array_equal(left[key], right[key], equal_nan=True), key


def _public_builders(X, y):
    """A small fitted instance of every public estimator, with its input."""
    jhk = np.tile([10.0, 9.95, 9.92], (X.shape[0], 1))
    jhk[:5] = [10.0, 9.3, 9.15]
    cut = [((6550.0, 6570.0), None, 10.0)]
    return {
        "ContinuumNormalizer": (ContinuumNormalizer(wavelength=WAVE, sigma=30.0), X),
        "HalphaRasterizer": (
            HalphaRasterizer(wavelength=WAVE, medium="air", size=8),
            X,
        ),
        "EWTransformer": (
            EWTransformer(wavelength=WAVE, windows=[(6550.0, 6570.0)], medium="air"),
            X,
        ),
        "EWFilter": (
            EWFilter(
                wavelength=WAVE,
                cuts=cut,
                medium="air",
                normalizer=ContinuumNormalizer(wavelength=WAVE, method="spline"),
            ),
            X,
        ),
        "QColorFilter": (QColorFilter(), jhk),
        "FilteredClassifier": (
            FilteredClassifier(
                [("q", QColorFilter())],
                LogisticRegression(),
                photometry=("J", "H", "Ks"),
            ),
            stack_photometry(np.nan_to_num(X, nan=1.0), jhk),
        ),
        "BinarySpectrumCNN": (
            BinarySpectrumCNN(
                n_filters=2,
                hidden_units=4,
                max_epochs=2,
                validation_fraction=None,
                random_state=0,
            ),
            X,
        ),
        "BeResNet18": (
            BeResNet18(width=2, max_epochs=1, channels_last=False, random_state=0),
            np.nan_to_num(X[:, :49], nan=1.0) * 100.0,
        ),
        "SpectralNoveltyDetector": (SpectralNoveltyDetector(n_components=3), X),
        "DomainGuard": (
            DomainGuard(
                wavelength=WAVE,
                medium="air",
                novelty=SpectralNoveltyDetector(n_components=3),
                min_der_snr=5.0,
            ),
            X,
        ),
    }


def test_every_public_estimator_round_trips(spectra, tmp_path):
    X, y = spectra
    builders = _public_builders(X, y)
    assert set(builders) == {name for name, _ in all_estimators()}
    for name, (est, data) in builders.items():
        est.fit(data, y)
        loaded, _ = _round_trip(est, tmp_path, f"{name}.skstellar")
        assert type(loaded) is type(est), name
        _assert_same_outputs(est, loaded, data)
        assert sorted(vars(loaded)) == sorted(vars(est)), name


def _third_party_models(X, y):
    Xf = np.nan_to_num(X, nan=1.0)
    return [
        (StandardScaler().fit(Xf), Xf),
        (MinMaxScaler().fit(Xf), Xf),
        (LogisticRegression(C=0.5).fit(Xf, y), Xf),
        (make_pipeline(StandardScaler(), LogisticRegression()).fit(Xf, y), Xf),
        (
            ImbPipeline(
                [
                    ("over", RandomOverSampler(random_state=0)),
                    ("smote", SMOTE(k_neighbors=3, random_state=0)),
                    ("under", RandomUnderSampler(random_state=0)),
                    ("clf", LogisticRegression()),
                ]
            ).fit(Xf, y),
            Xf,
        ),
    ]


def test_allowed_third_party_classes_round_trip(spectra, tmp_path):
    X, y = spectra
    covered = {
        "sklearn.preprocessing.LabelEncoder",
        *(n for n in allowed_classes() if n.startswith("sklearn_stellar.")),
    }
    for i, (est, data) in enumerate(_third_party_models(X, y)):
        loaded, path = _round_trip(est, tmp_path, f"m{i}.zip")
        _assert_same_outputs(est, loaded, data)
        covered |= {name for name, _ in _classes(read_manifest(path)["model"])}
    enc = LabelEncoder().fit(["single", "binary", "single"])
    loaded, _ = _round_trip(enc, tmp_path, "labels.zip")
    assert loaded.classes_.tolist() == ["binary", "single"]
    assert loaded.transform(["single"]).tolist() == [1]
    assert covered == set(allowed_classes())


def _classes(tree):
    if isinstance(tree, list):
        for item in tree:
            yield from _classes(item)
    elif isinstance(tree, dict):
        if tree.get("__kind__") == "estimator":
            yield tree["class"], tree
        for item in tree.values():
            yield from _classes(item)


@pytest.fixture(scope="module")
def binary_pipeline(spectra):
    """ContinuumNormalizer -> RandomOverSampler -> BinarySpectrumCNN, fitted."""
    X, y = spectra
    pipe = ImbPipeline(
        [
            ("norm", ContinuumNormalizer(wavelength=WAVE, sigma=50.0)),
            ("over", RandomOverSampler(random_state=0)),
            (
                "cnn",
                BinarySpectrumCNN(
                    n_filters=2,
                    hidden_units=4,
                    max_epochs=3,
                    lr=1e-2,
                    validation_fraction=None,
                    random_state=0,
                ),
            ),
        ]
    )
    return pipe.fit(X, y)


def test_binary_pipeline_predicts_bit_identically(binary_pipeline, spectra, tmp_path):
    X, _ = spectra
    loaded, path = _round_trip(
        binary_pipeline, tmp_path, provenance={"training": "toy", "n": 30}
    )
    assert np.array_equal(loaded.predict_proba(X), binary_pipeline.predict_proba(X))
    assert np.array_equal(loaded.predict(X), binary_pipeline.predict(X))
    manifest = read_manifest(path)
    assert manifest["format_version"] == FORMAT_VERSION
    assert manifest["provenance"]["user"] == {"training": "toy", "n": 30}
    assert manifest["summary"]["wavelength_grids"][0]["n_pixels"] == WAVE.size
    assert {"sklearn_stellar", "numpy", "scikit-learn", "torch"} <= set(
        manifest["versions"]
    )
    # the network's weights are plain .npy entries, one per tensor
    names = list(manifest["entries"])
    assert any("module_/stem.0.weight" in name for name in names)
    assert all(name.endswith(".npy") for name in names)


def test_be_pipeline_predicts_bit_identically(spectra, tmp_path):
    X, y = spectra
    be = FilteredClassifier(
        filters=[
            (
                "ew",
                EWFilter(
                    wavelength=WAVE,
                    medium="air",
                    cuts=[((6550.0, 6570.0), None, 10.0)],
                    normalizer=ContinuumNormalizer(wavelength=WAVE),
                ),
            )
        ],
        estimator=make_pipeline(
            ContinuumNormalizer(wavelength=WAVE, method="spline"),
            HalphaRasterizer(wavelength=WAVE, medium="air", size=8),
            BeResNet18(width=4, max_epochs=1, channels_last=False, random_state=0),
        ),
    ).fit(X, y)
    loaded, _ = _round_trip(be, tmp_path)
    assert np.array_equal(loaded.predict_proba(X), be.predict_proba(X))
    assert np.array_equal(loaded.measure(X).pass_mask, be.measure(X).pass_mask)


def _entry_offset(path, name):
    """Offset in the file of the first data byte of entry ``name``."""
    with zipfile.ZipFile(path) as zf:
        info = zf.getinfo(name)
    with open(path, "rb") as fh:
        fh.seek(info.header_offset + 26)
        n_name, n_extra = np.frombuffer(fh.read(4), dtype="<u2")
    return info.header_offset + 30 + int(n_name) + int(n_extra), info.file_size


def test_one_flipped_byte_in_an_entry_names_file_and_entry(binary_pipeline, tmp_path):
    path = save_model(binary_pipeline, tmp_path / "m.skstellar")
    entry = next(n for n in read_manifest(path)["entries"] if "stem.0.weight" in n)
    start, size = _entry_offset(path, entry)
    data = bytearray(path.read_bytes())
    data[start + size - 3] ^= 0x01  # a weight's last bytes
    path.write_bytes(bytes(data))
    with pytest.raises(ModelFileError) as info:
        load_model(path)
    assert info.value.entry == entry
    assert str(path) in str(info.value) and entry in str(info.value)


def test_every_single_byte_change_is_refused(spectra, tmp_path):
    X, y = spectra
    est = LogisticRegression().fit(np.nan_to_num(X[:, :4], nan=1.0), y)
    path = save_model(est, tmp_path / "small.zip")
    original = path.read_bytes()
    damaged = tmp_path / "damaged.zip"
    for offset in range(len(original)):
        data = bytearray(original)
        data[offset] ^= 0x20
        damaged.write_bytes(bytes(data))
        with pytest.raises(ModelFileError, match="damaged.zip"):
            load_model(damaged)


def _rewrite(path, edit=None, replace=None):
    """Rewrite a model file with its digests made consistent again."""
    manifest, entries = read_archive(path)
    manifest.pop("entries")
    if edit is not None:
        edit(manifest)
    entries.update(replace or {})
    write_archive(path, manifest, entries)


def test_newer_format_version_is_refused(tmp_path):
    path = save_model(StandardScaler().fit(np.eye(3)), tmp_path / "new.zip")
    _rewrite(path, edit=lambda m: m.update(format_version=FORMAT_VERSION + 1))
    with pytest.raises(ModelFileError, match=r"new\.zip.*format version 2 is newer"):
        load_model(path)


def test_unknown_class_is_refused_before_import(tmp_path, monkeypatch):
    # A module that would leave a marker file if it were ever imported.
    marker = tmp_path / "imported.txt"
    (tmp_path / "evil_persistence_module.py").write_text(
        f"open({str(marker)!r}, 'w').close()\nclass Payload:\n    pass\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    pipe = make_pipeline(StandardScaler(), LogisticRegression())
    pipe.fit(np.r_[np.zeros((3, 2)), np.ones((3, 2))], [0, 0, 0, 1, 1, 1])
    path = save_model(pipe, tmp_path / "unknown.zip")

    def edit(manifest):
        step = manifest["model"]["params"]["steps"][1]["items"][1]
        step["class"] = "evil_persistence_module.Payload"

    _rewrite(path, edit=edit)
    with pytest.raises(ModelFileError, match=r"unknown\.zip.*evil_persistence_module"):
        load_model(path)
    assert not marker.exists()
    assert "evil_persistence_module" not in sys.modules


class _Payload:
    """Unpickling this creates the file ``path`` (a harmless stand-in for code)."""

    def __init__(self, path):
        self.path = str(path)

    def __reduce__(self):
        return (open, (self.path, "w"))


def test_pickle_payload_inside_is_not_executed(binary_pipeline, tmp_path):
    # The payload works: plain unpickling runs it.
    proof = tmp_path / "proof.txt"
    pickle.loads(pickle.dumps(_Payload(proof))).close()
    assert proof.exists()

    marker = tmp_path / "executed.txt"
    raw = pickle.dumps(_Payload(marker))
    buf = io.BytesIO()
    np.save(buf, np.array([_Payload(marker)], dtype=object), allow_pickle=True)
    for name, payload in [("raw.zip", raw), ("npy.zip", buf.getvalue())]:
        path = save_model(binary_pipeline, tmp_path / name)
        entry = next(n for n in read_manifest(path)["entries"] if "stem.0.w" in n)
        _rewrite(path, replace={entry: payload})
        with pytest.raises(ModelFileError) as info:
            load_model(path)
        assert info.value.entry == entry and name in str(info.value)
        assert not marker.exists()


@pytest.mark.skipif(torch.cuda.is_available(), reason="needs a machine without CUDA")
def test_cuda_device_model_loads_on_cpu(binary_pipeline, spectra, tmp_path):
    X, _ = spectra
    expected = binary_pipeline.predict_proba(X)
    cnn = binary_pipeline.named_steps["cnn"]
    device = cnn.device
    cnn.set_params(device="cuda")
    try:
        path = save_model(binary_pipeline, tmp_path / "cuda.zip")
    finally:
        cnn.set_params(device=device)
    with pytest.warns(UserWarning, match=r"cuda\.zip.*device='cuda'.*CPU"):
        loaded = load_model(path)
    net = loaded.named_steps["cnn"]
    assert net.device == "cpu"
    assert {p.device.type for p in net.module_.parameters()} == {"cpu"}
    assert np.array_equal(loaded.predict_proba(X), expected)


def test_stored_state_inconsistent_with_parameters_is_refused(spectra, tmp_path):
    X, _ = spectra
    path = save_model(ContinuumNormalizer(wavelength=WAVE).fit(X), tmp_path / "c.zip")

    def edit(manifest):
        manifest["model"]["fitted"]["segments_"] = [
            {"__kind__": "tuple", "items": [0, 10]}
        ]

    _rewrite(path, edit=edit)
    with pytest.raises(ModelFileError, match=r"c\.zip.*'segments_' differs"):
        load_model(path)


def test_what_cannot_be_stored_is_refused_on_save(spectra, tmp_path):
    X, y = spectra
    Xf = np.nan_to_num(X, nan=1.0)
    with pytest.raises(TypeError, match=r"sklearn\.svm.*SVC.*allow-list"):
        save_model(make_pipeline(StandardScaler(), SVC()), tmp_path / "a.zip")
    sampler = RandomOverSampler(sampling_strategy=lambda y: {0: 20, 1: 20})
    pipe = ImbPipeline([("over", sampler), ("clf", LogisticRegression())])
    with pytest.raises(TypeError, match=r"model/steps/0/1/sampling_strategy"):
        save_model(pipe, tmp_path / "b.zip")

    class MyScaler(StandardScaler):
        pass

    with pytest.raises(TypeError, match=r"MyScaler is not on the model-file allow"):
        save_model(MyScaler().fit(Xf), tmp_path / "s.zip")
    scaler = StandardScaler().fit(Xf)
    scaler.extra = "not a fitted attribute"
    with pytest.raises(TypeError, match=r"'extra'"):
        save_model(scaler, tmp_path / "c.zip")
    scaler = StandardScaler().fit(Xf)
    scaler.callback_ = print
    with pytest.raises(TypeError, match=r"model/callback_.*builtin_function"):
        save_model(scaler, tmp_path / "d.zip")
    assert not any(tmp_path.iterdir())  # nothing half-written


def test_bad_arguments(tmp_path):
    scaler = StandardScaler().fit(np.eye(3))
    with pytest.raises(TypeError, match="`path`"):
        save_model(scaler, 3)
    with pytest.raises(TypeError, match="`estimator`"):
        save_model(object(), tmp_path / "x.zip")
    with pytest.raises(TypeError, match=r"`provenance\['when'\]`"):
        save_model(scaler, tmp_path / "x.zip", provenance={"when": object()})
    with pytest.raises(ValueError, match=r"`provenance\['auc'\]` must be a finite"):
        save_model(scaler, tmp_path / "x.zip", provenance={"auc": float("nan")})
    with pytest.raises(FileNotFoundError):
        load_model(tmp_path / "missing.zip")


def test_files_that_are_not_models_are_refused(tmp_path):
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a zip at all")
    with pytest.raises(ModelFileError, match=r"junk\.bin.*not a zip archive"):
        load_model(junk)
    other = tmp_path / "other.zip"
    with zipfile.ZipFile(other, "w") as zf:
        zf.writestr("data.txt", "hello")
    with pytest.raises(ModelFileError, match=r"other\.zip.*no manifest\.json"):
        load_model(other)


@settings(max_examples=15, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    method=st.sampled_from(["gaussian", "spline"]),
    sigma=st.floats(5.0, 500.0),
    kernel=st.sampled_from(["paper", "cannon"]),
    max_gap=st.one_of(st.none(), st.floats(5.0, 30.0)),
    knot_spacing=st.floats(5.0, 60.0),
    n_iter=st.integers(0, 4),
    gap=st.integers(5, 50),
)
def test_continuum_normalizer_round_trip_property(
    tmp_path_factory, method, sigma, kernel, max_gap, knot_spacing, n_iter, gap
):
    wave = np.r_[np.linspace(5000.0, 5100.0, 40), np.linspace(5100.0 + gap, 5200.0, 30)]
    X = 1.0 + 0.05 * np.random.default_rng(1).standard_normal((4, wave.size))
    est = ContinuumNormalizer(
        wavelength=wave,
        method=method,
        sigma=sigma,
        kernel=kernel,
        max_gap=max_gap,
        knot_spacing=knot_spacing,
        n_iter=n_iter,
    ).fit(X)
    loaded, _ = _round_trip(est, tmp_path_factory.mktemp("cn"))
    assert loaded.get_params().keys() == est.get_params().keys()
    for key, value in est.get_params().items():
        assert np.array_equal(loaded.get_params()[key], value)
    assert np.array_equal(loaded.transform(X), est.transform(X), equal_nan=True)


_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(2**62), 2**62),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=5),
    st.floats(width=32, allow_nan=False).map(np.float32),
    st.integers(-100, 100).map(np.int64),
)
_arrays = hnp.arrays(
    dtype=st.sampled_from([np.float32, np.float64, np.int64, np.bool_, np.uint8]),
    shape=hnp.array_shapes(min_dims=0, max_dims=2, max_side=3),
)
_values = st.recursive(
    st.one_of(_scalars, _arrays),
    lambda inner: st.one_of(
        st.lists(inner, max_size=3),
        st.lists(inner, max_size=3).map(tuple),
        st.dictionaries(
            st.one_of(st.text(max_size=3), st.integers()), inner, max_size=3
        ),
    ),
    max_leaves=8,
)


def _equal(a, b):
    if isinstance(a, np.ndarray):
        return (
            type(b) is np.ndarray
            and a.dtype == b.dtype
            and np.array_equal(a, b, equal_nan=a.dtype.kind == "f")
        )
    if isinstance(a, float) and np.isnan(a):
        return isinstance(b, float) and np.isnan(b)
    if isinstance(a, (list, tuple)):
        return type(a) is type(b) and len(a) == len(b) and all(map(_equal, a, b))
    if isinstance(a, dict):
        return (
            type(a) is type(b)
            and list(a) == list(b)
            and all(_equal(a[k], b[k]) for k in a)
        )
    return type(a) is type(b) and a == b


@settings(max_examples=60, deadline=None)
@given(value=_values)
def test_value_codec_round_trip_property(value):
    enc = Encoder(node_hook=None)
    tree = enc.value(value, "v")

    def read(entry, where):
        return np.load(io.BytesIO(enc.entries[entry]), allow_pickle=False)

    def fail(problem, where):
        raise AssertionError(problem)

    assert _equal(Decoder(read, None, fail).value(tree, "v"), value)


def test_uncommon_values_round_trip(tmp_path):
    import pandas as pd

    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(20, 3)), columns=["a", "b", "c"])
    y = np.r_[[0] * 14, [1] * 6]
    pipe = ImbPipeline(
        [
            ("over", RandomOverSampler(random_state=np.random.RandomState(3))),
            ("scale", StandardScaler()),
            ("clf", LogisticRegression(class_weight={0: 1.0, 1: 2.5})),
        ]
    ).set_output(transform="pandas")
    pipe.fit(X, y)
    loaded, _ = _round_trip(pipe, tmp_path)
    assert loaded.named_steps["scale"].feature_names_in_.tolist() == ["a", "b", "c"]
    assert isinstance(loaded.named_steps["scale"].transform(X), pd.DataFrame)
    assert np.array_equal(loaded.predict_proba(X), pipe.predict_proba(X))
    state = loaded.named_steps["over"].random_state.get_state()
    saved = pipe.named_steps["over"].random_state.get_state()  # advanced by fit
    assert np.array_equal(state[1], saved[1]) and state[2:] == saved[2:]
    assert loaded.named_steps["clf"].class_weight == {0: 1.0, 1: 2.5}


def test_pretrained_path_is_not_read_on_load(tmp_path):
    rng = np.random.default_rng(0)
    X, y = rng.uniform(0, 255, (20, 49)), np.r_[[0] * 10, [1] * 10]
    net = BeResNet18(width=4, channels_last=False, max_epochs=1, random_state=0)
    net.fit(X, y).set_params(pretrained=tmp_path / "no_such_weights.pt")
    loaded, _ = _round_trip(net, tmp_path)
    assert loaded.pretrained == tmp_path / "no_such_weights.pt"
    images = rng.uniform(0, 255, (5, 49)).astype(np.uint8)
    assert np.array_equal(loaded.predict_proba(images), net.predict_proba(images))


def test_same_model_gives_same_bytes_but_the_date(spectra, tmp_path):
    X, _ = spectra
    est = ContinuumNormalizer(wavelength=WAVE).fit(X)
    first = read_archive(save_model(est, tmp_path / "a.zip"))
    second = read_archive(save_model(est, tmp_path / "b.zip"))
    for manifest, _ in (first, second):
        manifest["provenance"].pop("saved_at")
    assert first == second


def test_real_lamost_spectra_round_trip(data_home, tmp_path):
    """Eight real LAMOST DR7 LRS spectra (3909 pixels, masked pixels as NaN)."""
    from astropy.io import fits

    files = sorted(
        (data_home / "lamost/lrs/dr7_plan_HD103621N361936B01").glob("*.fits")
    )
    rows = [fits.getdata(f).astype(np.float64) for f in files[:8]]
    wave = rows[0][2]
    flux = np.array([r[0] for r in rows])
    flux[np.array([r[1] for r in rows]) == 0] = np.nan
    y = np.r_[[0] * 5, [1] * 3]
    pipe = ImbPipeline(
        [
            ("norm", ContinuumNormalizer(wavelength=wave, sigma=350.0)),
            ("over", RandomOverSampler(random_state=0)),
            (
                "cnn",
                BinarySpectrumCNN(
                    n_filters=2,
                    hidden_units=4,
                    max_epochs=2,
                    validation_fraction=None,
                    random_state=0,
                ),
            ),
        ]
    ).fit(flux, y)
    loaded, path = _round_trip(pipe, tmp_path, provenance={"files": len(rows)})
    assert np.isnan(flux).any()
    assert np.array_equal(loaded.predict_proba(flux), pipe.predict_proba(flux))
    grid = read_manifest(path)["summary"]["wavelength_grids"][0]
    assert (grid["n_pixels"], grid["min"], grid["max"]) == (
        wave.size,
        float(wave.min()),
        float(wave.max()),
    )


def test_unfitted_recipe_round_trips_and_fits_alike(spectra, tmp_path):
    X, y = spectra
    recipe = ImbPipeline(
        [
            ("norm", ContinuumNormalizer(wavelength=list(WAVE), sigma=40.0)),
            ("over", RandomOverSampler(random_state=0)),
            ("clf", LogisticRegression()),
        ]
    )
    loaded, path = _round_trip(recipe, tmp_path)
    assert read_manifest(path)["summary"]["fitted"] is False
    assert loaded.get_params()["norm__wavelength"] == list(WAVE)
    Xf = np.nan_to_num(X, nan=1.0)
    assert np.array_equal(
        loaded.fit(Xf, y).predict_proba(Xf), recipe.fit(Xf, y).predict_proba(Xf)
    )


def test_non_finite_weights_are_refused(binary_pipeline, tmp_path):
    # A file whose checksums are consistent but whose weights hold NaN (a
    # model saved after training diverged, or edited) is refused by name.
    path = save_model(binary_pipeline, tmp_path / "nan.zip")
    entry = next(n for n in read_manifest(path)["entries"] if "stem.0.w" in n)
    _, entries = read_archive(path)
    weights = np.load(io.BytesIO(entries[entry]), allow_pickle=False)
    weights = weights.copy()
    weights.flat[0] = np.nan
    buf = io.BytesIO()
    np.save(buf, weights, allow_pickle=False)
    _rewrite(path, replace={entry: buf.getvalue()})
    with pytest.raises(ModelFileError, match="NaN or inf") as info:
        load_model(path)
    assert "nan.zip" in str(info.value)
