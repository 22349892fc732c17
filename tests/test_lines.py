"""Tests for sklearn_stellar.lines: equivalent widths, DER_SNR, H-alpha peaks."""

import warnings

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.preprocessing import FunctionTransformer

from sklearn_stellar.lines import (
    EWTransformer,
    bartlett_width,
    der_snr,
    equivalent_width,
    find_halpha_peaks,
)
from sklearn_stellar.preprocessing import air_to_vacuum

MILES_STEP = 0.9
MILES_START = 3540.5


# ---------------------------------------------------------------- real data
@pytest.fixture(scope="module")
def miles(data_home, miles_teff):
    """MILES stars (air, 0.9 A/px): the first 14 with Teff >= 12000 K (two of
    them, HD 41117 = m0204 and HD 57060 = m0251, are known H-alpha emission
    stars) and 12 K/M stars, with their Teff and MILES numbers."""
    folder = data_home / "libraries" / "miles"
    teff = dict(miles_teff)
    hot = [i for i, t in sorted(teff.items()) if t >= 12000][:14]
    cool = [i for i, t in sorted(teff.items()) if t < 4500][:12]
    ids = np.array(hot + cool)
    flux = np.array(
        [fits.getdata(folder / f"MILES_res2.50_star_m{i:04d}V.fits") for i in ids]
    )
    wave = MILES_START + MILES_STEP * np.arange(flux.shape[1])
    good = (flux > 0).all(axis=1)
    return wave, flux[good], np.array([teff[i] for i in ids])[good], ids[good]


def _mrs_red(path):
    """All red-arm spectra (coadd + exposures) of one LAMOST MRS file."""
    out = []
    with fits.open(path) as hdul:
        for hdu in hdul[1:]:
            if hdu.name == "COADD_R" or hdu.name.startswith("R-"):
                wave = 10 ** hdu.data["LOGLAM"].astype(float)
                order = np.argsort(wave)
                out.append(
                    (
                        wave[order],
                        hdu.data["FLUX"].astype(float)[order],
                        hdu.data["IVAR"].astype(float)[order],
                        float(hdu.header["SNR"]),
                    )
                )
    return out


@pytest.fixture(scope="module")
def mrs(data_home):
    """Red-arm LAMOST MRS spectra of one star (vacuum), on the coadd's grid."""
    path = data_home / "lamost" / "mrs" / "med-58408-TD230151N343645T01_sp01-015.fits"
    spectra = _mrs_red(path)
    wave = spectra[0][0]
    flux = np.array([np.interp(wave, w, f) for w, f, _, _ in spectra])
    ivar = np.array([np.interp(wave, w, iv) for w, _, iv, _ in spectra])
    snr = np.array([s for *_, s in spectra])
    return wave, flux, ivar, snr


def _normalise(flux, wave, lo=6530.0, hi=6600.0):
    """Divide by a straight line through the median flux of two side bands."""
    blue = (wave > lo - 20) & (wave < lo)
    red = (wave > hi) & (wave < hi + 20)
    fb = np.median(flux[:, blue], axis=1, keepdims=True)
    fr = np.median(flux[:, red], axis=1, keepdims=True)
    wb, wr = wave[blue].mean(), wave[red].mean()
    return flux / (fb + (fr - fb) * (wave - wb) / (wr - wb))


# ------------------------------------------------------- equivalent_width
def test_box_line_exact_and_emission_negative():
    wave = np.arange(6500.0, 6600.0, 0.5)
    flux = np.ones((3, wave.size))
    line = (wave >= 6560) & (wave < 6566)  # 12 pixels of 0.5 A
    flux[1, line] = 0.5
    flux[2, line] = 1.5
    ew = equivalent_width(flux, wave, (6540, 6590), medium="air")
    np.testing.assert_allclose(ew, [0.0, 3.0, -3.0], atol=1e-12)


def test_partial_pixel_edges_are_exact():
    # Bins are 1 A wide centred on integers.
    wave = np.arange(6500.0, 6600.0, 1.0)
    depth = np.linspace(0.1, 0.9, wave.size)
    flux = (1.0 - depth)[None, :]
    ew = equivalent_width(flux, wave, (6550.3, 6560.7), medium="air")
    # Pixel 6550 (bin 6549.5-6550.5) contributes 0.2 A, pixels 6551-6560 whole,
    # pixel 6561 (bin 6560.5-6561.5) 0.2 A.
    expected = 0.2 * depth[50] + depth[51:61].sum() + 0.2 * depth[61]
    np.testing.assert_allclose(ew, [expected], rtol=1e-12)


