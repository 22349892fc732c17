"""Peculiar tangential velocities and runaway stars (Wang et al. 2022, section 6).

Wang et al. (2022) took Gaia EDR3 positions, proper motions and parallaxes of its
classical Be stars, dropped those with RUWE > 1.4, removed the solar motion
(Schoenrich et al. 2010) and a flat Galactic rotation curve (R0 = 8.5 kpc,
Vc = 220 km/s; Kerr & Lynden-Bell 1986) following Moffat et al. (1998),
fitted a Maxwellian ``f(v) = a v^2 exp(-v^2 / b^2)`` to the peculiar
tangential velocities (b = 8.701 km/s) and called runaways the stars beyond
the velocity where the fit falls to ~1 % of its peak (24 km/s).
"""

from __future__ import annotations

import logging
import warnings
from numbers import Real

import numpy as np
from astropy import units as u
from astropy.coordinates import SkyCoord
from astropy.table import Table
from sklearn.utils import check_random_state

from ._input import check_n_draws, check_same_length, get_column, get_error_columns
from ._maxwellian import fit_maxwellian, runaway_threshold

__all__ = [
    "SOLAR_MOTION",
    "R0",
    "VC",
    "Z_SUN",
    "peculiar_tangential_velocity",
    "height_above_plane",
    "astrometry_ok",
    "find_runaways",
]

logger = logging.getLogger(__name__)

#: Solar motion (U, V, W) relative to the LSR in km/s, U towards the Galactic
#: centre (Schoenrich, Binney & Dehnen 2010), as adopted by Wang et al. (2022).
SOLAR_MOTION = (11.10, 12.24, 7.25)
#: Sun's Galactocentric distance (kpc).
R0 = 8.5
#: Flat rotation speed of the Galactic disk (km/s).
VC = 220.0
#: Sun's height above the Galactic plane in pc (Humphreys & Larsen 1995).
Z_SUN = 20.5
#: RUWE above which Wang et al. (2022) dropped a Gaia astrometric solution.
MAX_RUWE = 1.4

_GAIA_COLUMNS = {
    "ra": ("ra", u.deg),
    "dec": ("dec", u.deg),
    "pmra": ("pmra", u.mas / u.yr),
    "pmdec": ("pmdec", u.mas / u.yr),
    "parallax": ("parallax", u.mas),
}


def _distance_name(distance):
    """The argument a distance came from, for messages."""
    return "parallax" if distance is None else "distance"


def _distance_pc(data, parallax, distance):
    """Distance in pc: ``distance`` when given, else 1000 / parallax[mas]."""
    if distance is not None:
        d = get_column(data, distance, name="distance", unit=u.pc)
    else:
        plx = get_column(data, parallax, name="parallax", unit=u.mas)
        with np.errstate(divide="ignore", invalid="ignore"):
            d = np.where(plx > 0, 1000.0 / plx, np.nan)
    return np.where(np.isfinite(d) & (d > 0), d, np.nan)


def _check_dec(dec_deg):
    """Declinations within [-90, 90] deg (NaN passes as a missing value)."""
    bad = np.isinf(dec_deg) | (np.abs(np.nan_to_num(dec_deg)) > 90.0)
    if np.any(bad):
        raise ValueError(
            f"`dec` must be within [-90, 90] deg; {int(bad.sum())} value(s) are "
            f"not (e.g. {dec_deg[bad][:3].tolist()})."
        )
    return dec_deg


def _galactic(ra, dec, pmra, pmdec):
    """Galactic l, b (rad) and proper motions mu_l cos b, mu_b (mas/yr)."""
    coords = SkyCoord(
        ra=ra * u.deg,
        dec=dec * u.deg,
        pm_ra_cosdec=pmra * u.mas / u.yr,
        pm_dec=pmdec * u.mas / u.yr,
        frame="icrs",
    ).galactic
    return (
        coords.l.to_value(u.rad),
        coords.b.to_value(u.rad),
        coords.pm_l_cosb.to_value(u.mas / u.yr),
        coords.pm_b.to_value(u.mas / u.yr),
    )


