"""Follow-up science of Jing et al. (2024) and Wang et al. (2022):
cross-matches, spectral types, radial-velocity validation, kinematics."""

import runpy
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from astropy import units as u
from astropy.coordinates import CartesianDifferential, Galactocentric, SkyCoord
from astropy.io import fits
from astropy.table import MaskedColumn, Table
from hypothesis import given, settings
from hypothesis import strategies as st

from sklearn_stellar.followup import (
    astrometry_ok,
    crossmatch_id,
    crossmatch_sky,
    find_runaways,
    fit_maxwellian,
    height_above_plane,
    maxwellian,
    peculiar_tangential_velocity,
    redshift_to_rv,
    runaway_threshold,
    rv_agreement,
    rv_variability,
    spectral_type_cut,
)
from sklearn_stellar.utils import C_KMS

ROOT = Path(__file__).resolve().parents[1]
# mas/yr at 1 kpc in km/s
K = 4.740470463533348


# ---------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def repeat_epochs(data_home):
    """The 110 LAMOST DR8 spectra of 49 stars observed 2-5 times: header
    position, redshift and its error, with the star id of ``epochs.csv``."""
    folder = data_home / "lamost" / "lrs" / "repeat_epochs"
    epochs = Table.read(folder / "epochs.csv", format="ascii.csv")
    rows = []
    for name in epochs["file"]:
        header = fits.getheader(folder / name)
        rows.append((header["RA"], header["DEC"], header["Z"], header["Z_ERR"]))
    table = Table(rows=rows, names=("ra", "dec", "z", "z_err"))
    table["star"] = epochs["star"]
    table["n_epochs"] = epochs["n_epochs"]
    return table


# ---------------------------------------------------------------- cross-match
def _offset(ra, dec, arcsec, angle_deg=0.0):
    c = SkyCoord(ra * u.deg, dec * u.deg).directional_offset_by(
        angle_deg * u.deg, arcsec * u.arcsec
    )
    return float(c.ra.deg), float(c.dec.deg)


def test_crossmatch_sky_keeps_rows_and_reports_unmatched():
    sample = Table({"name": ["a", "b", "c"], "ra": [10.0, 120.0, 250.0]})
    sample["dec"] = [5.0, -30.0, 60.0]
    ra_a, dec_a = _offset(10.0, 5.0, 2.0, 45.0)  # 2" away: inside 3"
    ra_c, dec_c = _offset(250.0, 60.0, 4.0, 200.0)  # 4" away: outside
    catalog = Table({"ra": [ra_c, ra_a], "dec": [dec_c, dec_a], "Ks": [8.0, 9.0]})
    out = crossmatch_sky(sample, catalog)
    assert out["name"].tolist() == ["a", "b", "c"]
    assert out["cat_matched"].tolist() == [True, False, False]
    assert out["cat_index"].tolist() == [1, -1, -1]
    np.testing.assert_allclose(out["cat_separation"][[0, 2]], [2.0, 4.0], atol=1e-6)
    assert out["cat_separation"].unit == u.arcsec
    assert out["cat_Ks"].mask.tolist() == [False, True, True]
    assert out["cat_Ks"][0] == 9.0
    assert out.meta["cat_n_unmatched"] == 2
    # The radius is a parameter: 5" takes the third, 1 arcsec drops the first.
    assert crossmatch_sky(sample, catalog, radius=5.0)["cat_matched"].sum() == 2
    assert (
        crossmatch_sky(sample, catalog, radius=1 * u.arcsec)["cat_matched"].sum() == 0
    )


def test_crossmatch_sky_accepts_arrays_skycoords_and_units():
    sample = np.array([[10.0, 5.0], [11.0, 5.0]])
    catalog = SkyCoord([11.0, 10.0] * u.deg, [5.0, 5.0] * u.deg)
    out = crossmatch_sky(sample, catalog)
    assert out["row"].tolist() == [0, 1]
    assert out["cat_index"].tolist() == [1, 0]
    assert "cat_ra" not in out.colnames  # a SkyCoord has no columns to copy
    # RA/Dec columns in radians are converted.
    radians = Table(
        {"ra": np.radians([10.0, 11.0]) * u.rad, "dec": np.radians([5.0, 5.0]) * u.rad}
    )
    assert crossmatch_sky(radians, catalog)["cat_index"].tolist() == [1, 0]


def test_crossmatch_sky_flags_a_source_shared_by_two_rows():
    ra2, dec2 = _offset(10.0, 5.0, 2.0, 180.0)
    out = crossmatch_sky(
        np.array([[10.0, 5.0], [ra2, dec2]]),
        Table({"ra": [10.0], "dec": [5.0 + 0.5 / 3600]}),  # 0.5" and 2.5" away
    )
    assert out["cat_matched"].all()
    assert out["cat_shared"].tolist() == [True, True]


def test_crossmatch_sky_empty_catalog_leaves_every_row_unmatched():
    out = crossmatch_sky(
        Table({"ra": [1.0, 2.0], "dec": [0.0, 0.0]}),
        Table({"ra": np.zeros(0), "dec": np.zeros(0), "G": np.zeros(0)}),
    )
    assert len(out) == 2 and not out["cat_matched"].any()
    assert out["cat_G"].mask.all()
    assert out.meta["cat_n_unmatched"] == 2


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"ra": "RA"}, "column 'RA' is not in `data`"),
        ({"radius": 3 * u.km}, "`radius` must be an angle"),
        ({"radius": -1.0}, "positive angle"),
        ({"radius": "abc"}, r"`radius` must be a positive angle .*got 'abc'"),
        ({"radius": None}, r"`radius` must be a positive angle .*got None"),
        ({"data": 1 + 2j}, r"`data` must be numeric .*got \(1\+2j\)"),
        ({"catalog": "abc"}, r"`catalog` must be numeric .*got 'abc'"),
    ],
)
def test_crossmatch_sky_errors_name_the_problem(kwargs, message):
    sample = Table({"ra": [1.0], "dec": [0.0]})
    arguments = {"data": sample, "catalog": sample, **kwargs}
    with pytest.raises((ValueError, TypeError), match=message):
        crossmatch_sky(**arguments)