def test_vacuum_grid_converts_air_window(mrs):
    wave, flux, _, _ = mrs
    norm = _normalise(flux, wave)
    # The same spectrum described on its vacuum grid or on the equivalent air
    # grid must give the same EW (up to the air/vacuum Angstrom scale ~3e-4).
    from sklearn_stellar.preprocessing import vacuum_to_air

    vac = equivalent_width(norm, wave, (6548, 6578), medium="vacuum")
    air = equivalent_width(norm, vacuum_to_air(wave), (6548, 6578), medium="air")
    np.testing.assert_allclose(vac, air, rtol=5e-4)
    # Treating the vacuum grid as air shifts the window by 1.8 A: different EW.
    wrong = equivalent_width(norm, wave, (6548, 6578), medium="air")
    assert np.max(np.abs(wrong - vac)) > 0.01


def test_nan_pixels_interpolated_linearly():
    wave = np.arange(6500.0, 6600.0, 0.5)
    flux = (0.5 + (wave - 6500.0) / 400.0)[None, :].repeat(2, axis=0)
    flux[1, 120:124] = np.nan  # inside the window; flux is linear so exact
    ew = equivalent_width(flux, wave, (6540, 6590), medium="air")
    np.testing.assert_allclose(ew[1], ew[0], rtol=1e-12)
    # Same with a per-spectrum continuum (the slow path keeps its rows apart).
    cont = np.array([[1.0], [2.0]]) * np.ones(wave.size)
    ew_c = equivalent_width(flux, wave, (6540, 6590), cont, medium="air")
    np.testing.assert_allclose(ew_c[1], 50.0 - (50.0 - ew[0]) / 2.0, rtol=1e-12)
    # At the window's edge the nearest finite value is carried.
    flux2 = np.ones((1, wave.size))
    flux2[0, :] = 0.5
    inside = np.flatnonzero((wave > 6539) & (wave < 6545))
    flux2[0, inside] = np.nan
    ew2 = equivalent_width(flux2, wave, (6540, 6590), medium="air")
    np.testing.assert_allclose(ew2, [25.0], rtol=1e-12)


def test_window_without_valid_pixel_warns_and_gives_nan():
    wave = np.arange(6500.0, 6600.0, 0.5)
    flux = np.ones((3, wave.size))
    flux[1, (wave > 6530) & (wave < 6570)] = np.nan
    with pytest.warns(RuntimeWarning, match="1 of 3 spectra have no valid pixel"):
        ew = equivalent_width(flux, wave, (6540, 6560), medium="air")
    assert np.isnan(ew[1]) and np.all(ew[[0, 2]] == 0.0)


@pytest.mark.parametrize(
    "window, match",
    [
        ((6590, 6540), "reversed"),
        ((6540, 6540), "reversed"),
        ((6400, 6550), "outside the wavelength grid"),
        ((6550, 6700), "outside the wavelength grid"),
        ((6550,), "pair"),
        ((np.nan, 6560), "finite"),
    ],
)
def test_bad_windows(window, match):
    wave = np.arange(6500.0, 6600.0, 0.5)
    with pytest.raises(ValueError, match=match):
        equivalent_width(np.ones((1, wave.size)), wave, window, medium="air")


def test_window_across_a_gap_between_arms():
    wave = np.r_[np.arange(5000.0, 5300.0, 0.5), np.arange(6400.0, 6700.0, 0.5)]
    flux = np.ones((1, wave.size))
    with pytest.raises(ValueError, match="overlaps a gap"):
        equivalent_width(flux, wave, (5290, 6420), medium="air")
    # Windows inside either arm work, including next to the gap.
    assert equivalent_width(flux, wave, (5280, 5299.7), medium="air")[0] == 0.0
    assert equivalent_width(flux, wave, (6399.8, 6420), medium="air")[0] == 0.0


def test_bad_inputs():
    wave = np.arange(6500.0, 6600.0, 0.5)
    flux = np.ones((2, wave.size))
    with pytest.raises(ValueError, match="has 200 pixels but X has 199"):
        equivalent_width(flux[:, 1:], wave, (6540, 6560), medium="air")
    with pytest.raises(ValueError, match="continuum"):
        equivalent_width(flux, wave, (6540, 6560), continuum=0.0, medium="air")
    with pytest.raises(ValueError, match="continuum"):
        equivalent_width(flux, wave, (6540, 6560), continuum=np.ones(5), medium="air")
    with pytest.raises(ValueError, match="medium"):
        equivalent_width(flux, wave, (6540, 6560), medium="water")
    bad = flux.copy()
    bad[0, 100] = np.inf
    with pytest.raises(ValueError, match="infinite"):
        equivalent_width(bad, wave, (6540, 6560), medium="air")
    with pytest.raises(ValueError, match="ivar"):
        equivalent_width(flux, wave, (6540, 6560), medium="air", ivar=flux[:, :3])