def _model_velocity(l_rad, b_rad, d_kpc, solar_motion, r0, vc):
    """Heliocentric velocity (km/s, Galactic Cartesian axes) of a star that
    moves on the flat rotation curve, seen from the moving Sun."""
    cos_b = np.cos(b_rad)
    x = d_kpc * cos_b * np.cos(l_rad) - r0  # from the Galactic centre
    y = d_kpc * cos_b * np.sin(l_rad)
    radius = np.hypot(x, y)
    with np.errstate(divide="ignore", invalid="ignore"):
        v_star = vc * np.stack([y / radius, -x / radius, np.zeros_like(x)])
    u_sun, v_sun, w_sun = solar_motion
    return v_star - np.array([u_sun, vc + v_sun, w_sun])[:, None]


def _tangential(ra, dec, pmra, pmdec, d_pc, constants):
    """l, b (rad) and peculiar v_l, v_b (km/s) of stars at ``d_pc``."""
    solar_motion, r0, vc = constants
    l_rad, b_rad, mu_l, mu_b = _galactic(ra, dec, pmra, pmdec)
    d_kpc = d_pc / 1000.0
    # mas/yr * kpc -> km/s
    k = (1.0 * u.mas / u.yr * u.kpc).to_value(
        u.km / u.s, equivalencies=u.dimensionless_angles()
    )
    model = _model_velocity(l_rad, b_rad, d_kpc, solar_motion, r0, vc)
    l_hat = np.stack([-np.sin(l_rad), np.cos(l_rad), np.zeros_like(l_rad)])
    b_hat = np.stack(
        [
            -np.sin(b_rad) * np.cos(l_rad),
            -np.sin(b_rad) * np.sin(l_rad),
            np.cos(b_rad),
        ]
    )
    v_l = k * mu_l * d_kpc - np.sum(model * l_hat, axis=0)
    v_b = k * mu_b * d_kpc - np.sum(model * b_hat, axis=0)
    return l_rad, b_rad, v_l, v_b


