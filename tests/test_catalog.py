"""Binary catalogs on the metadata of real LAMOST LRS files."""

from collections import Counter
from pathlib import Path

import numpy as np
import pytest
from astropy import units as u
from astropy.table import Table
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_stellar.catalog import (
    binary_catalog,
    binary_probability,
    count_above,
    group_by_position,
    spectrum_table,
    star_table,
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
    cat = binary_catalog(p_b, lrs_meta, threshold=0.5, star_key="designation")
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
    cat = binary_catalog(np.zeros(len(names)), lrs_meta, star_key="designation")
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
        binary_catalog([0.5], [{"obsid": 1}], star_key="designation")


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


# ------------------------------------------------ stars grouped by position


@pytest.fixture(scope="module")
def repeat_epochs(data_home):
    """Header metadata of the real repeat epochs and epochs.csv's true star."""
    folder = data_home / "lamost" / "lrs" / "repeat_epochs"
    epochs = Table.read(folder / "epochs.csv")
    star_of = dict(zip(epochs["file"], epochs["star"], strict=True))
    meta = [s.meta for s in read_lamost(folder)]
    truth = np.array([star_of[Path(m["filename"]).name] for m in meta])
    return meta, truth


def _same_partition(a, b):
    a, b = np.asarray(a), np.asarray(b)
    return np.array_equal(a[:, None] == a[None, :], b[:, None] == b[None, :])


def test_position_groups_are_the_stars_of_epochs_csv(repeat_epochs):
    meta, truth = repeat_epochs
    assert len(meta) == 110 and len(set(truth)) == 49
    ra = [m["ra"] for m in meta]
    dec = [m["dec"] for m in meta]
    star = group_by_position(ra, dec)
    assert len(set(star)) == 49
    assert _same_partition(star, truth)
    # The designation splits stars: that is why position is the default.
    assert len({m["designation"] for m in meta}) > 49


def test_catalogs_group_the_real_repeat_epochs_by_position(repeat_epochs):
    meta, truth = repeat_epochs
    p_b = np.linspace(0.0, 1.0, len(meta))
    cat = binary_catalog(p_b, meta)
    assert len(cat) == 49 and cat.meta["N_STARS"] == 49
    assert cat["n_spectra"].sum() == len(meta)
    assert set(cat["grouped_by"]) == {"position"}
    n_names = len({m["designation"] for m in meta})
    assert cat["n_designations"].sum() == n_names
    assert np.any(cat["n_designations"] > 1)
    for row in cat:
        mine = truth == truth[np.flatnonzero(p_b == row["p_b"])[0]]
        assert row["n_spectra"] == mine.sum()
        assert row["p_b"] == p_b[mine].max()
        names = {m["designation"] for m, k in zip(meta, mine, strict=True) if k}
        assert set(row["designations"].split("|")) == names
    by_name = binary_catalog(p_b, meta, star_key="designation")
    assert len(by_name) == n_names > len(cat)
    table = spectrum_table(p_b, meta)
    table.rename_column("p_b", "probability")
    stars = star_table(table)
    assert len(stars) == 49
    np.testing.assert_array_equal(stars["max_probability"], cat["p_b"])
    assert len(star_table(table, star_key="designation")) == n_names


def test_rows_without_position_are_their_own_star_with_a_reason():
    meta = [
        {"obsid": 1, "designation": "A", "ra": 10.0, "dec": 5.0},
        {"obsid": 2, "designation": "", "ra": float("nan"), "dec": float("nan")},
        {"obsid": 3, "designation": "A2", "ra": 10.0002, "dec": 5.0},
        {"obsid": 4, "designation": "C"},
    ]
    cat = binary_catalog([0.1, 0.9, 0.3, 0.5], meta)
    assert cat["obsid"].tolist() == [3, 2, 4]
    assert cat["n_spectra"].tolist() == [2, 1, 1]
    assert cat["grouped_by"].tolist() == [
        "position",
        "no position: own star",
        "no position: own star",
    ]
    assert cat["designations"].tolist() == ["A|A2", "", "C"]
    assert cat["n_designations"].tolist() == [2, 0, 1]
    table = spectrum_table([0.1, 0.9, 0.3, 0.5], meta)
    table.rename_column("p_b", "probability")
    assert star_table(table)["n_spectra"].tolist() == [2, 1, 1]


_coord = st.tuples(
    st.integers(0, 4),
    st.floats(-2.0, 2.0),
    st.floats(-2.0, 2.0),
    st.booleans(),
)


@settings(max_examples=60, deadline=None)
@given(st.lists(_coord, min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_grouping_is_a_partition_that_ignores_row_order(points, rnd):
    # Clusters of up to 5 centres, members within +-2 arcsec, some unknown.
    centre = np.array([[10.0, 5.0], [10.0, 5.01], [200.0, -60.0], [0.0, 89.99],
                       [359.9999, 0.0]])  # fmt: skip
    ra = np.array([centre[c, 0] + dx / 3600 for c, dx, _, _ in points]) % 360
    dec = np.array([centre[c, 1] + dy / 3600 for c, _, dy, _ in points])
    gone = np.array([g for *_, g in points])
    ra[gone] = np.nan
    star = group_by_position(ra, dec)
    assert star.shape == (len(points),) and star.dtype.kind == "i"
    assert set(star) == set(range(star.max() + 1))  # every row one star, no gaps
    assert star[0] == 0 and np.all(np.diff(np.maximum.accumulate(star)) <= 1)
    assert len(set(star[gone])) == gone.sum()  # no position: alone
    assert not np.isin(star[gone], star[~gone]).any()
    perm = np.array(rnd.sample(range(len(points)), len(points)))
    again = group_by_position(ra[perm], dec[perm])
    assert _same_partition(again, star[perm])


STAR_ROW = Table(
    {
        "designation": ["A"],
        "ra": [1.0],
        "dec": [1.0],
        "obsid": [1],
        "probability": [0.5],
    }
)


def test_grouping_bad_input_is_named():
    with pytest.raises(ValueError, match="radius"):
        group_by_position([1.0], [1.0], radius=-3.0)
    with pytest.raises(ValueError, match="radius"):
        group_by_position([1.0], [1.0], radius=3.0 * u.kg)
    with pytest.raises(ValueError, match="ra.*dec.*shapes"):
        group_by_position([1.0, 2.0], [1.0])
    with pytest.raises(ValueError, match="Dec"):
        group_by_position([1.0], [91.0])
    with pytest.raises((TypeError, ValueError), match="ra"):
        group_by_position(["x"], [1.0])
    with pytest.raises(ValueError, match="star_key"):
        star_table(STAR_ROW, star_key="gaia")
    with pytest.raises(TypeError, match="star_key"):
        binary_catalog([0.5], [{"obsid": 1}], star_key=3)
