"""Tests for sklearn_stellar.io on the real LAMOST files in the data home."""

import gzip
import os
import re
import shutil
import tempfile
import threading
import warnings
from pathlib import Path

import astropy.units as u
import numpy as np
import pytest
from astropy.io import fits
from astropy.nddata import InverseVariance, StdDevUncertainty, VarianceUncertainty
from hypothesis import given, settings
from hypothesis import strategies as st
from specutils import Spectrum, SpectrumList

from sklearn_stellar.exceptions import EmptySpectrumWarning
from sklearn_stellar.io import (
    LamostReadError,
    LamostSpectra,
    read_lamost,
    read_lamost_file,
    spectra_to_array,
)
from sklearn_stellar.io._files import STATUSES
from sklearn_stellar.preprocessing import resample, vacuum_to_air

META_KEYS = {
    "filename",
    "obsid",
    "designation",
    "ra",
    "dec",
    "mjd",
    "lmjm",
    "snr",
    "class",
    "subclass",
    "medium",
    "survey",
    "arm",
    "exposure",
    "format",
    "header",
}

# Files chosen by their headers (see the data README): DATA_V and layout.
LRS_IMAGE_PLAIN = "lrs/spec-58397-EG014118N254444M01_sp03-031.fits"  # DR7 image
LRS_IMAGE_GZ_DR6 = (
    "lrs/KIC8098300__DR6_low__spec-57287-KP193637N444141V03_sp10-161.fits.gz"
)
LRS_IMAGE_GZ_DR7 = "lrs/spec-55859-F5902_sp01-001_dr7.fits.gz"
LRS_COADD_GZ = "lrs/spec-55859-F5902_sp01-013_dr8.fits.gz"  # DATA_V = DR9 COADD
MRS_V0_GZ = "mrs/KIC8098300__DR6_medium__med-58268-HIP95119KP01_sp12-076.fits.gz"
MRS_V0_PLAIN = "mrs/med-58408-TD230151N343645T01_sp01-015.fits"


@pytest.fixture(scope="module")
def lamost(data_home):
    return data_home / "lamost"


@pytest.fixture(scope="module")
def everything(lamost):
    return read_lamost(lamost, recursive=True)


def _dr1_pilot_copy(lamost, tmp_path):
    """A DR1-pilot layout built from a real DR7 image: row 3 normalised."""
    with fits.open(lamost / LRS_IMAGE_PLAIN) as hdul:
        header = hdul[0].header.copy()
        data = hdul[0].data.astype(np.float32).copy()
    flux = data[0]
    data[2] = flux / np.median(flux[flux > 0])
    path = tmp_path / "spec-pilot.fits"
    fits.PrimaryHDU(data=data, header=header).writeto(path)
    return path, data


def _mrs_v1_copy(source, path):
    """MRS v1 layout (one row of array columns) built from a real v0 file."""
    with fits.open(source) as hdul:
        hdus = [fits.PrimaryHDU(header=hdul[0].header.copy())]
        for hdu in hdul[1:]:
            table = hdu.data
            columns = [
                fits.Column(
                    name="WAVELENGTH",
                    format=f"{len(table)}D",
                    array=(10.0 ** table["LOGLAM"].astype(np.float64))[None],
                )
            ]
            for name in table.columns.names:
                if name == "LOGLAM":
                    continue
                fmt = "E" if name in ("FLUX", "IVAR") else "J"
                columns.append(
                    fits.Column(
                        name=name, format=f"{len(table)}{fmt}", array=table[name][None]
                    )
                )
            new = fits.BinTableHDU.from_columns(columns, name=hdu.name)
            for key in ("LMJM", "SNR", "EXPTIME"):
                if key in hdu.header:
                    new.header[key] = hdu.header[key]
            hdus.append(new)
    fits.HDUList(hdus).writeto(path)
    return path


# --------------------------------------------------------------------------- LRS


@pytest.mark.parametrize("name", [LRS_IMAGE_PLAIN, LRS_IMAGE_GZ_DR6, LRS_IMAGE_GZ_DR7])
def test_lrs_image_matches_the_file_rows(lamost, name):
    spectra = read_lamost(lamost / name)
    assert isinstance(spectra, LamostSpectra) and isinstance(spectra, SpectrumList)
    assert len(spectra) == 1
    spec = spectra[0]
    assert type(spec) is Spectrum
    with fits.open(lamost / name) as hdul:
        header, data = hdul[0].header, hdul[0].data.astype(np.float64)
    assert spec.meta["format"] == "lrs-image"
    np.testing.assert_array_equal(spec.spectral_axis.to_value(u.AA), data[2])
    assert spec.spectral_axis.unit == u.AA
    np.testing.assert_array_equal(spec.flux.value, data[0])
    assert isinstance(spec.uncertainty, InverseVariance)
    np.testing.assert_array_equal(spec.uncertainty.array, data[1])
    expected = (data[1] == 0) | (data[3] != 0) | (data[0] == 0)
    np.testing.assert_array_equal(spec.mask, expected)
    meta = spec.meta
    assert META_KEYS <= set(meta)
    assert meta["obsid"] == header["OBSID"]
    assert meta["designation"] == header["DESIG"]
    assert meta["ra"] == header["RA"] and meta["dec"] == header["DEC"]
    assert meta["mjd"] == header["MJD"] and meta["lmjm"] is None
    assert meta["snr"] == {b: header[f"SNR{b.upper()}"] for b in "ugriz"}
    assert meta["class"] == header["CLASS"].strip()
    assert meta["subclass"] == header["SUBCLASS"].strip()
    assert (meta["medium"], meta["survey"], meta["arm"]) == ("vacuum", "LRS", None)
    assert meta["exposure"] == "COADD"
    assert meta["header"]["OBSID"] == header["OBSID"]
    assert meta["filename"] == str(lamost / name)


