"""Binary recipe across libraries: MILES -> MaStar, MaStar -> MILES, LAMOST epochs.

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_binary_cross_library.py \
        [--n-miles 20000] [--epochs 10] [--seed 0] [--augment] [--out FILE.npz]

Issue 13 items 1 and 3:

1. ``make_binary_spectra(library="miles")`` balanced, star-disjoint splits
   (train 80 % / test 20 % of the MILES dwarfs and of the rows); the documented recipe
   (``make_binary_pipeline``, fixed epochs, no early stopping) is fitted on
   the training rows.
2. Scored on the MILES test stars (in-library, star-disjoint) and on
   composites built from the MaStar templates (``library="mastar"``, another
   instrument, every template unseen): ROC AUC and precision at a 1:2 prior
   (Jing et al. (2024) eq. 4, p_b > 0.5), each with a 95 % bootstrap interval over
   primary stars (stars resampled, not spectra); AUC per q, primary Teff and
   S/N bin; the mean within-star AUC.
3. The reverse direction: the recipe trained on MaStar composites (all 23
   dwarf templates: too few for a star-disjoint MaStar split) and scored on
   the MILES test stars.
4. Classical baseline on the same test sets:
   ``sklearn_stellar.baselines.two_template_test`` with the MILES training
   stars as templates (LSF-degraded, continuum-normalised), score = BIC
   improvement of the two-template fit; "precision" at Delta BIC > 10.
5. The 110 LAMOST spectra of ``lamost/lrs/repeat_epochs``: epoch-to-epoch
   Pearson r of p_b over pairs of one star, within- vs between-star spread,
   Spearman of p_b with S/N (g), and chi-square of each star's RV series
   (c Z, errors c Z_ERR) against p_b.

``--augment`` adds the train-time instrument augmentation of item 4 to the
MILES training rows (built at R = 2200, then LSF jitter to R 2200-1500 and
wavelength shifts/stretches, see ``augment``); compare runs with
the same ``--seed`` (same stars, same test sets) for the paired effect.

``--noise-profiles`` trains on the same rows with noise shaped like real
LAMOST spectra (per-pixel S/N shapes from the data home's DR7 plate ivar, see
``lamost_noise_profiles``); ``--test-noise-profiles`` also scores the MILES
and MaStar test rows with that noise (``p_miles_lam``, ``p_mastar_lam``).
``--paired`` then also compares those and the repeat-epoch r and S/N
Spearman, with a bootstrap over stars.
"""

from __future__ import annotations

import argparse
import csv
import time
from datetime import datetime, timezone
from itertools import combinations
from pathlib import Path

import numpy as np
import torch
from scipy import stats
from scipy.ndimage import gaussian_filter1d, median_filter
from sklearn.metrics import roc_auc_score

from sklearn_stellar.baselines import two_template_test
from sklearn_stellar.datasets import get_data_home, make_binary_spectra
from sklearn_stellar.datasets._binaries import LAMOST_R, _load_dwarfs
from sklearn_stellar.datasets._binary_steps import _lsf_matrix
from sklearn_stellar.io import read_lamost_file, spectra_to_array
from sklearn_stellar.metrics import precision_at_prior
from sklearn_stellar.pipelines import make_binary_pipeline
from sklearn_stellar.preprocessing import (
    ContinuumNormalizer,
    air_to_vacuum,
    resample,
)
from sklearn_stellar.utils import C_KMS


def star_bootstrap(y, score, groups, threshold, n_boot, seed):
    """AUC and precision at 1:2 with 95 % intervals, resampling stars."""
    rng = np.random.default_rng(seed)
    stars = np.unique(groups)
    rows = [np.flatnonzero(groups == g) for g in stars]
    point = (roc_auc_score(y, score), prec(y, score, threshold))
    draws = []
    for _ in range(n_boot):
        idx = np.concatenate([rows[k] for k in rng.integers(0, len(stars), len(stars))])
        if 0 < y[idx].sum() < len(idx):
            draws.append(
                (roc_auc_score(y[idx], score[idx]), prec(y[idx], score[idx], threshold))
            )
    lo, hi = np.percentile(np.array(draws), [2.5, 97.5], axis=0)
    return point, lo, hi, len(stars)


def prec(y, score, threshold):
    return precision_at_prior(
        y, score, threshold=threshold, ratio=0.5, zero_division=0.0
    )


