"""How well can ANY spectrum-only classifier separate the MILES-built binaries?

    nice -n 10 python benchmarks/bench_binary_limits.py [--n-binaries 3000]

A direct, noise-calibrated measurement of the information in the spectra that
``make_binary_spectra`` builds, with the builder's own recipe (same library
stars, main-sequence relation, luminosity weighting, orbits, LSF, vacuum
resampling, photon-like noise) and the seed's label definition (single
3800 < Teff < 6500 K, log g > 4 vs binary with q = 0.71-0.93):

- objects: every eligible single MILES dwarf once, and ``--n-binaries``
  composites drawn like the builder (host uniform, q uniform in
  0.71-0.93, secondary = best q/[Fe/H] match among *all* library dwarfs,
  circular orbits with the Raghavan et al. period distribution). Each object
  is rendered noise-free in the rest frame of its primary (the velocity of
  the primary is revealed; the secondary keeps its orbital offset), then
  continuum normalised with ``ContinuumNormalizer`` (Gaussian, sigma 350 A, as
  in the workflow).
- distance of an object to a single-star template, in units of the noise:
  D^2 = sum_i (x_i - t_i)^2 / sigma_i^2 with the builder's noise
  sigma_i = sqrt(f_i) / SNR propagated through the normalisation
  (sigma_i = sqrt(f_i) / SNR / continuum_i); D scales as SNR.
- library ("what a classifier can know about single stars"):
  * ``seen``: every eligible single dwarf, the object's own components
    included: a classifier that has memorised every star (upper end);
  * ``LOO``: every eligible single except the object's own components
    (star-disjoint, the largest possible library: ~200 stars);
  * ``5-fold``: the eligible singles of the other 4 of 5 star folds
    (star-disjoint, 80 % of the stars, as the workflow's training split).
- scores: the nearest-template chi^2 of the *noisy* object (fresh noise,
  ``--n-noise`` draws per object) against the library; ROC AUC of that
  score, binaries vs singles, at fixed S/N and at the builder's log-uniform
  S/N 20-100. 95 % confidence intervals from a bootstrap over stars (singles
  resampled by star, binaries by primary star).
- pairwise confusion (no classifier assumed): for two noise-free spectra a
  Mahalanobis distance D apart under equal Gaussian noise, the best ROC AUC
  of any test between them is Phi(D / sqrt 2). For each binary, its nearest
  *other* single gives a hard ceiling on telling the two apart.

Prints Markdown for benchmarks/results_binary.md.
"""

from __future__ import annotations

import argparse
import os
import time
from datetime import datetime, timezone

import numpy as np
from scipy.special import ndtr
from sklearn.metrics import roc_auc_score

from sklearn_stellar.datasets import get_data_home
from sklearn_stellar.datasets._binaries import (
    LAMOST_R,
    _band_fraction,
    _load_dwarfs,
    main_sequence_relation,
)
from sklearn_stellar.datasets._binary_steps import _lsf_matrix, _orbits, _shift
from sklearn_stellar.preprocessing import (
    ContinuumNormalizer,
    air_to_vacuum,
    log_linear_grid,
    resample,
)

Q_RANGE = (0.71, 0.93)
LO, HI = 3700.0, 7400.0


