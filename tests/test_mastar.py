"""MaStar cluster templates: reader, parameters matched to MILES, library switch."""

import numpy as np
import pytest

from sklearn_stellar.datasets import make_binary_spectra
from sklearn_stellar.datasets._mastar import (
    mastar_parameters,
    mastar_wavelength,
    read_mastar_colours,
    read_mastar_templates,
)

C_KMS = 299792.458


@pytest.fixture(scope="module")
def params(data_home):
    return mastar_parameters(data_home)


def test_reader_on_real_files(data_home):
    folder = data_home / "libraries" / "mastarhc_v2"
    clusters, flux, ivar, sres = read_mastar_templates(folder)
    assert len(clusters) == 65 and flux.shape == ivar.shape == sres.shape
    assert np.all(np.diff(clusters) > 0)  # sorted, the row order of the .db
    wave = mastar_wavelength()
    assert wave.shape == (flux.shape[1],)
    assert 3631 < wave[0] < 3632 and 10322 < wave[-1] < 10324
    assert np.all(ivar >= 0) and np.all(np.isfinite(flux))
    # R ~ 1800 in the optical, as the README says
    assert 1500 < np.median(sres[:, (wave > 5000) & (wave < 6000)]) < 2200
    colours = read_mastar_colours(folder)
    assert colours.shape == (65,)


def test_reader_names_a_missing_folder(tmp_path):
    with pytest.raises(ValueError, match="MaStarHC"):
        read_mastar_templates(tmp_path)


def test_parameters_follow_colour(params, data_home):
    """Redder templates (by MaStar's own g-r colour) get cooler matched Teff."""
    colours = read_mastar_colours(data_home / "libraries" / "mastarhc_v2")
    good = params["good"] & (params["teff"] < 7000)
    rho = np.corrcoef(colours[good], np.log(params["teff"][good]))[0, 1]
    assert rho < -0.8
    assert 15 <= (good & (params["logg"] >= 4.0)).sum() <= 30
    assert params["miles_best"].shape == (65, 3)


def test_library_switch(data_home):
    data = make_binary_spectra(
        200,
        binary_fraction=0.5,
        split_fractions=(0.0, 0.0, 1.0),
        library="mastar",
        random_state=0,
        data_home=data_home,
    )
    miles = make_binary_spectra(60, random_state=0, data_home=data_home)
    assert data.data.shape == (200, len(miles.wavelength))
    np.testing.assert_array_equal(data.wavelength, miles.wavelength)
    assert np.all(np.isfinite(data.data)) and set(data.split) == {"test"}
    assert data.target.sum() == 100
    meta = data.metadata
    b = data.target == 1
    assert np.all((meta["q"][b] >= 0.71) & (meta["q"][b] <= 0.93))
    assert np.all(meta["secondary"][~b] == -1)
    # MaStar cluster numbers, not MILES ids
    clusters = read_mastar_templates(data_home / "libraries" / "mastarhc_v2")[0]
    assert set(data.groups) <= set(clusters.tolist())
    X2, y2 = make_binary_spectra(
        200,
        binary_fraction=0.5,
        split_fractions=(0.0, 0.0, 1.0),
        library="mastar",
        random_state=0,
        data_home=data_home,
        return_X_y=True,
    )
    np.testing.assert_array_equal(X2, data.data)


def test_mastar_refuses_miles_only_options(data_home):
    with pytest.raises(ValueError, match="resolution"):
        make_binary_spectra(
            50, library="mastar", resolution=1500.0, data_home=data_home
        )
    with pytest.raises(ValueError, match="train_interpolation"):
        make_binary_spectra(
            50, library="mastar", train_interpolation=0.5, data_home=data_home
        )