def breakdown(y, score, meta):
    """AUC per q bin (binaries vs all singles), primary Teff and S/N bin."""
    out = []
    single = y == 0
    for lo, hi in ((0.71, 0.78), (0.78, 0.86), (0.86, 0.93)):
        b = (y == 1) & (meta["q"] >= lo) & (meta["q"] < hi + 1e-9)
        if b.any():
            sel = single | b
            out.append(
                f"q {lo}-{hi}: {roc_auc_score(y[sel], score[sel]):.3f} ({b.sum()})"
            )
    for name, col, edges in (
        ("Teff1", "teff1", (3800, 5000, 5800, 6500)),
        ("S/N", "snr", (20, 35, 60, 100.01)),
    ):
        for lo, hi in zip(edges[:-1], edges[1:], strict=False):
            sel = (meta[col] >= lo) & (meta[col] < hi)
            if 0 < y[sel].sum() < sel.sum():
                out.append(
                    f"{name} {lo}-{hi:g}: "
                    f"{roc_auc_score(y[sel], score[sel]):.3f} ({sel.sum()})"
                )
    aucs = [
        roc_auc_score(y[g], score[g])
        for g in (np.asarray(meta["primary"]) == p for p in np.unique(meta["primary"]))
        if 0 < y[g].sum() < g.sum()
    ]
    out.append(f"mean within-star AUC: {np.mean(aucs):.3f} over {len(aucs)} primaries")
    return "; ".join(out)


def miles_templates(home, star_ids, grid):
    """Noiseless MILES dwarfs as the recipe sees them: R 1800, vacuum, normalised."""
    ids, _, _, _, flux, wave_air = _load_dwarfs(str(home))
    sel = np.isin(ids, star_ids)
    spec = (_lsf_matrix(wave_air, LAMOST_R) @ flux[sel].T).T
    spec = resample(spec, air_to_vacuum(wave_air), grid, method="flux_conserving")
    return ContinuumNormalizer(wavelength=grid, sigma=350.0).fit_transform(spec)


def augment(X, grid, rng):
    """Instrument augmentation: LSF jitter and wavelength-calibration errors.

    ``X`` is built at R = 2200; each spectrum is blurred by a Gaussian of
    0-2.7 A extra FWHM (uniform): at 5500 A, R 2200 down to 1500, around the
    R ~ 1800 of LAMOST and MaStar (MaStar's SRES runs 1380-1920 over the
    band), then resampled with a wavelength zero-point shift ~ N(0, 0.3 px) and a
    stretch ~ N(0, 2e-5) (calibration residuals of ~0.3 px across the band).
    """
    out = np.empty_like(X)
    pix = np.arange(X.shape[1])
    extra = rng.uniform(0.0, 2.7, len(X))  # A FWHM
    shift = rng.normal(0.0, 0.3, len(X))
    stretch = rng.normal(0.0, 2e-5, len(X))
    disp = np.median(np.diff(grid))
    # One spectrum at a time: a different kernel and mapping for each row.
    for i, x in enumerate(X):
        y = gaussian_filter1d(x, extra[i] / 2.3548 / disp) if extra[i] > 0.05 else x
        pos = pix * (1.0 + stretch[i]) + shift[i] - stretch[i] * len(pix) / 2
        out[i] = np.interp(pos, pix, y)
    return out.astype(np.float32)


def lamost_noise_profiles(grid, home, smooth=51):
    """Per-pixel S/N shapes of real LAMOST LRS spectra, g band = 1.

    From the 101 spectra of one DR7 plate in the data home
    (``lamost/lrs/dr7_plan_*``, none of them a repeat-epoch test star): FGK
    stars (header CLASS STAR, SUBCLASS F/G/K) with g-band S/N >= 10; per-pixel
    S/N = flux sqrt(ivar) on ``grid``, masked pixels interpolated, running
    median over ``smooth`` pixels, divided by its median over 4000-5500 A.
    """
    files = sorted(Path(home).glob("lamost/lrs/dr7_plan_*/spec-*.fits*"))
    spectra = [read_lamost_file(f)[0] for f in files]
    keep = [
        s
        for s in spectra
        if str(s.meta["header"].get("CLASS", "")).strip() == "STAR"
        and str(s.meta["header"].get("SUBCLASS", " ")).strip()[:1] in "FGK"
    ]
    X, _, ivar = spectra_to_array(
        keep, wavelength=grid, medium="vacuum", return_ivar=True
    )
    snr = np.where(ivar > 0, X * np.sqrt(ivar), np.nan)
    gband = (grid > 4000) & (grid < 5500)
    out = []
    for s in snr:
        bad = ~np.isfinite(s)
        if bad.mean() > 0.1 or np.median(s[~bad][gband[~bad]]) < 10:
            continue
        s[bad] = np.interp(np.flatnonzero(bad), np.flatnonzero(~bad), s[~bad])
        s = median_filter(s, size=smooth, mode="nearest")
        out.append(np.clip(s / np.median(s[gband]), 0.02, 5.0))
    return np.array(out)