def test_lrs_masks_come_from_ivar_and_andmask(lamost):
    # This DR7 plan spectrum has both zero-ivar pixels and a non-zero and-mask.
    folder = lamost / "lrs" / "dr7_plan_HD103621N361936B01"
    spectra = read_lamost(folder)
    n_andmask = n_ivar = 0
    for spec in spectra:
        with fits.open(spec.meta["filename"]) as hdul:
            data = hdul[0].data
        n_andmask += int((data[3] != 0).sum())
        n_ivar += int((data[1] == 0).sum())
        expected = (data[1] == 0) | (data[3] != 0) | (data[0] == 0)
        np.testing.assert_array_equal(spec.mask, expected)
    assert n_andmask > 0 and n_ivar > 0


def test_zero_filled_dead_pixels_are_masked_even_with_positive_ivar(lamost):
    # Real DR7 MRS blue coadds carry runs of flux == 0.0 with ivar > 0 and a
    # clean and-mask; they are dead pixels, not absorption down to zero.
    spectra = read_lamost(sorted((lamost / "mrs").glob("*DR7*")))
    coadds = [s for s in spectra if s.meta["exposure"] == "COADD"]
    dead = [(s.flux.value == 0) & (s.uncertainty.array > 0) for s in coadds]
    assert sum(int(d.sum()) for d in dead) >= 5
    for spec, d in zip(coadds, dead, strict=True):
        assert spec.mask[d].all()


def test_lrs_dr9_coadd_table(lamost):
    (spec,) = read_lamost(lamost / LRS_COADD_GZ)
    with fits.open(lamost / LRS_COADD_GZ) as hdul:
        header = hdul[0].header
        row = hdul["COADD"].data[0]
    assert spec.meta["format"] == "lrs-coadd"
    assert header["DATA_V"] == "LAMOST DR9"
    np.testing.assert_array_equal(spec.spectral_axis.value, row["WAVELENGTH"])
    np.testing.assert_array_equal(spec.flux.value, row["FLUX"])
    np.testing.assert_array_equal(spec.uncertainty.array, row["IVAR"])
    expected = (row["IVAR"] == 0) | (row["ANDMASK"] != 0) | (row["FLUX"] == 0)
    np.testing.assert_array_equal(spec.mask, expected)
    assert spec.meta["subclass"] == "A2" and spec.meta["obsid"] == 101013
    assert spec.meta["snr"]["r"] == pytest.approx(8.79)


def test_lrs_dr1_pilot_uses_coeff_grid_and_keeps_continuum(lamost, tmp_path):
    path, data = _dr1_pilot_copy(lamost, tmp_path)
    (spec,) = read_lamost(path)
    assert spec.meta["format"] == "lrs-dr1"
    header = fits.getheader(path)
    expected = 10.0 ** (header["COEFF0"] + header["COEFF1"] * np.arange(data.shape[1]))
    np.testing.assert_allclose(spec.spectral_axis.value, expected, rtol=1e-12)
    np.testing.assert_array_equal(spec.meta["continuum"], data[2])
    np.testing.assert_array_equal(spec.flux.value, data[0])
    # The normalised row is nothing like a wavelength: the grid still is.
    assert spec.spectral_axis.value[0] == pytest.approx(3699.985, abs=1e-3)


# --------------------------------------------------------------------------- MRS


