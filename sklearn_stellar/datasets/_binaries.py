"""Single and composite-binary spectra built from the MILES stellar library.

The seed paper (Jing et al. 2024, §2.1) trains on LAMOST spectra labelled from
Gaia/2MASS photometry. Those labels are not available here, so this module
builds a stand-in from real library spectra: single main-sequence stars and
main-sequence + main-sequence composites with intermediate mass ratios,
degraded to LAMOST LRS resolution and sampling. It is an approximation of real
binaries; :func:`make_binary_spectra`'s docstring lists what it leaves out.
"""

from __future__ import annotations

import functools
from numbers import Integral, Real
from pathlib import Path

import numpy as np
from scipy import sparse
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..preprocessing import (
    ContinuumNormalizer,
    air_to_vacuum,
    log_linear_grid,
    resample,
)
from ..utils import C_KMS
from ..utils._validation import check_real_array
from ._home import get_data_home
from ._miles import (
    MILES_FWHM,
    MILES_STEP,
    miles_wavelength,
    read_miles_params,
    read_miles_spectra,
)

__all__ = ["make_binary_spectra", "main_sequence_relation"]

LAMOST_R = 1800.0

# Main-sequence Teff (K), mass (Msun) and log10 L/Lsun: approximate dwarf
# sequence after Pecaut & Mamajek (2013, ApJS 208, 9; E. Mamajek's updated
# table), rounded; M5V-F5V. Interpolated linearly in Teff.
_MS_TABLE = np.array(
    [
        # Teff, mass, logL
        (2810.0, 0.10, -2.98),
        (3060.0, 0.16, -2.52),
        (3210.0, 0.23, -2.23),
        (3430.0, 0.37, -1.82),
        (3560.0, 0.44, -1.57),
        (3660.0, 0.50, -1.39),
        (3850.0, 0.57, -1.15),
        (4050.0, 0.64, -0.99),
        (4440.0, 0.70, -0.76),
        (4600.0, 0.73, -0.65),
        (4830.0, 0.78, -0.53),
        (5040.0, 0.82, -0.43),
        (5280.0, 0.88, -0.26),
        (5490.0, 0.94, -0.15),
        (5660.0, 0.98, -0.04),
        (5770.0, 1.02, 0.01),
        (5920.0, 1.06, 0.13),
        (6150.0, 1.18, 0.30),
        (6510.0, 1.33, 0.51),
        (6700.0, 1.40, 0.63),
    ]
)


def main_sequence_relation(teff: np.ndarray | float) -> tuple[np.ndarray, np.ndarray]:
    """Mass (Msun) and luminosity (Lsun) of a dwarf of effective temperature Teff.

    Linear interpolation of an approximate main-sequence table after Pecaut &
    Mamajek (2013); clipped to its ends (2810-6700 K).

    Parameters
    ----------
    teff : float or array-like
        Effective temperatures in K, finite and positive.

    Returns
    -------
    mass, luminosity : ndarray
        In solar units, shaped like ``teff``.

    Raises
    ------
    TypeError
        If ``teff`` is not numeric.
    ValueError
        If a temperature is NaN, infinite or not positive (naming its index).

    Examples
    --------
    >>> from sklearn_stellar.datasets import main_sequence_relation
    >>> mass, lum = main_sequence_relation(5770.0)
    >>> round(float(mass), 2), round(float(lum), 2)
    (1.02, 1.02)
    """
    teff = check_real_array(teff, name="teff")
    if teff.size and not teff.min() > 0:
        i = int(np.argmin(teff.reshape(-1)))
        where = f"index {i} holds" if teff.ndim else "got"
        raise ValueError(
            f"`teff` must be positive temperatures in K; {where} "
            f"{float(teff.reshape(-1)[i])!r}."
        )
    t, m, logl = _MS_TABLE.T
    return np.interp(teff, t, m), 10.0 ** np.interp(teff, t, logl)


def _band_fraction(teff, lo, hi):
    """Fraction of a blackbody's bolometric flux emitted between lo and hi (A)."""
    lam = np.linspace(lo, hi, 400)[None, :] * 1e-10
    h, c, k, sigma = 6.62607015e-34, 2.99792458e8, 1.380649e-23, 5.670374419e-8
    t = np.asarray(teff, dtype=np.float64)[:, None]
    b = 2 * h * c**2 / lam**5 / np.expm1(h * c / (lam * k * t))
    band = np.trapezoid(b, lam, axis=1) * np.pi
    return band / (sigma * t[:, 0] ** 4)