def profile_noise(clean, snr, profiles, rng):
    """Noise with a real LAMOST S/N shape: sigma = flux / (snr x profile).

    ``snr`` is then the g-band (4000-5500 A) per-pixel S/N, LAMOST's
    ``snr_g``; each row draws one of ``profiles`` (n_profiles, n_pixels).
    """
    k = rng.integers(0, len(profiles), len(clean))
    sigma = np.clip(clean, 0.0, None) / (snr[:, None] * profiles[k])
    return (clean + sigma * rng.standard_normal(clean.shape)).astype(np.float32)


def lamost_epochs(pipe, grid, home):
    """p_b of the repeat-epoch LAMOST spectra and its agreement per star."""
    folder = Path(home) / "lamost" / "lrs" / "repeat_epochs"
    with open(folder / "epochs.csv") as fh:
        rows = list(csv.DictReader(fh))
    spectra = [read_lamost_file(folder / r["file"])[0] for r in rows]
    X, _ = spectra_to_array(spectra, wavelength=grid, medium="vacuum")
    for x in X:  # fill masked pixels by interpolation, row by row (masks differ)
        bad = ~np.isfinite(x)
        x[bad] = np.interp(np.flatnonzero(bad), np.flatnonzero(~bad), x[~bad])
    p = pipe.predict_proba(X.astype(np.float32))[:, 1]
    star = np.array([int(r["star"]) for r in rows])
    snr = np.array([float(r["snr_g"]) for r in rows])
    head = [s.meta["header"] for s in spectra]
    rv = C_KMS * np.array([h["Z"] for h in head])
    rv_err = C_KMS * np.array([h["Z_ERR"] for h in head])
    pairs = [
        (i, j)
        for s in np.unique(star)
        for i, j in combinations(np.flatnonzero(star == s), 2)
    ]
    a = np.array([p[i] for i, j in pairs] + [p[j] for i, j in pairs])
    b = np.array([p[j] for i, j in pairs] + [p[i] for i, j in pairs])
    means = np.array([p[star == s].mean() for s in np.unique(star)])
    within = np.sqrt(np.mean([p[star == s].var(ddof=1) for s in np.unique(star)]))
    higher = np.mean([(p[i] > p[j]) == (snr[i] > snr[j]) for i, j in pairs])
    lines = [
        f"LAMOST repeat epochs: {len(p)} spectra, {len(np.unique(star))} stars, "
        f"{len(pairs)} pairs; median p_b {np.median(p):.3f}, p_b > 0.5 in "
        f"{(p > 0.5).mean():.2f}",
        f"epoch-to-epoch Pearson r = {stats.pearsonr(a, b)[0]:.3f}; within-star "
        f"spread {within:.3f} vs between-star spread {means.std(ddof=1):.3f}",
        f"Spearman(p_b, S/N g) = {stats.spearmanr(p, snr)[0]:+.3f}; higher-S/N "
        f"epoch scores higher in {higher:.2f} of pairs",
    ]
    chi = []
    for floor in (0.0, 5.0):
        for s in np.unique(star):
            k = star == s
            err = np.hypot(rv_err[k], floor)
            w = 1 / err**2
            c2 = np.sum(w * (rv[k] - np.sum(w * rv[k]) / w.sum()) ** 2)
            chi.append((floor, s, stats.chi2.sf(c2, k.sum() - 1), p[k].mean()))
    chi = np.array(chi)
    for floor in (0.0, 5.0):
        c = chi[chi[:, 0] == floor]
        var = c[:, 2] < 1e-3
        rho = stats.spearmanr(-np.log10(np.maximum(c[:, 2], 1e-300)), c[:, 3])[0]
        lines.append(
            f"RV chi2 (error floor {floor:g} km/s): {var.sum()} of {len(c)} stars "
            f"RV-variable (p < 1e-3); their mean p_b "
            f"{c[var, 3].mean() if var.any() else np.nan:.3f} vs "
            f"{c[~var, 3].mean():.3f}; Spearman(-log p_chi2, mean p_b) = {rho:+.3f}"
        )
    return lines, p