def test_agrees_with_specutils_on_real_spectra(mrs):
    """Window edges on pixel-bin edges: both integrate the same whole pixels.

    The LAMOST LOGLAM column is float32, so its steps jitter by up to 2%; on
    such a grid specutils' extrapolated outer bin edge differs from the
    midpoint we use. The real spectra are therefore put on a uniform 0.1 A
    grid, where both define identical bins.
    """
    from specutils import SpectralRegion, Spectrum
    from specutils.analysis import equivalent_width as su_ew

    wave, flux, _, _ = mrs
    grid = np.arange(6520.0, 6610.0, 0.1)
    norm = _normalise(flux, wave)
    norm = np.array([np.interp(grid, wave, row) for row in norm])
    lo, hi = 6548.05, 6578.95  # midpoints between pixel centres
    ours = equivalent_width(norm, grid, (lo, hi), medium="air")
    theirs = [
        su_ew(
            Spectrum(flux=row * u.dimensionless_unscaled, spectral_axis=grid * u.AA),
            regions=SpectralRegion(lo * u.AA, hi * u.AA),
        ).value
        for row in norm
    ]
    np.testing.assert_allclose(ours, theirs, rtol=1e-6)
    assert np.all(np.abs(ours) > 0.1)  # real lines, not a trivial zero


def test_uncertainty_matches_noise_realisations(mrs, rng):
    wave, flux, _, _ = mrs
    norm = _normalise(flux[:1], wave)
    sigma = 0.02
    noisy = norm + rng.normal(0.0, sigma, size=(400, wave.size))
    ivar = np.full(noisy.shape, 1.0 / sigma**2)
    ew, err = equivalent_width(noisy, wave, (6548, 6578), ivar=ivar)
    assert np.allclose(err, err[0])
    # The scatter of 400 realisations estimates sigma_EW to ~4% (1 sigma).
    assert abs(np.std(ew) / err[0] - 1.0) < 0.15
    # ivar = 0 marks a pixel as missing: interpolated, not used.
    ivar[:, 2000] = 0.0
    noisy[:, 2000] = 1e6
    ew_masked, _ = equivalent_width(noisy, wave, (6548, 6578), ivar=ivar)
    assert np.all(np.abs(ew_masked - ew) < 1.0)


def test_real_ivar_uncertainty_is_finite(mrs):
    wave, flux, ivar, _ = mrs
    ew, err = equivalent_width(
        flux, wave, (6548, 6578), continuum=flux.max(), ivar=ivar
    )
    assert np.all(np.isfinite(ew)) and np.all((err > 0) & np.isfinite(err))


# --------------------------------------------------------- property tests
_grids = st.sampled_from([0.1, 0.37, 0.9, 1.3])


@settings(max_examples=40, deadline=None)
@given(step=_grids, level=st.floats(0.01, 1e4), lo=st.floats(6510, 6560))
def test_flat_continuum_has_zero_ew(step, level, lo):
    wave = np.arange(6500.0, 6600.0, step)
    flux = np.full((2, wave.size), level)
    ew = equivalent_width(flux, wave, (lo, lo + 25.0), continuum=level, medium="air")
    np.testing.assert_allclose(ew, 0.0, atol=1e-9)


@settings(max_examples=40, deadline=None)
@given(
    step=_grids,
    seed=st.integers(0, 2**31),
    lo=st.floats(6505, 6540),
    cut=st.floats(0.01, 0.99),
    width=st.floats(0.5, 50.0),
)
def test_ew_adds_over_adjacent_windows(step, seed, lo, cut, width):
    wave = np.arange(6500.0, 6600.0, step)
    flux = np.random.default_rng(seed).uniform(0.2, 1.5, size=(3, wave.size))
    mid = lo + cut * width
    kw = {"medium": "air"}
    whole = equivalent_width(flux, wave, (lo, lo + width), **kw)
    parts = equivalent_width(flux, wave, (lo, mid), **kw) + equivalent_width(
        flux, wave, (mid, lo + width), **kw
    )
    np.testing.assert_allclose(whole, parts, rtol=1e-10, atol=1e-10)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**31), scale=st.floats(1e-3, 1e3))