@functools.lru_cache(maxsize=4)
def _load_dwarfs(data_home: str):
    """MILES dwarfs (log g > 4, 2700 < Teff < 6500 K): ids, params, spectra."""
    folder = Path(data_home) / "libraries" / "miles"
    ids, teff, logg, feh = read_miles_params(folder)
    keep = (logg > 4.0) & (teff > 2700.0) & (teff < 6500.0) & (feh > -5)
    ids, teff, logg, feh = ids[keep], teff[keep], logg[keep], feh[keep]
    flux, present = read_miles_spectra(folder, ids)
    if present.sum() < 20:
        raise ValueError(
            f"only {int(present.sum())} usable MILES dwarf spectra found in {folder}; "
            "the binary data set needs the MILES library (see docs/data.rst)."
        )
    wave_air = miles_wavelength()
    return (
        ids[present],
        teff[present],
        logg[present],
        feh[present],
        flux[present],
        wave_air,
    )


def _lsf_matrix(wave, resolution):
    """Sparse Gaussian convolution from MILES's 2.5 A FWHM to lambda/R FWHM.

    Row i is a Gaussian of sigma_i = sqrt(max(FWHM_R**2 - 2.5**2, 0)) / 2.355
    centred on pixel i (no sharpening where lambda/R < 2.5 A, i.e. blueward of
    2.5 * R Angstrom: there the MILES resolution is kept).
    """
    fwhm = np.sqrt(np.clip((wave / resolution) ** 2 - MILES_FWHM**2, 0.0, None))
    sig = fwhm / 2.3548 / MILES_STEP  # pixels
    half = int(np.ceil(4 * sig.max())) + 1
    offsets = np.arange(-half, half + 1)
    cols = np.arange(len(wave))[:, None] + offsets[None, :]
    with np.errstate(divide="ignore", invalid="ignore"):
        weights = np.exp(-0.5 * (offsets[None, :] / sig[:, None]) ** 2)
    weights[sig < 0.05] = (offsets == 0).astype(float)
    weights[(cols < 0) | (cols >= len(wave))] = 0.0
    weights /= weights.sum(axis=1, keepdims=True)
    rows = np.repeat(np.arange(len(wave)), len(offsets))
    ok = weights.ravel() > 0
    return sparse.csr_matrix(
        (weights.ravel()[ok], (rows[ok], cols.ravel()[ok])),
        shape=(len(wave), len(wave)),
    )


def _shift(flux, wave, velocity):
    """Doppler-shift each row of ``flux`` (on ``wave``) by ``velocity`` km/s.

    f_obs(lambda) = f_rest(lambda / (1 + v/c)), linear interpolation, edge
    values held; vectorised over rows with fractional pixel indices.
    """
    beta = np.asarray(velocity, dtype=np.float64)[:, None] / C_KMS
    pos = (wave[None, :] / (1.0 + beta) - wave[0]) / (wave[1] - wave[0])
    pos = np.clip(pos, 0.0, len(wave) - 1.000001)
    i0 = pos.astype(np.int64)
    frac = pos - i0
    rows = np.arange(flux.shape[0])[:, None]
    return flux[rows, i0] * (1.0 - frac) + flux[rows, i0 + 1] * frac


def _assign_splits(n_stars, fractions, rng):
    names = np.array(["train", "valid", "test"])
    order = rng.permutation(n_stars)
    cuts = np.round(np.cumsum(fractions)[:-1] * n_stars).astype(int)
    split = np.empty(n_stars, dtype=object)
    for name, part in zip(names, np.split(order, cuts), strict=True):
        split[part] = name
    return split.astype(str)


def _orbits(m1, m2, rng):
    """Component velocities (km/s) for circular orbits.

    log10 P/day ~ N(5.03, 2.28) (Raghavan et al. 2010), truncated to
    0 < log10 P < 6; isotropic inclination; uniform phase.
    """
    n = len(m1)
    logp = rng.normal(5.03, 2.28, size=n)
    while np.any(bad := (logp <= 0) | (logp >= 6)):
        logp[bad] = rng.normal(5.03, 2.28, size=int(bad.sum()))
    sini = np.sqrt(1.0 - rng.uniform(-1.0, 1.0, size=n) ** 2)
    phase = rng.uniform(0.0, 2 * np.pi, size=n)
    # K_rel = (2 pi G M_tot / P)^(1/3) sin i = 212.9 km/s (M/Msun)^(1/3) (P/d)^(-1/3)
    k_rel = 212.9 * (m1 + m2) ** (1 / 3) * (10.0**logp) ** (-1 / 3) * sini
    v_rel = k_rel * np.sin(phase)
    return 10.0**logp, v_rel * m2 / (m1 + m2), -v_rel * m1 / (m1 + m2)