def test_crossmatch_sky_rejects_bad_units_and_missing_coordinates():
    with pytest.raises(ValueError, match="convertible to deg, got km / s"):
        crossmatch_sky(
            Table({"ra": [1.0] * u.km / u.s, "dec": [0.0]}), np.array([[1.0, 0.0]])
        )
    with pytest.raises(ValueError, match="missing RA/Dec"):
        crossmatch_sky(np.array([[np.nan, 0.0]]), np.array([[1.0, 0.0]]))
    with pytest.raises(ValueError, match=r"shape \(n, 2\)"):
        crossmatch_sky(np.zeros((3, 3)), np.array([[1.0, 0.0]]))
    with pytest.raises(TypeError, match="`data` is required"):
        crossmatch_sky(None, np.array([[1.0, 0.0]]))


@settings(max_examples=30, deadline=None)
@given(
    st.lists(
        st.tuples(st.floats(0, 359.9), st.floats(-89, 89)), min_size=0, max_size=15
    ),
    st.lists(
        st.tuples(st.floats(0, 359.9), st.floats(-89, 89)), min_size=0, max_size=15
    ),
    st.floats(0.1, 36000.0),
)
def test_crossmatch_sky_keeps_every_row_in_order(sample, catalog, radius):
    sample = np.array(sample, dtype=float).reshape(-1, 2)
    catalog = np.array(catalog, dtype=float).reshape(-1, 2)
    out = crossmatch_sky(sample, catalog, radius=radius)
    assert out["row"].tolist() == list(range(len(sample)))
    sep = np.asarray(out["cat_separation"])
    assert np.array_equal(out["cat_matched"], (sep <= radius) & (len(catalog) > 0))
    assert np.array_equal(out["cat_index"] == -1, ~out["cat_matched"])
    assert out.meta["cat_n_unmatched"] == int((~out["cat_matched"]).sum())


def test_crossmatch_sky_on_real_repeat_epochs(repeat_epochs):
    # Each LAMOST header position finds the star it belongs to in the
    # one-row-per-star list of epochs.csv (first epoch's position).
    _, first = np.unique(repeat_epochs["star"], return_index=True)
    stars = repeat_epochs[first]
    out = crossmatch_sky(repeat_epochs, stars, radius=3.0)
    assert len(out) == 110 and out["cat_matched"].all()
    assert np.array_equal(out["cat_star"], repeat_epochs["star"])
    assert float(np.max(out["cat_separation"])) < 3.0


def test_crossmatch_id_left_join():
    sample = Table({"source_id": [11, 12, 13, 14]})
    catalog = Table({"source_id": [14, 11, 99], "rv": [1.0, 2.0, 3.0] * u.km / u.s})
    out = crossmatch_id(sample, catalog)
    assert out["cat_index"].tolist() == [1, -1, -1, 0]
    assert out["cat_rv"].unit == u.km / u.s
    assert out["cat_rv"].filled(np.nan)[[0, 3]].tolist() == [2.0, 1.0]
    assert out.meta["cat_n_unmatched"] == 2
    # Different key names, string ids, plain arrays.
    out = crossmatch_id(
        ["x", "y"], Table({"name": ["y"], "p": [0.5]}), key="id", catalog_key="name"
    )
    assert out["id"].tolist() == ["x", "y"]
    assert out["cat_matched"].tolist() == [False, True]


def test_crossmatch_id_masked_ids_never_match_and_duplicates_raise():
    sample = Table({"source_id": MaskedColumn([1, 2], mask=[True, False])})
    out = crossmatch_id(sample, Table({"source_id": [1, 2]}))
    assert out["cat_matched"].tolist() == [False, True]
    with pytest.raises(ValueError, match=r"must be unique; repeated: \[5\]"):
        crossmatch_id(sample, Table({"source_id": [5, 5, 1]}))
    with pytest.raises(ValueError, match="column 'gaia_id' is not in `data`"):
        crossmatch_id(sample, sample, key="gaia_id")


@settings(max_examples=40, deadline=None)
@given(
    st.lists(st.integers(0, 30), max_size=20),
    st.lists(st.integers(0, 30), max_size=20, unique=True),
)
def test_crossmatch_id_keeps_every_row(ids, catalog_ids):
    out = crossmatch_id(np.array(ids, dtype=int), np.array(catalog_ids, dtype=int))
    assert out["source_id"].tolist() == ids
    assert out["cat_matched"].tolist() == [i in catalog_ids for i in ids]
    hit = out["cat_matched"]
    assert np.array_equal(
        np.array(catalog_ids, dtype=int)[out["cat_index"][hit]],
        np.array(ids, dtype=int)[hit],
    )


