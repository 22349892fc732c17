"""make_binary_spectra: real MILES spectra turned into LAMOST-like singles/binaries."""

import numpy as np
import pytest
from sklearn.utils._param_validation import InvalidParameterError

from sklearn_stellar.datasets import main_sequence_relation, make_binary_spectra
from sklearn_stellar.lines import der_snr

C_KMS = 299792.458


@pytest.fixture(scope="module")
def bunch(data_home):
    return make_binary_spectra(n_samples=400, random_state=0, data_home=data_home)


def test_bunch_layout(bunch):
    X, y = bunch.data, bunch.target
    assert X.shape == (400, len(bunch.wavelength)) and X.dtype == np.float32
    assert np.all(np.isfinite(X))
    assert set(np.unique(y)) == {0, 1}
    assert bunch.target_names.tolist() == ["single", "binary"]
    assert len(bunch.metadata) == len(bunch.split) == len(bunch.groups) == 400
    assert "approximation" in bunch.DESCR
    # LAMOST LRS sampling: log-linear, 1e-4 dex, inside MILES and LAMOST coverage
    np.testing.assert_allclose(np.diff(np.log10(bunch.wavelength)), 1e-4, atol=1e-12)
    assert 3700 <= bunch.wavelength[0] and bunch.wavelength[-1] <= 7400


def test_return_X_y_and_determinism(bunch, data_home):
    X, y = make_binary_spectra(
        n_samples=400, random_state=0, data_home=data_home, return_X_y=True
    )
    np.testing.assert_array_equal(X, bunch.data)
    np.testing.assert_array_equal(y, bunch.target)
    other = make_binary_spectra(n_samples=400, random_state=1, data_home=data_home)
    assert not np.array_equal(other.data, bunch.data)


def test_imbalance_is_one_to_eighteen_in_every_split(bunch):
    for name in ("train", "valid", "test"):
        y = bunch.target[bunch.split == name]
        assert y.sum() == round(len(y) / 19)
    assert np.sum(bunch.split == "train") == 320


def test_no_library_star_in_two_splits(bunch):
    meta = bunch.metadata
    stars = {}
    for name in ("train", "valid", "test"):
        sel = bunch.split == name
        stars[name] = set(meta["primary"][sel]) | (set(meta["secondary"][sel]) - {-1})
    assert not stars["train"] & stars["test"]
    assert not stars["train"] & stars["valid"]
    assert not stars["valid"] & stars["test"]
    np.testing.assert_array_equal(bunch.groups, meta["primary"])


def test_components_follow_the_seed_ranges(bunch):
    meta = bunch.metadata
    binary = bunch.target == 1
    assert np.all((meta["teff1"] > 3800) & (meta["teff1"] < 6500))
    assert np.all(meta["logg1"] > 4)
    q = np.asarray(meta["q"])
    assert np.all((q[binary] >= 0.71) & (q[binary] <= 0.93))
    assert np.all(np.isnan(q[~binary])) and np.all(meta["secondary"][~binary] == -1)
    assert np.all(meta["logg2"][binary] > 4)
    assert np.all(meta["teff2"][binary] < meta["teff1"][binary])
    assert np.all(meta["secondary"][binary] != meta["primary"][binary])
    # q is the mass ratio of the chosen library stars under the stated relation
    m1, _ = main_sequence_relation(np.asarray(meta["teff1"])[binary])
    m2, _ = main_sequence_relation(np.asarray(meta["teff2"])[binary])
    np.testing.assert_allclose(q[binary], m2 / m1)
    ratio = np.asarray(meta["light_ratio"])[binary]
    assert np.all((ratio > 0) & (ratio < 1))
    snr = np.asarray(meta["snr"])
    assert np.all((snr >= 20) & (snr <= 100))


def test_orbital_velocities_follow_the_mass_ratio(bunch):
    meta = bunch.metadata[bunch.target == 1]
    # momentum balance of a circular orbit: m1 v1 = -m2 v2
    np.testing.assert_allclose(
        np.asarray(meta["rv1"]), -np.asarray(meta["q"]) * np.asarray(meta["rv2"])
    )
    assert np.all(np.asarray(meta["period_days"]) > 1)


def test_noise_matches_the_requested_snr(bunch):
    measured = der_snr(bunch.data)
    requested = np.asarray(bunch.metadata["snr"])
    # DER_SNR also sees unresolved lines as "noise", hence a loose bound.
    assert np.corrcoef(np.log(measured), np.log(requested))[0, 1] > 0.8
    assert 0.6 < np.median(measured / requested) < 1.4