@pytest.mark.parametrize("name", [MRS_V0_GZ, MRS_V0_PLAIN])
def test_mrs_v0_gives_every_arm_and_exposure_sorted(lamost, name):
    spectra = read_lamost(lamost / name)
    with fits.open(lamost / name) as hdul:
        names = [hdu.name for hdu in hdul[1:]]
        tables = {hdu.name: hdu.data for hdu in hdul[1:]}
        headers = {hdu.name: hdu.header for hdu in hdul[1:]}
        primary = hdul[0].header
    assert len(spectra) == len(names) == spectra.files["n_spectra"][0]
    assert [
        "COADD_" + s.meta["arm"]
        if s.meta["exposure"] == "COADD"
        else s.meta["exposure"]
        for s in spectra
    ] == names
    descending = 0
    for spec in spectra:
        ext = (
            "COADD_" + spec.meta["arm"]
            if spec.meta["exposure"] == "COADD"
            else spec.meta["exposure"]
        )
        table = tables[ext]
        order = np.argsort(table["LOGLAM"])
        descending += bool(table["LOGLAM"][0] > table["LOGLAM"][-1])
        wave = spec.spectral_axis.value
        assert np.all(np.diff(wave) > 0)
        np.testing.assert_allclose(
            wave, 10.0 ** table["LOGLAM"][order].astype(np.float64), rtol=1e-12
        )
        np.testing.assert_array_equal(spec.flux.value, table["FLUX"][order])
        mask_col = "ANDMASK" if ext.startswith("COADD") else "PIXMASK"
        expected = (
            (table["IVAR"][order] == 0)
            | (table[mask_col][order] != 0)
            | (table["FLUX"][order] == 0)
        )
        np.testing.assert_array_equal(spec.mask, expected)
        meta = spec.meta
        assert META_KEYS <= set(meta)
        assert (meta["survey"], meta["format"], meta["medium"]) == (
            "MRS",
            "mrs-v0",
            "vacuum",
        )
        assert meta["arm"] == (ext[-1] if ext.startswith("COADD") else ext[0])
        assert meta["snr"] == {meta["arm"]: headers[ext]["SNR"]}
        assert meta["obsid"] == primary["OBSID"] and meta["mjd"] == primary["MJD"]
        assert meta["class"] is None and meta["subclass"] is None
        if ext.startswith("COADD"):
            assert meta["lmjm"] is None
            # The coadd lists exactly the exposures of its arm in the file.
            assert meta["lmjm_list"] == sorted(
                int(n[2:]) for n in names if n.startswith(meta["arm"] + "-")
            )
        else:
            assert meta["lmjm"] == int(headers[ext]["LMJM"])
            assert meta["exptime"] == headers[ext]["EXPTIME"]
        arm_range = (4850, 5450) if meta["arm"] == "B" else (6200, 6950)
        assert arm_range[0] < wave[0] and wave[-1] < arm_range[1]
    # The red single exposures are stored with LOGLAM decreasing.
    assert descending > 0


def test_mrs_v1_array_rows_read_like_v0(lamost, tmp_path):
    source = lamost / MRS_V0_PLAIN
    v0 = read_lamost(source)
    v1 = read_lamost(_mrs_v1_copy(source, tmp_path / "med-v1.fits"))
    assert len(v1) == len(v0) == 16
    assert {s.meta["format"] for s in v1} == {"mrs-v1"}
    for a, b in zip(v0, v1, strict=True):
        assert (a.meta["arm"], a.meta["exposure"]) == (
            b.meta["arm"],
            b.meta["exposure"],
        )
        np.testing.assert_allclose(a.spectral_axis.value, b.spectral_axis.value)
        np.testing.assert_array_equal(a.flux.value, b.flux.value)
        np.testing.assert_array_equal(a.mask, b.mask)
        assert a.meta["snr"] == b.meta["snr"] and a.meta["lmjm"] == b.meta["lmjm"]


def test_gzipped_and_plain_copies_read_identically(lamost, tmp_path):
    plain = tmp_path / "med.fits"
    with gzip.open(lamost / MRS_V0_GZ, "rb") as src, open(plain, "wb") as dst:
        shutil.copyfileobj(src, dst)
    for a, b in zip(read_lamost(lamost / MRS_V0_GZ), read_lamost(plain), strict=True):
        np.testing.assert_array_equal(a.flux.value, b.flux.value)
        assert a.meta["exposure"] == b.meta["exposure"]


# ------------------------------------------------------------------ folders/lists


def test_recursive_folder_reads_every_layout_and_accounts_for_every_file(
    everything, lamost
):
    files = everything.files
    on_disk = sorted(
        p for p in lamost.rglob("*") if p.name.endswith((".fits", ".fits.gz"))
    )
    assert files["path"].tolist() == [str(p) for p in on_disk]
    assert set(files["status"]) == {"read"}
    assert sum(files["n_spectra"]) == len(everything)
    assert set(files["format"]) == {"lrs-image", "lrs-coadd", "mrs-v0"}
    lrs = [s for s in everything if s.meta["survey"] == "LRS"]
    # One spectrum per LRS file (DR7-DR10 images, coadds, the repeat epochs).
    n_lrs_files = sum(f.startswith("lrs") for f in files["format"])
    assert len(lrs) == n_lrs_files >= 214
    n_mrs = 0
    for path in on_disk:
        if path.parent.name == "mrs":
            with fits.open(path) as hdul:
                n_mrs += len(hdul) - 1
    assert len(everything) - len(lrs) == n_mrs


def test_folder_is_not_recursive_by_default(lamost):
    spectra = read_lamost(lamost / "lrs")
    assert len(spectra.files) == 4 == len(spectra)


def test_list_of_paths_keeps_order(lamost):
    paths = [lamost / LRS_COADD_GZ, str(lamost / LRS_IMAGE_PLAIN)]
    spectra = read_lamost(paths)
    assert [s.meta["format"] for s in spectra] == ["lrs-coadd", "lrs-image"]
    assert spectra.files["path"].tolist() == [str(p) for p in paths]


# ------------------------------------------------------------------- bad files


def _truncated(src, dst, fraction):
    raw = src.read_bytes()
    dst.write_bytes(raw[: int(len(raw) * fraction)])
    return dst


