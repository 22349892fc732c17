"""The steps of make_binary_spectra: pairs, orbits, diversification, rendering."""

from __future__ import annotations

import numpy as np
from astropy.table import Table
from scipy import sparse
from sklearn.utils import Bunch

from ..preprocessing import ContinuumNormalizer, resample
from ..utils import C_KMS
from ._miles import MILES_FWHM, MILES_STEP

#: Spectra rendered per vectorised step (n x 4300 float64 per intermediate).
_CHUNK = 256


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


def _spread(values, mix):
    """Range of ``values`` over the library stars with weight > 0 in each mix."""
    v = values[mix[0]]
    used = mix[1] > 0
    return np.where(used, v, -np.inf).max(axis=1) - np.where(used, v, np.inf).min(
        axis=1
    )


def _draw_split(lib, name, n_s, in_split, q_matrix, args, binary_fraction, rng):
    """Primaries of singles and binaries of one split, and the secondaries."""
    valid_pair = (
        in_split[:, None]
        & in_split[None, :]
        & lib.is_primary[:, None]
        & (q_matrix >= args.q_lo)
        & (q_matrix <= args.q_hi)
        & ~np.eye(len(lib.ids), dtype=bool)
    )
    hosts = np.flatnonzero(valid_pair.any(axis=1))
    singles = np.flatnonzero(in_split & lib.is_primary)
    n_bin = int(round(n_s * binary_fraction))
    if len(singles) == 0 or (n_bin > 0 and len(hosts) == 0):
        raise ValueError(
            f"split {name!r} has no usable library star (fractions "
            f"{args.split_fractions!r}); use larger split fractions."
        )
    prim_s = rng.choice(singles, size=n_s - n_bin)
    prim_b = rng.choice(hosts, size=n_bin) if n_bin else np.empty(0, int)
    q_target = rng.uniform(args.q_lo, args.q_hi, size=n_bin)
    # Secondary: best match of q (in units of 0.02) and [Fe/H] (0.3 dex).
    cost = (
        np.abs(q_matrix[prim_b] - q_target[:, None]) / 0.02
        + np.abs(lib.feh[None, :] - lib.feh[prim_b][:, None]) / 0.3
    )
    cost[~valid_pair[prim_b]] = np.inf
    sec_b = np.argmin(cost, axis=1) if n_bin else np.empty(0, int)
    return name, prim_s, prim_b, sec_b


def _draw_systems(lib, args, n_samples, binary_fraction, rng):
    """Star splits, then each spectrum's primary and secondary (-1: single)."""
    star_split = _assign_splits(len(lib.ids), args.fractions, rng)
    q_matrix = lib.mass[None, :] / lib.mass[:, None]  # [primary, secondary]
    n_split = np.round(args.fractions * n_samples).astype(int)
    n_split[0] = n_samples - n_split[1:].sum()
    rows = []
    for name, n_s in zip(("train", "valid", "test"), n_split, strict=True):
        if n_s == 0:
            continue
        rows.append(
            _draw_split(
                lib,
                name,
                n_s,
                star_split == name,
                q_matrix,
                args,
                binary_fraction,
                rng,
            )  # fmt: skip
        )
    prim = np.concatenate([np.r_[p_s, p_b] for _, p_s, p_b, _ in rows])
    sec = np.concatenate([np.r_[np.full(len(p_s), -1), s_b] for _, p_s, _, s_b in rows])
    split = np.concatenate([np.full(len(p_s) + len(p_b), n) for n, p_s, p_b, _ in rows])
    binary = sec >= 0
    return Bunch(
        star_split=star_split, prim=prim, sec=sec, sec0=np.maximum(sec, 0),
        split=split, binary=binary, target=binary.astype(np.int64),
    )  # fmt: skip


