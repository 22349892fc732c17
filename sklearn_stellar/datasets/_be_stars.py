"""Be and non-Be H-alpha spectra like LAMOST MRS red-arm ones, from MILES stars."""

from __future__ import annotations

import functools
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, validate_params

from ..preprocessing import air_to_vacuum, log_linear_grid, resample
from ..utils import (
    C_KMS,
    CBE_EXCLUDED_LUMINOSITY_CLASSES,
    parse_spectral_type,
)
from ._be_disks import HALPHA_VAC, _add_disks, _rotate
from ._home import get_data_home
from ._miles import (
    MILES_STEP,
    miles_wavelength,
    read_miles_params,
    read_miles_spectra,
    read_miles_spectral_types,
)

__all__ = ["make_be_spectra", "BE_MORPHOLOGIES", "NON_BE_MORPHOLOGIES"]

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

# Host vetting: depth(8 A) / depth(4 A) of photospheric H-alpha profiles of
# MILES O/B/A stars is <= 0.74; HD 112028 (shell-like, 0.94) and MILES 853
# (filled inner wings, 2.4) are above this.
_SHOULDER_RATIO = 0.85
# Wang et al. (2022), section 5.2 excluded luminosity classes I and II from
# its classical Be candidates (CBE_EXCLUDED_LUMINOSITY_CLASSES). For a MILES
# type without a luminosity class, log g below this (that of B/A bright giants and
# supergiants) stands in for one.
_MIN_LOGG_UNCLASSED = 3.0


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

    A third step follows Wang et al. (2022)'s own candidate selection: hosts of
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