def peculiar_tangential_velocity(
    data=None,
    *,
    ra="ra",
    dec="dec",
    pmra="pmra",
    pmdec="pmdec",
    parallax="parallax",
    distance=None,
    solar_motion=SOLAR_MOTION,
    r0: float = R0,
    vc: float = VC,
    n_draws: int = 0,
    pmra_error="pmra_error",
    pmdec_error="pmdec_error",
    parallax_error="parallax_error",
    random_state=None,
) -> Table:
    """Peculiar tangential velocity from Gaia astrometry (Wang et al. 2022, section 6).

    The proper motion is turned into Galactic ``mu_l cos b`` and ``mu_b``
    with astropy, then into velocities ``v = 4.74 mu d``. The velocity a star
    would show if it moved on a flat rotation curve, as seen from the Sun
    moving with ``Vc`` plus ``solar_motion``, is projected on the same two
    directions and subtracted (the projections of Moffat et al. 1998). Only
    the tangential components are computed, since Wang et al. (2022) had no radial
    velocities.

    Departures from Wang et al. (2022): the Galactic frame is astropy's, whose north
    pole is at (192.85948, 27.12825) deg (the paper prints 192.95948, which
    looks like a typo of the same Hipparcos value); the distance is
    ``1 / parallax`` unless ``distance`` is given (the paper does not say
    which it used); it does not say how it got the uncertainties of
    its Table 9, here they come from ``n_draws`` Monte Carlo draws of the
    proper motions and parallax as independent Gaussians (Gaia's
    correlations are ignored; draws with a non-positive parallax are
    dropped; with ``distance`` only the proper motions are drawn).

    Parameters
    ----------
    data : Table, mapping or DataFrame, default=None
        Gaia columns; None when the inputs below are arrays.
    ra, dec : str or array-like, default="ra", "dec"
        ICRS position in degrees.
    pmra, pmdec : str or array-like, default="pmra", "pmdec"
        Proper motion ``mu_alpha* = mu_alpha cos(dec)`` and ``mu_delta``,
        mas/yr.
    parallax : str or array-like, default="parallax"
        Parallax in mas. Non-positive or missing parallaxes give NaN
        velocities.
    distance : str or array-like, default=None
        Distance in pc (e.g. Bailer-Jones et al. 2021) used instead of
        ``1 / parallax``.
    solar_motion : tuple of 3 floats, default=(11.10, 12.24, 7.25)
        (U, V, W) of the Sun relative to the LSR, km/s.
    r0 : float, default=8.5
        Sun's Galactocentric distance, kpc.
    vc : float, default=220.0
        Circular velocity of the flat rotation curve, km/s.
    n_draws : int, default=0
        Monte Carlo draws for the uncertainties; 0 computes none.
    pmra_error, pmdec_error, parallax_error : str or array-like
        Gaia's 1-sigma errors (mas/yr, mas); read only when ``n_draws > 0``.
    random_state : int, RandomState or None, default=None
        Seed of the draws.

    Returns
    -------
    Table
        One row per star: ``l``, ``b`` (deg), ``distance`` (pc), ``v_l``,
        ``v_b`` (peculiar velocity along increasing l and b) and ``v_t``
        (their quadrature sum), km/s; NaN where the distance is unknown.
        With ``n_draws``, also ``v_l_error``, ``v_b_error``, ``v_t_error``
        (standard deviations of the draws, km/s).

    Raises
    ------
    ValueError
        Missing columns, wrong units, different lengths, bad model constants.

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars),
    section 6; Moffat, A. F. J.
    et al. 1998, A&A 331, 949; Schoenrich, R., Binney, J. & Dehnen, W. 2010,
    MNRAS 403, 1829; Kerr, F. J. & Lynden-Bell, D. 1986, MNRAS 221, 1023.

    Examples
    --------
    A star at l = 90 deg, b = 0, 1 kpc with no proper motion: its peculiar
    motion is minus the model's, (14.6, 7.25) km/s.

    >>> from astropy.coordinates import SkyCoord
    >>> from sklearn_stellar.followup import peculiar_tangential_velocity
    >>> c = SkyCoord(l=90, b=0, unit="deg", frame="galactic").icrs
    >>> out = peculiar_tangential_velocity(
    ...     ra=[c.ra.deg], dec=[c.dec.deg], pmra=[0.0], pmdec=[0.0], parallax=[1.0])
    >>> [round(float(out[k][0]), 2) for k in ("v_l", "v_b", "v_t")]
    [14.61, 7.25, 16.31]
    """
    constants = (_check_model(solar_motion, r0, vc), r0, vc)
    check_n_draws(n_draws)
    given = {"ra": ra, "dec": dec, "pmra": pmra, "pmdec": pmdec}
    cols = {
        k: get_column(data, v, name=k, unit=_GAIA_COLUMNS[k][1])
        for k, v in given.items()
    }
    _check_dec(cols["dec"])
    d_pc = _distance_pc(data, parallax, distance)
    check_same_length(**cols, **{_distance_name(distance): d_pc})
    l_rad, b_rad, v_l, v_b = _tangential(**cols, d_pc=d_pc, constants=constants)
    out = Table()
    out["l"] = np.degrees(l_rad) * u.deg
    out["b"] = np.degrees(b_rad) * u.deg
    out["distance"] = d_pc * u.pc
    out["v_l"] = v_l * u.km / u.s
    out["v_b"] = v_b * u.km / u.s
    out["v_t"] = np.hypot(v_l, v_b) * u.km / u.s
    if n_draws:
        given = {"pmra": pmra_error, "pmdec": pmdec_error}
        if distance is None:
            given["parallax"] = parallax_error
            cols["parallax"] = get_column(data, parallax, name="parallax", unit=u.mas)
        errors = get_error_columns(data, given, n_draws)
        check_same_length(**errors, stars=d_pc)
        draws = _draw(cols, d_pc, errors, n_draws, random_state, constants)
        for name, values in zip(("v_l", "v_b", "v_t"), draws, strict=True):
            out[f"{name}_error"] = values * u.km / u.s
    return out