def _mix_partners(anchor, close, n_extra, rng):
    """Library stars mixed into each drawn star: the anchor plus up to two others.

    ``close[i, j]`` says whether stars i and j may be mixed. Partner 1 is a
    uniform draw among the anchor's close stars; partner 2 (when ``n_extra`` is
    2) among the stars close to both, so every pair in a mix is close. Returns
    the star indices (n, 3) and Dirichlet(1) weights (n, 3); an absent partner
    repeats the anchor with weight 0 (the anchor alone when it has no close
    star). Vectorised with masked random scores (n x n_stars), no row loop.
    """
    n = len(anchor)
    idx = np.repeat(anchor[:, None], 3, axis=1)
    present = np.zeros((n, 3), dtype=bool)
    present[:, 0] = True
    if n == 0:
        return idx, present.astype(np.float64)
    allowed = close[anchor].copy()
    for k in (1, 2):
        score = rng.random(allowed.shape)
        score[~allowed] = -1.0
        pick = np.argmax(score, axis=1)
        ok = allowed[np.arange(n), pick] & (n_extra >= k)
        idx[ok, k] = pick[ok]
        present[ok, k] = True
        # the next partner must be close to every star already in the mix
        allowed &= close[pick]
        allowed[np.arange(n), pick] = False
    weight = rng.gamma(1.0, size=(n, 3)) * present
    return idx, weight / weight.sum(axis=1, keepdims=True)


DESCR_TEMPLATE = """\
Synthetic single and binary LAMOST-LRS-like spectra from the MILES library
--------------------------------------------------------------------------

An approximation of the training set of Jing et al. (2024), built because the
Gaia/2MASS labels of that paper are not available here.

- Library: MILES v9.1 (real spectra, air wavelengths, 2.5 A FWHM, 0.9 A/px,
  3540-7410 A). Dwarfs with log g > 4 and 2700 < Teff < 6500 K
  ({n_stars} stars); primaries additionally have 3800 < Teff < 6500 K.
- Single: one library star. Binary: primary + main-sequence secondary with
  mass ratio q = M2/M1 in {q_range} (intermediate mass-ratio binaries, as in
  the seed), secondary = the library dwarf of the same split whose mass best
  matches q (and [Fe/H] the primary's).
- Masses and luminosities from Teff with an approximate main-sequence
  relation (Pecaut & Mamajek 2013, rounded); each component is scaled to unit
  mean flux over the band, then by L_bol * (blackbody fraction of L_bol in
  the band at its Teff), and the two are added.
- Orbits: circular, log10 P/d ~ N(5.03, 2.28) truncated to (0, 6)
  (Raghavan et al. 2010), isotropic inclination, uniform phase; each
  component is Doppler shifted by its orbital velocity; every spectrum
  (single or binary) gets a systemic velocity ~ N(0, 30) km/s.
- Degradation: Gaussian LSF to FWHM = lambda / {resolution:g} where that exceeds
  MILES's 2.5 A (redward of {blue_limit:.0f} A; bluer pixels keep 2.5 A), air
  -> vacuum (LAMOST is vacuum), flux-conserving resampling onto a log-linear
  1e-4 dex grid {lo:.1f}-{hi:.1f} A ({n_pix} pixels, vacuum), inside MILES's
  coverage, so LAMOST's red arm (7400-9100 A) is absent.
- Noise: Gaussian, sigma = sqrt(f * median f) / SNR (photon-like), with SNR
  log-uniform in {snr_range}; flux divided by its median (no continuum
  normalisation: use ContinuumNormalizer).
- Splits by library star ({fractions}): a star (as primary or secondary)
  appears in one split only.

Not modelled: triples, evolved or mass-transferring binaries, eccentric
orbits, unresolved-binary selection effects, LAMOST's flux-calibration and
sky-subtraction residuals, telluric bands, and real LAMOST noise/masks. Only
~{n_stars} distinct stars exist, so many spectra share a library star
(different noise, S/N and velocities): scores on the test split measure
generalisation to unseen library stars, not to LAMOST.

Rows: {n} ({n_binary} binary, {n_single} single).
"""