def _draw_velocities(lib, draw, args, n_pixels, rng):
    """Orbits, systemic velocities and S/N; the generator the noise comes from.

    The noise is drawn chunk by chunk in the rendering loop from a copy of the
    generator, and the generator is advanced past it chunk by chunk too: the
    values (and every later draw) are those of one (n, n_pixels) draw, without
    holding n x n_pixels float64 numbers at once.
    """
    n, binary = len(draw.prim), draw.binary
    draw.m1 = lib.mass[draw.prim]
    draw.m2 = np.where(binary, lib.mass[draw.sec0], np.nan)
    draw.period = np.full(n, np.nan)
    draw.rv1 = np.zeros(n)
    draw.rv2 = np.full(n, np.nan)
    draw.period[binary], draw.rv1[binary], draw.rv2[binary] = _orbits(
        draw.m1[binary], draw.m2[binary], rng
    )
    draw.rv_sys = rng.normal(0.0, 30.0, size=n)
    draw.snr = np.exp(rng.uniform(np.log(args.snr_lo), np.log(args.snr_hi), size=n))
    noise_rng = np.random.RandomState()
    noise_rng.set_state(rng.get_state())
    for start in range(0, n, _CHUNK):
        rng.standard_normal((min(_CHUNK, n - start), n_pixels))
    return noise_rng


def _diversify(lib, draw, train_interpolation, args, rng):
    """Mixes (star indices, weights) and line exponents of both components.

    Without diversification every component is its one library star with
    exponent 1. Otherwise the random numbers come from a generator seeded
    after every other draw, so all other draws (and every validation and test
    row) are those of the default call.
    """
    n, binary = len(draw.prim), draw.binary
    mix = Bunch(
        mix1=(draw.prim[:, None].repeat(3, axis=1), np.eye(1, 3).repeat(n, axis=0)),
        mix2=(draw.sec0[:, None].repeat(3, axis=1), np.eye(1, 3).repeat(n, axis=0)),
        alpha1=np.ones(n),
        alpha2=np.where(binary, 1.0, np.nan),
        cont=None,
        diversify=train_interpolation > 0 or args.alpha_range is not None,
    )
    if not mix.diversify:
        return mix
    aug = np.random.default_rng(rng.randint(0, 2**31 - 1))
    in_train = draw.split == "train"
    if train_interpolation > 0:
        close = _close_stars(lib, draw.star_split, args.limits)
        for (idx, weight), anchor, has in (
            (mix.mix1, draw.prim, in_train),
            (mix.mix2, draw.sec0, in_train & binary),
        ):
            rows_ = np.flatnonzero(has)
            n_extra = np.where(
                aug.random(len(rows_)) < train_interpolation,
                aug.integers(1, 3, size=len(rows_)),
                0,
            )
            idx[rows_], weight[rows_] = _mix_partners(
                anchor[rows_], close, n_extra, aug
            )
    if args.alpha_range is not None:
        alpha_lo, alpha_hi = args.alpha_range
        mix.alpha1[in_train] = aug.uniform(alpha_lo, alpha_hi, int(in_train.sum()))
        tb = in_train & binary
        mix.alpha2[tb] = aug.uniform(alpha_lo, alpha_hi, int(tb.sum()))
        smooth = ContinuumNormalizer(wavelength=lib.wave_air, sigma=350.0)
        mix.cont = smooth.fit(lib.unit).continuum(lib.unit)
    return mix


def _close_stars(lib, star_split, limits):
    """Pairs of distinct training-split stars within ``limits`` of each other."""
    teff, logg, feh = lib.teff, lib.logg, lib.feh
    return (
        (np.abs(teff[:, None] - teff[None, :]) < limits[0])
        & (np.abs(logg[:, None] - logg[None, :]) < limits[1])
        & (np.abs(feh[:, None] - feh[None, :]) < limits[2])
        & (star_split[:, None] == "train")
        & (star_split[None, :] == "train")
        & ~np.eye(len(lib.ids), dtype=bool)
    )