def test_scaling_flux_and_continuum_keeps_ew(seed, scale):
    rng = np.random.default_rng(seed)
    wave = np.arange(6500.0, 6600.0, 0.37)
    cont = rng.uniform(0.5, 2.0, size=(2, wave.size))
    flux = cont * rng.uniform(0.3, 1.2, size=(2, wave.size))
    a = equivalent_width(flux, wave, (6540, 6580), continuum=cont, medium="air")
    b = equivalent_width(
        scale * flux, wave, (6540, 6580), continuum=scale * cont, medium="air"
    )
    np.testing.assert_allclose(a, b, rtol=1e-10)


# ------------------------------------------------------------ EWTransformer
def test_ew_transformer_features_and_normalizer(miles):
    wave, flux, teff, _ = miles
    median = FunctionTransformer(lambda X: X / np.median(X, axis=1, keepdims=True))
    ewt = EWTransformer(wavelength=wave, medium="air", normalizer=median)
    feats = ewt.fit_transform(flux)
    assert feats.shape == (flux.shape[0], 2)
    assert ewt.get_feature_names_out().tolist() == ["ew_6548_6578", "ew_5160_5193"]
    direct = equivalent_width(
        flux / np.median(flux, axis=1, keepdims=True), wave, (5160, 5193), medium="air"
    )
    np.testing.assert_allclose(feats[:, 1], direct)
    # Mg b is far stronger in the K/M stars than in the B stars.
    assert np.median(feats[teff < 4500, 1]) > np.median(feats[teff >= 12000, 1]) + 2


def test_ew_transformer_rejects_windows_outside_grid(miles):
    wave, flux, _, _ = miles
    with pytest.raises(ValueError, match="outside the wavelength grid"):
        EWTransformer(wavelength=wave, windows=[(8400, 8500)], medium="air").fit(flux)
    with pytest.raises(ValueError, match="reversed"):
        EWTransformer(wavelength=wave, windows=[(6578, 6548)], medium="air").fit(flux)


# ------------------------------------------------------------------ DER_SNR
def test_der_snr_recovers_injected_noise(miles, rng):
    wave, flux, _, _ = miles
    row = flux[:1] / np.median(flux[:1])
    # MILES S/N is ~100+; inject much larger noise so it dominates.
    noisy = row + rng.normal(0.0, 0.05, size=(20, wave.size))
    ratio = der_snr(noisy) / (np.median(noisy, axis=1) / 0.05)
    # Real lines add a little to the second differences: a few % low at most.
    assert 0.9 < np.median(ratio) < 1.03
    assert np.all(np.abs(ratio - 1.0) < 0.15)


def test_der_snr_ignores_zero_and_nan_pixels(rng):
    flux = 50.0 + rng.normal(0.0, 1.0, size=(1, 3000))
    holed = flux.copy()
    holed[0, ::7] = np.nan
    holed[0, 3::11] = 0.0
    np.testing.assert_allclose(der_snr(holed), der_snr(flux), rtol=0.1)


def test_der_snr_undefined_rows_warn():
    flux = np.ones((2, 50))
    flux[0] = np.nan
    flux[1, :] = 3.0  # zero noise
    with pytest.warns(RuntimeWarning, match="undefined for 2 of 2"):
        snr = der_snr(flux)
    assert np.all(np.isnan(snr))


def test_header_and_der_snr_correlate(mrs):
    wave, flux, _, header_snr = mrs
    est = der_snr(flux)
    assert np.corrcoef(est, header_snr)[0, 1] > 0.9


# --------------------------------------------------------- H-alpha peaks
def test_bartlett_widths_follow_table_1():
    snr = [9.99, 10, 19.9, 20, 39, 40, 59, 60, 99, 100, 119, 120, 149, 150, 1e4]
    widths = [15, 15, 15, 10, 10, 9, 9, 8, 8, 7, 7, 6, 6, 5, 5]
    assert bartlett_width(snr).tolist() == widths
    assert bartlett_width([np.nan]).tolist() == [15]


def test_paper_examples_widths():
    # Wang et al. (2022) Figure 3: S/N 13 -> 15 px, S/N 50 -> 9 px.
    assert bartlett_width([13, 50]).tolist() == [15, 9]


HALPHA_AIR = 6562.8
EMISSION_STARS = (204, 251)  # HD 41117 (B2Iae), HD 57060 (O7Ia): H-alpha emission