# ---------------------------------------------------------------- spectral types
# Wang et al. (2022) Table 5 (Oe stars): the two O9 stars are in its Table 7 of new
# classical Be stars, the earlier ones are not: "later than O8" is strict.
TABLE5 = {
    "O9 III": True,
    "O9": True,
    "O4 V((c))": False,
    "O6.5 V((f))": False,
    "O8 III((f))": False,
    "O8 Ve": False,
    "O5": False,
    "O5: Iafpe": False,
}


def test_spectral_type_cut_on_seed_004_tables():
    out = spectral_type_cut(list(TABLE5))
    assert out["selected"].tolist() == list(TABLE5.values())
    assert set(out["reason"][~out["selected"]]) == {"too early"}


def test_seed_004_table_7_passes_the_type_and_ir_tests():
    # The first ten new classical Be stars of Wang et al. (2022) Table 7: type, J, H,
    # Ks, W1 (AllWISE/2MASS mag) and E(B-V). Both tests of sections 5.2 and
    # 5.3 must keep every one; the IR test is the library's existing
    # filters.classify_ir_colours, not a second copy.
    from sklearn_stellar.filters import classify_ir_colours

    table7 = Table(
        rows=[
            ("B2", 11.030, 10.944, 10.921, 10.591, 0.320),
            ("B2", 9.484, 9.274, 9.063, 9.082, 0.560),
            ("O9 III", 10.667, 10.527, 10.448, 10.426, 0.392),
            ("O9", 10.092, 9.857, 9.632, 9.274, 0.436),
            ("OBe", 9.407, 9.196, 9.022, 9.132, 0.816),
            ("OB", 9.592, 9.390, 9.187, 9.054, 0.570),
            ("A", 11.371, 11.157, 10.955, 10.645, 0.581),
            ("OBe", 10.048, 9.715, 9.430, 9.638, 0.820),
            ("Ae", 10.796, 10.708, 10.662, 10.624, 0.450),
            ("Ae", 10.748, 10.527, 10.289, 10.017, 0.520),
        ],
        names=("spectral_type", "J", "H", "Ks", "W1", "ebv"),
    )
    assert spectral_type_cut(table7)["selected"].all()
    photometry = np.column_stack([table7[b] for b in ("J", "H", "Ks", "W1")])
    labels = classify_ir_colours(photometry, np.asarray(table7["ebv"]))
    assert labels.tolist() == ["classical Be"] * 10


@pytest.mark.parametrize(
    "spectral_type, reason",
    [
        ("B1.5 Vep_sh", "selected"),
        ("B1/2e", "selected"),
        ("A1.5IVe", "selected"),
        ("B2IV/V", "selected"),
        ("O8.5V", "selected"),
        ("A2 V", "too late"),
        ("F0V", "too late"),
        ("B2 Ib", "excluded luminosity class"),
        ("B0.5 Iae", "excluded luminosity class"),
        ("B8II-III", "excluded luminosity class"),
        ("B5II/III", "excluded luminosity class"),
        ("WN7", "unparsed"),
        ("...", "unparsed"),
        ("", "no spectral type"),
    ],
)
def test_spectral_type_cut_reasons(spectral_type, reason):
    assert spectral_type_cut([spectral_type])["reason"][0] == reason


def test_spectral_type_cut_reports_unparsed_and_missing_from_a_table():
    table = Table(
        {
            "sptype": MaskedColumn(
                ["B3e", "x", "B1V", "Em"], mask=[False, False, True, False]
            )
        }
    )
    out = spectral_type_cut(table, column="sptype")
    assert len(out) == 4
    assert out["reason"].tolist() == [
        "selected",
        "unparsed",
        "no spectral type",
        "unparsed",
    ]
    assert out.meta["n_unparsed"] == 3
    assert spectral_type_cut(np.array(["B2", None], dtype=object))[
        "reason"
    ].tolist() == ["selected", "no spectral type"]


def test_spectral_type_cut_strict_reading_drops_ranges_over_a_limit():
    out = spectral_type_cut(["A", "OB", "B", "O9.5/B0", "A1/3"], straddling="drop")
    assert out["selected"].tolist() == [False, False, True, True, False]
    assert out["reason"][0] == "range straddles a limit"


def test_spectral_type_cut_errors():
    with pytest.raises(ValueError, match="column 'spectral_type' is not in `data`"):
        spectral_type_cut(Table({"sp": ["B2"]}))
    with pytest.raises(ValueError, match="`later_than` must be one MK type"):
        spectral_type_cut(["B2"], later_than="B")
    with pytest.raises(ValueError, match="must be an earlier type"):
        spectral_type_cut(["B2"], later_than="A2", earlier_than="O8")
    with pytest.raises(ValueError, match="`straddling`"):
        spectral_type_cut(["B2"], straddling="maybe")
    with pytest.raises(TypeError, match="got a str"):
        spectral_type_cut("B2")
    # Numbers are no spectral types: refused, not turned into "unparsed" rows.
    with pytest.raises(TypeError, match=r"`data` must be a table or .*got inf"):
        spectral_type_cut(float("inf"))
    with pytest.raises(TypeError, match=r"`data` must be a table or .*got None"):
        spectral_type_cut(None)
    with pytest.raises(TypeError, match=r"`data` must hold .*got 1.5 .* index 1"):
        spectral_type_cut(["B2 V", 1.5])
    with pytest.raises(TypeError, match=r"`data\['spectral_type'\]` must hold"):
        spectral_type_cut(Table({"spectral_type": [3.0]}))


