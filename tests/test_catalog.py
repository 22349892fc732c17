"""Binary catalogs on the metadata of real LAMOST LRS files."""

from collections import Counter

import numpy as np
import pytest
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_stellar.catalog import (
    binary_catalog,
    binary_probability,
    count_above,
    spectrum_table,
)
from sklearn_stellar.io import read_lamost
from sklearn_stellar.neural import BinarySpectrumCNN


@pytest.fixture(scope="module")
def lrs_meta(data_home):
    files = sorted((data_home / "lamost" / "lrs").rglob("*.fits*"))
    spectra = read_lamost(files)
    meta = [s.meta for s in spectra]
    # Repeat observations: the first 10 stars observed once more on top of
    # the real repeat epochs (lrs/repeat_epochs), so the per-star max is
    # exercised on both.
    return meta + [dict(m, obsid=m["obsid"] + 10**10) for m in meta[:10]]


def test_spectrum_table_keeps_ids_position_and_snr(lrs_meta):
    p_b = np.linspace(0, 1, len(lrs_meta))
    table = spectrum_table(p_b, lrs_meta)
    assert len(table) == len(lrs_meta)
    assert table["obsid"].tolist() == [m["obsid"] for m in lrs_meta]
    assert table["designation"].tolist() == [m["designation"] for m in lrs_meta]
    np.testing.assert_array_equal(table["ra"], [m["ra"] for m in lrs_meta])
    np.testing.assert_array_equal(table["dec"], [m["dec"] for m in lrs_meta])
    np.testing.assert_array_equal(
        table["snr_g"], [m["snr"].get("g", np.nan) for m in lrs_meta]
    )
    np.testing.assert_array_equal(table["p_b"], p_b)


def test_catalog_takes_the_max_over_a_stars_spectra(lrs_meta):
    rng = np.random.default_rng(0)
    p_b = rng.uniform(size=len(lrs_meta))
    cat = binary_catalog(p_b, lrs_meta, threshold=0.5)
    names = np.array([m["designation"] for m in lrs_meta])
    assert len(cat) == len(set(names))
    assert cat["n_spectra"].sum() == len(lrs_meta)  # every spectrum counted once
    for row in cat:
        mine = names == row["star"]
        assert row["n_spectra"] == mine.sum()
        assert row["p_b"] == p_b[mine].max()
        best = np.flatnonzero(mine)[np.argmax(p_b[mine])]
        assert row["obsid"] == lrs_meta[best]["obsid"]
        assert row["ra"] == lrs_meta[best]["ra"]
    assert cat.meta["N_BINARY"] == int((cat["p_b"] > 0.5).sum())
    np.testing.assert_array_equal(cat["is_binary"], cat["p_b"] > 0.5)


def test_repeated_stars_are_aggregated(lrs_meta):
    names = [m["designation"] for m in lrs_meta]
    cat = binary_catalog(np.zeros(len(names)), lrs_meta)
    counts = Counter(names)
    assert len(cat) == len(counts) < len(names)
    assert dict(zip(cat["star"], cat["n_spectra"].tolist(), strict=True)) == counts
    assert max(counts.values()) >= 2


@pytest.mark.parametrize("fmt", ["ecsv", "fits"])
def test_catalog_round_trips_through_ecsv_and_fits(lrs_meta, tmp_path, fmt):
    p_b = np.linspace(0, 1, len(lrs_meta))
    cat = binary_catalog(p_b, lrs_meta)
    path = tmp_path / f"binaries.{fmt}"
    cat.write(path)
    # FITS stores strings as bytes unless asked otherwise.
    back = Table.read(path, **({"character_as_bytes": False} if fmt == "fits" else {}))
    assert back.colnames == cat.colnames
    for name in cat.colnames:
        np.testing.assert_array_equal(np.asarray(back[name]), np.asarray(cat[name]))
    assert back.meta["N_BINARY"] == cat.meta["N_BINARY"]
    assert back.meta["P_TH"] == 0.5


def test_table_metadata_input_matches_dict_input(lrs_meta):
    p_b = np.full(len(lrs_meta), 0.3)
    table = spectrum_table(p_b, lrs_meta)
    again = spectrum_table(p_b, table)
    for name in table.colnames:
        np.testing.assert_array_equal(np.asarray(again[name]), np.asarray(table[name]))


def test_count_above_matches_direct_count():
    p_b = np.array([0.0, 0.5, 0.5, 0.8, 1.0])
    assert count_above(p_b, [0.0, 0.5, 0.8, 1.0]).tolist() == [4, 2, 1, 0]


@settings(max_examples=50, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=40), st.floats(0, 1))
def test_count_above_property(values, threshold):
    expected = sum(v > threshold for v in values)
    assert count_above(values, [threshold])[0] == expected


def test_bad_input(lrs_meta):
    with pytest.raises(ValueError, match="every spectrum"):
        spectrum_table([0.5], lrs_meta)
    with pytest.raises(ValueError, match="p_b"):
        spectrum_table(np.full(len(lrs_meta), np.nan), lrs_meta)
    with pytest.raises(TypeError, match="metadata"):
        spectrum_table([0.5], "not metadata")
    with pytest.raises(ValueError, match="gaia"):
        binary_catalog([0.5], Table({"obsid": [1]}), star_key="gaia")
    with pytest.raises(ValueError, match="no 'designation'"):
        binary_catalog([0.5], [{"obsid": 1}])


def test_binary_probability_from_a_fitted_cnn():
    rng = np.random.default_rng(0)
    X = 1 + 0.01 * rng.standard_normal((30, 32))
    y = np.array(["single", "binary", "single"] * 10)
    clf = BinarySpectrumCNN(
        n_filters=2,
        hidden_units=4,
        max_epochs=1,
        validation_fraction=None,
        random_state=0,
    ).fit(X, y)
    p_b = binary_probability(clf, X, pos_label="binary")
    np.testing.assert_array_equal(p_b, clf.predict_proba(X)[:, 0])
    with pytest.raises(ValueError, match="pos_label"):
        binary_probability(clf, X, pos_label="triple")


@pytest.mark.parametrize(
    "X, error, message",
    [
        (np.nan, ValueError, r"`X` is invalid \(nan\): Expected 2D array"),
        (np.zeros((0, 1)), ValueError, r"`X` is invalid .*0 sample"),
        (np.zeros((2, 1, 1)), ValueError, r"(?s)`X` is invalid .*dim 3"),
        (np.ones((2, 1)) + 1j, TypeError, r"`X` must be a numeric array"),
        (np.array([["a"], ["b"]]), TypeError, r"`X` must be a numeric array"),
    ],
)
def test_binary_probability_names_a_bad_X(X, error, message):
    from sklearn.linear_model import LogisticRegression

    clf = LogisticRegression().fit(np.arange(4.0)[:, None], [0, 0, 1, 1])
    with pytest.raises(error, match=message):
        binary_probability(clf, X)