def test_known_emission_stars_have_a_central_peak(miles):
    wave, flux, teff, ids = miles
    hot = teff >= 12000
    res = find_halpha_peaks(_normalise(flux[hot], wave), wave, medium="air")
    emitters = np.isin(ids[hot], EMISSION_STARS)
    assert emitters.sum() == 2
    assert res.has_peak[emitters].all()
    np.testing.assert_allclose(res.peak_wavelength[emitters], HALPHA_AIR, atol=1.5)
    assert np.all(res.peak_height[emitters] > 0.1)
    # The absorption stars have no peak in the line core (a bump between the
    # red wing and C II 6578 may be flagged; it is far from the centre).
    central = res.has_peak & (np.abs(res.peak_wavelength - HALPHA_AIR) < 5.0)
    assert not central[~emitters].any()


def test_weak_emission_inside_absorption_is_found(miles):
    """Wang et al.'s (2022) hard case: an emission core on a broad absorption line."""
    wave, flux, teff, ids = miles
    keep = (teff >= 12000) & ~np.isin(ids, EMISSION_STARS)
    hot = _normalise(flux[keep], wave)
    be_like = hot + 0.4 * np.exp(-0.5 * ((wave - HALPHA_AIR) / 1.2) ** 2)
    # The EW stays positive for most (absorption dominates): a sign-of-EW
    # criterion would miss them.
    ew = equivalent_width(be_like, wave, (6548, 6578), medium="air")
    assert np.mean(ew > 0) > 0.7
    found = find_halpha_peaks(be_like, wave, medium="air", snr=150.0)
    assert found.has_peak.all()
    np.testing.assert_allclose(found.peak_wavelength, HALPHA_AIR, atol=1.5)
    assert np.all(found.peak_height > 0.05)
    assert found.peaks.shape == found.valleys.shape == found.smoothed.shape
    assert found.valleys.any(axis=1).all()  # the troughs beside the emission


def test_peak_finder_on_vacuum_mrs_uses_header_snr(mrs):
    wave, flux, _, header_snr = mrs
    norm = _normalise(flux, wave)
    res = find_halpha_peaks(norm, wave, snr=header_snr)
    np.testing.assert_array_equal(res.width, bartlett_width(header_snr))
    assert res.wavelength[0] >= air_to_vacuum(6551.0) - 0.2
    assert res.wavelength[-1] <= air_to_vacuum(6579.0)
    # Without a header S/N, DER_SNR is used.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        auto = find_halpha_peaks(norm, wave)
    np.testing.assert_allclose(auto.snr, der_snr(norm))


def test_low_snr_flagged_and_widest_window():
    wave = np.arange(6540.0, 6590.0, 0.2)
    flux = np.ones((2, wave.size)) + 1e-3 * np.sin(wave)
    res = find_halpha_peaks(flux, wave, medium="air", snr=[5.0, 30.0])
    assert res.low_snr.tolist() == [True, False]
    assert res.width.tolist() == [15, 10]


def test_peak_finder_bad_input():
    wave = np.arange(6540.0, 6590.0, 0.2)
    flux = np.ones((2, wave.size))
    with pytest.raises(ValueError, match="snr"):
        find_halpha_peaks(flux, wave, medium="air", snr=[10.0, -1.0])
    with pytest.raises(ValueError, match="snr"):
        find_halpha_peaks(flux, wave, medium="air", snr=[10.0, 20.0, 30.0])
    with pytest.raises(ValueError, match="outside"):
        find_halpha_peaks(flux[:, :50], wave[:50], medium="air", snr=20.0)
    with pytest.raises(ValueError, match="reversed"):
        find_halpha_peaks(flux, wave, medium="air", snr=20.0, window=(6579, 6551))


def test_wavelength_none_means_the_pixel_index_everywhere():
    # One meaning across estimators: no grid, columns known by their index.
    # The continuum works on it (widths in pixels); an EW window in Angstrom
    # has no place on it, and the error says so by name.
    from sklearn_stellar.filters import EWFilter
    from sklearn_stellar.preprocessing import ContinuumNormalizer

    X = np.ones((2, 50))
    norm = ContinuumNormalizer(sigma=5.0).fit(X)
    np.testing.assert_array_equal(norm.wavelength_, np.arange(50.0))
    for est, name in ((EWTransformer(), "windows"), (EWFilter(), "cuts")):
        with pytest.raises(ValueError, match=rf"pixel index 0\.\.49.*`{name}`"):
            est.fit(X)
