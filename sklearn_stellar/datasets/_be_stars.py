"""Be and non-Be H-alpha spectra like LAMOST MRS red-arm ones, from MILES stars."""

from __future__ import annotations

import functools
import logging
import numbers
from pathlib import Path

import numpy as np
from scipy.ndimage import convolve1d, gaussian_filter1d
from sklearn.utils import Bunch, check_random_state

from ..preprocessing import air_to_vacuum, log_linear_grid, resample
from ..utils import (
    C_KMS,
    CBE_EXCLUDED_LUMINOSITY_CLASSES,
    parse_spectral_type,
)
from ._home import get_data_home
from ._miles import (
    MILES_STEP,
    miles_wavelength,
    read_miles_params,
    read_miles_spectra,
    read_miles_spectral_types,
)

__all__ = ["make_be_spectra", "BE_MORPHOLOGIES", "NON_BE_MORPHOLOGIES"]

logger = logging.getLogger(__name__)

HALPHA_VAC = 6564.614  # Angstrom, vacuum
MRS_RESOLUTION = 7500.0

#: Be morphologies (Wang et al. 2022, Figs. 4, 7, A1, A2) and their default shares.
BE_MORPHOLOGIES = {
    "single_peak": 0.2,
    "double_peak_symmetric": 0.15,
    "double_peak_asymmetric": 0.15,
    "weak_emission_in_absorption": 0.2,
    "shell_on_emission": 0.15,
    "shell_on_absorption": 0.15,
}
#: Non-Be morphologies (Wang et al. 2022, Fig. 5) and their default shares.
NON_BE_MORPHOLOGIES = {"absorption": 0.7, "weak_featured": 0.3}

#: Wang et al. (2022) section 4.1.1: the H-alpha peak is searched for in 6551-6579 A
#: (air) after smoothing with a Bartlett window whose width (MRS pixels)
#: depends on the S/N (Table 1: lower S/N bound, width).
PEAK_SEARCH_AIR = (6551.0, 6579.0)
BARTLETT_WIDTHS = ((0.0, 15), (20.0, 10), (40.0, 9), (60.0, 8), (100.0, 7))
BARTLETT_WIDTHS += ((120.0, 6), (150.0, 5))
#: A weak emission counts as a Be feature only if its peak stands this many
#: smoothed-noise sigmas above the valleys beside it.
MIN_PEAK_SIGMA = 5.0
#: Be morphologies defined by an emission peak (shell_on_absorption is defined
#: by its shell core instead, and its emission may be invisible).
EMISSION_PEAK_MORPHOLOGIES = (
    "single_peak",
    "double_peak_symmetric",
    "double_peak_asymmetric",
    "weak_emission_in_absorption",
    "shell_on_emission",
)
_MAX_DRAWS = 50
# Host vetting: depth(8 A) / depth(4 A) of photospheric H-alpha profiles of
# MILES O/B/A stars is <= 0.74; HD 112028 (shell-like, 0.94) and MILES 853
# (filled inner wings, 2.4) are above this.
_SHOULDER_RATIO = 0.85
# Wang et al. (2022) section 5.2 excluded luminosity classes I and II from its classical
# Be candidates (CBE_EXCLUDED_LUMINOSITY_CLASSES). For a MILES type without a
# luminosity class, log g below this (that of B/A bright giants and
# supergiants) stands in for one.
_MIN_LOGG_UNCLASSED = 3.0
# Disk inclination (sin i) and V/R asymmetry ranges per morphology, and the
# emission peak height: log-uniform in (lo, hi) continuum units or, when the
# flag is set, uniform in (lo, hi) times the photospheric absorption depth
# (weak emission, 15-80 % of it, stays below the continuum: positive EW).
_SIN_I = {
    "single_peak": (0.02, 0.2),
    "double_peak_symmetric": (0.4, 0.85),
    "double_peak_asymmetric": (0.4, 0.85),
    "weak_emission_in_absorption": (0.1, 0.85),
    "shell_on_emission": (0.86, 1.0),
    "shell_on_absorption": (0.86, 1.0),
}
_ASYMMETRY = {
    "double_peak_asymmetric": (0.2, 0.6),
    "shell_on_emission": (0.0, 0.4),
    "shell_on_absorption": (0.0, 0.4),
}
_HEIGHT = {
    "single_peak": (0.3, 4.0, False),
    "double_peak_symmetric": (0.3, 4.0, False),
    "double_peak_asymmetric": (0.3, 4.0, False),
    "weak_emission_in_absorption": (0.15, 0.8, True),
    "shell_on_emission": (0.3, 2.5, False),
    "shell_on_absorption": (0.1, 1.2, True),
}


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