def test_vacuum_wavelengths_and_doppler_shift(data_home):
    # Noise-free singles: the H-alpha core sits at its vacuum wavelength
    # (6564.6 A, not air 6562.8 A) shifted by the systemic velocity.
    data = make_binary_spectra(
        n_samples=200,
        binary_fraction=0.01,
        snr_range=(1e6, 2e6),
        random_state=3,
        data_home=data_home,
    )
    single = data.target == 0
    wave = data.wavelength
    win = (wave > 6559) & (wave < 6570)
    depth = (
        1.0 - data.data[single][:, win] / data.data[single][:, win].max(axis=1)[:, None]
    )
    centroid = (depth * wave[win]).sum(axis=1) / depth.sum(axis=1)
    rv = np.asarray(data.metadata["rv_sys"])[single]
    rest = centroid / (1 + rv / C_KMS)
    assert abs(np.median(rest) - 6564.61) < 0.4
    assert np.corrcoef(centroid, rv)[0, 1] > 0.8


def test_bad_arguments(data_home, tmp_path):
    with pytest.raises(ValueError, match="wavelength_range"):
        make_binary_spectra(
            n_samples=10, wavelength_range=(3000, 9000), data_home=data_home
        )
    with pytest.raises(ValueError, match="q_range"):
        make_binary_spectra(n_samples=10, q_range=(0.9, 0.7), data_home=data_home)
    with pytest.raises(ValueError, match="split_fractions"):
        make_binary_spectra(n_samples=10, split_fractions=(1, 1), data_home=data_home)
    with pytest.raises(InvalidParameterError, match="n_samples"):
        make_binary_spectra(n_samples=0, data_home=data_home)
    (tmp_path / "libraries" / "miles").mkdir(parents=True)
    with pytest.raises(ValueError, match="MILES_params.db"):
        make_binary_spectra(n_samples=10, data_home=tmp_path)


# --- diversified training stars (train_interpolation, train_line_strength) ---


@pytest.fixture(scope="module")
def mixed(data_home):
    return make_binary_spectra(
        n_samples=400, random_state=0, train_interpolation=1.0, data_home=data_home
    )


def test_interpolation_changes_training_rows_only(bunch, mixed, data_home):
    train = bunch.split == "train"
    np.testing.assert_array_equal(mixed.split, bunch.split)
    np.testing.assert_array_equal(mixed.target, bunch.target)
    # validation and test rows are the real library stars of the default call
    np.testing.assert_array_equal(mixed.data[~train], bunch.data[~train])
    meta = mixed.metadata
    assert not np.any(meta["interpolated"][~train])
    assert np.all(meta["n_mixed1"][~train] == 1)
    # most training rows are mixes (a star with no close partner stays itself)
    interp = np.asarray(meta["interpolated"])
    assert interp[train].mean() > 0.8
    changed = np.any(mixed.data != bunch.data, axis=1)
    np.testing.assert_array_equal(changed, interp)
    again = make_binary_spectra(
        n_samples=400, random_state=0, train_interpolation=1.0, data_home=data_home
    )
    np.testing.assert_array_equal(again.data, mixed.data)
    np.testing.assert_array_equal(
        np.asarray(again.metadata["n_mixed2"]), np.asarray(meta["n_mixed2"])
    )


def test_interpolation_metadata_and_parameter_gap(mixed, data_home):
    meta = mixed.metadata
    binary = mixed.target == 1
    n1, n2 = np.asarray(meta["n_mixed1"]), np.asarray(meta["n_mixed2"])
    assert set(np.unique(n1)) <= {1, 2, 3} and {2, 3} <= set(np.unique(n1))
    assert np.all(n2[~binary] == 0) and np.all((n2[binary] >= 1) & (n2[binary] <= 3))
    np.testing.assert_array_equal(np.asarray(meta["interpolated"]), (n1 > 1) | (n2 > 1))
    spread1 = np.asarray(meta["teff_spread1"])
    # (distinct stars may share a catalogue Teff, so a mix can have spread 0)
    assert np.all(spread1[n1 == 1] == 0) and spread1[n1 > 1].mean() > 30.0
    assert np.all(spread1 < 150.0)
    assert np.all(np.asarray(meta["teff_spread2"])[binary] < 150.0)
    ratio = np.asarray(meta["light_ratio"])[binary]
    assert np.all((ratio > 0) & (ratio < 1))
    # the default limit is below the Teff gap of every binary of the library
    from sklearn_stellar.datasets._binaries import _load_dwarfs

    _, teff, _, _, _, _ = _load_dwarfs(str(data_home))
    mass, _ = main_sequence_relation(teff)
    q = mass[None, :] / mass[:, None]
    pair = (q >= 0.71) & (q <= 0.93) & ((teff > 3800) & (teff < 6500))[:, None]
    assert (teff[:, None] - teff[None, :])[pair].min() > 150.0
    tight = make_binary_spectra(
        n_samples=400,
        random_state=0,
        train_interpolation=1.0,
        interpolation_limits=(60.0, 0.25, 0.3),
        data_home=data_home,
    )
    assert np.nanmax(np.asarray(tight.metadata["teff_spread1"])) < 60.0
    half = make_binary_spectra(
        n_samples=400, random_state=0, train_interpolation=0.3, data_home=data_home
    )
    frac = np.asarray(half.metadata["interpolated"])[half.split == "train"].mean()
    assert 0.15 < frac < 0.45