@validate_params(
    {
        "n_samples": [Interval(Integral, 2, None, closed="left")],
        "snr_range": ["array-like"],
        "test_fraction": [Interval(Real, 0, 1, closed="neither")],
        "wavelength_range": ["array-like"],
        "min_teff": [Interval(Real, 0, None, closed="left")],
        "blue_arm": ["boolean"],
        "return_X_y": ["boolean"],
        "random_state": ["random_state"],
        "data_home": [str, Path, None],
    },
    prefer_skip_nested_validation=True,
)
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
    classes are balanced (1,042 : 1,042 in Wang et al. 2022).

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
    continuum: positive EW, Wang et al. 2022, Figs. 3, 7d), and shell profiles (sin i >
    0.85: a narrow absorption core of depth 0.2-0.8 and width 15-50 km/s,
    sometimes off-centre, on top of emission or of absorption with weak
    emission, Wang et al. 2022, Figs. A1, A2). Non-Be spectra are the broadened library
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
    class given, log g < 3) are left out too, as Wang et al. (2022), section 5.1 left
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
    noiseless profile smoothed like the paper's, the emission peak stands
    ``MIN_PEAK_SIGMA`` = 5 smoothed-noise sigmas above the lower of the valleys
    around it (its prominence; ``peak_sigma`` in the metadata); otherwise its
    disk geometry and height are drawn again (rejection sampling, i.e. the
    distribution conditioned on being detectable, as in a visually selected
    sample). After 10 failed draws (a host with a shallow absorption at low
    S/N, where no weak emission is visible at all) the S/N is also redrawn
    upwards (``snr_redrawn``). At n_samples=2000, random_state=0, 75 of the 213
    weak emissions (35 %) and 1 of the 642 others fail a first draw with
    the default parameters.

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
    Wang, L. et al. 2022, "Identification of new classical Be stars from the
    LAMOST MRS survey", sections 4.1.2 and 4.2, appendix A.
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

    snr_lo, snr_hi = _check_pair(snr_range, "snr_range", 1e-3, np.inf)
    lo, hi = _check_pair(wavelength_range, "wavelength_range", 0.0, np.inf)
    rng = check_random_state(random_state)
    home = get_data_home(data_home)
    ids, teff, logg, library, wave_air = _load_hot_stars(str(home), float(min_teff))
    grid, grid_blue = _mrs_grids(wave_air, lo, hi, wavelength_range, blue_arm)
    split, star = _split_by_star(len(ids), n_samples, test_fraction, rng)
    target, morphology = _draw_classes(split, rng)
    snr = np.exp(rng.uniform(np.log(snr_lo), np.log(snr_hi), n_samples))
    vsini = rng.uniform(0.0, 350.0, n_samples)
    photo, photo_b, continuum = _photospheres(
        library[star], wave_air, (lo, hi), grid, grid_blue, vsini
    )
    disks = _add_disks(
        photo / continuum, grid, morphology, target == 1, snr, snr_hi, rng
    )
    flux = _dilute(disks.flux, morphology, rng)
    data = _instrument(flux, continuum, photo_b, grid, grid_blue, snr, rng)
    metadata = Table(
        {
            "split": split,
            "star": ids[star],
            "teff": teff[star],
            "logg": logg[star],
            "morphology": morphology,
            "snr": snr,
            "vsini": vsini,
            "sin_i": disks.sin_i,
            "peak_height": disks.height,
            "shell_depth": disks.shell,
            "ew_emission": -np.trapezoid(disks.emission, grid, axis=1),
            "peak_sigma": disks.peak_sigma,
            "snr_redrawn": disks.snr_redrawn,
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


def _mrs_grids(wave_air, lo, hi, wavelength_range, blue_arm):
    """The red-arm MRS grid over lo-hi and the blue arm's (empty without it)."""
    wave_vac = air_to_vacuum(wave_air)
    if lo < wave_vac[0] + 20 or hi > wave_vac[-1] - 20 or not lo < 6530 < 6600 < hi:
        raise ValueError(
            "`wavelength_range` must cover 6530-6600 A and lie within MILES's "
            f"vacuum coverage {wave_vac[0] + 20:.0f}-{wave_vac[-1] - 20:.0f} A, got "
            f"{wavelength_range!r}."
        )
    grid = log_linear_grid(lo, hi, 1e-5)
    grid_blue = log_linear_grid(4950.0, 5350.0, 1e-5) if blue_arm else grid[:0]
    return grid, grid_blue


def _split_by_star(n_stars, n_samples, test_fraction, rng):
    """Stars and spectra split (1 - test_fraction) / test_fraction by star."""
    order = rng.permutation(n_stars)
    n_test_stars = max(1, int(round(test_fraction * n_stars)))
    star_split = np.full(n_stars, "train", dtype=object)
    star_split[order[:n_test_stars]] = "test"
    n_test = int(round(test_fraction * n_samples))
    split = np.array(["train"] * (n_samples - n_test) + ["test"] * n_test)
    star = np.empty(n_samples, dtype=np.int64)
    for name in ("train", "test"):
        rows = np.flatnonzero(split == name)
        pool = np.flatnonzero(star_split == name)
        star[rows] = pool[rng.randint(len(pool), size=len(rows))]
    return split, star


def _draw_classes(split, rng):
    """Balanced classes within each split, then a morphology per spectrum."""
    target = np.zeros(len(split), dtype=np.int64)
    for name in ("train", "test"):
        rows = rng.permutation(np.flatnonzero(split == name))
        target[rows[: len(rows) // 2]] = 1
    morphology = np.empty(len(split), dtype=object)
    for label, table in ((1, BE_MORPHOLOGIES), (0, NON_BE_MORPHOLOGIES)):
        rows = np.flatnonzero(target == label)
        names = list(table)
        share = np.array([table[k] for k in names])
        morphology[rows] = np.array(names, dtype=object)[
            rng.choice(len(names), size=len(rows), p=share / share.sum())
        ]
    return target, morphology.astype(str)


def _photospheres(library, wave_air, limits, grid, grid_blue, vsini):
    """Rotated MILES photospheres on the MRS grids, and their local continuum.

    Returns the red-arm flux, the blue-arm flux (None without a blue arm) and
    a linear continuum through the H-alpha side bands, per spectrum.
    """
    lo, hi = limits
    wave_vac = air_to_vacuum(wave_air)
    step_kms = MILES_STEP / 6563.0 * C_KMS
    band = (wave_air > lo - 60) & (wave_air < hi + 60)
    base = _rotate(library[:, band], step_kms, vsini)
    photo = resample(base, wave_vac[band], grid, method="linear")
    photo_b = None
    if grid_blue.size:
        band_b = (wave_air > 4950.0 - 60) & (wave_air < 5350.0 + 60)
        base_b = _rotate(library[:, band_b], step_kms, vsini)
        photo_b = resample(base_b, wave_vac[band_b], grid_blue, method="linear")
    cont_px = (np.abs(grid - 6512.0) < 22) | (np.abs(grid - 6617.0) < 17)
    xc = grid[cont_px] - HALPHA_VAC
    coef = np.polynomial.polynomial.polyfit(xc, photo[:, cont_px].T, 1)
    continuum = coef[0][:, None] + coef[1][:, None] * (grid - HALPHA_VAC)[None, :]
    return photo, photo_b, continuum


def _dilute(flux, morphology, rng):
    """``weak_featured``: dilute by a featureless continuum, 0.5-3 times the star."""
    dilute = morphology == "weak_featured"
    k = rng.uniform(0.5, 3.0, dilute.sum())
    flux[dilute] = (flux[dilute] + k[:, None]) / (1.0 + k[:, None])
    return flux


def _instrument(flux, continuum, photo_b, grid, grid_blue, snr, rng):
    """Smooth response, counts and noise at the continuum S/N; float32."""
    n_samples = len(flux)
    x = (grid - grid.mean()) / (grid[-1] - grid[0]) * 2
    a1 = rng.uniform(-0.15, 0.15, n_samples)
    a2 = rng.uniform(-0.15, 0.15, n_samples)
    level = np.exp(rng.uniform(np.log(200.0), np.log(5000.0), n_samples))
    response = level[:, None] * (1 + a1[:, None] * x + a2[:, None] * (x**2 - 1 / 3))
    counts = flux * continuum / continuum.mean(axis=1, keepdims=True) * response
    noise_sigma = np.median(response, axis=1) / snr
    counts += rng.standard_normal(counts.shape) * noise_sigma[:, None]
    if photo_b is not None:
        xb = (grid_blue - grid_blue.mean()) / (grid_blue[-1] - grid_blue[0]) * 2
        b1 = rng.uniform(-0.15, 0.15, n_samples)
        resp_b = level[:, None] * (1 + b1[:, None] * xb)
        counts_b = photo_b / continuum.mean(axis=1, keepdims=True) * resp_b
        sigma_b = np.median(resp_b, axis=1) / snr
        counts_b += rng.standard_normal(counts_b.shape) * sigma_b[:, None]
        counts = np.hstack([counts_b, counts])
    return counts.astype(np.float32)