def _draw(cols, d_pc, errors, n_draws, random_state, constants):
    """Standard deviations of v_l, v_b, v_t over Gaussian draws of the
    astrometry (shape (n_draws, n_stars), flattened for one astropy call)."""
    for name, values in errors.items():
        if np.any(values < 0):
            raise ValueError(f"`{name}_error` must be >= 0, got negative values.")
    rng = check_random_state(random_state)
    shape = (n_draws, len(d_pc))
    drawn = {
        k: cols[k] + errors[k] * rng.standard_normal(shape) for k in ("pmra", "pmdec")
    }
    if "parallax" in errors:
        plx = cols["parallax"] + errors["parallax"] * rng.standard_normal(shape)
        with np.errstate(divide="ignore", invalid="ignore"):
            dist = np.where(plx > 0, 1000.0 / plx, np.nan)
    else:
        dist = np.broadcast_to(d_pc, shape)
    _, _, v_l, v_b = _tangential(
        np.broadcast_to(cols["ra"], shape).ravel(),
        np.broadcast_to(cols["dec"], shape).ravel(),
        drawn["pmra"].ravel(),
        drawn["pmdec"].ravel(),
        dist.ravel(),
        constants,
    )
    v_l, v_b = v_l.reshape(shape), v_b.reshape(shape)
    with np.errstate(invalid="ignore"), warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN: no distance
        return tuple(
            np.where(np.isfinite(d_pc), np.nanstd(v, axis=0, ddof=1), np.nan)
            for v in (v_l, v_b, np.hypot(v_l, v_b))
        )


def _check_model(solar_motion, r0, vc):
    motion = np.asarray(solar_motion, dtype=np.float64)
    if motion.shape != (3,) or not np.all(np.isfinite(motion)):
        raise ValueError(
            f"`solar_motion` must be 3 finite numbers (U, V, W) in km/s, got "
            f"{solar_motion!r}."
        )
    for name, value, unit in (("r0", r0, "kpc"), ("vc", vc, "km/s")):
        if not (isinstance(value, Real) and np.isfinite(value) and value > 0):
            raise ValueError(
                f"`{name}` must be a positive number ({unit}), got {value!r}."
            )
    return motion


def height_above_plane(
    data=None,
    *,
    ra="ra",
    dec="dec",
    parallax="parallax",
    distance=None,
    z_sun: float = Z_SUN,
) -> np.ndarray:
    """Height above the Galactic plane ``z = r sin b + z_sun`` in pc.

    Parameters
    ----------
    data : Table, mapping or DataFrame, default=None
        Gaia columns; None when the inputs below are arrays.
    ra, dec : str or array-like, default="ra", "dec"
        ICRS position, degrees.
    parallax : str or array-like, default="parallax"
        Parallax in mas; ``r = 1 / parallax`` (NaN for a non-positive parallax).
    distance : str or array-like, default=None
        Distance in pc used instead of the parallax.
    z_sun : float, default=20.5
        Sun's height above the plane in pc (Humphreys & Larsen 1995).

    Returns
    -------
    ndarray of shape (n_stars,)
        Height above the Galactic plane in pc.

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars), section 6, Table 9.

    Examples
    --------
    >>> from astropy.coordinates import SkyCoord
    >>> from sklearn_stellar.followup import height_above_plane
    >>> c = SkyCoord(l=30, b=30, unit="deg", frame="galactic").icrs
    >>> height_above_plane(ra=[c.ra.deg], dec=[c.dec.deg], parallax=[2.0]).round(1)
    array([270.5])
    """
    if not (isinstance(z_sun, Real) and np.isfinite(z_sun)):
        raise ValueError(f"`z_sun` must be a finite number (pc), got {z_sun!r}.")
    ra_deg = get_column(data, ra, name="ra", unit=u.deg)
    dec_deg = _check_dec(get_column(data, dec, name="dec", unit=u.deg))
    d_pc = _distance_pc(data, parallax, distance)
    check_same_length(ra=ra_deg, dec=dec_deg, **{_distance_name(distance): d_pc})
    b = SkyCoord(ra=ra_deg * u.deg, dec=dec_deg * u.deg, frame="icrs").galactic.b
    return d_pc * np.sin(b.to_value(u.rad)) + z_sun