def test_mix_partners_are_pairwise_close():
    from hypothesis import given, settings
    from hypothesis import strategies as st

    from sklearn_stellar.datasets._binary_steps import _mix_partners

    @settings(max_examples=30, deadline=None)
    @given(
        st.integers(2, 12),
        st.integers(1, 40),
        st.floats(0.0, 1.0),
        st.integers(0, 2**31 - 1),
    )
    def check(n_stars, n_rows, density, seed):
        rng = np.random.default_rng(seed)
        close = rng.random((n_stars, n_stars)) < density
        close = close & close.T & ~np.eye(n_stars, dtype=bool)
        anchor = rng.integers(0, n_stars, n_rows)
        n_extra = rng.integers(0, 3, n_rows)
        idx, weight = _mix_partners(anchor, close, n_extra, rng)
        np.testing.assert_array_equal(idx[:, 0], anchor)
        np.testing.assert_allclose(weight.sum(axis=1), 1.0)
        used = weight > 0
        assert np.all(used[:, 0])
        assert np.all(used.sum(axis=1) <= 1 + n_extra)
        for r in range(n_rows):
            members = idx[r, used[r]]
            assert len(set(members.tolist())) == len(members)
            for a in members:
                for b in members:
                    assert a == b or close[a, b]
            # a partner is added whenever one is available
            if n_extra[r] >= 1 and close[anchor[r]].any():
                assert used[r, 1]

    check()


def test_line_strength_scales_training_lines(data_home):
    kw = {
        "n_samples": 200,
        "snr_range": (1e6, 2e6),
        "random_state": 2,
        "data_home": data_home,
    }
    base = make_binary_spectra(**kw)
    weak = make_binary_spectra(train_line_strength=(0.5, 0.5001), **kw)
    train = base.split == "train"
    np.testing.assert_array_equal(weak.data[~train], base.data[~train])
    alpha = np.asarray(weak.metadata["line_alpha1"])
    np.testing.assert_allclose(alpha[train], 0.5, atol=1e-3)
    assert np.all(alpha[~train] == 1.0)
    assert not np.any(weak.metadata["interpolated"])
    # same stars, velocities and noise: only the line depths change, halved
    # in log relative to a smooth continuum (before LSF and resampling, hence
    # approximately)
    from scipy.ndimage import gaussian_filter1d

    def lines(x):
        return np.log(x / gaussian_filter1d(x, 300, axis=1, mode="nearest"))

    lb, lw = lines(base.data[train]), lines(weak.data[train])
    slope = (lb * lw).sum() / (lb * lb).sum()
    assert 0.4 < slope < 0.6
    with pytest.raises(ValueError, match="train_line_strength"):
        make_binary_spectra(
            n_samples=10, train_line_strength=(1.1, 0.9), data_home=data_home
        )
    with pytest.raises(ValueError, match="interpolation_limits"):
        make_binary_spectra(
            n_samples=10, interpolation_limits=(150.0, -1.0, 0.3), data_home=data_home
        )
    with pytest.raises(InvalidParameterError, match="train_interpolation"):
        make_binary_spectra(n_samples=10, train_interpolation=1.5, data_home=data_home)


def test_miles_names_and_types_come_from_their_columns(data_home, tmp_path):
    from sklearn_stellar.datasets._miles import (
        read_miles_names,
        read_miles_spectral_types,
    )

    folder = data_home / "libraries" / "miles"
    names, types = read_miles_names(folder), read_miles_spectral_types(folder)
    assert names.keys() == types.keys()
    assert (names[1], types[1]) == ("HD224930", "G3 V")
    assert (names[680], types[680]) == ("HD234677", "K7Vvar")
    assert names[230] == "BD+151305" and types[230] == ""
    with pytest.raises(ValueError, match="cannot read MILES star names"):
        read_miles_names(tmp_path)