def test_spectral_type_cut_takes_none_nan_and_na_as_missing():
    frame = pd.DataFrame({"spectral_type": ["B1 Ve", np.nan, pd.NA, None]})
    out = spectral_type_cut(frame)
    assert out["reason"].tolist() == ["selected"] + ["no spectral type"] * 3
    assert out.meta["n_unparsed"] == 3


@settings(max_examples=100, deadline=None)
@given(
    st.sampled_from("OBAFGKM"),
    st.sampled_from([0, 0.5, 1, 2, 3, 5, 7, 8, 8.5, 9, 9.5]),
    st.sampled_from(
        ["", " I", "Ia", " Iab", "Ib", " II", "II-III", " III", "IV", " V", "IV/V"]
    ),
    st.sampled_from(["", "e", "pe", "((f))"]),
)
def test_spectral_type_cut_matches_the_rule(letter, subtype, lum, pec):
    text = f"{letter}{subtype:g}{lum}{pec}"
    code = 10 * "OBAFGKM".index(letter) + subtype
    bright = any(
        c in {"I", "II"} for c in lum.replace("-", " ").replace("/", " ").split()
    ) or lum.strip() in {"Ia", "Iab", "Ib"}
    expected = 8 < code < 22 and not bright
    assert bool(spectral_type_cut([text])["selected"][0]) == expected, text


# ---------------------------------------------------------------- radial velocities
def test_redshift_to_rv_is_c_times_z():
    rv, err = redshift_to_rv([1e-4, -2e-4], [1e-5, 2e-5])
    np.testing.assert_allclose(rv, [C_KMS * 1e-4, -C_KMS * 2e-4], rtol=1e-15)
    np.testing.assert_allclose(err, [C_KMS * 1e-5, C_KMS * 2e-5], rtol=1e-15)
    assert redshift_to_rv(0.001)[1] is None
    with pytest.raises(ValueError, match="`z_err` must be >= 0"):
        redshift_to_rv([0.0], [-1.0])
    with pytest.raises(ValueError, match="same length"):
        redshift_to_rv([0.0, 1.0], [1.0])


def test_rv_variability_thresholds_are_the_papers():
    star = [1, 1] + [2] * 4 + [3] * 4 + [4] * 3 + [5] * 3 + [6, 6]
    rv = (
        [0, 25.0001]
        + [0, 1, 2, 4.9]
        + [0, 1, 2, 5.0]
        + [0, 1, 2]
        + [0, 50, np.nan]
        + [0, 25.0]
    )
    out = rv_variability(star=star, rv=rv)
    assert out["rv_label"].tolist() == [
        "binary",
        "single",
        "undetermined",
        "undetermined",
        "binary",
        "undetermined",
    ]
    # The NaN epoch is not counted.
    assert out["n_epochs"].tolist() == [2, 4, 4, 3, 2, 2]
    one = rv_variability(star=[7], rv=[3.0])
    assert np.isnan(one["delta_rv_max"][0]) and one["rv_label"][0] == "undetermined"


def test_rv_variability_reads_tables_and_units():
    table = Table(
        {
            "sid": ["a", "a", "b", "b"],
            "v": [0, 30_000, 0, 100] * u.m / u.s,
            "pb": [0.2, 0.7, 0.1, 0.3],
        }
    )
    out = rv_variability(table, star="sid", rv="v", p_b="pb")
    np.testing.assert_allclose(out["delta_rv_max"], [30.0, 0.1])
    assert out["p_b"].tolist() == [0.7, 0.3]  # the star's highest p_b
    with pytest.raises(ValueError, match="convertible to km / s, got deg"):
        rv_variability(star=[1], rv=[1.0] * u.deg)
    with pytest.raises(ValueError, match="column 'rv' is not in `data`"):
        rv_variability(table, star="sid")
    with pytest.raises(ValueError, match="`single_delta` .* must not exceed"):
        rv_variability(table, star="sid", rv="v", single_delta=30.0)


@settings(max_examples=50, deadline=None)
@given(
    st.lists(
        st.tuples(st.integers(0, 5), st.floats(-100, 100)), min_size=1, max_size=30
    ),
    st.randoms(),
)
def test_rv_labels_do_not_depend_on_epoch_order(rows, random):
    shuffled = list(rows)
    random.shuffle(shuffled)
    a = rv_variability(star=[s for s, _ in rows], rv=[v for _, v in rows])
    b = rv_variability(star=[s for s, _ in shuffled], rv=[v for _, v in shuffled])
    assert a["rv_label"].tolist() == b["rv_label"].tolist()
    assert np.array_equal(a["delta_rv_max"], b["delta_rv_max"], equal_nan=True)


def test_rv_agreement_reproduces_seed_000_percentages():
    # 250 RV binaries (2 epochs, 30 km/s apart) of which 232 have p_b > 0.5,
    # and 125 RV singles (4 epochs within 2 km/s) of which 86 have p_b <= 0.5:
    # the seed's 92.8 % and 68.8 %. The star's p_b is its highest spectrum's.
    rng = np.random.default_rng(0)
    star, rv, p_b = [], [], []
    for k in range(250):
        high = 0.9 if k < 232 else 0.3
        star += [k, k]
        rv += [0.0, 30.0]
        p_b += [high, rng.uniform(0, high)]
    for k in range(250, 375):
        high = 0.2 if k < 250 + 86 else 0.8
        star += [k] * 4
        rv += list(rng.uniform(0, 2, 4))
        p_b += [high] + list(rng.uniform(0, high, 3))
    stars = rv_variability(star=star, rv=rv, p_b=p_b)
    out = rv_agreement(stars, threshold=0.5)
    assert out["rv_label"].tolist() == ["binary", "single"]
    assert out["n_stars"].tolist() == [250, 125]
    np.testing.assert_allclose(out["agreement"], [0.928, 0.688])