class Library:
    """The builder's ingredients, to render any single or composite at will."""

    def __init__(self):
        ids, teff, logg, feh, flux, wave_air = _load_dwarfs(str(get_data_home()))
        self.ids, self.teff, self.logg, self.feh = ids, teff, logg, feh
        self.wave_air = wave_air
        self.wave_vac = air_to_vacuum(wave_air)
        self.grid = log_linear_grid(LO, HI, 1e-4)
        in_band = (self.wave_vac >= LO) & (self.wave_vac <= HI)
        self.mass, lum = main_sequence_relation(teff)
        self.band = lum * _band_fraction(teff, LO, HI)
        self.unit = flux / flux[:, in_band].mean(axis=1, keepdims=True)
        self.lsf = _lsf_matrix(wave_air, LAMOST_R)
        self.is_primary = (teff > 3800.0) & (teff < 6500.0)
        q = self.mass[None, :] / self.mass[:, None]
        self.valid_pair = (
            self.is_primary[:, None]
            & (q >= Q_RANGE[0])
            & (q <= Q_RANGE[1])
            & ~np.eye(len(ids), dtype=bool)
        )

    def render(self, prim, sec, dv):
        """Noise-free median-normalised spectra, primary at rest (as the builder)."""
        out = np.empty((len(prim), len(self.grid)))
        for start in range(0, len(prim), 256):  # chunks bound memory
            sl = slice(start, start + 256)
            p, s = prim[sl], sec[sl]
            spec = self.band[p][:, None] * self.unit[p]
            b = s >= 0
            if b.any():
                spec[b] += self.band[s[b]][:, None] * _shift(
                    self.unit[s[b]], self.wave_air, dv[sl][b]
                )
            spec = (self.lsf @ spec.T).T
            spec = resample(spec, self.wave_vac, self.grid, method="flux_conserving")
            out[sl] = spec / np.median(spec, axis=1, keepdims=True)
        return out

    def draw_binaries(self, n, rng):
        """Primary, secondary and secondary-minus-primary velocity (km/s)."""
        hosts = np.flatnonzero(self.valid_pair.any(axis=1))
        prim = rng.choice(hosts, size=n)
        q_target = rng.uniform(*Q_RANGE, size=n)
        q = self.mass[None, :] / self.mass[prim][:, None]
        cost = (
            np.abs(q - q_target[:, None]) / 0.02
            + np.abs(self.feh[None, :] - self.feh[prim][:, None]) / 0.3
        )
        cost[~self.valid_pair[prim]] = np.inf
        sec = np.argmin(cost, axis=1)
        _, rv1, rv2 = _orbits(self.mass[prim], self.mass[sec], rng)
        return prim, sec, rv2 - rv1


def _chi2(y, w, T):
    """sum_i w_oi (y_oi - T_ti)^2 for every object o and template t."""
    return (
        np.einsum("oi,oi->o", w * y, y)[:, None] - 2.0 * (w * y) @ T.T + w @ (T * T).T
    )


def _weighted_auc(y, score, weight):
    keep = weight > 0
    return roc_auc_score(y[keep], score[keep], sample_weight=weight[keep])