def _component(lib, mix, which, rows_):
    """Unit spectra and in-band luminosities of component 1 or 2 of rows_."""
    idx, weight = mix[f"mix{which}"][0][rows_], mix[f"mix{which}"][1][rows_]
    if not mix.diversify:
        return lib.unit[idx[:, 0]], lib.band[idx[:, 0]]
    lum = (weight * lib.band[idx]).sum(axis=1)
    spec = np.einsum("rk,rkp->rp", weight, lib.unit[idx])
    a = mix[f"alpha{which}"][rows_]
    if np.any(a != 1.0):
        c = np.einsum("rk,rkp->rp", weight, mix.cont[idx])
        spec = c * (spec / c) ** a[:, None]
    return spec, lum


def _render(lib, draw, mix, resolution, noise_rng):
    """Shifted components, LSF, vacuum LAMOST grid, median 1, noise; float32."""
    n, grid, wave_air = len(draw.prim), lib.grid, lib.wave_air
    lsf = _lsf_matrix(wave_air, resolution)
    X = np.empty((n, len(grid)), dtype=np.float32)
    # Chunks bound memory (n x 4300 float64 per intermediate array).
    for start in range(0, n, _CHUNK):
        sl = np.arange(start, min(start + _CHUNK, n))
        b = draw.binary[sl]
        f1, l1 = _component(lib, mix, 1, sl)
        spec = l1[:, None] * _shift(f1, wave_air, draw.rv_sys[sl] + draw.rv1[sl])
        if b.any():
            f2, l2 = _component(lib, mix, 2, sl[b])
            rv = draw.rv_sys[sl][b] + draw.rv2[sl][b]
            spec[b] += l2[:, None] * _shift(f2, wave_air, rv)
        spec = (lsf @ spec.T).T
        spec = resample(spec, lib.wave_vac, grid, method="flux_conserving")
        spec /= np.median(spec, axis=1, keepdims=True)
        sigma = np.sqrt(np.clip(spec, 0.0, None)) / draw.snr[sl][:, None]
        X[sl] = spec + sigma * noise_rng.standard_normal((len(sl), len(grid)))
    return X


def _binary_metadata(lib, draw, mix):
    """One row per spectrum: stars, orbit, S/N and how each component was made."""
    binary, prim, sec0 = draw.binary, draw.prim, draw.sec0
    mix1, mix2 = mix.mix1, mix.mix2
    band1 = (mix1[1] * lib.band[mix1[0]]).sum(axis=1)
    band2 = (mix2[1] * lib.band[mix2[0]]).sum(axis=1)
    light_ratio = np.full(len(prim), np.nan)
    light_ratio[binary] = band2[binary] / band1[binary]
    return Table(
        {
            "split": draw.split,
            "primary": lib.ids[prim],
            "secondary": np.where(binary, lib.ids[sec0], -1),
            "teff1": lib.teff[prim],
            "logg1": lib.logg[prim],
            "feh1": lib.feh[prim],
            "teff2": np.where(binary, lib.teff[sec0], np.nan),
            "logg2": np.where(binary, lib.logg[sec0], np.nan),
            "feh2": np.where(binary, lib.feh[sec0], np.nan),
            "mass1": draw.m1,
            "q": draw.m2 / draw.m1,
            "light_ratio": light_ratio,
            "period_days": draw.period,
            "rv1": draw.rv1,
            "rv2": draw.rv2,
            "rv_sys": draw.rv_sys,
            "snr": draw.snr,
            "n_mixed1": (mix1[1] > 0).sum(axis=1),
            "n_mixed2": np.where(binary, (mix2[1] > 0).sum(axis=1), 0),
            "teff_spread1": _spread(lib.teff, mix1),
            "teff_spread2": np.where(binary, _spread(lib.teff, mix2), np.nan),
            "line_alpha1": mix.alpha1,
            "line_alpha2": mix.alpha2,
            "interpolated": ((mix1[1] > 0).sum(axis=1) > 1)
            | (binary & ((mix2[1] > 0).sum(axis=1) > 1)),
        }
    )