def _not_classical_be_host(ids, logg, folder):
    """True for stars Wang et al. (2022) would not take as classical Be candidates.

    Luminosity class I or II in the MILES spectral type; for a type without a
    class, log g < ``_MIN_LOGG_UNCLASSED``. Supergiant H-alpha is shaped by a
    wind (often partly filled by emission), which the disk model here does not
    describe, so such hosts would make non-Be examples that look like weak Be
    stars.
    """
    types = read_miles_spectral_types(folder)
    out = np.zeros(len(ids), dtype=bool)
    for k, star in enumerate(ids):  # ~150 short strings, once per session
        parsed = parse_spectral_type(types.get(int(star), ""))
        classes = parsed.luminosity_classes if parsed is not None else frozenset()
        if classes:
            out[k] = bool(classes & CBE_EXCLUDED_LUMINOSITY_CLASSES)
        else:
            out[k] = logg[k] < _MIN_LOGG_UNCLASSED
    return out


def _shell_or_filled(flux, wave, cont):
    """True for an H-alpha profile with a flat shoulder or filled inner wings.

    Depths below a linear continuum through ``cont``, averaged over both
    wings, at 4 and 8 A from 6562.8 A (air): True where
    ``depth(8 A) >= _SHOULDER_RATIO * depth(4 A)``.
    """
    coef = np.polynomial.polynomial.polyfit(wave[cont] - 6562.8, flux[:, cont].T, 1)

    def depth(offset):
        idx = [np.argmin(np.abs(wave - 6562.8 - s * offset)) for s in (-1, 1)]
        level = coef[0][:, None] + coef[1][:, None] * (wave[idx] - 6562.8)
        return np.mean(1.0 - flux[:, idx] / level, axis=1)

    return depth(8.0) >= _SHOULDER_RATIO * depth(4.0)