def _boot_ci(y, score, star, rng, n_boot):
    """AUC and its 95 % bootstrap interval, resampling stars."""
    stars = np.unique(star)
    pos = np.searchsorted(stars, star)
    aucs = np.empty(n_boot)
    for k in range(n_boot):  # each replicate is one vectorised AUC
        counts = np.bincount(
            rng.integers(0, len(stars), len(stars)), minlength=len(stars)
        )
        weight = counts[pos].astype(float)
        if weight[y == 1].sum() == 0 or weight[y == 0].sum() == 0:
            aucs[k] = np.nan
            continue
        aucs[k] = _weighted_auc(y, score, weight)
    lo, hi = np.nanpercentile(aucs, [2.5, 97.5])
    return roc_auc_score(y, score), lo, hi


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-binaries", type=int, default=3000)
    parser.add_argument("--n-noise", type=int, default=4)
    parser.add_argument("--n-boot", type=int, default=500)
    parser.add_argument("--snr", type=float, nargs="+", default=[20, 50, 100, 1000])
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    rng = np.random.default_rng(args.seed)
    lib = Library()
    n_lib = len(lib.ids)
    singles = np.flatnonzero(lib.is_primary)
    bp, bs, bdv = lib.draw_binaries(args.n_binaries, rng)
    prim = np.r_[singles, bp]
    sec = np.r_[np.full(len(singles), -1), bs]
    dv = np.r_[np.zeros(len(singles)), bdv]
    y = (sec >= 0).astype(int)

    norm = ContinuumNormalizer(wavelength=lib.grid, sigma=350.0)
    raw = lib.render(prim, sec, dv)
    X = norm.fit_transform(raw).astype(np.float64)
    cont = raw / X
    # Noise variance per pixel at S/N 1 after normalisation: f / continuum^2.
    w1 = cont**2 / raw
    T = X[: len(singles)]  # single templates (object i < len(singles) is star i)
    tmpl_star = singles

    fold_of = rng.permutation(n_lib) % 5
    sec_star = np.where(sec >= 0, sec, prim)
    excl = {
        "seen": np.zeros((len(prim), len(singles)), dtype=bool),
        "LOO": (tmpl_star[None, :] == prim[:, None])
        | (tmpl_star[None, :] == sec_star[:, None]),
        "5-fold": (fold_of[tmpl_star][None, :] == fold_of[prim][:, None])
        | (fold_of[tmpl_star][None, :] == fold_of[sec_star][:, None]),
    }
    d2 = _chi2(X, w1, T)  # noise-free, in noise units at S/N 1
    d2 = np.clip(d2, 0.0, None)
    own = lib.render(bp, np.full(len(bp), -1), np.zeros(len(bp)))
    own = norm.transform(own).astype(np.float64)
    d2_own = np.einsum("oi,oi->o", w1[y == 1], (X[y == 1] - own) ** 2)

    out = []
    w = out.append
    w(
        f"Date (UTC): {datetime.now(timezone.utc):%Y-%m-%d %H:%M}; load average "
        f"{os.getloadavg()[0]:.1f}"
    )
    w("")
    w(
        f"Command: `nice -n 10 python benchmarks/bench_binary_limits.py "
        f"--n-binaries {args.n_binaries} --n-noise {args.n_noise} "
        f"--n-boot {args.n_boot} --snr {' '.join(f'{s:g}' for s in args.snr)} "
        f"--seed {args.seed}`"
    )
    w("")
    w(
        f"Objects: {len(singles)} single MILES dwarfs (every eligible star once), "
        f"{args.n_binaries} composites ({len(np.unique(bp))} distinct primaries, "
        f"{len(set(zip(bp.tolist(), bs.tolist(), strict=True)))} distinct pairs); "
        f"{X.shape[1]} pixels; library of {n_lib} dwarfs."
    )
    w("")
    w(
        "Noise-free distances in units of the noise at S/N 50 (median [16th, 84th]"
        " percentile); D scales linearly with S/N:"
    )
    w("")
    w("| distance | median D at S/N 50 | [p16, p84] |")
    w("|---|---|---|")

    def row(label, d):
        d = np.sqrt(d) * 50.0
        p16, p50, p84 = np.percentile(d, [16, 50, 84])
        w(f"| {label} | {p50:.1f} | [{p16:.1f}, {p84:.1f}] |")

    row("binary vs its own primary alone (the composite signal)", d2_own)
    for name in ("LOO", "5-fold"):
        dn = np.where(excl[name], np.inf, d2).min(axis=1)
        row(f"single vs nearest *other* single ({name} library)", dn[y == 0])
        row(f"binary vs nearest single, components excluded ({name})", dn[y == 1])
    dn_seen = d2.min(axis=1)
    row("binary vs nearest single, components included (seen)", dn_seen[y == 1])
    w("")
    # How far a composite is from its own primary, by the Teff gap of its
    # components: near-twins carry a small composite signal.
    w("Composite signal by Teff1 - Teff2 (median D at S/N 50 [p16, p84]; the")
    w("median single lies 34-36 units from its nearest other single):")
    w("")
    w("| Teff1 - Teff2 (K) | binaries | vs own primary | vs nearest single (LOO) |")
    w("|---|---|---|---|")
    gap = lib.teff[bp] - lib.teff[bs]
    dn_loo_all = np.where(excl["LOO"], np.inf, d2).min(axis=1)[y == 1]
    for lo, hi in ((0, 400), (400, 700), (700, 1000), (1000, 9999)):
        m = (gap >= lo) & (gap < hi)
        own_d = np.percentile(np.sqrt(d2_own[m]) * 50.0, [16, 50, 84])
        loo_d = np.percentile(np.sqrt(dn_loo_all[m]) * 50.0, [16, 50, 84])
        w(
            f"| {lo}-{hi} | {int(m.sum())} | {own_d[1]:.1f} [{own_d[0]:.1f}, "
            f"{own_d[2]:.1f}] | {loo_d[1]:.1f} [{loo_d[0]:.1f}, {loo_d[2]:.1f}] |"
        )
    w("")

    # Noise-free AUC of the nearest-template distance (S/N -> infinity).
    star = prim
    w(
        "ROC AUC of the nearest-template chi^2 (binaries vs singles), 95 % CI from "
        f"{args.n_boot} bootstrap resamples of stars:"
    )
    w("")
    header = (
        "| library | "
        + " | ".join(
            [f"S/N {s:g}" for s in args.snr] + ["S/N 20-100 (builder)", "noise-free"]
        )
        + " |"
    )
    w(header)
    w("|---" * (len(args.snr) + 3) + "|")
    boot_rng = np.random.default_rng(args.seed + 1)
    snr_draw = np.exp(
        rng.uniform(np.log(20.0), np.log(100.0), size=(args.n_noise, len(prim)))
    )
    names = ("seen", "LOO", "5-fold")
    scores = {(name, s): [] for name in names for s in [*args.snr, None]}
    for snr_spec in [*args.snr, None]:
        for k in range(args.n_noise):
            snr = snr_draw[k] if snr_spec is None else np.full(len(prim), snr_spec)
            noise = rng.standard_normal(raw.shape)
            noisy = raw + np.sqrt(raw) / snr[:, None] * noise
            Xn = norm.transform(noisy).astype(np.float64)
            chi = _chi2(Xn, w1 * snr[:, None] ** 2, T)
            for name in names:
                # Minus the expected chi^2 of a perfect fit: comparable across S/N.
                best = np.where(excl[name], np.inf, chi).min(axis=1) - X.shape[1]
                scores[(name, snr_spec)].append(best)
    results = {}
    ys = np.tile(y, args.n_noise)
    stars = np.tile(star, args.n_noise)
    for name in names:
        cells = []
        for snr_spec in [*args.snr, None]:
            auc, lo, hi = _boot_ci(
                ys,
                np.concatenate(scores[(name, snr_spec)]),
                stars,
                boot_rng,
                args.n_boot,
            )
            results[(name, snr_spec)] = (auc, lo, hi)
            cells.append(f"{auc:.3f} [{lo:.2f}, {hi:.2f}]")
        if name == "seen":
            cells.append("1 (own template)")
        else:
            dn = np.where(excl[name], np.inf, d2).min(axis=1)
            auc, lo, hi = _boot_ci(y, dn, star, boot_rng, args.n_boot)
            results[(name, "noise-free")] = (auc, lo, hi)
            cells.append(f"{auc:.3f} [{lo:.2f}, {hi:.2f}]")
        w(f"| {name} | " + " | ".join(cells) + " |")
    w("")
    w(
        "Pairwise ceiling (any test, even with both spectra known exactly): "
        "for each binary and its nearest other single (LOO), Phi(D/sqrt 2); "
        "mean over binaries, and the fraction of binaries for which it is below "
        "0.95:"
    )
    w("")
    w("| S/N | mean Phi(D/sqrt 2) | fraction < 0.95 |")
    w("|---|---|---|")
    dn_loo = np.where(excl["LOO"], np.inf, d2).min(axis=1)[y == 1]
    for snr in args.snr:
        ceil = ndtr(np.sqrt(dn_loo) * snr / np.sqrt(2.0))
        w(f"| {snr:g} | {ceil.mean():.3f} | {np.mean(ceil < 0.95):.3f} |")
    w("")
    w(f"Wall time {time.perf_counter() - t0:.0f} s.")
    print("\n".join(out))
    return results


if __name__ == "__main__":
    main()