def paired(args):
    """AUC(new) - AUC(base) on the same test rows, bootstrap over stars."""
    base, new = (np.load(f) for f in args.paired)
    miles = make_binary_spectra(
        args.n_miles,
        binary_fraction=0.5,
        split_fractions=(0.8, 0.0, 0.2),
        random_state=args.seed,
    )
    mastar = make_binary_spectra(
        args.n_mastar,
        binary_fraction=0.5,
        split_fractions=(0.0, 0.0, 1.0),
        library="mastar",
        random_state=args.seed,
    )
    te = miles.split == "test"
    rng = np.random.default_rng(args.seed)
    for key, y, g in (
        ("p_miles", miles.target[te], miles.groups[te]),
        ("p_mastar", mastar.target, mastar.groups),
        ("p_miles_lam", miles.target[te], miles.groups[te]),
        ("p_mastar_lam", mastar.target, mastar.groups),
        ("p_lamost", None, None),
    ):
        if key not in base or key not in new:
            continue
        if y is None:
            r = stats.pearsonr(base[key], new[key])[0]
            print(f"{key}: Pearson r between the two runs' p_b = {r:.3f}")
            epochs_paired(base[key], new[key], args)
            continue
        stars = np.unique(g)
        rows = [np.flatnonzero(g == s) for s in stars]
        diff = []
        for _ in range(args.boot):
            pick = rng.integers(0, len(stars), len(stars))
            idx = np.concatenate([rows[k] for k in pick])
            if 0 < y[idx].sum() < len(idx):
                diff.append(
                    roc_auc_score(y[idx], new[key][idx])
                    - roc_auc_score(y[idx], base[key][idx])
                )
        a, b = roc_auc_score(y, base[key]), roc_auc_score(y, new[key])
        lo, hi = np.percentile(diff, [2.5, 97.5])
        print(f"{key}: {a:.3f} -> {b:.3f}, paired {b - a:+.3f} [{lo:+.3f}, {hi:+.3f}]")


def epoch_stats(p, star, snr, idx):
    """Epoch-to-epoch Pearson r and Spearman(p_b, S/N) over rows ``idx``."""
    a, b = [], []
    for s in np.unique(star[idx]):
        k = idx[star[idx] == s]
        for i, j in combinations(k, 2):
            a += [p[i], p[j]]
            b += [p[j], p[i]]
    return stats.pearsonr(a, b)[0], stats.spearmanr(p[idx], snr[idx])[0]


def epochs_paired(base, new, args):
    """Paired change of the repeat-epoch r and S/N Spearman, stars resampled.

    A star drawn twice enters twice (its pairs repeated, not paired across
    copies), so each resample keeps the within-star structure.
    """
    folder = Path(get_data_home()) / "lamost" / "lrs" / "repeat_epochs"
    with open(folder / "epochs.csv") as fh:
        rows = list(csv.DictReader(fh))
    star = np.array([int(r["star"]) for r in rows])
    snr = np.array([float(r["snr_g"]) for r in rows])
    stars = np.unique(star)
    members = [np.flatnonzero(star == s) for s in stars]
    rng = np.random.default_rng(args.seed)
    point = [epoch_stats(p, star, snr, np.arange(len(p))) for p in (base, new)]
    diff = []
    for _ in range(args.boot):
        pick = rng.integers(0, len(stars), len(stars))
        idx = np.concatenate([members[k] for k in pick])
        lab = np.concatenate([np.full(len(members[k]), n) for n, k in enumerate(pick)])
        # copies relabelled: a star drawn twice forms two separate stars
        sub = [
            epoch_stats(p[idx], lab, snr[idx], np.arange(len(idx))) for p in (base, new)
        ]
        diff.append(np.subtract(sub[1], sub[0]))
    lo, hi = np.percentile(diff, [2.5, 97.5], axis=0)
    for n, name in enumerate(("epoch-to-epoch r", "Spearman(p_b, S/N g)")):
        print(
            f"p_lamost {name}: {point[0][n]:+.3f} -> {point[1][n]:+.3f}, paired "
            f"{point[1][n] - point[0][n]:+.3f} [{lo[n]:+.3f}, {hi[n]:+.3f}] "
            f"(stars resampled)"
        )