BAD_FILES = {
    "truncated_image": (
        lambda lam, tmp: _truncated(lam / LRS_IMAGE_PLAIN, tmp / "spec-cut.fits", 0.6),
        "truncated FITS file",
    ),
    "truncated_gzip_coadd": (
        lambda lam, tmp: _truncated(lam / LRS_COADD_GZ, tmp / "spec-cut.fits.gz", 0.5),
        "truncated gzip stream",
    ),
    "truncated_gzip_mrs": (
        lambda lam, tmp: _truncated(lam / MRS_V0_GZ, tmp / "med-cut.fits.gz", 0.9),
        "truncated gzip stream",
    ),
    "random_bytes": (
        lambda lam, tmp: (
            (tmp / "noise.fits").write_bytes(np.random.default_rng(0).bytes(6000))
            and tmp / "noise.fits"
        ),
        "not a FITS file",
    ),
    "empty": (
        lambda lam, tmp: (tmp / "empty.fits").write_bytes(b"") or tmp / "empty.fits",
        "empty file",
    ),
    "header_only_fragment": (
        lambda lam, tmp: _truncated(
            lam / LRS_IMAGE_PLAIN, tmp / "spec-head.fits", 0.02
        ),
        "corrupt FITS structure",
    ),
    "missing": (lambda lam, tmp: tmp / "absent.fits", "no such file"),
}


@pytest.mark.parametrize("kind", sorted(BAD_FILES))
def test_bad_file_raises_naming_file_and_problem(lamost, tmp_path, kind):
    make, problem = BAD_FILES[kind]
    path = make(lamost, tmp_path)
    with pytest.raises(LamostReadError) as info:
        read_lamost(path)
    message = str(info.value)
    assert str(path) in message and problem in message
    assert isinstance(info.value, ValueError) and isinstance(info.value, OSError)
    assert info.value.path == str(path)


def test_mrs_cut_at_an_hdu_boundary_is_detected(lamost, tmp_path):
    source = lamost / MRS_V0_PLAIN
    with fits.open(source) as hdul:
        cut = hdul.fileinfo(5)["hdrLoc"]
    path = tmp_path / "med-cut.fits"
    path.write_bytes(source.read_bytes()[:cut])
    with pytest.raises(LamostReadError, match="17 HDUs .N_EXTEN. but only 5"):
        read_lamost(path)


def test_real_non_lamost_fits_is_rejected(data_home):
    miles = sorted((data_home / "libraries" / "miles").glob("*.fits"))[0]
    with pytest.raises(LamostReadError, match="not a LAMOST spectrum") as info:
        read_lamost(miles)
    assert str(miles) in str(info.value)


def test_fits_from_another_telescope_is_rejected(lamost, tmp_path):
    with fits.open(lamost / LRS_IMAGE_PLAIN) as hdul:
        header = hdul[0].header.copy()
        data = hdul[0].data.copy()
    header["TELESCOP"] = "SDSS 2.5-M"
    path = tmp_path / "sdss-like.fits"
    fits.PrimaryHDU(data=data, header=header).writeto(path)
    with pytest.raises(LamostReadError, match=r"not a LAMOST spectrum \(TELESCOP"):
        read_lamost(path)


def test_lamost_header_with_wrong_image_shape_is_rejected(lamost, tmp_path):
    header = fits.getheader(lamost / LRS_IMAGE_PLAIN)
    path = tmp_path / "spec-bad.fits"
    fits.PrimaryHDU(data=np.zeros((2, 100), np.float32), header=header).writeto(path)
    with pytest.raises(LamostReadError, match=r"shape \(2, 100\)"):
        read_lamost(path)


def test_folder_with_one_bad_file_accounts_for_every_file(lamost, tmp_path):
    good = [LRS_IMAGE_PLAIN, LRS_COADD_GZ, MRS_V0_GZ]
    for name in good:
        shutil.copy(lamost / name, tmp_path / (name.split("/")[-1]))
    bad = _truncated(lamost / LRS_IMAGE_PLAIN, tmp_path / "spec-broken.fits", 0.5)
    (tmp_path / "notes.txt").write_text("not a spectrum, not listed")
    spectra = read_lamost(tmp_path, errors="report")
    files = spectra.files
    assert len(files) == 4
    row = files[files["path"] == str(bad)][0]
    assert row["status"] == "failed" and row["n_spectra"] == 0
    assert "truncated" in row["reason"]
    read = files[files["status"] == "read"]
    assert len(read) == 3 and sum(read["n_spectra"]) == len(spectra) == 1 + 1 + 20
    with pytest.raises(LamostReadError, match="spec-broken.fits: truncated"):
        read_lamost(tmp_path)


def test_bad_arguments(lamost, tmp_path):
    with pytest.raises(ValueError, match="`errors` must be"):
        read_lamost(lamost / LRS_IMAGE_PLAIN, errors="ignore")
    with pytest.raises(TypeError, match="`source` must be a file path"):
        read_lamost(42)
    with pytest.raises(TypeError, match="`source` list must hold file paths"):
        read_lamost([lamost / LRS_IMAGE_PLAIN, 3])
    with pytest.raises(ValueError, match="empty list"):
        read_lamost([])
    with pytest.raises(LamostReadError, match="no \\*.fits"):
        read_lamost(tmp_path)
    with pytest.raises(TypeError, match="`recursive` must be a bool"):
        read_lamost(lamost, recursive="yes")


# ------------------------------------------------------------- spectra_to_array


