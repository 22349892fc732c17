"""Single and composite-binary spectra built from the MaStar templates.

The same recipe as :func:`~sklearn_stellar.datasets.make_binary_spectra` on
MILES (main-sequence relation, blackbody band luminosities, Raghavan orbits,
photon-like noise), applied to the 65 MaStar cluster templates of another
instrument (SDSS BOSS, R ~ 1800, vacuum, log-linear): a test set for a model
trained on MILES composites. Selected with ``library="mastar"``.
"""

from __future__ import annotations

import functools

import numpy as np
from sklearn.utils import Bunch

from ..preprocessing import log_linear_grid, resample
from ..utils import C_KMS
from ._binaries import _band_fraction, main_sequence_relation
from ._binary_steps import _assign_splits, _orbits
from ._mastar import MASTAR_LOG_STEP, mastar_parameters


@functools.lru_cache(maxsize=2)
def _load_mastar_dwarfs(data_home: str):
    """MaStar templates matched to MILES dwarfs (log g >= 4, 2700-6500 K)."""
    p = mastar_parameters(data_home)
    keep = p["good"] & (p["logg"] >= 4.0) & (p["teff"] > 2700.0) & (p["teff"] < 6500.0)
    return (
        p["clusters"][keep],
        p["teff"][keep],
        p["logg"][keep],
        p["feh"][keep],
        p["flux"][keep],
        p["wavelength"],
    )


def _shift_log(flux, velocity):
    """Doppler-shift rows on a log-linear grid by ``velocity`` km/s.

    On a grid uniform in log10(lambda) a shift is a constant offset of
    log10(1 + v/c) / step pixels; linear interpolation, edge values held.
    """
    offset = np.log10(1.0 + np.asarray(velocity)[:, None] / C_KMS) / MASTAR_LOG_STEP
    pos = np.arange(flux.shape[1])[None, :] - offset
    pos = np.clip(pos, 0.0, flux.shape[1] - 1.000001)
    i0 = pos.astype(np.int64)
    frac = pos - i0
    rows = np.arange(flux.shape[0])[:, None]
    return flux[rows, i0] * (1.0 - frac) + flux[rows, i0 + 1] * frac


def _make_mastar_spectra(
    n_samples,
    binary_fraction,
    q_range,
    snr_range,
    fractions,
    wavelength_range,
    rng,
    home,
):
    """The MaStar twin of ``make_binary_spectra``'s MILES body (validated args).

    Returns a Bunch like ``make_binary_spectra`` (``groups`` and ``primary``
    are MaStar cluster numbers).
    """
    from astropy.table import Table

    (q_lo, q_hi), (snr_lo, snr_hi), (lo, hi) = q_range, snr_range, wavelength_range
    ids, teff, logg, feh, flux, wave = _load_mastar_dwarfs(str(home))
    if lo < wave[0] or hi > wave[-1]:
        raise ValueError(
            f"`wavelength_range` must lie within MaStar's vacuum coverage "
            f"{wave[0]:.1f}-{wave[-1]:.1f} A, got {wavelength_range!r}."
        )
    grid = log_linear_grid(lo, hi, 1e-4)
    in_band = (wave >= lo) & (wave <= hi)
    flux = np.where(flux > 0, flux, np.nan)
    mass, lum = main_sequence_relation(teff)
    band = lum * _band_fraction(teff, lo, hi)
    unit = flux / np.nanmean(flux[:, in_band], axis=1, keepdims=True)
    star_split = _assign_splits(len(ids), fractions, rng)
    is_primary = (teff > 3800.0) & (teff < 6500.0)
    q_matrix = mass[None, :] / mass[:, None]
    n_split = np.round(fractions * n_samples).astype(int)
    n_split[np.argmax(fractions)] += n_samples - n_split.sum()
    prim, sec, split = [], [], []
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
                f"MaStar split {name!r} has no usable template (only {len(ids)} "
                f"dwarf templates; fractions {tuple(fractions)!r})."
            )
        p_b = rng.choice(hosts, size=n_bin) if n_bin else np.empty(0, int)
        q_target = rng.uniform(q_lo, q_hi, size=n_bin)
        cost = (
            np.abs(q_matrix[p_b] - q_target[:, None]) / 0.02
            + np.abs(feh[None, :] - feh[p_b][:, None]) / 0.3
        )
        cost[~valid_pair[p_b]] = np.inf
        prim.append(np.r_[rng.choice(singles, size=n_s - n_bin), p_b])
        sec.append(
            np.r_[np.full(n_s - n_bin, -1), np.argmin(cost, axis=1) if n_bin else []]
        )
        split.append(np.full(n_s, name))
    prim, split = np.concatenate(prim), np.concatenate(split)
    sec = np.concatenate(sec).astype(int)
    binary = sec >= 0
    n, sec0 = len(prim), np.maximum(sec, 0)
    m1 = mass[prim]
    m2 = np.where(binary, mass[sec0], np.nan)
    period, rv1, rv2 = np.full(n, np.nan), np.zeros(n), np.full(n, np.nan)
    period[binary], rv1[binary], rv2[binary] = _orbits(m1[binary], m2[binary], rng)
    rv_sys = rng.normal(0.0, 30.0, size=n)
    snr = np.exp(rng.uniform(np.log(snr_lo), np.log(snr_hi), size=n))
    X = np.empty((n, len(grid)), dtype=np.float32)
    for start in range(0, n, 256):  # chunks bound memory
        sl = np.arange(start, min(start + 256, n))
        b = binary[sl]
        spec = band[prim[sl], None] * _shift_log(unit[prim[sl]], rv_sys[sl] + rv1[sl])
        spec[b] += band[sec0[sl][b], None] * _shift_log(
            unit[sec0[sl][b]], rv_sys[sl][b] + rv2[sl][b]
        )
        spec = resample(spec, wave, grid, method="flux_conserving")
        spec = np.where(
            np.isfinite(spec), spec, np.nanmedian(spec, axis=1, keepdims=True)
        )
        spec /= np.median(spec, axis=1, keepdims=True)
        sigma = np.sqrt(np.clip(spec, 0.0, None)) / snr[sl][:, None]
        X[sl] = spec + sigma * rng.standard_normal(spec.shape)
    meta = Table(
        {
            "split": split,
            "primary": ids[prim],
            "secondary": np.where(binary, ids[sec0], -1),
            "teff1": teff[prim],
            "logg1": logg[prim],
            "feh1": feh[prim],
            "teff2": np.where(binary, teff[sec0], np.nan),
            "mass1": m1,
            "q": m2 / m1,
            "light_ratio": np.where(binary, band[sec0] / band[prim], np.nan),
            "period_days": period,
            "rv1": rv1,
            "rv2": rv2,
            "rv_sys": rv_sys,
            "snr": snr,
        }
    )
    return Bunch(
        data=X,
        target=binary.astype(np.int64),
        target_names=np.array(["single", "binary"]),
        wavelength=grid,
        split=split,
        groups=ids[prim],
        metadata=meta,
        DESCR=(
            "Single and binary spectra from the MaStar cluster templates "
            f"({len(ids)} dwarf templates with Teff/log g matched to MILES; "
            "native R ~ 1800, vacuum). Rows: "
            f"{n} ({int(binary.sum())} binary, {int((~binary).sum())} single)."
        ),
    )