def astrometry_ok(data=None, *, ruwe="ruwe", max_ruwe: float = MAX_RUWE) -> np.ndarray:
    """True where Gaia's RUWE is at most ``max_ruwe`` (Wang et al. 2022: 1.4).

    A missing (NaN) RUWE fails.

    Parameters
    ----------
    data : Table, mapping or DataFrame, default=None
        Gaia columns; None when ``ruwe`` is an array.
    ruwe : str or array-like, default="ruwe"
        RUWE column name or values.
    max_ruwe : float, default=1.4
        Largest RUWE kept.

    Returns
    -------
    ndarray of bool of shape (n_stars,)
        True where the astrometric solution is kept.

    Examples
    --------
    >>> from sklearn_stellar.followup import astrometry_ok
    >>> astrometry_ok(ruwe=[0.9, 1.4, 1.41, float("nan")]).tolist()
    [True, True, False, False]
    """
    if not (isinstance(max_ruwe, Real) and np.isfinite(max_ruwe) and max_ruwe > 0):
        raise ValueError(f"`max_ruwe` must be a positive number, got {max_ruwe!r}.")
    values = get_column(data, ruwe, name="ruwe", unit="")
    with np.errstate(invalid="ignore"):
        return values <= max_ruwe


def find_runaways(
    data=None,
    *,
    ra="ra",
    dec="dec",
    pmra="pmra",
    pmdec="pmdec",
    parallax="parallax",
    ruwe="ruwe",
    distance=None,
    max_ruwe: float = MAX_RUWE,
    fraction: float = 0.01,
    bin_width: float = 1.0,
    threshold=None,
    z_sun: float = Z_SUN,
    n_draws: int = 0,
    pmra_error="pmra_error",
    pmdec_error="pmdec_error",
    parallax_error="parallax_error",
    random_state=None,
) -> Table:
    """Wang et al.'s (2022) runaway search: RUWE cut, velocities, Maxwellian, threshold.

    Stars with RUWE above ``max_ruwe`` or without a usable distance are kept
    in the output with their ``status`` and are not used in the fit nor
    flagged. The Maxwellian is fitted to the remaining peculiar tangential
    velocities (:func:`fit_maxwellian`, histogram method) unless
    ``threshold`` is given, and ``runaway`` marks ``v_t > threshold``.

    Parameters
    ----------
    data : Table, mapping or DataFrame, default=None
        Gaia columns; None when the inputs are arrays.
    ra, dec : str or array-like, default="ra", "dec"
        ICRS position in degrees, as in :func:`peculiar_tangential_velocity`.
    pmra, pmdec : str or array-like, default="pmra", "pmdec"
        Proper motion in mas/yr, as in :func:`peculiar_tangential_velocity`.
    parallax : str or array-like, default="parallax"
        Parallax in mas.
    ruwe : str or array-like, default="ruwe"
        Gaia's renormalised unit weight error, column name or values.
    distance : str or array-like, default=None
        Distance in pc used instead of ``1 / parallax``.
    max_ruwe : float, default=1.4
        Largest RUWE kept (:func:`astrometry_ok`).
    fraction : float, default=0.01
        Runaway limit where the fit falls to this fraction of its peak.
    bin_width : float, default=1.0
        Histogram bin (km/s) of the fit.
    threshold : float, default=None
        A fixed runaway limit in km/s (e.g. the paper's 24) instead of a fit.
    z_sun : float, default=20.5
        Sun's height above the plane in pc, for the ``z`` column.
    n_draws : int, default=0
        Monte Carlo draws for the uncertainties, as in
        :func:`peculiar_tangential_velocity`; 0 computes none.
    pmra_error, pmdec_error : str or array-like, default="pmra_error", "pmdec_error"
        Gaia's 1-sigma proper-motion errors (mas/yr); read only when
        ``n_draws > 0``.
    parallax_error : str or array-like, default="parallax_error"
        Gaia's 1-sigma parallax error (mas); read only when ``n_draws > 0``.
    random_state : int, RandomState or None, default=None
        Seed of the draws.

    Returns
    -------
    Table
        The columns of :func:`peculiar_tangential_velocity` plus ``z`` (pc),
        ``ruwe``, ``status`` (``"ok"``, ``"ruwe > max_ruwe"``, ``"no
        distance"``) and ``runaway`` (bool). ``meta`` holds ``a``, ``b``,
        ``a_err``, ``b_err`` (None with a fixed ``threshold``),
        ``threshold`` and ``n_used``.

    Raises
    ------
    ValueError
        As the functions it calls; fewer than 3 usable stars for a fit.

    References
    ----------
    Wang, L., Li, J., Wu, Y., et al. 2022 (LAMOST MRS Be stars), section 6.

    Examples
    --------
    >>> from sklearn_stellar.followup import find_runaways
    >>> out = find_runaways(ra=[10.0, 50.0, 90.0], dec=[60.0, 40.0, 20.0],
    ...                     pmra=[-2.0, 30.0, 1.0], pmdec=[-0.5, 5.0, -3.0],
    ...                     parallax=[0.5, 0.4, -0.1], ruwe=[1.0, 1.1, 1.0],
    ...                     threshold=24.0)
    >>> out["status"].tolist(), out["runaway"].tolist()
    (['ok', 'ok', 'no distance'], [False, True, False])
    """
    velocity = peculiar_tangential_velocity(
        data,
        ra=ra,
        dec=dec,
        pmra=pmra,
        pmdec=pmdec,
        parallax=parallax,
        distance=distance,
        n_draws=n_draws,
        pmra_error=pmra_error,
        pmdec_error=pmdec_error,
        parallax_error=parallax_error,
        random_state=random_state,
    )
    good = astrometry_ok(data, ruwe=ruwe, max_ruwe=max_ruwe)
    check_same_length(velocity=velocity, ruwe=good)
    v_t = np.asarray(velocity["v_t"], dtype=np.float64)
    has_v = np.isfinite(v_t)
    status = np.where(has_v, "ok", "no distance")
    status = np.where(good, status, f"ruwe > {max_ruwe:g}")
    used = good & has_v
    velocity["z"] = (
        np.asarray(velocity["distance"]) * np.sin(np.radians(velocity["b"])) + z_sun
    ) * u.pc
    velocity["ruwe"] = get_column(data, ruwe, name="ruwe", unit="")
    velocity["status"] = status
    meta = {"a": None, "b": None, "a_err": None, "b_err": None}
    if threshold is None:
        if used.sum() < 3:
            raise ValueError(
                "`threshold`=None fits a Maxwellian to the speeds of the usable "
                f"stars (RUWE <= {max_ruwe:g} and a distance), which needs at "
                f"least 3; {int(used.sum())} of {len(v_t)} are usable: pass a "
                "fixed `threshold` in km/s (e.g. the paper's 24) instead."
            )
        fit = fit_maxwellian(v_t[used], bin_width=bin_width)
        meta = {k: fit[k] for k in meta}
        threshold = runaway_threshold(fit.b, fraction=fraction)
    elif not (isinstance(threshold, Real) and np.isfinite(threshold) and threshold > 0):
        raise ValueError(
            f"`threshold` must be a positive number (km/s), got {threshold!r}."
        )
    velocity["runaway"] = used & (np.where(used, v_t, 0.0) > threshold)
    velocity.meta.update(meta, threshold=float(threshold), n_used=int(used.sum()))
    logger.info(
        "find_runaways: %d of %d stars used, %d runaways beyond %.1f km/s",
        int(used.sum()),
        len(v_t),
        int(velocity["runaway"].sum()),
        threshold,
    )
    return velocity