def test_lrs_to_array_default_grid(everything):
    lrs = [s for s in everything if s.meta["survey"] == "LRS"]
    X, wave = spectra_to_array(lrs)
    assert X.shape == (len(lrs), wave.size) and wave.size >= 3700
    assert len(lrs) >= 214
    # LAMOST's log-linear grid: 1e-4 dex steps on multiples of 1e-4.
    np.testing.assert_allclose(np.diff(np.log10(wave)), 1e-4, rtol=1e-9)
    np.testing.assert_allclose(np.log10(wave[0]) / 1e-4 % 1, 0, atol=1e-6)
    # Overlap grid: inside every spectrum.
    assert all(s.spectral_axis.value[0] <= wave[0] for s in lrs)
    assert all(s.spectral_axis.value[-1] >= wave[-1] for s in lrs)
    # Unmasked spectra have no NaN; masked pixels give NaN nearby.
    for i, spec in enumerate(lrs):
        if not spec.mask.any():
            assert np.isfinite(X[i]).all()
        else:
            masked = spec.spectral_axis.value[spec.mask]
            inside = masked[(masked > wave[0]) & (masked < wave[-1])]
            near = np.searchsorted(wave, inside)
            assert np.isnan(X[i, near]).all()


def test_to_array_on_native_grid_is_identity_with_nan_at_mask(everything):
    lrs = [s for s in everything if s.meta["survey"] == "LRS"]
    spec = next(s for s in lrs if s.mask.sum() > 10)
    native = spec.spectral_axis.value
    X, wave, ivar = spectra_to_array([spec], native, return_ivar=True)
    expected = np.where(spec.mask, np.nan, spec.flux.value)
    np.testing.assert_array_equal(X[0], expected)
    np.testing.assert_allclose(
        ivar[0], np.where(spec.mask, 0, spec.uncertainty.array), rtol=1e-12
    )


@pytest.mark.parametrize("method", ["linear", "flux_conserving"])
def test_spectra_on_different_grids_are_each_resampled(everything, method):
    # DR7 image (3909 px), DR7 gz image and DR9 coadd (3908 px): 3 native grids.
    picked = [s for s in everything if s.meta["format"] == "lrs-coadd"]
    picked += [s for s in everything if s.meta["format"] == "lrs-image"][:5]
    grids = {s.spectral_axis.value.tobytes() for s in picked}
    assert len(grids) >= 2
    X, wave = spectra_to_array(picked, method=method)
    for row, spec in zip(X, picked, strict=True):
        flux = np.where(spec.mask, np.nan, spec.flux.value)
        np.testing.assert_array_equal(
            row, resample(flux, spec.spectral_axis.value, wave, method=method)
        )


def test_medium_conversion(everything):
    (spec,) = [s for s in everything if s.meta["format"] == "lrs-coadd"]
    X_vac, wave_vac = spectra_to_array([spec])
    # Same physical pixels asked for in air: same fluxes.
    X_air, wave_air = spectra_to_array([spec], vacuum_to_air(wave_vac), medium="air")
    np.testing.assert_array_equal(wave_air, vacuum_to_air(wave_vac))
    ok = np.isfinite(X_vac[0]) & np.isfinite(X_air[0])
    assert ok.sum() > 3000
    np.testing.assert_allclose(X_air[0, ok], X_vac[0, ok], rtol=1e-5, atol=1e-6)
    # The air default grid covers the spectrum's range converted to air.
    _, default_air = spectra_to_array([spec], medium="air")
    first_air = vacuum_to_air(spec.spectral_axis.value[0])
    assert first_air <= default_air[0] < first_air * 10**1e-4
    assert default_air[0] < wave_vac[0] - 1.0
    # A library spectrum in air (real MILES-like values) is shifted to vacuum.
    air_spec = Spectrum(
        flux=spec.flux,
        spectral_axis=vacuum_to_air(spec.spectral_axis.value) * u.AA,
        meta={"medium": "air"},
    )
    X_back, _ = spectra_to_array([air_spec], wave_vac)
    ok = np.isfinite(X_back[0]) & ~np.isnan(X_vac[0])
    np.testing.assert_allclose(X_back[0, ok], X_vac[0, ok], rtol=1e-5, atol=1e-6)


def test_mrs_arm_to_array_and_mixed_arms_error(everything):
    blue = [s for s in everything if s.meta["arm"] == "B"]
    X, wave, ivar = spectra_to_array(blue, method="flux_conserving", return_ivar=True)
    assert X.shape == (len(blue), wave.size) and 4900 < wave[0] < wave[-1] < 5400
    np.testing.assert_allclose(np.diff(np.log10(wave)), 1e-5, rtol=1e-6)
    np.testing.assert_array_equal(ivar == 0, np.isnan(X))
    mrs = [s for s in everything if s.meta["survey"] == "MRS"]
    with pytest.raises(ValueError, match="share no wavelength range"):
        spectra_to_array(mrs)
    # An explicit grid spanning both arms works: each row NaN off its arm.
    grid = np.linspace(4950.0, 6800.0, 500)
    X, _ = spectra_to_array(mrs, grid)
    for row, spec in zip(X, mrs, strict=True):
        off_arm = (grid < spec.spectral_axis.value[0]) | (
            grid > spec.spectral_axis.value[-1]
        )
        assert np.isnan(row[off_arm]).all()