def test_rv_agreement_edges_and_errors():
    out = rv_agreement(
        label=["binary", "single", "undetermined"], p_b=[0.5, 0.5, np.nan]
    )
    assert out["n_agree"].tolist() == [0, 1]  # binary needs p_b > p_th
    empty = rv_agreement(label=["undetermined"], p_b=[0.4])
    assert np.isnan(empty["agreement"]).all()
    with pytest.raises(ValueError, match="got \\['SB1'\\]"):
        rv_agreement(label=["SB1"], p_b=[0.4])
    with pytest.raises(ValueError, match="`p_b` must be in \\[0, 1\\]"):
        rv_agreement(label=["binary"], p_b=[1.5])


def test_rv_variability_on_real_repeat_epochs(repeat_epochs):
    rv, rv_err = redshift_to_rv(repeat_epochs["z"], repeat_epochs["z_err"])
    table = Table({"star": repeat_epochs["star"], "rv": rv * u.km / u.s})
    out = rv_variability(table, star="star", rv="rv")
    assert len(out) == 49
    _, first = np.unique(repeat_epochs["star"], return_index=True)
    assert out["n_epochs"].tolist() == repeat_epochs["n_epochs"][first].tolist()
    # One of these 49 (mostly F/G dwarf) stars changes by more than 25 km/s
    # (33 km/s over two epochs; its velocity errors are ~4 km/s); no star has
    # the 4 epochs a "single" label needs within 5 km/s.
    assert out["star_id"][out["rv_label"] == "binary"].tolist() == [6]
    assert 33.0 < out["delta_rv_max"][out["star_id"] == 6][0] < 33.5
    assert (out["rv_label"] == "single").sum() == 0
    assert 1.0 < np.median(rv_err) < 20.0


# ---------------------------------------------------------------- kinematics
def _icrs(l_deg, b_deg):
    c = SkyCoord(
        l=np.atleast_1d(l_deg) * u.deg, b=np.atleast_1d(b_deg) * u.deg, frame="galactic"
    ).icrs
    return c.ra.deg, c.dec.deg


def test_peculiar_velocity_hand_cases():
    # l = 0, b = 0, 1 kpc: the model star moves with Vc along +y like the
    # Sun's LSR, so a star with no proper motion shows minus the solar
    # motion: (v_l, v_b) = (V, W) = (12.24, 7.25).
    # l = 90: the star at (X, Y) = (-8.5, 1) kpc rotates along
    # (1, 8.5) / sqrt(73.25); model - Sun = (14.605, -13.75, -7.25);
    # along l (= -x there) -14.605, along b -7.25; the star shows minus these.
    ra, dec = _icrs([0.0, 90.0], [0.0, 0.0])
    out = peculiar_tangential_velocity(
        ra=ra, dec=dec, pmra=[0, 0], pmdec=[0, 0], parallax=[1.0, 1.0]
    )
    vc_star = 220.0 / np.sqrt(73.25)
    np.testing.assert_allclose(out["v_l"], [12.24, vc_star - 11.10], atol=1e-6)
    np.testing.assert_allclose(out["v_b"], [7.25, 7.25], atol=1e-6)
    np.testing.assert_allclose(out["distance"], [1000.0, 1000.0])
    assert out["v_t"].unit == u.km / u.s


def test_peculiar_velocity_agrees_with_astropy_galactocentric(rng):
    # Independent check: astropy's Galactocentric frame with the seed's
    # R0, solar motion and Vc (Sun in the plane, centre at l = b = 0), a
    # star's velocity minus the flat-curve rotation at its position, with
    # the line-of-sight part projected out.
    n = 60
    ra = rng.uniform(0, 360, n)
    dec = np.degrees(np.arcsin(rng.uniform(-1, 1, n)))
    pmra, pmdec = rng.normal(0, 5, (2, n))
    plx = rng.uniform(0.1, 3, n)
    ours = peculiar_tangential_velocity(
        ra=ra, dec=dec, pmra=pmra, pmdec=pmdec, parallax=plx
    )
    frame = Galactocentric(
        galcen_distance=8.5 * u.kpc,
        z_sun=0 * u.pc,
        roll=0 * u.deg,
        galcen_coord=SkyCoord(l=0 * u.deg, b=0 * u.deg, frame="galactic").icrs,
        galcen_v_sun=CartesianDifferential([11.10, 232.24, 7.25] * u.km / u.s),
    )
    star = SkyCoord(
        ra=ra * u.deg,
        dec=dec * u.deg,
        distance=(1 / plx) * u.kpc,
        pm_ra_cosdec=pmra * u.mas / u.yr,
        pm_dec=pmdec * u.mas / u.yr,
        radial_velocity=0 * u.km / u.s,
    ).transform_to(frame)
    pos = star.cartesian.xyz.to_value(u.kpc)
    vel = star.velocity.d_xyz.to_value(u.km / u.s)
    radius = np.hypot(pos[0], pos[1])
    pec = vel - 220.0 * np.stack([pos[1] / radius, -pos[0] / radius, 0 * radius])
    los = pos - np.array([-8.5, 0.0, 0.0])[:, None]
    los /= np.linalg.norm(los, axis=0)
    tangential = pec - np.sum(pec * los, axis=0) * los
    np.testing.assert_allclose(
        ours["v_t"], np.linalg.norm(tangential, axis=0), atol=1e-3
    )


