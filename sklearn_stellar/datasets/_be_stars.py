"""Be and non-Be H-alpha spectra like LAMOST MRS red-arm ones, from MILES stars."""

from __future__ import annotations

import functools
import numbers
from pathlib import Path

import numpy as np
from scipy.ndimage import gaussian_filter1d
from sklearn.utils import Bunch, check_random_state

from ..preprocessing import air_to_vacuum, log_linear_grid, resample
from ._home import get_data_home
from ._miles import (
    MILES_STEP,
    miles_wavelength,
    read_miles_params,
    read_miles_spectra,
)

__all__ = ["make_be_spectra", "BE_MORPHOLOGIES", "NON_BE_MORPHOLOGIES"]

C_KMS = 299792.458
HALPHA_VAC = 6564.614  # Angstrom, vacuum
MRS_RESOLUTION = 7500.0

#: Be morphologies (seed 004 Figs. 4, 7, A1, A2) and their default shares.
BE_MORPHOLOGIES = {
    "single_peak": 0.2,
    "double_peak_symmetric": 0.15,
    "double_peak_asymmetric": 0.15,
    "weak_emission_in_absorption": 0.2,
    "shell_on_emission": 0.15,
    "shell_on_absorption": 0.15,
}
#: Non-Be morphologies (seed 004 Fig. 5) and their default shares.
NON_BE_MORPHOLOGIES = {"absorption": 0.7, "weak_featured": 0.3}


def _check_pair(value, name, lo, hi):
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(f"`{name}` must be a pair (lo, hi), got {value!r}.") from None
    if not (lo <= a <= b <= hi):
        raise ValueError(
            f"`{name}` must satisfy {lo} <= lo <= hi <= {hi}, got {value!r}."
        )
    return a, b


@functools.lru_cache(maxsize=2)
def _load_hot_stars(data_home: str, min_teff: float):
    """MILES stars hotter than ``min_teff`` whose H-alpha is in absorption.

    Returns ids, Teff, log g and fluxes on the MILES air grid. Stars whose
    H-alpha core rises above the local continuum (emission-line stars in the
    library itself, e.g. Be or P Cygni supergiants) are left out so that the
    negatives are clean.
    """
    folder = Path(data_home) / "libraries" / "miles"
    ids, teff, logg, _ = read_miles_params(folder)
    keep = (teff >= min_teff) & (teff < 60000)  # 99999: unknown in MILES
    ids, teff, logg = ids[keep], teff[keep], logg[keep]
    flux, ok = read_miles_spectra(folder, ids)
    wave = miles_wavelength()
    cont = (np.abs(wave - 6510.0) < 20) | (np.abs(wave - 6615.0) < 15)
    core = np.abs(wave - 6562.8) < 4.0
    level = np.median(np.where(ok[:, None], flux, 1.0)[:, cont], axis=1)
    absorbing = np.max(np.where(ok[:, None], flux, 1.0)[:, core], axis=1) < level
    ok &= absorbing
    if ok.sum() < 10:
        raise ValueError(
            f"only {int(ok.sum())} usable MILES stars with Teff >= {min_teff} K in "
            f"{folder}; the Be data set needs the MILES library (see docs/data.rst)."
        )
    return ids[ok], teff[ok], logg[ok], flux[ok], wave


def _rotate(flux, step_kms, vsini, rng_eps=0.6):
    """Rotational broadening (Gray's kernel, linear limb darkening 0.6).

    Vectorised over rows: each row's kernel is sampled on a common pixel
    offset range and the shifted copies are summed.
    """
    n, npix = flux.shape
    half = int(np.ceil(vsini.max() / step_kms)) + 1
    offsets = np.arange(-half, half + 1)
    x = offsets[None, :] * step_kms / np.maximum(vsini[:, None], 1e-6)
    inside = np.abs(x) < 1
    root = np.sqrt(np.clip(1 - x**2, 0, None))
    kern = np.where(
        inside, 2 * (1 - rng_eps) * root + 0.5 * np.pi * rng_eps * (1 - x**2), 0.0
    )
    kern[vsini < step_kms, :] = offsets == 0
    kern /= kern.sum(axis=1, keepdims=True)
    padded = np.pad(flux, ((0, 0), (half, half)), mode="edge")
    out = np.zeros_like(flux)
    for j, off in enumerate(offsets):  # loop over kernel taps, not spectra
        out += kern[:, j : j + 1] * padded[:, half + off : half + off + npix]
    return out