def test_to_array_bad_input(everything):
    spec = everything[0]
    with pytest.raises(TypeError, match="`spectra` must be a specutils Spectrum"):
        spectra_to_array(3.0)
    with pytest.raises(TypeError, match=r"`spectra\[1\]` must be a specutils"):
        spectra_to_array([spec, np.ones(5)])
    with pytest.raises(ValueError, match="`spectra` is empty"):
        spectra_to_array([])
    no_medium = Spectrum(flux=spec.flux, spectral_axis=spec.spectral_axis)
    with pytest.raises(ValueError, match=r"`spectra\[1\]` has no meta\['medium'\]"):
        spectra_to_array([spec, no_medium])
    with pytest.raises(ValueError, match="`medium` must be one of"):
        spectra_to_array([spec], medium="water")
    with pytest.raises(ValueError, match="`method` must be one of"):
        spectra_to_array([spec], method="spline")
    with pytest.raises(ValueError, match="`wavelength` is not monotonically"):
        spectra_to_array([spec], [5000.0, 4000.0, 6000.0])
    # The grid is checked before any spectrum (fail fast on a large input),
    # and a complex grid is refused rather than cut to its real part.
    with pytest.raises(ValueError, match="`wavelength` contains NaN"):
        spectra_to_array([], [5000.0, np.nan])
    with pytest.raises(TypeError, match="`wavelength` must be numeric"):
        spectra_to_array([spec], np.linspace(4000.0, 6000.0, 5) + 0j)
    no_unc = Spectrum(
        flux=spec.flux, spectral_axis=spec.spectral_axis, meta={"medium": "vacuum"}
    )
    with pytest.raises(ValueError, match="have no uncertainty"):
        spectra_to_array([no_unc], return_ivar=True)
    jansky = Spectrum(
        flux=spec.flux.value * u.Jy,
        spectral_axis=spec.spectral_axis,
        meta={"medium": "vacuum"},
    )
    with pytest.raises(ValueError, match="does not convert"):
        spectra_to_array([spec, jansky])


def test_other_uncertainty_types_are_converted(everything):
    spec = everything[0]
    ivar = spec.uncertainty.array
    with np.errstate(divide="ignore"):
        std = np.where(ivar > 0, 1 / np.sqrt(ivar), np.inf)
    other = Spectrum(
        flux=spec.flux,
        spectral_axis=spec.spectral_axis,
        uncertainty=StdDevUncertainty(std),
        mask=spec.mask,
        meta={"medium": "vacuum"},
    )
    _, _, a = spectra_to_array([spec], return_ivar=True)
    _, _, b = spectra_to_array([other], return_ivar=True)
    np.testing.assert_allclose(a, b, rtol=1e-6)


@pytest.mark.parametrize(
    "uncertainty", [InverseVariance, StdDevUncertainty, VarianceUncertainty]
)
def test_negative_uncertainty_of_any_type_is_refused_naming_the_spectrum(
    uncertainty,
):
    # A negative standard deviation used to become a positive inverse variance.
    wave = np.linspace(6500.0, 6600.0, 20)
    values = np.ones(20)
    good = _hand_built(wave, uncertainty(values))
    values[7] = -1.0
    bad = _hand_built(wave, uncertainty(values))
    match = (
        rf"`spectra\[1\]\.uncertainty` \({uncertainty.__name__}\) must be >= 0; "
        r"pixel 7 holds -1\.0"
    )
    with pytest.raises(ValueError, match=match):
        spectra_to_array([good, bad], return_ivar=True)
    with pytest.raises(ValueError, match=match):
        spectra_to_array([good, bad])


def test_zero_or_nan_std_is_refused_where_kept_and_ignored_where_masked():
    # The one ivar policy (check_ivar): an infinite or NaN inverse variance at
    # a pixel the flux keeps is an error, named by spectrum and pixel.
    wave = np.linspace(6500.0, 6600.0, 20)
    for value, shown in ((0.0, "inf"), (np.nan, "nan")):
        std = np.ones(20)
        std[3] = value
        spec = _hand_built(wave, StdDevUncertainty(std))
        with pytest.raises(
            ValueError,
            match=rf"`spectra\[0\]\.uncertainty` must be finite .* row 0, pixel 3 "
            rf"holds {shown}.*StdDevUncertainty as inverse variance",
        ):
            spectra_to_array([spec], return_ivar=True)
        mask = np.zeros(20, dtype=bool)
        mask[3] = True
        masked = _hand_built(wave, StdDevUncertainty(std), mask=mask)
        _, _, ivar = spectra_to_array([masked], wave, return_ivar=True)
        assert np.all(np.isfinite(ivar)) and ivar[0, 3] == 0.0
        np.testing.assert_allclose(np.delete(ivar[0], 3), 1.0)


def _hand_built(wave, uncertainty, mask=None):
    return Spectrum(
        flux=np.ones(wave.size) * u.Unit("erg / (s cm2 AA)"),
        spectral_axis=wave * u.AA,
        uncertainty=uncertainty,
        mask=mask,
        meta={"medium": "vacuum"},
    )


# ---------------------------------------------------------------- I/O registry


