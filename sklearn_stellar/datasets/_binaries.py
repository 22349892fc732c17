"""Single and composite-binary spectra built from the MILES stellar library.

The paper (Jing et al. 2024, §2.1) trains on LAMOST spectra labelled from
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
from sklearn.utils import Bunch, check_random_state
from sklearn.utils._param_validation import Interval, StrOptions, validate_params

from ..preprocessing import air_to_vacuum, log_linear_grid
from ..utils._validation import check_real_array
from ._binary_steps import (
    _binary_metadata,
    _diversify,
    _draw_systems,
    _draw_velocities,
    _render,
)
from ._home import get_data_home
from ._miles import (
    MILES_FWHM,
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
    (the paper's ranges); secondaries are MILES dwarfs (log g > 4, Teff >
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
    args = _check_args(
        q_range,
        snr_range,
        wavelength_range,
        split_fractions,
        interpolation_limits,
        train_line_strength,
    )
    rng = check_random_state(random_state)
    if library == "mastar":
        return _mastar_route(
            n_samples,
            binary_fraction,
            args,
            rng,
            get_data_home(data_home),
            (resolution, train_interpolation, train_line_strength),
            return_X_y,
        )
    lib = _library(str(get_data_home(data_home)), args, wavelength_range)
    draw = _draw_systems(lib, args, n_samples, binary_fraction, rng)
    noise_rng = _draw_velocities(lib, draw, args, len(lib.grid), rng)
    mix = _diversify(lib, draw, train_interpolation, args, rng)
    X = _render(lib, draw, mix, resolution, noise_rng)
    meta = _binary_metadata(lib, draw, mix)
    if return_X_y:
        return X, draw.target
    n, binary = len(draw.prim), draw.binary
    descr = DESCR_TEMPLATE.format(
        n_stars=len(lib.ids),
        q_range=(args.q_lo, args.q_hi),
        resolution=resolution,
        blue_limit=MILES_FWHM * resolution,
        lo=lib.grid[0],
        hi=lib.grid[-1],
        n_pix=len(lib.grid),
        snr_range=(args.snr_lo, args.snr_hi),
        fractions=tuple(np.round(args.fractions, 3).tolist()),
        n=n,
        n_binary=int(binary.sum()),
        n_single=int((~binary).sum()),
    )
    return Bunch(
        data=X,
        target=draw.target,
        target_names=np.array(["single", "binary"]),
        wavelength=lib.grid,
        split=draw.split,
        groups=lib.ids[draw.prim],
        metadata=meta,
        DESCR=descr,
    )


def _mastar_route(n, frac, args, rng, home, miles_only, return_X_y):
    """``library="mastar"``: refuse MILES-only options, build from MaStar."""
    from ._binaries_mastar import _make_mastar_spectra

    resolution, interpolation, line_strength = miles_only
    if resolution != LAMOST_R or interpolation != 0 or line_strength is not None:
        raise ValueError(
            "library='mastar' uses the templates at their native R ~ 1800 and no "
            f"training diversification: `resolution` must be {LAMOST_R:g} (got "
            f"{resolution!r}), `train_interpolation` 0 (got {interpolation!r}) "
            f"and `train_line_strength` None (got {line_strength!r})."
        )
    data = _make_mastar_spectra(
        n,
        frac,
        (args.q_lo, args.q_hi),
        (args.snr_lo, args.snr_hi),
        args.fractions,
        (args.lo, args.hi),
        rng,
        home,
    )
    return (data.data, data.target) if return_X_y else data


def _check_args(
    q_range,
    snr_range,
    wavelength_range,
    split_fractions,
    interpolation_limits,
    train_line_strength,
):
    """The tuple arguments, checked by name, as one Bunch."""
    args = Bunch(split_fractions=split_fractions, alpha_range=None)
    args.q_lo, args.q_hi = _check_pair(q_range, "q_range", 0.0, 1.0)
    args.snr_lo, args.snr_hi = _check_pair(snr_range, "snr_range", 0.0, np.inf)
    args.lo, args.hi = _check_pair(wavelength_range, "wavelength_range", 0.0, np.inf)
    args.fractions = _check_split_fractions(split_fractions)
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
    args.limits = limits
    if train_line_strength is not None:
        args.alpha_range = _check_pair(
            train_line_strength, "train_line_strength", 0.0, np.inf
        )
    return args


def _library(data_home, args, wavelength_range):
    """MILES dwarfs, the LAMOST grid, masses and unit-mean in-band spectra."""
    ids, teff, logg, feh, flux, wave_air = _load_dwarfs(data_home)
    wave_vac = air_to_vacuum(wave_air)
    lo, hi = args.lo, args.hi
    if lo < wave_vac[0] or hi > wave_vac[-1]:
        raise ValueError(
            f"`wavelength_range` must lie within MILES's vacuum coverage "
            f"{wave_vac[0]:.1f}-{wave_vac[-1]:.1f} A, got {wavelength_range!r}."
        )
    in_band = (wave_vac >= lo) & (wave_vac <= hi)
    mass, lum = main_sequence_relation(teff)
    return Bunch(
        ids=ids, teff=teff, logg=logg, feh=feh, wave_air=wave_air,
        wave_vac=wave_vac, grid=log_linear_grid(lo, hi, 1e-4), mass=mass,
        band=lum * _band_fraction(teff, lo, hi),  # in-band luminosity
        unit=flux / flux[:, in_band].mean(axis=1, keepdims=True),
        is_primary=(teff > 3800.0) & (teff < 6500.0),
    )  # fmt: skip


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