@settings(max_examples=15, deadline=None)
@given(st.floats(0, 359.9), st.floats(-60, 60), st.floats(0.2, 5.0))
def test_a_star_on_the_rotation_curve_has_no_peculiar_velocity(l_deg, b_deg, d_kpc):
    # Give the star exactly the proper motion the model predicts (minus the
    # output at zero proper motion) and its peculiar velocity vanishes.
    ra, dec = _icrs(l_deg, b_deg)
    zero = peculiar_tangential_velocity(
        ra=ra, dec=dec, pmra=[0.0], pmdec=[0.0], parallax=[1 / d_kpc]
    )
    pm_l = -float(zero["v_l"][0]) / (K * d_kpc)
    pm_b = -float(zero["v_b"][0]) / (K * d_kpc)
    c = SkyCoord(
        l=l_deg * u.deg,
        b=b_deg * u.deg,
        pm_l_cosb=pm_l * u.mas / u.yr,
        pm_b=pm_b * u.mas / u.yr,
        frame="galactic",
    ).icrs
    out = peculiar_tangential_velocity(
        ra=ra,
        dec=dec,
        pmra=[c.pm_ra_cosdec.to_value(u.mas / u.yr)],
        pmdec=[c.pm_dec.to_value(u.mas / u.yr)],
        parallax=[1 / d_kpc],
    )
    assert float(out["v_t"][0]) < 1e-6


def test_peculiar_velocity_inputs():
    gaia = Table(
        {
            "ra": [10.0, 10.0, 10.0] * u.deg,
            "dec": [60.0, 60.0, 60.0] * u.deg,
            "pmra": [-2.0, -2.0, -2.0] * u.mas / u.yr,
            "pmdec": [-0.5, -0.5, -0.5] * u.mas / u.yr,
            "parallax": [0.5, 0.0, -0.3] * u.mas,
        }
    )
    out = peculiar_tangential_velocity(gaia)
    assert np.isfinite(out["v_t"][0]) and np.isnan(out["v_t"][1:]).all()
    # A distance column replaces the parallax; units are converted.
    gaia["dist"] = [2.0, 2.0, 2.0] * u.kpc
    with_distance = peculiar_tangential_velocity(gaia, distance="dist")
    np.testing.assert_allclose(with_distance["v_t"], out["v_t"][0])
    gaia["pmra"] = gaia["pmra"].to(u.arcsec / u.yr)
    np.testing.assert_allclose(
        peculiar_tangential_velocity(gaia)["v_t"][0], out["v_t"][0]
    )
    with pytest.raises(ValueError, match="column 'pmra' is not in `data`"):
        peculiar_tangential_velocity(gaia[["ra", "dec", "pmdec", "parallax"]])
    gaia["pmdec"] = [1.0, 1.0, 1.0] * u.km / u.s
    with pytest.raises(
        ValueError, match="`pmdec` must be in a unit convertible to mas / yr"
    ):
        peculiar_tangential_velocity(gaia)
    with pytest.raises(ValueError, match="`solar_motion` must be 3 finite numbers"):
        peculiar_tangential_velocity(gaia, solar_motion=(1.0, 2.0))
    with pytest.raises(ValueError, match="same length"):
        peculiar_tangential_velocity(
            ra=[1.0, 2.0], dec=[1.0], pmra=[0.0], pmdec=[0.0], parallax=[1.0]
        )


def test_height_above_plane_and_ruwe():
    ra, dec = _icrs([30.0, 30.0, 200.0], [30.0, -90.0 + 1e-9, 0.0])
    z = height_above_plane(ra=ra, dec=dec, parallax=[2.0, 1.0, 1.0])
    np.testing.assert_allclose(z, [500 * 0.5 + 20.5, -1000 + 20.5, 20.5], atol=1e-6)
    np.testing.assert_allclose(
        height_above_plane(ra=ra, dec=dec, parallax=[2.0, 1.0, 1.0], z_sun=0.0),
        z - 20.5,
        atol=1e-9,
    )
    ok = astrometry_ok(Table({"ruwe": [1.0, 1.4, 1.400001, np.nan]}))
    assert ok.tolist() == [True, True, False, False]
    with pytest.raises(ValueError, match="`max_ruwe`"):
        astrometry_ok(ruwe=[1.0], max_ruwe=0)


def test_runaway_threshold_of_the_seed():
    # Wang et al. (2022): b = 8.701 km/s, limit at ~1 % of the peak -> 24 km/s.
    v = runaway_threshold(8.701)
    assert round(v) == 24
    np.testing.assert_allclose(
        maxwellian(v, 0.904, 8.701) / maxwellian(8.701, 0.904, 8.701), 0.01, rtol=1e-10
    )
    assert v > 8.701  # beyond the peak, not the rising side
    with pytest.raises(ValueError, match="`fraction` must be in \\(0, 1\\)"):
        runaway_threshold(8.7, fraction=1.0)
    with pytest.raises(ValueError, match="`b` must be positive"):
        runaway_threshold(-1.0)


@settings(max_examples=50, deadline=None)
@given(st.floats(0.1, 100), st.floats(0.1, 100), st.floats(1e-4, 0.5))
def test_runaway_threshold_monotone(b1, b2, fraction):
    lo, hi = sorted((b1, b2))
    assert runaway_threshold(lo, fraction=fraction) <= runaway_threshold(
        hi, fraction=fraction
    )
    # A smaller fraction reaches further into the tail.
    assert runaway_threshold(lo, fraction=fraction / 2) > runaway_threshold(
        lo, fraction=fraction
    )