def test_specutils_registry_reads_lamost(lamost):
    explicit = Spectrum.read(lamost / LRS_COADD_GZ, format="lamost-lrs")
    assert explicit.meta["format"] == "lrs-coadd"
    (direct,) = read_lamost(lamost / LRS_COADD_GZ)
    np.testing.assert_array_equal(explicit.flux.value, direct.flux.value)
    # Identified from the header without a format, plain and gzipped.
    for name in (LRS_IMAGE_PLAIN, LRS_IMAGE_GZ_DR7):
        assert (
            Spectrum.read(str(lamost / name)).meta["obsid"]
            == fits.getheader(lamost / name)["OBSID"]
        )
    mrs = SpectrumList.read(str(lamost / MRS_V0_PLAIN))
    assert len(mrs) == 16 and mrs[0].meta["survey"] == "MRS"
    assert len(SpectrumList.read(lamost / MRS_V0_GZ, format="lamost-mrs")) == 20
    with pytest.raises(LamostReadError, match="is a LAMOST MRS file"):
        Spectrum.read(lamost / MRS_V0_PLAIN, format="lamost-lrs")


@settings(max_examples=30, deadline=None)
@given(data=st.data())
def test_damaged_bytes_read_or_raise_lamost_error(lamost, tmp_path_factory, data):
    name = data.draw(st.sampled_from([LRS_IMAGE_PLAIN, MRS_V0_PLAIN]))
    raw = bytearray((lamost / name).read_bytes())
    # Damage mostly the headers, where structure lives, sometimes the data.
    limit = data.draw(st.sampled_from([30_000, len(raw)]))
    positions = data.draw(st.lists(st.integers(0, limit - 1), min_size=1, max_size=20))
    for pos in positions:
        raw[pos] = data.draw(st.integers(0, 255))
    path = tmp_path_factory.mktemp("damaged") / "damaged.fits"
    path.write_bytes(bytes(raw))
    try:
        spectra = read_lamost(path)
    except LamostReadError as exc:
        assert str(path) in str(exc) and exc.problem
    else:
        assert len(spectra) >= 1 and spectra.files["status"][0] == "read"


# ------------------------------------------------- every entry accounted for


def _all_nan_copy(lamost, path):
    """A real DR7 image with its flux row set to NaN (header and ivar kept)."""
    with fits.open(lamost / LRS_IMAGE_PLAIN) as hdul:
        header = hdul[0].header.copy()
        data = hdul[0].data.copy()
    data[0] = np.nan
    fits.PrimaryHDU(data=data, header=header).writeto(path)
    return path


def _mixed_folder(lamost, tmp_path):
    """Good files (a copy and a symlink) among every kind of bad entry."""
    folder = tmp_path / "mixed"
    folder.mkdir()
    shutil.copy(lamost / LRS_IMAGE_PLAIN, folder / "a-good.fits")
    (folder / "b-link.fits.gz").symlink_to(lamost / LRS_COADD_GZ)
    _truncated(lamost / LRS_IMAGE_PLAIN, folder / "c-corrupt.fits", 0.5)
    (folder / "d.fits").mkdir()
    (folder / "e-text.fits").write_text("SIMPLE? no, a text file\n")
    _all_nan_copy(lamost, folder / "f-nan.fits")
    os.mkfifo(folder / "p.fits")
    (folder / "x.fits").symlink_to(folder / "nowhere.fits")
    return folder


EXPECTED = {
    "a-good.fits": ("read", 1, r"^$"),
    "b-link.fits.gz": ("read", 1, r"^$"),
    "c-corrupt.fits": ("failed", 0, "truncated FITS file"),
    "d.fits": ("failed", 0, "is a directory"),
    "e-text.fits": ("failed", 0, "not a FITS file"),
    "f-nan.fits": ("empty", 0, "NaN or masked at every pixel"),
    "p.fits": ("failed", 0, r"is a named pipe \(FIFO\), not a regular file"),
    "x.fits": ("failed", 0, "broken symbolic link .*nowhere.fits"),
}


def _in_thread(func, seconds=20):
    """Run ``func`` in a daemon thread; fail (not hang) if it blocks."""
    result = {}

    def target():
        try:
            result["value"] = func()
        except BaseException as exc:  # re-raised in the test's thread
            result["error"] = exc

    thread = threading.Thread(target=target, daemon=True)
    thread.start()
    thread.join(seconds)
    assert not thread.is_alive(), f"the read blocked for more than {seconds} s"
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_mixed_folder_reads_the_good_and_reports_each_bad_entry(lamost, tmp_path):
    folder = _mixed_folder(lamost, tmp_path)
    with pytest.warns(EmptySpectrumWarning, match="1 spectra in 1 files"):
        spectra = _in_thread(lambda: read_lamost(folder, errors="report"))
    files = spectra.files
    assert [p.split("/")[-1] for p in files["path"]] == sorted(EXPECTED)
    for row in files:
        status, n, reason = EXPECTED[row["path"].split("/")[-1]]
        assert (row["status"], row["n_spectra"]) == (status, n), row
        assert re.search(reason, row["reason"]), row
    assert len(spectra) == sum(files["n_spectra"]) == 2
    assert {s.meta["format"] for s in spectra} == {"lrs-image", "lrs-coadd"}
    assert set(files["status"]) <= set(STATUSES)


@pytest.mark.parametrize("name", ["p.fits", "x.fits", "c-corrupt.fits", "e-text.fits"])
def test_each_bad_entry_raises_alone_without_blocking(lamost, tmp_path, name):
    folder = _mixed_folder(lamost, tmp_path)
    _, _, reason = EXPECTED[name]
    with pytest.raises(LamostReadError, match=reason) as info:
        _in_thread(lambda: read_lamost(folder / name))
    assert info.value.path == str(folder / name)