@functools.lru_cache(maxsize=2)
def _load_hot_stars(data_home: str, min_teff: float):
    """MILES stars hotter than ``min_teff`` whose H-alpha is in absorption.

    Returns ids, Teff, log g and fluxes on the MILES air grid. Every host
    must be a plain absorption star, since the same hosts make the non-Be
    class. Two vetting steps leave out library stars whose own H-alpha already
    looks like a Be feature:

    * the core rises above the local continuum (emission-line stars, e.g. Be
      or P Cygni supergiants);
    * the profile does not deepen inwards between 8 and 4 A from the line
      centre (depth at +-8 A >= ``_SHOULDER_RATIO`` times the depth at +-4 A):
      a photospheric (Stark- or rotation-broadened) profile always does, so a
      flat shoulder under a narrow core is a shell absorption from a disk seen
      edge-on (what ``shell_on_absorption`` draws), and a shallower profile at
      4 A than at 8 A is emission filling the inner wings.

    A third step follows Wang et al.'s (2022) own candidate selection: hosts of
    luminosity class I or II (bright giants and supergiants, see
    :func:`_not_classical_be_host`) are left out.
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
    safe = np.where(ok[:, None], flux, 1.0)
    absorbing = np.max(safe[:, core], axis=1) < level
    ok &= absorbing & ~_shell_or_filled(safe, wave, cont)
    ok &= ~_not_classical_be_host(ids, logg, folder)
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


def _peak_significance(norm_flux, grid, snr, where=None):
    """How clearly Wang et al.'s (2022) peak search sees an H-alpha peak, in sigmas.

    ``norm_flux`` (n, n_pixels) are noiseless continuum-normalised profiles on
    the vacuum MRS ``grid``, ``snr`` their continuum S/N per pixel. Each
    profile is smoothed with the Bartlett window of its S/N bin (seed Table 1)
    and, inside the peak-search window 6551-6579 A (air), the prominence of its
    highest local maximum is measured: the peak's height above the higher of
    the lowest points on its left and on its right (0 for a profile without a
    local maximum, e.g. a plain absorption line). The prominence is divided by
    the noise of the smoothed profile, ``sqrt(sum w**2) / sum w / snr`` for
    window weights ``w``. With ``where`` (n, n_pixels) boolean, only peaks at
    pixels where it is True count (e.g. where the disk emission is).
    """
    lo, hi = air_to_vacuum(np.array(PEAK_SEARCH_AIR))
    band = (grid >= lo) & (grid <= hi)
    bounds = np.array([b for b, _ in BARTLETT_WIDTHS])
    which = np.searchsorted(bounds, snr, side="right") - 1
    smooth = np.empty((len(snr), int(band.sum())))
    noise = np.empty(len(snr))
    for k, (_, width) in enumerate(BARTLETT_WIDTHS):  # 7 S/N bins, not spectra
        rows = which == k
        if rows.any():
            w = np.bartlett(width + 2)[1:-1]  # `width` non-zero weights
            smooth[rows] = convolve1d(
                norm_flux[rows], w / w.sum(), axis=1, mode="nearest"
            )[:, band]
            noise[rows] = np.sqrt(np.sum(w**2)) / w.sum() / snr[rows]
    left = np.minimum.accumulate(smooth, axis=1)
    right = np.minimum.accumulate(smooth[:, ::-1], axis=1)[:, ::-1]
    prominence = smooth - np.maximum(left, right)
    if where is not None:
        prominence = np.where(where[:, band], prominence, 0.0)
    prominence = prominence.max(axis=1)
    return prominence / noise


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

    A stand-in for the training set of Wang et al. (2022), section 4.1.2, built
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
        a LAMOST MRS exposure are concatenated (Wang et al. 2022, section 3 measures
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
        snr, vsini, sin_i, peak_height, shell_depth, ew_emission, peak_sigma,
        snr_redrawn``, see Notes); ``DESCR``.
    (data, target) : tuple
        When ``return_X_y`` is True.

    Notes
    -----
    Recipe. Each spectrum starts from a MILES star with Teff >= ``min_teff``
    whose own H-alpha is a plain photospheric absorption, the same pool for
    both classes so that the host type does not give the class away. All
    spectra are rotationally broadened (v sin i uniform in 0-350 km/s, Gray's
    kernel), converted from air to vacuum and resampled onto the MRS grid. Be
    spectra get the emission of a Keplerian disk (outer radius 3-20 stellar
    radii, emissivity ~ r^-(2..3.5), critical velocity 400-550 km/s, local
    broadening 10 km/s and the MRS resolution) whose geometry sets the
    morphology: ``single_peak`` (sin i < 0.2), symmetric and asymmetric (V/R,
    one-armed density wave of amplitude 0.2-0.6) double peaks (sin i
    0.4-0.85), ``weak_emission_in_absorption`` (the emission is 15-80 % of the
    photospheric absorption depth, so the profile stays mostly below the
    continuum: positive EW, seed Fig. 3, 7d), and shell profiles (sin i >
    0.85: a narrow absorption core of depth 0.2-0.8 and width 15-50 km/s,
    sometimes off-centre, on top of emission or of absorption with weak
    emission, seed Figs. A1, A2). Non-Be spectra are the broadened library
    profile (``absorption``) or the same diluted by a featureless continuum of
    0.5-3 times the stellar flux (``weak_featured``). Then a smooth random
    instrumental response (quadratic, +-15 %) and Gaussian noise at the drawn
    S/N are applied.

    Host vetting. A host labelled non-Be must not show a Be feature itself.
    Library stars are left out when their H-alpha core rises above the
    continuum (emission-line stars), or when the profile does not deepen
    inwards between 8 and 4 A from the line centre (depth at 8 A >= 0.85 times
    the depth at 4 A; photospheric profiles of MILES O/B/A stars have <= 0.74):
    a flat shoulder under a narrow deep core is a shell absorption (HD 112028,
    A1 III, 0.94), inner wings shallower than the outer ones are filled by
    emission (HD 216916, 2.4). Both would otherwise be "non-Be" spectra that
    look like ``shell_on_absorption`` or ``weak_emission_in_absorption``.
    Hosts of luminosity class I or II in the MILES spectral type (or, with no
    class given, log g < 3) are left out too, as Wang et al. (2022) section 5.1 left
    them out of its classical Be candidates: a supergiant's H-alpha is shaped
    by its wind, often partly filled by emission (HD 206165, B2 Ib), which no
    disk model here describes. 107 hosts remain (130 without this step).

    Emission floor. Wang et al. (2022) labelled a star Be only after its peak search
    (section 4.1.1: local maxima in 6551-6579 A after smoothing with a
    Bartlett window of 5-15 pixels depending on the S/N, Table 1) found an
    H-alpha peak and a visual inspection confirmed it. A drawn emission that
    no such search could see at the spectrum's S/N is not a Be star of that
    sample. So every emission morphology (all but ``shell_on_absorption``,
    which is recognised by its shell core) is kept only when, in the
    noiseless profile smoothed like the seed's, the emission peak stands
    ``MIN_PEAK_SIGMA`` = 5 smoothed-noise sigmas above the lower of the valleys
    around it (its prominence; ``peak_sigma`` in the metadata); otherwise its
    disk geometry and height are drawn again (rejection sampling, i.e. the
    distribution conditioned on being detectable, as in a visually selected
    sample). After 10 failed draws (a host with a shallow absorption at low
    S/N, where no weak emission is visible at all) the S/N is also redrawn
    upwards (``snr_redrawn``). About 14 % of the weak emissions and < 1 % of
    the others fail a first draw with the default parameters.

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
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars),
    sections 4.1.2 and 4.2, appendix A.
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

    # Disk geometry and emission strength per morphology; `draw` fills them
    # for some rows (redrawn below for Be spectra whose peak is undetectable).
    is_be = target == 1
    sin_i, asym, phase, r_disk, m_index, v_crit, height, shell, centre = (
        np.zeros(n_samples) for _ in range(9)
    )
    width = np.ones(n_samples)  # shell core width (km/s), used where shell > 0
    depth = 1.0 - norm[:, np.abs(velocity) < 60].min(axis=1)  # absorption depth

    def draw(rows):
        for name, (s_lo, s_hi) in _SIN_I.items():  # six morphologies
            sel = rows[morphology[rows] == name]
            sin_i[sel] = rng.uniform(s_lo, s_hi, sel.size)
            asym[sel] = rng.uniform(*_ASYMMETRY.get(name, (0.0, 0.0)), sel.size)
            lo_h, hi_h, relative = _HEIGHT[name]
            if relative:
                height[sel] = rng.uniform(lo_h, hi_h, sel.size) * depth[sel]
            else:
                height[sel] = np.exp(rng.uniform(np.log(lo_h), np.log(hi_h), sel.size))
            if name.startswith("shell"):
                shell[sel] = rng.uniform(0.2, 0.8, sel.size)
                centre[sel] = rng.normal(0.0, 15.0, sel.size)
                width[sel] = rng.uniform(15.0, 50.0, sel.size)
        phase[rows] = rng.uniform(0, 2 * np.pi, rows.size)
        r_disk[rows] = rng.uniform(3.0, 20.0, rows.size)
        m_index[rows] = rng.uniform(2.0, 3.5, rows.size)
        v_crit[rows] = rng.uniform(400.0, 550.0, rows.size)

    sigma = np.hypot(10.0, C_KMS / MRS_RESOLUTION / 2.3548)
    dv = velocity[1] - velocity[0]
    vgrid = np.arange(-1500.0, 1500.0 + dv, dv)
    pos = np.clip((velocity - vgrid[0]) / dv, 0.0, len(vgrid) - 1.000001)
    i0 = pos.astype(np.int64)
    frac = pos - i0

    flux = norm.copy()
    emission = np.zeros_like(norm)
    peak_sigma = np.full(n_samples, np.nan)
    rows = np.flatnonzero(is_be)
    draw(rows)
    needs_peak = np.isin(morphology, EMISSION_PEAK_MORPHOLOGIES)
    # Rejection sampling (a loop over attempts, each vectorised over the
    # rows still to draw): an emission Be spectrum is kept only when the
    # Wang et al. (2022)
    # peak search would see its emission peak at the spectrum's S/N.
    snr_redrawn = np.zeros(n_samples, dtype=bool)
    for attempt in range(_MAX_DRAWS):
        if not rows.size:
            break
        if attempt >= 10:
            # Still invisible after 10 draws: a host with a shallow absorption
            # at a low S/N, where no weak emission can be seen; such a star
            # enters a visually selected sample only at a higher S/N.
            snr[rows] = np.exp(rng.uniform(np.log(snr[rows]), np.log(snr_hi)))
            snr_redrawn[rows] = True
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
        em = (prof[:, i0] * (1.0 - frac) + prof[:, i0 + 1] * frac) * height[rows, None]
        core = shell[rows, None] * np.exp(
            -0.5 * ((velocity[None, :] - centre[rows, None]) / width[rows, None]) ** 2
        )
        emission[rows] = em
        flux[rows] = (norm[rows] + em) * (1.0 - core)
        peak_sigma[rows] = _peak_significance(
            flux[rows], grid, snr[rows], where=em >= 0.25 * em.max(axis=1)[:, None]
        )
        rows = rows[needs_peak[rows] & (peak_sigma[rows] < MIN_PEAK_SIGMA)]
        draw(rows)
    if rows.size:
        raise RuntimeError(
            f"{rows.size} Be spectra got no detectable emission peak in "
            f"{_MAX_DRAWS} draws; widen `snr_range` upwards or raise `min_teff`."
        )
    if snr_redrawn.any():
        logger.info(
            "%d Be spectra had their S/N redrawn upwards to make the emission "
            "peak detectable.",
            int(snr_redrawn.sum()),
        )
    ew_emission = -np.trapezoid(emission, grid, axis=1)
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
            "peak_sigma": peak_sigma,
            "snr_redrawn": snr_redrawn,
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