@pytest.mark.parametrize("method", ["histogram", "moments"])
def test_fit_maxwellian_recovers_the_scale(method):
    from scipy.stats import maxwell

    v = maxwell.rvs(scale=8.701 / np.sqrt(2), size=3000, random_state=1)
    fit = fit_maxwellian(v, method=method)
    assert abs(fit.b - 8.701) < 0.25
    assert fit.counts.sum() == 3000
    if method == "histogram":
        assert 0 < fit.b_err < 0.3 and np.isfinite(fit.a_err)
        # The fitted curve holds the sample: sum over bins ~ n stars.
        assert (
            abs(
                maxwellian(
                    0.5 * (fit.bin_edges[1:] + fit.bin_edges[:-1]), fit.a, fit.b
                ).sum()
                - 3000
            )
            < 100
        )
    else:
        assert np.isnan(fit.b_err)


def test_fit_maxwellian_rejects_bad_samples():
    with pytest.raises(ValueError, match="at least 3 finite speeds"):
        fit_maxwellian([1.0, np.nan, 3.0, 4.0])
    with pytest.raises(ValueError, match="at least 3 finite speeds"):
        fit_maxwellian([1.0, 2.0])
    with pytest.raises(ValueError, match="`bin_width`"):
        fit_maxwellian([1.0, 2.0, 3.0], bin_width=0)
    with pytest.raises(ValueError, match="`method`"):
        fit_maxwellian([1.0, 2.0, 3.0], method="kde")


def test_find_runaways_end_to_end(rng):
    # 300 stars with Maxwellian peculiar velocities (b = 8.7 km/s) plus 8
    # runaways at 40-60 km/s, turned into Gaia proper motions through the
    # library's own zero-motion output; 10 of the ordinary stars get a bad
    # RUWE and one a negative parallax.
    from scipy.stats import maxwell

    n_normal, n_fast = 300, 8
    n = n_normal + n_fast
    l_deg = rng.uniform(0, 360, n)
    b_deg = rng.normal(0, 5, n)
    d_kpc = rng.uniform(0.5, 3.0, n)
    speed = np.concatenate(
        [
            maxwell.rvs(scale=8.7 / np.sqrt(2), size=n_normal, random_state=2),
            rng.uniform(40, 60, n_fast),
        ]
    )
    angle = rng.uniform(0, 2 * np.pi, n)
    ra, dec = _icrs(l_deg, b_deg)
    zero = peculiar_tangential_velocity(
        ra=ra, dec=dec, pmra=np.zeros(n), pmdec=np.zeros(n), parallax=1 / d_kpc
    )
    pm_l = (speed * np.cos(angle) - np.asarray(zero["v_l"])) / (K * d_kpc)
    pm_b = (speed * np.sin(angle) - np.asarray(zero["v_b"])) / (K * d_kpc)
    icrs = SkyCoord(
        l=l_deg * u.deg,
        b=b_deg * u.deg,
        pm_l_cosb=pm_l * u.mas / u.yr,
        pm_b=pm_b * u.mas / u.yr,
        frame="galactic",
    ).icrs
    gaia = Table({"ra": ra, "dec": dec, "parallax": 1 / d_kpc, "ruwe": np.ones(n)})
    gaia["pmra"] = icrs.pm_ra_cosdec.to_value(u.mas / u.yr)
    gaia["pmdec"] = icrs.pm_dec.to_value(u.mas / u.yr)
    gaia["ruwe"][:10] = 2.0
    gaia["parallax"][10] = -0.2
    out = find_runaways(gaia)
    np.testing.assert_allclose(out["v_t"][11:], speed[11:], atol=1e-6)
    assert out["status"][:10].tolist() == ["ruwe > 1.4"] * 10
    assert out["status"][10] == "no distance"
    assert out.meta["n_used"] == n - 11
    assert abs(out.meta["b"] - 8.7) < 1.0
    assert out.meta["threshold"] == pytest.approx(runaway_threshold(out.meta["b"]))
    assert out["runaway"][-n_fast:].all()
    assert not out["runaway"][:11].any()
    assert out["runaway"].sum() <= n_fast + 3  # a few Maxwellian tail stars at most
    z_true = d_kpc * 1000 * np.sin(np.radians(b_deg)) + 20.5
    np.testing.assert_allclose(out["z"][11:], z_true[11:], atol=1e-6)
    assert np.isnan(out["z"][10])  # no distance, no height
    fixed = find_runaways(gaia, threshold=24.0)
    assert fixed.meta["threshold"] == 24.0 and fixed.meta["b"] is None
    with pytest.raises(ValueError, match="column 'ruwe' is not in `data`"):
        find_runaways(gaia[["ra", "dec", "pmra", "pmdec", "parallax"]])
    # A fit needs 3 usable stars: with 2, the message names `threshold`.
    few = gaia[8:12]  # 2 bad RUWE, 1 without distance, 1 usable
    with pytest.raises(ValueError, match=r"`threshold`=None .* 1 of 4 are usable"):
        find_runaways(few)
    assert find_runaways(few, threshold=24.0)["status"][3] == "ok"