def _disk_profiles(velocity, sin_i, r_disk, m_index, v_crit, asym, phase, sigma):
    """Emission profiles of Keplerian disks, peak-normalised, on ``velocity``.

    Quadrature over the disk: 40 log-spaced radii from the stellar surface to
    ``r_disk`` (stellar radii) and 72 azimuths; each element emits in
    proportion to its area times r**-m_index times (1 + asym * cos(phi -
    phase)) (a one-armed density wave gives the V/R asymmetry) at the projected
    velocity v_crit * r**-0.5 * sin_i * cos(phi); the histogram is smoothed by
    a Gaussian of ``sigma`` km/s (local broadening and the instrument).
    """
    n = len(sin_i)
    nr, nphi = 40, 72
    t = (np.arange(nr) + 0.5) / nr
    r = np.exp(t[None, :] * np.log(r_disk)[:, None])  # (n, nr)
    phi = (np.arange(nphi) + 0.5) / nphi * 2 * np.pi
    weight = r ** (2.0 - m_index[:, None])  # area r dr = r^2 dlnr
    vk = v_crit[:, None] * r**-0.5 * sin_i[:, None]
    v = vk[:, :, None] * np.cos(phi)[None, None, :]
    w = weight[:, :, None] * (
        1 + asym[:, None, None] * np.cos(phi[None, None, :] - phase[:, None, None])
    )
    dv = velocity[1] - velocity[0]
    nb = len(velocity)
    idx = np.clip(np.rint((v - velocity[0]) / dv).astype(np.int64), 0, nb - 1)
    idx += (np.arange(n) * nb)[:, None, None]
    prof = np.bincount(idx.ravel(), weights=w.ravel(), minlength=n * nb).reshape(n, nb)
    prof = gaussian_filter1d(prof, sigma / dv, axis=1, mode="constant")
    return prof / prof.max(axis=1, keepdims=True)