def test_fifo_is_refused_at_once_by_read_lamost_file(tmp_path):
    os.mkfifo(tmp_path / "spec.fits")
    with pytest.raises(LamostReadError, match="named pipe"):
        _in_thread(lambda: read_lamost_file(tmp_path / "spec.fits"), seconds=5)


def test_character_device_is_refused(tmp_path):
    with pytest.raises(LamostReadError, match="is a character device"):
        _in_thread(lambda: read_lamost_file("/dev/zero"), seconds=5)


def test_all_nan_file_is_empty_with_a_warning_not_a_nan_row(lamost, tmp_path):
    path = _all_nan_copy(lamost, tmp_path / "spec-nan.fits")
    with pytest.warns(EmptySpectrumWarning, match="left out"):
        spectra = read_lamost([path, lamost / LRS_IMAGE_PLAIN])
    assert len(spectra) == 1
    assert spectra.files["status"].tolist() == ["empty", "read"]
    X, _ = spectra_to_array(spectra)
    assert np.isfinite(X).any(axis=1).all()
    # Reading the one file directly returns it, masked everywhere, with a warning.
    with pytest.warns(EmptySpectrumWarning, match="1 of 1 spectra have no usable"):
        (only,) = read_lamost_file(path)
    assert only.mask.all()


def test_all_masked_mrs_exposures_are_left_out_and_named(lamost, tmp_path):
    # A real MRS file whose first two single exposures lose every pixel to
    # ivar = 0: the file stays "read", its reason names the two left out.
    source = lamost / MRS_V0_PLAIN
    with fits.open(source) as hdul:
        hdul = fits.HDUList([hdu.copy() for hdu in hdul])
    exposures = [h.name for h in hdul[1:] if h.name[:2] in ("B-", "R-")][:2]
    for name in exposures:
        hdul[name].data["IVAR"][:] = 0.0
    path = tmp_path / "med-masked.fits"
    hdul.writeto(path)
    with pytest.warns(EmptySpectrumWarning, match="2 spectra in 1 files"):
        spectra = read_lamost(path)
    (row,) = spectra.files
    n_total = len(read_lamost(source))
    assert row["status"] == "read" and row["n_spectra"] == n_total - 2
    assert len(spectra) == n_total - 2
    assert row["reason"].startswith(f"2 of {n_total} spectra left out")
    assert all(name in row["reason"] for name in exposures)


def test_recursive_scan_reads_inside_a_folder_named_fits(lamost, tmp_path):
    inner = tmp_path / "d.fits"
    inner.mkdir()
    shutil.copy(lamost / LRS_IMAGE_PLAIN, inner / "spec.fits")
    flat = read_lamost(tmp_path, errors="report")
    assert flat.files["status"].tolist() == ["failed"]
    assert "is a directory" in flat.files["reason"][0]
    deep = read_lamost(tmp_path, recursive=True)
    assert deep.files["path"].tolist() == [str(inner / "spec.fits")]
    assert deep.files["status"].tolist() == ["read"] and len(deep) == 1


@settings(max_examples=8, deadline=None)
@given(kinds=st.sets(st.sampled_from(sorted(EXPECTED)), min_size=1))
def test_any_mix_of_entries_is_fully_accounted_for(lamost, kinds):
    # Property: whatever subset of entry kinds a folder holds, `.files` has one
    # row per entry with its status, and n_spectra sums to the list's length.
    with tempfile.TemporaryDirectory() as tmp:
        folder = _mixed_folder(lamost, Path(tmp))
        for entry in folder.iterdir():
            if entry.name in kinds:
                continue
            if entry.is_dir() and not entry.is_symlink():
                entry.rmdir()
            else:
                entry.unlink()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", EmptySpectrumWarning)
            spectra = _in_thread(lambda: read_lamost(folder, errors="report"))
        files = spectra.files
        assert sorted(p.split("/")[-1] for p in files["path"]) == sorted(kinds)
        for row in files:
            assert row["status"] == EXPECTED[row["path"].split("/")[-1]][0]
        assert sum(files["n_spectra"]) == len(spectra)


def test_metadata_table_spells_the_reader_keys_once(lamost):
    from sklearn_stellar.io import METADATA_COLUMNS, metadata_row, metadata_table

    spectra = [
        read_lamost(lamost / LRS_IMAGE_PLAIN),
        read_lamost(lamost / MRS_V0_PLAIN),
    ]
    spectra = [
        s for found in spectra for s in (found if isinstance(found, list) else [found])
    ]
    table = metadata_table([s.meta for s in spectra], snr_bands=True)
    assert table.colnames[: len(METADATA_COLUMNS)] == list(METADATA_COLUMNS)
    assert table["obsid"].dtype == np.int64 and np.all(table["obsid"] > 0)
    assert str(table["ra"].unit) == "deg"
    # The LRS row's snr is its best band; the MRS row has no LRS bands.
    lrs = spectra[0].meta
    assert table["snr"][0] == max(v for v in lrs["snr"].values() if v is not None)
    assert table["snr_g"][0] == lrs["snr"]["g"] and np.isnan(table["snr_g"][-1])
    # A row of an unreadable file: every column its missing value.
    empty = metadata_row(None)
    assert empty["obsid"] == -1 and empty["designation"] == "" and np.isnan(empty["ra"])
    with pytest.raises(TypeError, match="metadata"):
        metadata_table("not a list")