# ---------------------------------------------------------------- gallery
def test_gallery_example_runs(monkeypatch):
    # Run as sphinx-gallery would (runpy, Agg backend); it must stay quick.
    import matplotlib

    monkeypatch.setenv("MPLBACKEND", "Agg")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    script = ROOT / "examples" / "followup" / "plot_runaway_threshold.py"
    start = time.perf_counter()
    try:
        result = runpy.run_path(str(script), run_name="__main__")
        elapsed = time.perf_counter() - start
        assert plt.get_fignums(), "the example made no figure"
    finally:
        plt.close("all")
    assert elapsed < 20, f"the example took {elapsed:.1f} s"
    assert 20 < result["threshold"] < 30
    assert round(result["seed_threshold"]) == 24


def test_mappings_and_qtables_work_like_tables():
    from astropy.table import QTable

    columns = {
        "ra": [10.0, 50.0],
        "dec": [60.0, 40.0],
        "pmra": [-2.0, 30.0],
        "pmdec": [-0.5, 5.0],
        "parallax": [0.5, 0.4],
        "ruwe": [1.0, 1.1],
    }
    units = {"ra": u.deg, "dec": u.deg, "pmra": u.mas / u.yr, "pmdec": u.mas / u.yr}
    units.update(parallax=u.mas, ruwe=u.one)
    qtable = QTable({k: np.array(v) * units[k] for k, v in columns.items()})
    from_dict = find_runaways(columns, threshold=24.0)
    from_qtable = find_runaways(qtable, threshold=24.0)
    np.testing.assert_allclose(from_dict["v_t"], from_qtable["v_t"])
    assert from_dict["runaway"].tolist() == [False, True]
    sky = crossmatch_sky(columns, qtable)
    assert sky["cat_index"].tolist() == [0, 1]
    assert sky["cat_pmra"].unit == u.mas / u.yr
    rv = rv_variability({"star_id": [1, 1], "rv": [0.0, 30.0]})
    assert rv["rv_label"].tolist() == ["binary"]


def test_velocity_uncertainties_by_monte_carlo():
    # Isotropic proper-motion errors sigma (mas/yr) stay isotropic under the
    # rotation to Galactic axes: v_l and v_b errors are 4.74 d sigma.
    ra, dec = _icrs([40.0, 200.0], [10.0, -30.0])
    gaia = Table({"ra": ra, "dec": dec, "pmra": [1.0, -3.0], "pmdec": [2.0, 0.5]})
    gaia["parallax"] = [0.5, 1.0]
    gaia["pmra_error"] = [0.1, 0.3]
    gaia["pmdec_error"] = [0.1, 0.3]
    gaia["parallax_error"] = [0.0, 0.0]
    out = peculiar_tangential_velocity(gaia, n_draws=4000, random_state=0)
    expected = K * np.array([2.0 * 0.1, 1.0 * 0.3])
    np.testing.assert_allclose(out["v_l_error"], expected, rtol=0.05)
    np.testing.assert_allclose(out["v_b_error"], expected, rtol=0.05)
    again = peculiar_tangential_velocity(gaia, n_draws=4000, random_state=0)
    assert np.array_equal(out["v_t_error"], again["v_t_error"])
    # A parallax error widens the spread; the values themselves do not move.
    gaia["parallax_error"] = [0.05, 0.1]
    wider = peculiar_tangential_velocity(gaia, n_draws=4000, random_state=0)
    assert np.all(wider["v_t_error"] > out["v_t_error"])
    np.testing.assert_array_equal(wider["v_t"], out["v_t"])
    assert "v_t_error" not in peculiar_tangential_velocity(gaia).colnames
    gaia["ruwe"] = [1.0, 1.0]
    flagged = find_runaways(gaia, threshold=24.0, n_draws=50, random_state=0)
    assert np.all(flagged["v_t_error"] > 0)
    with pytest.raises(ValueError, match="`n_draws` must be 0 or an integer >= 2"):
        peculiar_tangential_velocity(gaia, n_draws=1)
    with pytest.raises(ValueError, match="column 'pmra_error' is not in `data`"):
        peculiar_tangential_velocity(
            gaia[["ra", "dec", "pmra", "pmdec", "parallax"]], n_draws=10
        )
    # The missing errors name n_draws, which asked for them; a bad n_draws is
    # refused before any error column is looked up.
    arrays = {k: list(gaia[k]) for k in ("ra", "dec", "pmra", "pmdec", "parallax")}
    with pytest.raises(TypeError, match=r"needed because `n_draws`=10"):
        peculiar_tangential_velocity(**arrays, n_draws=10)
    for bad in (1.0e30, -1, np.nan, True, None, "3"):
        with pytest.raises(ValueError, match="`n_draws` must be 0 or an integer"):
            peculiar_tangential_velocity(**arrays, n_draws=bad)


def test_crossmatches_chain_with_prefixes_and_refuse_overwrites():
    sample = Table({"source_id": [1, 2], "ra": [10.0, 20.0], "dec": [0.0, 0.0]})
    tmass = Table({"ra": [10.0], "dec": [0.0], "Ks": [9.0]})
    gaia = Table({"source_id": [2], "ruwe": [1.1]})
    out = crossmatch_sky(sample, tmass, prefix="tmass_")
    out = crossmatch_id(out, gaia, prefix="gaia_")
    assert out["tmass_matched"].tolist() == [True, False]
    assert out["gaia_matched"].tolist() == [False, True]
    assert out.meta["tmass_n_unmatched"] == 1 and out.meta["gaia_n_unmatched"] == 1
    with pytest.raises(ValueError, match="would overwrite columns"):
        crossmatch_sky(out, tmass, prefix="tmass_")
    with pytest.raises(ValueError, match="would overwrite columns"):
        crossmatch_id(sample, Table({"source_id": [1], "index": [5]}))
