"""The MaStar hierarchical-cluster templates (Westfall et al., MaNGA DAP).

65 cluster-average spectra of the MaNGA Stellar Library (MaStar, SDSS BOSS
spectrographs, R ~ 1800), log-linear 1e-4 dex from 3631.6 A, vacuum
wavelengths (SDSS convention), with inverse variance (``IVAR``) and spectral
resolution (``SRES``, lambda / FWHM) extensions. They carry no stellar
parameters: :func:`mastar_parameters` derives Teff and log g by matching each
template to MILES stars of known parameters at a common resolution.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

MASTAR_LOG_START, MASTAR_LOG_STEP, MASTAR_NPIX = 3.5601, 1e-4, 4538


def mastar_wavelength():
    """The MaStar vacuum wavelength grid in Angstrom (log-linear, 1e-4 dex)."""
    return 10.0 ** (MASTAR_LOG_START + MASTAR_LOG_STEP * np.arange(MASTAR_NPIX))


def read_mastar_templates(folder: Path):
    """Flux, inverse variance and resolution of every MaStar cluster template.

    Reads ``MaStarHC_<cluster>.fits.gz`` in ``folder`` (sorted by cluster
    number, the row order of ``mastarhc2_fluxes.db``).

    Returns
    -------
    clusters : ndarray of int, shape (n,)
        Fine-cluster number of each template (the file name's number).
    flux, ivar, sres : ndarray of shape (n, 4538)
        Flux (arbitrary units per Angstrom), its inverse variance and the
        resolving power lambda / FWHM, on :func:`mastar_wavelength`.

    Raises
    ------
    ValueError
        If no template is found, or a file is not on the MaStar grid (naming
        the file).
    """
    from astropy.io import fits

    paths = sorted(Path(folder).glob("MaStarHC_*.fits*"))
    if not paths:
        raise ValueError(
            f"no MaStar templates (MaStarHC_*.fits.gz) in {folder}; the "
            "cross-library data set needs libraries/mastarhc_v2 (mangadap)."
        )
    clusters = np.array([int(p.name.split("_")[1].split(".")[0]) for p in paths])
    out = np.empty((3, len(paths), MASTAR_NPIX))
    # One FITS file per template: reading files is inherently a loop.
    for k, path in enumerate(paths):
        with fits.open(path) as hdul:
            head = hdul[0].header
            if (
                hdul[0].data.shape != (MASTAR_NPIX,)
                or abs(head["CRVAL1"] - MASTAR_LOG_START) > 1e-9
                or abs(head["CDELT1"] - MASTAR_LOG_STEP) > 1e-12
            ):
                raise ValueError(
                    f"{path}: expected {MASTAR_NPIX} pixels, log10 start "
                    f"{MASTAR_LOG_START} step {MASTAR_LOG_STEP}; got shape "
                    f"{hdul[0].data.shape}, CRVAL1={head['CRVAL1']}, "
                    f"CDELT1={head['CDELT1']}."
                )
            for i, ext in enumerate((0, "IVAR", "SRES")):
                out[i, k] = np.asarray(hdul[ext].data, dtype=np.float64)
    return clusters, out[0], out[1], out[2]


def read_mastar_colours(folder: Path) -> np.ndarray:
    """``-2.5 log10(g/r)`` of each template, from ``mastarhc2_fluxes.db``.

    Rows in the order of :func:`read_mastar_templates` (sorted cluster
    number); a colour (mag) that grows redward.
    """
    path = Path(folder) / "mastarhc2_fluxes.db"
    try:
        table = np.loadtxt(path, comments="#", ndmin=2)
    except (OSError, ValueError) as exc:
        raise ValueError(f"cannot read MaStar colours from {path}: {exc}") from exc
    return table[:, 5]


def match_to_miles(
    flux, ivar, sres, wave, miles_flux, miles_wave_air, *, n_best=3, floor=0.02
):
    """Chi-square match of spectra to MILES stars at a common resolution.

    Each MILES spectrum is degraded from its 2.5 A FWHM to the median
    lambda / ``sres`` of the spectra (where that is broader), converted to
    vacuum; both sets are resampled (flux-conserving) onto a log-linear 1e-4
    dex grid 3720-7380 A and divided by a Gaussian-smoothed continuum (350 A,
    as the binary recipe), so the flux calibrations of the two instruments do
    not enter. chi2 = sum w (f - a m)^2 with the best scale a and weights
    1 / (1/ivar + floor^2) (a ``floor`` fractional systematic error).

    Returns
    -------
    best : ndarray of int, shape (n, n_best)
        Indices of the best-matching MILES stars, best first.
    chi2_red : ndarray of shape (n,)
        The best reduced chi-square.
    """
    from ..preprocessing import (
        ContinuumNormalizer,
        air_to_vacuum,
        log_linear_grid,
        resample,
    )
    from ._binary_steps import _lsf_matrix

    wave_vac = air_to_vacuum(miles_wave_air)
    res = np.interp(wave_vac, wave, np.median(sres, axis=0))
    degraded = (_lsf_matrix(miles_wave_air, res) @ miles_flux.T).T
    grid = log_linear_grid(3720.0, 7380.0, 1e-4)
    model = resample(degraded, wave_vac, grid, method="flux_conserving")
    data, data_ivar = resample(
        np.where(flux > 0, flux, np.nan),
        wave,
        grid,
        method="flux_conserving",
        ivar=ivar,
    )
    norm = ContinuumNormalizer(wavelength=grid, sigma=350.0)
    model = norm.fit_transform(model)
    cont = norm.continuum(np.where(np.isfinite(data), data, np.nanmedian(data)))
    data, data_ivar = data / cont, data_ivar * cont**2
    weight = 1.0 / (1.0 / np.clip(data_ivar, 1e-12, None) + floor**2)
    weight[~np.isfinite(data)] = 0.0
    data = np.nan_to_num(data)
    s_dm = (data * weight) @ model.T
    s_mm = weight @ (model**2).T
    chi2 = (data**2 * weight).sum(axis=1)[:, None] - s_dm**2 / s_mm
    best = np.argsort(chi2, axis=1)[:, :n_best]
    n_used = (weight > 0).sum(axis=1)
    return best, np.take_along_axis(chi2, best[:, :1], axis=1)[:, 0] / n_used


def mastar_parameters(data_home) -> dict:
    """Teff, log g and [Fe/H] of the MaStar templates, matched to MILES.

    MaStar's cluster templates come without stellar parameters. Each is
    matched by chi-square (:func:`match_to_miles`) to the MILES stars with
    known parameters (2500 < Teff < 60000 K); its parameters are the medians
    of its three best matches ([Fe/H] over those with a value). ``good`` is
    False where the best reduced chi-square exceeds 3 (no MILES star fits:
    e.g. clusters 66 and 74, blue by colour but matched to F stars).

    Returns
    -------
    dict
        ``clusters, teff, logg, feh, chi2_red, good, miles_best`` (MILES ids
        of the three best matches), ``flux, ivar, sres, wavelength``.
    """
    from ._home import get_data_home
    from ._miles import miles_wavelength, read_miles_params, read_miles_spectra

    home = get_data_home(data_home)
    mfolder = Path(home) / "libraries" / "miles"
    ids, teff, logg, feh = read_miles_params(mfolder)
    keep = (teff > 2500.0) & (teff < 60000.0) & (logg > -1.0) & (logg < 6.0)
    ids, teff, logg, feh = ids[keep], teff[keep], logg[keep], feh[keep]
    mflux, usable = read_miles_spectra(mfolder, ids)
    ids, teff, logg, feh = ids[usable], teff[usable], logg[usable], feh[usable]
    clusters, flux, ivar, sres = read_mastar_templates(
        Path(home) / "libraries" / "mastarhc_v2"
    )
    wave = mastar_wavelength()
    best, chi2_red = match_to_miles(
        flux, ivar, sres, wave, mflux[usable], miles_wavelength()
    )
    # [Fe/H] median over the matches that have one (MILES writes 9999 for
    # none); 0 (solar) when none of the three has a value.
    known = np.abs(feh[best]) < 10.0
    feh_sorted = np.sort(np.where(known, feh[best], np.inf), axis=1)
    n_known = known.sum(axis=1)
    lo = feh_sorted[np.arange(len(best)), np.maximum(n_known - 1, 0) // 2]
    hi = feh_sorted[np.arange(len(best)), np.maximum(n_known, 1) // 2]
    feh_med = np.where(n_known > 0, 0.5 * (lo + hi), 0.0)
    return {
        "clusters": clusters,
        "teff": np.median(teff[best], axis=1),
        "logg": np.median(logg[best], axis=1),
        "feh": feh_med,
        "chi2_red": chi2_red,
        "good": chi2_red < 3.0,
        "miles_best": ids[best],
        "flux": flux,
        "ivar": ivar,
        "sres": sres,
        "wavelength": wave,
    }