def make_be_spectra(
    n_samples: int = 2000,
    *,
    snr_range: tuple = (10.0, 300.0),
    test_fraction: float = 0.2,
    wavelength_range: tuple = (6300.0, 6800.0),
    min_teff: float = 7500.0,
    blue_arm: bool = False,
    return_X_y: bool = False,
    random_state=None,
    data_home=None,
):
    """Be and non-Be red-arm spectra like LAMOST MRS ones, from real MILES stars.

    A stand-in for the training set of Shi et al. (2022), section 4.1.2, built
    from the real O/B/A stars of the MILES library with circumstellar-disk
    H-alpha emission added to half of them. Labels: 1 = Be, 0 = non-Be; the
    classes are balanced (1,042 : 1,042 in the seed).

    Parameters
    ----------
    n_samples : int, default=2000
        Number of spectra (half Be, half non-Be; one more non-Be when odd).
    snr_range : tuple of float, default=(10, 300)
        S/N per pixel at the continuum, drawn log-uniformly.
    test_fraction : float, default=0.2
        Fraction of library stars (and of spectra) in the "test" split; the
        rest is "train". A star's spectra are all in the same split.
    wavelength_range : tuple of float, default=(6300, 6800)
        Vacuum wavelength range in Angstrom (LAMOST MRS red arm), within
        MILES's coverage.
    min_teff : float, default=7500
        MILES host stars: Teff >= min_teff (O, B
        and A stars).
    blue_arm : bool, default=False
        Also simulate the MRS blue arm (4950-5350 A vacuum, Mg I b): its
        columns come first in X, before the red arm's, as when both arms of
        a LAMOST MRS exposure are concatenated (seed 004 section 3 measures
        EW(Mg b) there to reject late-type stars).
    return_X_y : bool, default=False
        Return ``(data, target)`` only.
    random_state : int, RandomState instance or None, default=None
        Seed; equal seeds give identical data sets.
    data_home : str or path-like, default=None
        Folder with ``libraries/miles`` (see :func:`get_data_home`).

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, n_pixels) float32 fluxes (instrumental counts,
        not continuum-normalised, like LAMOST MRS); ``target`` int (1 Be);
        ``target_names`` ``["non-Be", "Be"]``; ``wavelength`` (vacuum
        Angstrom, log-linear 1e-5 dex like MRS); ``medium`` "vacuum";
        ``split`` ("train"/"test"); ``groups`` (MILES id of the host star);
        ``morphology`` (one of :data:`BE_MORPHOLOGIES` or
        :data:`NON_BE_MORPHOLOGIES`); ``snr``; ``metadata`` an
        :class:`astropy.table.Table` (``split, star, teff, logg, morphology,
        snr, vsini, sin_i, peak_height, shell_depth, ew_emission``); ``DESCR``.
    (data, target) : tuple
        When ``return_X_y`` is True.

    Notes
    -----
    Recipe. Each spectrum starts from a MILES star with Teff >= ``min_teff``
    whose own H-alpha is in absorption (library emission-line stars are left
    out), the same pool for both classes so that the host type does not give
    the class away. All spectra are rotationally broadened (v sin i uniform
    in 0-350 km/s, Gray's kernel), converted from air to vacuum and resampled
    onto the MRS grid. Be spectra get the emission of a Keplerian disk
    (outer radius 3-20 stellar radii, emissivity ~ r^-(2..3.5), critical
    velocity 400-550 km/s, local broadening 10 km/s and the MRS resolution)
    whose geometry sets the morphology: ``single_peak`` (sin i < 0.2),
    symmetric and asymmetric (V/R, one-armed density wave of amplitude
    0.2-0.6) double peaks (sin i 0.4-0.85), ``weak_emission_in_absorption``
    (the emission is 15-80 % of the photospheric absorption depth, and at
    least 5 noise sigmas, so the profile stays mostly below the continuum:
    positive EW, seed Fig. 3, 7d),
    and shell profiles (sin i > 0.85: a narrow absorption core of depth
    0.2-0.8 and width 15-50 km/s, sometimes off-centre, on top of emission or
    of absorption with weak emission, seed Figs. A1, A2). Non-Be spectra are
    the broadened library profile (``absorption``) or the same diluted by a
    featureless continuum of 0.5-3 times the stellar flux
    (``weak_featured``). Then a smooth random instrumental response
    (quadratic, +-15 %) and Gaussian noise at the drawn S/N are applied.

    Resolution: MILES has 2.5 A FWHM (R ~ 2600 at H-alpha), coarser than MRS
    (R ~ 7500, 0.9 A). A spectrum cannot be sharpened, so the photospheric
    part keeps the MILES resolution (H-alpha of hot stars is tens of A wide
    and barely changes; narrow metal lines such as C II 6578/6583 are
    smoother than in MRS); the added disk emission and shell components are
    computed at the MRS resolution, and the noise is added per MRS pixel.
    Library stars are few (~100), so many spectra share a star: evaluate on
    the star-disjoint ``split``.

    References
    ----------
    Shi, F. et al. 2022, ApJS 259, 38, sections 4.1.2 and 4.2, appendix A.
    Rivinius, Carciofi & Martayan 2013, A&ARv 21, 69 (Be-star disks).
    Sanchez-Blazquez et al. 2006, MNRAS 371, 703 (MILES).

    Examples
    --------
    >>> from sklearn_stellar.datasets import make_be_spectra
    >>> data = make_be_spectra(n_samples=40, random_state=0)
    >>> data.data.shape, int(data.target.sum())
    ((40, 3317), 20)
    >>> sorted(set(data.split.tolist()))
    ['test', 'train']
    """
    from astropy.table import Table

    if (
        isinstance(n_samples, bool)
        or not isinstance(n_samples, numbers.Integral)
        or n_samples < 2
    ):
        raise ValueError(f"`n_samples` must be an integer >= 2, got {n_samples!r}.")
    snr_lo, snr_hi = _check_pair(snr_range, "snr_range", 1e-3, np.inf)
    lo, hi = _check_pair(wavelength_range, "wavelength_range", 0.0, np.inf)
    if not (isinstance(test_fraction, numbers.Real) and 0 < test_fraction < 1):
        raise ValueError(
            f"`test_fraction` must be a number in (0, 1), got {test_fraction!r}."
        )
    rng = check_random_state(random_state)
    home = get_data_home(data_home)
    ids, teff, logg, library, wave_air = _load_hot_stars(str(home), float(min_teff))
    wave_vac = air_to_vacuum(wave_air)
    if lo < wave_vac[0] + 20 or hi > wave_vac[-1] - 20 or not lo < 6530 < 6600 < hi:
        raise ValueError(
            "`wavelength_range` must cover 6530-6600 A and lie within MILES's "
            f"vacuum coverage {wave_vac[0] + 20:.0f}-{wave_vac[-1] - 20:.0f} A, got "
            f"{wavelength_range!r}."
        )
    grid = log_linear_grid(lo, hi, 1e-5)
    grid_blue = log_linear_grid(4950.0, 5350.0, 1e-5) if blue_arm else grid[:0]

    # Stars and spectra split 80/20 by star.
    order = rng.permutation(len(ids))
    n_test_stars = max(1, int(round(test_fraction * len(ids))))
    star_split = np.full(len(ids), "train", dtype=object)
    star_split[order[:n_test_stars]] = "test"
    n_test = int(round(test_fraction * n_samples))
    split = np.array(["train"] * (n_samples - n_test) + ["test"] * n_test)
    star = np.empty(n_samples, dtype=np.int64)
    for name in ("train", "test"):
        rows = np.flatnonzero(split == name)
        pool = np.flatnonzero(star_split == name)
        star[rows] = pool[rng.randint(len(pool), size=len(rows))]

    # Balanced classes within each split, then morphologies.
    target = np.zeros(n_samples, dtype=np.int64)
    for name in ("train", "test"):
        rows = rng.permutation(np.flatnonzero(split == name))
        target[rows[: len(rows) // 2]] = 1
    morphology = np.empty(n_samples, dtype=object)
    for label, table in ((1, BE_MORPHOLOGIES), (0, NON_BE_MORPHOLOGIES)):
        rows = np.flatnonzero(target == label)
        names = list(table)
        share = np.array([table[k] for k in names])
        morphology[rows] = np.array(names, dtype=object)[
            rng.choice(len(names), size=len(rows), p=share / share.sum())
        ]
    morphology = morphology.astype(str)
    snr = np.exp(rng.uniform(np.log(snr_lo), np.log(snr_hi), n_samples))

    # Photosphere: MILES star, rotation, air -> vacuum, MRS grid.
    vsini = rng.uniform(0.0, 350.0, n_samples)
    band = (wave_air > lo - 60) & (wave_air < hi + 60)
    base = library[star][:, band]
    step_kms = MILES_STEP / 6563.0 * C_KMS
    base = _rotate(base, step_kms, vsini)
    photo = resample(base, wave_vac[band], grid, method="linear")
    if blue_arm:
        band_b = (wave_air > 4950.0 - 60) & (wave_air < 5350.0 + 60)
        base_b = _rotate(library[star][:, band_b], step_kms, vsini)
        photo_b = resample(base_b, wave_vac[band_b], grid_blue, method="linear")
    cont_px = (np.abs(grid - 6512.0) < 22) | (np.abs(grid - 6617.0) < 17)
    xc = grid[cont_px] - HALPHA_VAC
    # Local linear continuum through the H-alpha side bands (per spectrum).
    coef = np.polynomial.polynomial.polyfit(xc, photo[:, cont_px].T, 1)
    continuum = coef[0][:, None] + coef[1][:, None] * (grid - HALPHA_VAC)[None, :]
    norm = photo / continuum
    velocity = (grid / HALPHA_VAC - 1.0) * C_KMS

    # Disk geometry per morphology.
    is_be = target == 1
    sin_i = np.zeros(n_samples)
    asym = np.zeros(n_samples)
    shell = np.zeros(n_samples)
    height = np.zeros(n_samples)

    def pick(name):
        return morphology == name

    single, dsym, dasym = (
        pick("single_peak"),
        pick("double_peak_symmetric"),
        pick("double_peak_asymmetric"),
    )
    weak, shell_em, shell_abs = (
        pick("weak_emission_in_absorption"),
        pick("shell_on_emission"),
        pick("shell_on_absorption"),
    )
    sin_i[single] = rng.uniform(0.02, 0.2, single.sum())
    sin_i[dsym | dasym] = rng.uniform(0.4, 0.85, (dsym | dasym).sum())
    sin_i[weak] = rng.uniform(0.1, 0.85, weak.sum())
    sin_i[shell_em | shell_abs] = rng.uniform(0.86, 1.0, (shell_em | shell_abs).sum())
    asym[dasym] = rng.uniform(0.2, 0.6, dasym.sum())
    asym[shell_em | shell_abs] = rng.uniform(0.0, 0.4, (shell_em | shell_abs).sum())
    phase = rng.uniform(0, 2 * np.pi, n_samples)
    r_disk = rng.uniform(3.0, 20.0, n_samples)
    m_index = rng.uniform(2.0, 3.5, n_samples)
    v_crit = rng.uniform(400.0, 550.0, n_samples)
    sigma = np.hypot(10.0, C_KMS / MRS_RESOLUTION / 2.3548)
    depth = 1.0 - norm[:, np.abs(velocity) < 60].min(axis=1)  # absorption depth
    height[single | dsym | dasym] = np.exp(
        rng.uniform(np.log(0.3), np.log(4.0), (single | dsym | dasym).sum())
    )
    height[shell_em] = np.exp(rng.uniform(np.log(0.3), np.log(2.5), shell_em.sum()))
    # Weak emission: 15-80 % of the absorption depth but at least 5 noise
    # sigmas (a bump the seed's visual inspection could see), below the depth.
    height[weak] = np.minimum(
        np.maximum(depth[weak] * rng.uniform(0.15, 0.8, weak.sum()), 5.0 / snr[weak]),
        0.9 * depth[weak],
    )
    height[shell_abs] = depth[shell_abs] * rng.uniform(0.1, 1.2, shell_abs.sum())
    shell[shell_em | shell_abs] = rng.uniform(0.2, 0.8, (shell_em | shell_abs).sum())

    flux = norm.copy()
    ew_emission = np.zeros(n_samples)
    if is_be.any():
        rows = np.flatnonzero(is_be)
        dv = velocity[1] - velocity[0]
        vgrid = np.arange(-1500.0, 1500.0 + dv, dv)
        prof = _disk_profiles(
            vgrid,
            sin_i[rows],
            r_disk[rows],
            m_index[rows],
            v_crit[rows],
            asym[rows],
            phase[rows],
            sigma,
        )
        pos = np.clip((velocity - vgrid[0]) / dv, 0.0, len(vgrid) - 1.000001)
        i0 = pos.astype(np.int64)
        frac = pos - i0
        emission = prof[:, i0] * (1.0 - frac) + prof[:, i0 + 1] * frac
        emission *= height[rows, None]
        flux[rows] = norm[rows] + emission
        ew_emission[rows] = -np.trapezoid(emission, grid, axis=1)
        sh = rows[shell[rows] > 0]
        if len(sh):
            centre = rng.normal(0.0, 15.0, len(sh))
            width = rng.uniform(15.0, 50.0, len(sh))
            core = shell[sh, None] * np.exp(
                -0.5 * ((velocity[None, :] - centre[:, None]) / width[:, None]) ** 2
            )
            flux[sh] *= 1.0 - core
    dilute = morphology == "weak_featured"
    k = rng.uniform(0.5, 3.0, dilute.sum())
    flux[dilute] = (flux[dilute] + k[:, None]) / (1.0 + k[:, None])

    # Instrument: smooth response, counts, noise at the continuum S/N.
    x = (grid - grid.mean()) / (grid[-1] - grid[0]) * 2
    a1 = rng.uniform(-0.15, 0.15, n_samples)
    a2 = rng.uniform(-0.15, 0.15, n_samples)
    level = np.exp(rng.uniform(np.log(200.0), np.log(5000.0), n_samples))
    response = level[:, None] * (1 + a1[:, None] * x + a2[:, None] * (x**2 - 1 / 3))
    counts = flux * continuum / continuum.mean(axis=1, keepdims=True) * response
    noise_sigma = np.median(response, axis=1) / snr
    counts += rng.standard_normal(counts.shape) * noise_sigma[:, None]
    if blue_arm:
        xb = (grid_blue - grid_blue.mean()) / (grid_blue[-1] - grid_blue[0]) * 2
        b1 = rng.uniform(-0.15, 0.15, n_samples)
        resp_b = level[:, None] * (1 + b1[:, None] * xb)
        counts_b = photo_b / continuum.mean(axis=1, keepdims=True) * resp_b
        sigma_b = np.median(resp_b, axis=1) / snr
        counts_b += rng.standard_normal(counts_b.shape) * sigma_b[:, None]
        counts = np.hstack([counts_b, counts])
    data = counts.astype(np.float32)

    metadata = Table(
        {
            "split": split,
            "star": ids[star],
            "teff": teff[star],
            "logg": logg[star],
            "morphology": morphology,
            "snr": snr,
            "vsini": vsini,
            "sin_i": sin_i,
            "peak_height": height,
            "shell_depth": shell,
            "ew_emission": ew_emission,
        }
    )
    if return_X_y:
        return data, target
    return Bunch(
        data=data,
        target=target,
        target_names=np.array(["non-Be", "Be"]),
        wavelength=np.concatenate([grid_blue, grid]),
        medium="vacuum",
        split=split,
        groups=ids[star],
        morphology=morphology,
        snr=snr,
        metadata=metadata,
        DESCR=make_be_spectra.__doc__,
    )