@validate_params(
    {
        "n_samples": [Interval(Integral, 3, None, closed="left")],
        "binary_fraction": [Interval(Real, 0, 1, closed="neither")],
        "q_range": [tuple],
        "snr_range": [tuple],
        "split_fractions": [tuple],
        "wavelength_range": [tuple],
        "resolution": [Interval(Real, 0, None, closed="neither")],
        "train_interpolation": [Interval(Real, 0, 1, closed="both")],
        "interpolation_limits": [tuple],
        "train_line_strength": [tuple, None],
        "return_X_y": ["boolean"],
        "random_state": ["random_state"],
        "data_home": [str, Path, None],
        "library": [StrOptions({"miles", "mastar"})],
    },
    prefer_skip_nested_validation=True,
)
def make_binary_spectra(
    n_samples: int = 4000,
    *,
    binary_fraction: float = 1 / 19,
    q_range: tuple = (0.71, 0.93),
    snr_range: tuple = (20.0, 100.0),
    split_fractions: tuple = (0.8, 0.1, 0.1),
    wavelength_range: tuple = (3700.0, 7400.0),
    resolution: float = LAMOST_R,
    train_interpolation: float = 0.0,
    interpolation_limits: tuple = (150.0, 0.25, 0.3),
    train_line_strength: tuple | None = None,
    return_X_y: bool = False,
    random_state=None,
    data_home=None,
    library: str = "miles",
):
    """Single and intermediate-mass-ratio binary spectra from MILES dwarfs.

    A stand-in for the training set of Jing et al. (2024) built from real
    library spectra (see Notes: an approximation of real binaries). Labels:
    0 = single main-sequence star, 1 = binary with mass ratio in ``q_range``.

    Parameters
    ----------
    n_samples : int, default=4000
        Number of spectra in all splits together.
    binary_fraction : float, default=1/19
        Fraction of binaries in each split (1:18 as in the seed).
    q_range : tuple of float, default=(0.71, 0.93)
        Mass-ratio interval of the binaries.
    snr_range : tuple of float, default=(20, 100)
        S/N per pixel (at the median flux), drawn log-uniformly.
    split_fractions : tuple of 3 float, default=(0.8, 0.1, 0.1)
        Fractions of library stars (and of spectra) in train/valid/test; each
        in [0, 1], summing to 1 (they are not renormalised).
    wavelength_range : tuple of float, default=(3700, 7400)
        Vacuum wavelength range in Angstrom; must lie inside MILES
        (3541-7412 A vacuum).
    resolution : float, default=1800
        Target resolving power lambda / FWHM.
    train_interpolation : float, default=0.0
        Fraction of the star draws of the *training* split (singles, primaries
        and secondaries, each drawn independently) that are replaced by an
        interpolated star: the mix of the drawn library star with one or two
        other training-split library stars whose parameters all lie within
        ``interpolation_limits`` of each other, with random weights
        (Dirichlet(1)) on their unit-mean-flux spectra; its in-band luminosity
        is the same weighted mean. A local interpolation in the spirit of the
        MILES interpolator of Vazdekis et al. (2003), an approximation of a
        star that is not in the library. A drawn star without a close partner
        stays itself. Validation and test rows are never modified: they are
        identical to those of the call with the default 0.0.
    interpolation_limits : tuple of 3 float, default=(150, 0.25, 0.3)
        Largest ``|dTeff|`` (K), ``|dlog g|`` and ``|d[Fe/H]|`` between any two
        stars of one mix. The default Teff limit is below the Teff gap of every
        pair of library dwarfs that can form a binary of the default
        ``q_range`` (154 K at the least, 560 K median), so an interpolated
        single is not a disguised binary.
    train_line_strength : tuple of 2 float or None, default=None
        ``(low, high)``: every training-split star draw gets its lines scaled
        as ``continuum * (flux / continuum) ** alpha`` with alpha uniform in
        (low, high), the continuum being the Gaussian-smoothed flux of
        :class:`~sklearn_stellar.preprocessing.ContinuumNormalizer` (sigma
        350 A). A crude stand-in for small abundance differences between stars
        (it scales all lines alike). Applied after ``train_interpolation``.
        None leaves lines as they are; validation and test rows never change.
    return_X_y : bool, default=False
        Return ``(data, target)`` only.
    random_state : int, RandomState instance or None, default=None
        Seed; the output is identical for equal seeds.
    data_home : str or path-like, default=None
        Folder with ``libraries/miles`` (see :func:`get_data_home`).
    library : {"miles", "mastar"}, default="miles"
        Stellar library of the components. ``"mastar"``: the MaStar cluster
        templates (``libraries/mastarhc_v2``; SDSS BOSS, native R ~ 1800,
        vacuum) whose Teff/log g are matched to MILES stars
        (:func:`~sklearn_stellar.datasets._mastar.mastar_parameters`); only 23
        dwarf templates (19 primaries), a test set for cross-library checks
        rather than a training set. With ``"mastar"``, ``resolution`` must be
        1800 (the templates are not degraded) and ``train_interpolation``/
        ``train_line_strength`` must be off; ``groups`` are cluster numbers.

    Returns
    -------
    data : :class:`~sklearn.utils.Bunch`
        ``data`` (n_samples, n_pixels) float32 fluxes; ``target`` int
        (0 single, 1 binary); ``target_names`` ``["single", "binary"]``;
        ``wavelength`` (vacuum Angstrom); ``split`` ("train"/"valid"/"test");
        ``groups`` (MILES id of the primary star, for group-aware CV);
        ``metadata`` an :class:`astropy.table.Table` with one row per spectrum
        (``split, primary, secondary, teff1, logg1, feh1, teff2, logg2, feh2,
        mass1, q, light_ratio, period_days, rv1, rv2, rv_sys, snr,
        n_mixed1, n_mixed2, teff_spread1, teff_spread2, line_alpha1,
        line_alpha2, interpolated``; secondary = -1 and NaNs for singles).
        Stellar parameters, masses and q are those of the drawn library
        stars; ``n_mixed*`` counts the library stars mixed into a component
        (1 = the real star, 0 = no secondary), ``teff_spread*`` is their Teff
        range (K), ``line_alpha*`` the line-strength exponent (1 = unchanged),
        ``interpolated`` is True where a component is a mix, and
        ``light_ratio`` is the ratio actually used; ``DESCR``.
    (data, target) : tuple
        When ``return_X_y`` is True.

    Notes
    -----
    Recipe: primaries are MILES dwarfs with 3800 < Teff < 6500 K and log g > 4
    (the seed's ranges); secondaries are MILES dwarfs (log g > 4, Teff >
    2700 K) of the same split. Masses/luminosities come from an approximate
    main-sequence Teff relation (:func:`main_sequence_relation`); a component
    contributes L_bol times its blackbody band fraction. Velocities: circular
    orbits with the Raghavan et al. (2010) log-normal period distribution
    plus a systemic N(0, 30) km/s. The LSF is degraded to lambda/R where that
    is broader than MILES's 2.5 A, converted air -> vacuum and resampled
    (flux-conserving) to 1e-4 dex. This is an approximation: no triples,
    eccentric or interacting binaries, real LAMOST calibration, sky or
    telluric residuals, or red arm beyond MILES; library stars are few
    (~260), so many spectra share a star. Some library "singles" are
    unresolved binaries themselves (MILES 680 = BY Dra, a double-lined
    q = 0.88 pair; 1 = 85 Peg; 659 = 70 Oph A at part of its orbit); they are
    kept as singles, as MILES lists them (leaving them out changed the
    out-of-fold AUC of ``benchmarks/bench_binary_library_stars.py`` by less
    than 0.003). ``train_interpolation`` and
    ``train_line_strength`` make the training stars more diverse with
    approximations (mixes of neighbouring stars, uniformly scaled lines), not
    with new stars.

    References
    ----------
    Jing et al. 2024, "Half a Million Binary Stars identified from the low
    resolution spectra of LAMOST", §2. Sanchez-Blazquez et al. 2006 (MILES).
    Vazdekis et al. 2003, MNRAS 340, 1317 (interpolation of library stars).
    Pecaut & Mamajek 2013, ApJS 208, 9. Raghavan et al. 2010, ApJS 190, 1.

    Examples
    --------
    >>> from sklearn_stellar.datasets import make_binary_spectra
    >>> data = make_binary_spectra(n_samples=60, random_state=0)
    >>> data.data.shape
    (60, 3011)
    >>> sorted(set(data.split.tolist()))
    ['test', 'train', 'valid']
    >>> int(data.target.sum())
    3
    """
    from astropy.table import Table

    q_lo, q_hi = _check_pair(q_range, "q_range", 0.0, 1.0)
    snr_lo, snr_hi = _check_pair(snr_range, "snr_range", 0.0, np.inf)
    lo, hi = _check_pair(wavelength_range, "wavelength_range", 0.0, np.inf)
    fractions = _check_split_fractions(split_fractions)
    limits = np.asarray(interpolation_limits, dtype=np.float64)
    if (
        limits.shape != (3,)
        or not np.all(limits > 0)
        or not np.all(np.isfinite(limits))
    ):
        raise ValueError(
            "`interpolation_limits` must be 3 positive numbers (dTeff in K, "
            f"dlog g, d[Fe/H]), got {interpolation_limits!r}."
        )
    if train_line_strength is not None:
        alpha_lo, alpha_hi = _check_pair(
            train_line_strength, "train_line_strength", 0.0, np.inf
        )
    rng = check_random_state(random_state)
    home = get_data_home(data_home)
    if library == "mastar":
        return _mastar_route(
            n_samples,
            binary_fraction,
            (q_lo, q_hi),
            (snr_lo, snr_hi),
            fractions,
            (lo, hi),
            rng,
            home,
            resolution,
            train_interpolation,
            train_line_strength,
            return_X_y,
        )
    ids, teff, logg, feh, flux, wave_air = _load_dwarfs(str(home))
    wave_vac = air_to_vacuum(wave_air)
    if lo < wave_vac[0] or hi > wave_vac[-1]:
        raise ValueError(
            f"`wavelength_range` must lie within MILES's vacuum coverage "
            f"{wave_vac[0]:.1f}-{wave_vac[-1]:.1f} A, got {wavelength_range!r}."
        )
    grid = log_linear_grid(lo, hi, 1e-4)
    in_band = (wave_vac >= lo) & (wave_vac <= hi)

    mass, lum = main_sequence_relation(teff)
    band = lum * _band_fraction(teff, lo, hi)  # in-band luminosity
    unit = flux / flux[:, in_band].mean(axis=1, keepdims=True)

    star_split = _assign_splits(len(ids), fractions, rng)
    is_primary = (teff > 3800.0) & (teff < 6500.0)
    q_matrix = mass[None, :] / mass[:, None]  # [primary, secondary]

    n_split = np.round(fractions * n_samples).astype(int)
    n_split[0] = n_samples - n_split[1:].sum()
    rows = []
    for name, n_s in zip(("train", "valid", "test"), n_split, strict=True):
        if n_s == 0:
            continue
        in_split = star_split == name
        valid_pair = (
            in_split[:, None]
            & in_split[None, :]
            & is_primary[:, None]
            & (q_matrix >= q_lo)
            & (q_matrix <= q_hi)
            & ~np.eye(len(ids), dtype=bool)
        )
        hosts = np.flatnonzero(valid_pair.any(axis=1))
        singles = np.flatnonzero(in_split & is_primary)
        n_bin = int(round(n_s * binary_fraction))
        if len(singles) == 0 or (n_bin > 0 and len(hosts) == 0):
            raise ValueError(
                f"split {name!r} has no usable library star (fractions "
                f"{split_fractions!r}); use larger split fractions."
            )
        prim_s = rng.choice(singles, size=n_s - n_bin)
        prim_b = rng.choice(hosts, size=n_bin) if n_bin else np.empty(0, int)
        q_target = rng.uniform(q_lo, q_hi, size=n_bin)
        # Secondary: best match of q (in units of 0.02) and [Fe/H] (0.3 dex).
        cost = (
            np.abs(q_matrix[prim_b] - q_target[:, None]) / 0.02
            + np.abs(feh[None, :] - feh[prim_b][:, None]) / 0.3
        )
        cost[~valid_pair[prim_b]] = np.inf
        sec_b = np.argmin(cost, axis=1) if n_bin else np.empty(0, int)
        rows.append((name, prim_s, prim_b, sec_b))

    prim = np.concatenate([np.r_[p_s, p_b] for _, p_s, p_b, _ in rows])
    sec = np.concatenate([np.r_[np.full(len(p_s), -1), s_b] for _, p_s, _, s_b in rows])
    split = np.concatenate([np.full(len(p_s) + len(p_b), n) for n, p_s, p_b, _ in rows])
    target = (sec >= 0).astype(np.int64)
    n = len(prim)
    binary = target == 1

    m1 = mass[prim]
    m2 = np.where(binary, mass[np.maximum(sec, 0)], np.nan)
    period = np.full(n, np.nan)
    rv1 = np.zeros(n)
    rv2 = np.full(n, np.nan)
    period[binary], rv1[binary], rv2[binary] = _orbits(m1[binary], m2[binary], rng)
    rv_sys = rng.normal(0.0, 30.0, size=n)
    snr = np.exp(rng.uniform(np.log(snr_lo), np.log(snr_hi), size=n))
    # The noise is drawn chunk by chunk in the rendering loop from a copy of
    # the generator, and the generator is advanced past it chunk by chunk too:
    # the values (and every later draw) are those of one (n, n_pixels) draw,
    # without holding n x n_pixels float64 numbers at once.
    chunk = 256
    noise_rng = np.random.RandomState()
    noise_rng.set_state(rng.get_state())
    for start in range(0, n, chunk):
        rng.standard_normal((min(chunk, n - start), len(grid)))

    # Diversified training stars. Their random numbers come from a generator
    # seeded after every draw above, so all other draws (and every validation
    # and test row) are those of the default call.
    sec0 = np.maximum(sec, 0)
    mix1 = (prim[:, None].repeat(3, axis=1), np.eye(1, 3).repeat(n, axis=0))
    mix2 = (sec0[:, None].repeat(3, axis=1), np.eye(1, 3).repeat(n, axis=0))
    alpha1, alpha2 = np.ones(n), np.where(binary, 1.0, np.nan)
    diversify = train_interpolation > 0 or train_line_strength is not None
    if diversify:
        aug = np.random.default_rng(rng.randint(0, 2**31 - 1))
        in_train = split == "train"
        if train_interpolation > 0:
            close = (
                (np.abs(teff[:, None] - teff[None, :]) < limits[0])
                & (np.abs(logg[:, None] - logg[None, :]) < limits[1])
                & (np.abs(feh[:, None] - feh[None, :]) < limits[2])
                & (star_split[:, None] == "train")
                & (star_split[None, :] == "train")
                & ~np.eye(len(ids), dtype=bool)
            )
            for mix, anchor, has in (
                (mix1, prim, in_train),
                (mix2, sec0, in_train & binary),
            ):
                rows_ = np.flatnonzero(has)
                n_extra = np.where(
                    aug.random(len(rows_)) < train_interpolation,
                    aug.integers(1, 3, size=len(rows_)),
                    0,
                )
                idx, weight = _mix_partners(anchor[rows_], close, n_extra, aug)
                mix[0][rows_], mix[1][rows_] = idx, weight
        if train_line_strength is not None:
            alpha1[in_train] = aug.uniform(alpha_lo, alpha_hi, int(in_train.sum()))
            tb = in_train & binary
            alpha2[tb] = aug.uniform(alpha_lo, alpha_hi, int(tb.sum()))
            smooth = ContinuumNormalizer(wavelength=wave_air, sigma=350.0)
            cont = smooth.fit(unit).continuum(unit)

    def component(mix, alpha, rows_):
        """Unit spectra and in-band luminosities of the components of rows_."""
        idx, weight = mix[0][rows_], mix[1][rows_]
        if not diversify:
            return unit[idx[:, 0]], band[idx[:, 0]]
        lum = (weight * band[idx]).sum(axis=1)
        spec = np.einsum("rk,rkp->rp", weight, unit[idx])
        a = alpha[rows_]
        if np.any(a != 1.0):
            c = np.einsum("rk,rkp->rp", weight, cont[idx])
            spec = c * (spec / c) ** a[:, None]
        return spec, lum

    band1 = (mix1[1] * band[mix1[0]]).sum(axis=1)
    band2 = (mix2[1] * band[mix2[0]]).sum(axis=1)
    lsf = _lsf_matrix(wave_air, resolution)
    X = np.empty((n, len(grid)), dtype=np.float32)
    light_ratio = np.full(n, np.nan)
    light_ratio[binary] = band2[binary] / band1[binary]
    # Chunks bound memory (n x 4300 float64 per intermediate array).
    for start in range(0, n, chunk):
        sl = np.arange(start, min(start + chunk, n))
        b = binary[sl]
        f1, l1 = component(mix1, alpha1, sl)
        spec = l1[:, None] * _shift(f1, wave_air, rv_sys[sl] + rv1[sl])
        if b.any():
            f2, l2 = component(mix2, alpha2, sl[b])
            spec[b] += l2[:, None] * _shift(f2, wave_air, rv_sys[sl][b] + rv2[sl][b])
        spec = (lsf @ spec.T).T
        spec = resample(spec, wave_vac, grid, method="flux_conserving")
        spec /= np.median(spec, axis=1, keepdims=True)
        sigma = np.sqrt(np.clip(spec, 0.0, None)) / snr[sl][:, None]
        X[sl] = spec + sigma * noise_rng.standard_normal((len(sl), len(grid)))

    meta = Table(
        {
            "split": split,
            "primary": ids[prim],
            "secondary": np.where(binary, ids[np.maximum(sec, 0)], -1),
            "teff1": teff[prim],
            "logg1": logg[prim],
            "feh1": feh[prim],
            "teff2": np.where(binary, teff[np.maximum(sec, 0)], np.nan),
            "logg2": np.where(binary, logg[np.maximum(sec, 0)], np.nan),
            "feh2": np.where(binary, feh[np.maximum(sec, 0)], np.nan),
            "mass1": m1,
            "q": m2 / m1,
            "light_ratio": light_ratio,
            "period_days": period,
            "rv1": rv1,
            "rv2": rv2,
            "rv_sys": rv_sys,
            "snr": snr,
            "n_mixed1": (mix1[1] > 0).sum(axis=1),
            "n_mixed2": np.where(binary, (mix2[1] > 0).sum(axis=1), 0),
            "teff_spread1": _spread(teff, mix1),
            "teff_spread2": np.where(binary, _spread(teff, mix2), np.nan),
            "line_alpha1": alpha1,
            "line_alpha2": alpha2,
            "interpolated": ((mix1[1] > 0).sum(axis=1) > 1)
            | (binary & ((mix2[1] > 0).sum(axis=1) > 1)),
        }
    )
    if return_X_y:
        return X, target
    descr = DESCR_TEMPLATE.format(
        n_stars=len(ids),
        q_range=(q_lo, q_hi),
        resolution=resolution,
        blue_limit=MILES_FWHM * resolution,
        lo=grid[0],
        hi=grid[-1],
        n_pix=len(grid),
        snr_range=(snr_lo, snr_hi),
        fractions=tuple(np.round(fractions, 3).tolist()),
        n=n,
        n_binary=int(binary.sum()),
        n_single=int((~binary).sum()),
    )
    return Bunch(
        data=X,
        target=target,
        target_names=np.array(["single", "binary"]),
        wavelength=grid,
        split=split,
        groups=ids[prim],
        metadata=meta,
        DESCR=descr,
    )