def lamost_noise_tests(pipe, miles, mastar, te, home, args):
    """The test rows again with LAMOST-shaped noise (same S/N values)."""
    if not args.test_noise_profiles:
        return {}
    profiles = lamost_noise_profiles(miles.wavelength, home)
    out = {}
    for key, data, rows, kw in (
        ("p_miles_lam", miles, te, {}),
        ("p_mastar_lam", mastar, slice(None), {"library": "mastar"}),
    ):
        clean = make_binary_spectra(
            len(data.target),
            binary_fraction=0.5,
            split_fractions=(0.8, 0.0, 0.2) if not kw else (0.0, 0.0, 1.0),
            snr_range=(1e9, 1.1e9),
            random_state=args.seed,
            **kw,
        )
        snr = np.asarray(data.metadata["snr"])[rows]
        rng = np.random.default_rng(args.seed + 3)
        X = profile_noise(clean.data[rows], snr, profiles, rng)
        out[key] = pipe.predict_proba(X)[:, 1]
        y, g = data.target[rows], data.groups[rows]
        (auc, _), lo, hi, _ = star_bootstrap(y, out[key], g, 0.5, args.boot, args.seed)
        print(
            f"{key} (LAMOST-shaped test noise): "
            f"AUC {auc:.3f} [{lo[0]:.3f}, {hi[0]:.3f}]"
        )
    return out


def fit_recipe(X, y, grid, args):
    pipe = make_binary_pipeline(
        grid, max_epochs=args.epochs, validation_fraction=None, random_state=args.seed
    )
    return pipe.fit(X, y)


