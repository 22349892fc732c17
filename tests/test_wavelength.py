"""Vacuum/air conversion, log-linear grids and wavelength validation."""

import astropy.units as u
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from specutils.utils.wcs_utils import vac_to_air

from sklearn_stellar.datasets import get_data_home
from sklearn_stellar.preprocessing import (
    air_to_vacuum,
    log_linear_grid,
    to_medium,
    vacuum_to_air,
)
from sklearn_stellar.utils import check_medium, check_wavelength, check_window

optical = st.floats(min_value=3000.0, max_value=11000.0)


def test_halpha_air_and_vacuum_match_the_data_readme():
    assert vacuum_to_air(6564.61) == pytest.approx(6562.80, abs=0.01)
    assert air_to_vacuum(6562.80) == pytest.approx(6564.61, abs=0.01)


def test_vacuum_to_air_matches_specutils_morton2000():
    wave = np.linspace(3600.0, 9200.0, 50)
    ours = vacuum_to_air(wave)
    theirs = vac_to_air(wave * u.AA, method="Morton2000").to_value(u.AA)
    np.testing.assert_allclose(ours, theirs, rtol=1e-12)


@given(optical)
def test_air_vacuum_round_trip_is_below_a_micro_angstrom(wave):
    assert abs(vacuum_to_air(air_to_vacuum(wave)) - wave) < 1e-6
    assert air_to_vacuum(wave) > wave


@given(st.sampled_from(["air", "vacuum"]), st.sampled_from(["air", "vacuum"]))
def test_to_medium_dispatches(source, target):
    wave = np.array([5000.0, 6000.0])
    converted = to_medium(wave, source, target)
    back = to_medium(converted, target, source)
    np.testing.assert_allclose(back, wave, atol=1e-6)
    assert (source == target) == np.array_equal(converted, wave)


def test_log_linear_grid_has_constant_log_step():
    grid = log_linear_grid(3700.0, 9100.0, dlog=1e-4)
    assert grid[0] == pytest.approx(3700.0)
    assert grid[-1] <= 9100.0
    np.testing.assert_allclose(np.diff(np.log10(grid)), 1e-4, rtol=1e-9)
    assert grid.size >= 3900


@pytest.mark.parametrize(
    ("start", "stop", "dlog"), [(-1, 10, 1e-4), (10, 5, 1e-4), (10, 20, 0)]
)
def test_log_linear_grid_rejects_bad_bounds(start, stop, dlog):
    with pytest.raises(ValueError, match="start|dlog"):
        log_linear_grid(start, stop, dlog)


@pytest.mark.parametrize(
    ("grid", "message"),
    [
        ([1.0, 2.0, 2.0, 3.0], "duplicated"),
        ([1.0, 3.0, 2.0], "not monotonically increasing"),
        ([[1.0, 2.0]], "1-D"),
        ([1.0, np.nan, 3.0], "NaN or inf"),
        ([1.0], "at least 2"),
    ],
)
def test_check_wavelength_names_the_problem(grid, message):
    with pytest.raises(ValueError, match=message):
        check_wavelength(grid)


def test_check_wavelength_length_mismatch_and_missing():
    with pytest.raises(ValueError, match="3 pixels but X has 4 columns"):
        check_wavelength([1.0, 2.0, 3.0], n_features=4)
    with pytest.raises(ValueError, match="`wavelength` is required"):
        check_wavelength(None)


@pytest.mark.parametrize("window", [(6578, 6548), (5, 5), ("a", 2), (1,), None])
def test_check_window_rejects_reversed_empty_or_malformed(window):
    with pytest.raises(ValueError, match="window"):
        check_window(window)


def test_check_medium():
    assert check_medium("air") == "air"
    with pytest.raises(ValueError, match="medium"):
        check_medium("vaccum")


def test_data_home_lookup_order(tmp_path, monkeypatch):
    assert get_data_home(tmp_path) == tmp_path.resolve()
    monkeypatch.setenv("SKLEARN_STELLAR_DATA", str(tmp_path))
    assert get_data_home() == tmp_path.resolve()
    monkeypatch.setenv("SKLEARN_STELLAR_DATA", str(tmp_path / "missing"))
    with pytest.raises(FileNotFoundError, match="SKLEARN_STELLAR_DATA"):
        get_data_home()