def _mastar_route(
    n,
    frac,
    q,
    snr,
    fractions,
    band,
    rng,
    home,
    resolution,
    interpolation,
    line_strength,
    return_X_y,
):
    """``library="mastar"``: refuse MILES-only options, build from MaStar."""
    from ._binaries_mastar import _make_mastar_spectra

    if resolution != LAMOST_R or interpolation != 0 or line_strength is not None:
        raise ValueError(
            "library='mastar' uses the templates at their native R ~ 1800 and no "
            f"training diversification: `resolution` must be {LAMOST_R:g} (got "
            f"{resolution!r}), `train_interpolation` 0 (got {interpolation!r}) "
            f"and `train_line_strength` None (got {line_strength!r})."
        )
    data = _make_mastar_spectra(n, frac, q, snr, fractions, band, rng, home)
    return (data.data, data.target) if return_X_y else data


def _spread(values, mix):
    """Range of ``values`` over the library stars with weight > 0 in each mix."""
    v = values[mix[0]]
    used = mix[1] > 0
    return np.where(used, v, -np.inf).max(axis=1) - np.where(used, v, np.inf).min(
        axis=1
    )


def _check_split_fractions(split_fractions):
    """Three fractions in [0, 1] summing to 1 (never silently renormalised)."""
    try:
        fractions = np.asarray(split_fractions, dtype=np.float64)
    except (TypeError, ValueError):
        fractions = np.full(1, np.nan)
    if (
        fractions.shape != (3,)
        or not np.all(np.isfinite(fractions))
        or np.any(fractions < 0)
    ):
        raise ValueError(
            "`split_fractions` must be 3 finite fractions >= 0 (train, valid, "
            f"test), got {split_fractions!r}."
        )
    if abs(fractions.sum() - 1.0) > 1e-6:
        raise ValueError(
            f"`split_fractions` must sum to 1, got {split_fractions!r} (sum "
            f"{fractions.sum():g}); e.g. (0.8, 0.1, 0.1)."
        )
    return fractions / fractions.sum()


def _check_pair(value, name, lower, upper):
    try:
        a, b = (float(v) for v in value)
    except (TypeError, ValueError):
        raise ValueError(
            f"`{name}` must be a pair (low, high), got {value!r}."
        ) from None
    if not (lower < a < b) or b > upper or not np.isfinite(b):
        raise ValueError(
            f"`{name}` must satisfy {lower} < low < high <= {upper}, got {value!r}."
        )
    return a, b