def report(name, y, score, groups, meta, threshold, args):
    (auc, pr), lo, hi, n_stars = star_bootstrap(
        y, score, groups, threshold, args.boot, args.seed
    )
    print(
        f"| {name} | {len(y)} ({n_stars} primaries) "
        f"| {auc:.3f} [{lo[0]:.3f}, {hi[0]:.3f}] "
        f"| {pr:.3f} [{lo[1]:.3f}, {hi[1]:.3f}] |"
    )
    return breakdown(y, score, meta)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-miles", type=int, default=20000)
    parser.add_argument("--n-mastar", type=int, default=3000)
    parser.add_argument("--n-reverse", type=int, default=6000)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--boot", type=int, default=1000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--augment", action="store_true")
    parser.add_argument("--no-reverse", action="store_true")
    parser.add_argument(
        "--test-noise-profiles",
        action="store_true",
        help="also score the test rows with LAMOST-shaped noise (p_*_lam)",
    )
    parser.add_argument(
        "--noise-profiles",
        action="store_true",
        help="training noise with real LAMOST per-pixel S/N shapes",
    )
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--paired",
        nargs=2,
        default=None,
        metavar=("BASE.npz", "NEW.npz"),
        help="only compare two --out files of runs with the same --seed/--n-*",
    )
    args = parser.parse_args(argv)
    if args.paired:
        paired(args)
        return
    torch.set_num_threads(args.threads)
    t0 = time.perf_counter()
    print(f"Date (UTC): {datetime.now(timezone.utc):%Y-%m-%d %H:%M}; {vars(args)}")
    home = get_data_home()
    miles = make_binary_spectra(
        args.n_miles,
        binary_fraction=0.5,
        split_fractions=(0.8, 0.0, 0.2),
        random_state=args.seed,
    )
    mastar = make_binary_spectra(
        args.n_mastar,
        binary_fraction=0.5,
        split_fractions=(0.0, 0.0, 1.0),
        library="mastar",
        random_state=args.seed,
    )
    grid = miles.wavelength
    tr, te = miles.split == "train", miles.split == "test"
    X_train = miles.data[tr]
    if args.augment:
        # The same rows (same seed, resolution draws no random numbers) at R 2200.
        sharp = make_binary_spectra(
            args.n_miles,
            binary_fraction=0.5,
            split_fractions=(0.8, 0.0, 0.2),
            resolution=2200.0,
            random_state=args.seed,
        )
        assert np.array_equal(sharp.metadata["primary"], miles.metadata["primary"])
        X_train = augment(sharp.data[tr], grid, np.random.default_rng(args.seed + 1))
        del sharp
    if args.noise_profiles:
        # The same rows noiseless (snr_range draws as many numbers), then noise
        # of the same S/N values shaped like real LAMOST spectra.
        clean = make_binary_spectra(
            args.n_miles,
            binary_fraction=0.5,
            split_fractions=(0.8, 0.0, 0.2),
            snr_range=(1e9, 1.1e9),
            random_state=args.seed,
        )
        assert np.array_equal(clean.metadata["primary"], miles.metadata["primary"])
        profiles = lamost_noise_profiles(grid, home)
        print(f"{len(profiles)} LAMOST noise profiles")
        snr = np.asarray(miles.metadata["snr"])[tr]
        rng = np.random.default_rng(args.seed + 2)
        X_train = profile_noise(clean.data[tr], snr, profiles, rng)
        del clean
    pipe = fit_recipe(X_train, miles.target[tr], grid, args)
    print(
        f"trained on {tr.sum()} MILES rows x {args.epochs} epochs: "
        f"{time.perf_counter() - t0:.0f} s"
    )
    p_miles = pipe.predict_proba(miles.data[te])[:, 1]
    p_mastar = pipe.predict_proba(mastar.data)[:, 1]
    extra = lamost_noise_tests(pipe, miles, mastar, te, home, args)

    train_stars = np.unique(
        np.r_[miles.metadata["primary"][tr], miles.metadata["secondary"][tr]]
    )
    templates = miles_templates(home, train_stars[train_stars >= 0], grid)
    norm = pipe.named_steps["norm"]
    bic_miles = two_template_test(norm.transform(miles.data[te]), templates).delta_bic
    bic_mastar = two_template_test(norm.transform(mastar.data), templates).delta_bic
    print(
        f"baseline fitted ({len(templates)} templates): "
        f"{time.perf_counter() - t0:.0f} s\n"
    )

    print(
        "| test set | spectra | ROC AUC [95 % star bootstrap] "
        "| precision at 1:2 [95 %] |"
    )
    print("|---|---|---|---|")
    notes = []
    for name, y, s, g, meta, thr in (
        (
            "CNN, MILES test stars (in-library)",
            miles.target[te],
            p_miles,
            miles.groups[te],
            miles.metadata[te],
            0.5,
        ),
        (
            "CNN, MaStar composites (train MILES)",
            mastar.target,
            p_mastar,
            mastar.groups,
            mastar.metadata,
            0.5,
        ),
        (
            "2-template BIC, MILES test stars",
            miles.target[te],
            bic_miles,
            miles.groups[te],
            miles.metadata[te],
            10.0,
        ),
        (
            "2-template BIC, MaStar composites",
            mastar.target,
            bic_mastar,
            mastar.groups,
            mastar.metadata,
            10.0,
        ),
    ):
        notes.append(f"- {name}: {report(name, y, s, g, meta, thr, args)}")
    p_rev = None
    if not args.no_reverse:
        rev = make_binary_spectra(
            args.n_reverse,
            binary_fraction=0.5,
            split_fractions=(1.0, 0.0, 0.0),
            library="mastar",
            random_state=args.seed + 100,
        )
        pipe_rev = fit_recipe(rev.data, rev.target, grid, args)
        p_rev = pipe_rev.predict_proba(miles.data[te])[:, 1]
        name = f"CNN trained on {args.n_reverse} MaStar rows, MILES test stars"
        y_te, g_te, m_te = miles.target[te], miles.groups[te], miles.metadata[te]
        notes.append(f"- {name}: {report(name, y_te, p_rev, g_te, m_te, 0.5, args)}")
    print("\nBreakdowns (AUC, rows):")
    print("\n".join(notes))
    lines, p_lamost = lamost_epochs(pipe, grid, home)
    print("\n" + "\n".join(f"- {x}" for x in lines))
    print(f"\nTotal {time.perf_counter() - t0:.0f} s")
    if args.out:
        np.savez(
            args.out,
            p_miles=p_miles,
            p_mastar=p_mastar,
            bic_miles=bic_miles,
            bic_mastar=bic_mastar,
            p_lamost=p_lamost,
            p_rev=p_rev if p_rev is not None else np.empty(0),
            **extra,
        )


if __name__ == "__main__":
    main()
