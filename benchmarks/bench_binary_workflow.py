"""Jing et al. (2024) workflow on MILES binaries: split, oversample, grid search, score.

    nice -n 10 python benchmarks/bench_binary_workflow.py [--n-samples 12000]
        [--grid-epochs 3] [--final-epochs 12] [--seeds 0 1 2] [--n-eval 20000]

Steps (Jing et al. 2024 §2.2-§3.1):

1. ``make_binary_spectra``: single vs intermediate-q binary spectra from real
   MILES dwarfs at LAMOST LRS resolution/sampling, S/N 20-100, binaries 1:18;
   train/valid/test = 0.8/0.1/0.1 of library stars (a star is in one split
   only; every split has the same binary fraction, i.e. stratified).
2. imblearn Pipeline: ContinuumNormalizer -> RandomOverSampler ->
   BinarySpectrumCNN, built by ``sklearn_stellar.pipelines.make_binary_pipeline``
   (the script's options override the recipe's defaults).
3. GridSearchCV over one network parameter (``cnn__n_filters``) and one
   preprocessing parameter (``norm__sigma``), scored by ROC AUC on the
   validation split (PredefinedSplit), short training per candidate (first
   seed only); the best candidate is then trained longer on the training
   split of every seed.
4. Held-out evaluation on the *test stars* of each seed: ROC AUC with a 95 %
   bootstrap interval over stars, p_b distribution by class, precision at a
   1:2 binary:single prior at p_th = 0.5 and 0.8, AUC per q and per S/N bin.
   Besides the 1:18 test split of the training call (few binaries), a second
   ``make_binary_spectra`` call with the same seed (hence the same star
   split) and ``binary_fraction=0.5`` supplies many more test spectra of the
   same test stars and their own pairings (``--n-eval``); ROC AUC and the
   precision at a fixed prior do not depend on the class ratio of the set
   they are measured on, so the larger set only tightens the intervals.
5. Seeds: every seed is a different random split of the library stars
   (repeated star-disjoint hold-out).

Prints a Markdown report (paste into benchmarks/results_binary.md).
"""

from __future__ import annotations

import argparse
import os
import platform
import time
from datetime import datetime, timezone

import numpy as np
import torch
from sklearn.metrics import roc_auc_score
from sklearn.model_selection import GridSearchCV, PredefinedSplit

from sklearn_stellar.datasets import make_binary_spectra
from sklearn_stellar.metrics import precision_at_prior
from sklearn_stellar.pipelines import make_binary_pipeline


def _auc(y, p):
    return roc_auc_score(y, p) if 0 < y.sum() < len(y) else float("nan")


def _star_bootstrap(y, p, stars, rng, n_boot):
    """95 % interval of the AUC, resampling stars (a star's rows together)."""
    uniq, pos = np.unique(stars, return_inverse=True)
    aucs = []
    for _ in range(n_boot):  # one vectorised AUC per replicate
        weight = np.bincount(rng.integers(0, len(uniq), len(uniq)), minlength=len(uniq))
        weight = weight[pos].astype(float)
        if weight[y == 1].sum() > 0 and weight[y == 0].sum() > 0:
            keep = weight > 0
            aucs.append(roc_auc_score(y[keep], p[keep], sample_weight=weight[keep]))
    return np.percentile(aucs, [2.5, 97.5])


def _subsample(idx, y, n, rng, n_pos=None):
    """Random subsample of ``n`` of the rows ``idx``, ``n_pos`` of them
    binaries (default: stratified)."""
    pos, neg = idx[y[idx] == 1], idx[y[idx] == 0]
    if n_pos is None:
        if n >= len(idx):
            return idx
        n_pos = max(1, round(n * len(pos) / len(idx)))
    n_pos = min(n_pos, len(pos))
    n = min(n, n_pos + len(neg))
    return np.sort(
        np.r_[
            rng.choice(pos, n_pos, replace=False),
            rng.choice(neg, n - n_pos, replace=False),
        ]
    )


def _stars(meta, idx):
    return set(meta["primary"][idx]) | (set(meta["secondary"][idx]) - {-1})


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=12000)
    parser.add_argument("--n-train", type=int, default=10**9)
    parser.add_argument(
        "--n-train-binaries",
        type=int,
        default=None,
        help="with --n-train: binaries among the training rows (default: 1:18)",
    )
    parser.add_argument("--train-star-fraction", type=float, default=1.0)
    parser.add_argument(
        "--star-control",
        action="store_true",
        help="with --train-star-fraction: train on as many singles and binaries "
        "as that fraction leaves, but drawn from all training stars",
    )
    parser.add_argument("--grid-epochs", type=int, default=3)
    parser.add_argument(
        "--grid-n-train",
        type=int,
        default=4000,
        help="stratified subsample of the training split for the grid search",
    )
    parser.add_argument("--final-epochs", type=int, default=12)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--n-filters", type=int, default=16)
    parser.add_argument("--sigma", type=float, default=350.0)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--patience", type=int, default=3)
    parser.add_argument("--augment-noise", type=float, default=0.0)
    parser.add_argument("--augment-shift", type=int, default=0)
    parser.add_argument(
        "--validation-fraction",
        type=lambda v: None if v.lower() == "none" else float(v),
        default=0.1,
        help="early-stopping split of BinarySpectrumCNN; 'none' trains "
        "--final-epochs epochs without early stopping",
    )
    parser.add_argument("--n-eval", type=int, default=20000)
    parser.add_argument("--n-boot", type=int, default=1000)
    parser.add_argument(
        "--skip-grid",
        action="store_true",
        help="train --n-filters and --sigma directly (no grid search)",
    )
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument(
        "--train-interpolation",
        type=float,
        default=0.0,
        help="make_binary_spectra(train_interpolation=...) for the training call "
        "only (the evaluation call keeps real library stars)",
    )
    parser.add_argument(
        "--train-line-strength",
        type=float,
        nargs=2,
        default=None,
        help="make_binary_spectra(train_line_strength=(LO, HI)), training call only",
    )
    parser.add_argument(
        "--train-binary-fraction",
        type=float,
        default=1 / 19,
        help="make_binary_spectra(binary_fraction=...) for the training call (the "
        "seed's 1:18 by default; the evaluation call is 1:1 anyway)",
    )
    parser.add_argument(
        "--save-predictions",
        default=None,
        help="write the evaluation set's p_b, labels and primaries of each seed to "
        "PREFIX_seed<k>.npz (for paired comparisons of runs on the same set)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    out = []
    w = out.append
    w(
        f"Date (UTC): {datetime.now(timezone.utc):%Y-%m-%d %H:%M}; load average at "
        f"start {os.getloadavg()[0]:.1f}"
    )
    w(f"Host: {platform.machine()}, torch {torch.__version__}, threads {args.threads}")
    w("No GPU available in this task: CPU only.")
    w("")
    extra = (
        ""
        if args.n_train_binaries is None
        else f"--n-train-binaries {args.n_train_binaries} "
    )
    diversity = ""
    if args.train_interpolation:
        diversity += f" --train-interpolation {args.train_interpolation}"
    if args.train_line_strength:
        diversity += " --train-line-strength {:g} {:g}".format(
            *args.train_line_strength
        )
    if args.train_binary_fraction != 1 / 19:
        diversity += f" --train-binary-fraction {args.train_binary_fraction}"
    w(
        f"Command: `nice -n 10 python benchmarks/bench_binary_workflow.py "
        f"--n-samples {args.n_samples} --n-train {args.n_train} {extra}"
        f"--train-star-fraction {args.train_star_fraction} "
        f"--grid-epochs {args.grid_epochs} --grid-n-train {args.grid_n_train} "
        f"--final-epochs {args.final_epochs} "
        f"--lr {args.lr} --n-filters {args.n_filters} --sigma {args.sigma:g} "
        f"--threads {args.threads} --patience {args.patience} "
        f"--validation-fraction {args.validation_fraction} "
        f"--augment-noise {args.augment_noise} --augment-shift {args.augment_shift} "
        f"--n-eval {args.n_eval} --n-boot {args.n_boot} "
        f"--seeds {' '.join(map(str, args.seeds))}"
        f"{' --skip-grid' if args.skip_grid else ''}"
        f"{' --star-control' if args.star_control else ''}"
        f"{diversity}`"
    )
    w("")
    best_params = {"cnn__n_filters": args.n_filters, "norm__sigma": args.sigma}
    summary = []
    for i_seed, seed in enumerate(args.seeds):
        rep = _one_seed(
            args, seed, best_params, grid=i_seed == 0 and not args.skip_grid
        )
        best_params = rep["best_params"]
        summary.append(rep)
        if i_seed == 0:
            out.extend(rep["lines"])
    w("")
    w("Summary over seeds (each seed = a different star-disjoint split):")
    w("")
    w(
        "| seed | train spectra (binaries, stars) | test stars | eval spectra "
        "(binaries) | held-out AUC [95 % CI over stars] | test-split AUC | "
        "seen-star AUC | epochs (best) |"
    )
    w("|---|---|---|---|---|---|---|---|")
    for r in summary:
        w(
            f"| {r['seed']} | {r['n_train']} ({r['n_train_bin']}, {r['n_train_stars']})"
            f" | {r['n_test_stars']} | {r['n_eval']} ({r['n_eval_bin']}) | "
            f"**{r['auc']:.3f}** [{r['ci'][0]:.3f}, {r['ci'][1]:.3f}] | "
            f"{r['auc_split']:.3f} | {r['auc_seen']:.3f} | {r['epochs']} "
            f"({r['best_epoch']}) |"
        )
    aucs = np.array([r["auc"] for r in summary])
    if len(aucs) > 1:
        w(
            f"| mean +- sd | | | | **{aucs.mean():.3f} +- {aucs.std(ddof=1):.3f}** | "
            f"{np.mean([r['auc_split'] for r in summary]):.3f} | "
            f"{np.mean([r['auc_seen'] for r in summary]):.3f} | |"
        )
    w("")
    w(f"Total wall time: {time.perf_counter() - t_start:.0f} s")
    print("\n".join(out))


def _one_seed(args, seed, best_params, *, grid):
    data = make_binary_spectra(
        n_samples=args.n_samples,
        binary_fraction=args.train_binary_fraction,
        random_state=seed,
        train_interpolation=args.train_interpolation,
        train_line_strength=(
            None
            if args.train_line_strength is None
            else tuple(args.train_line_strength)
        ),
    )
    X, y, split, meta = data.data, data.target, data.split, data.metadata
    rng = np.random.default_rng(seed)
    train = np.flatnonzero(split == "train")
    if args.train_star_fraction < 1.0:
        # Learning curve in library stars: keep the training rows whose stars
        # all lie in a random subset of the training stars.
        stars = np.array(sorted(_stars(meta, train)))
        keep = rng.choice(stars, round(args.train_star_fraction * len(stars)), False)
        sec = np.asarray(meta["secondary"])[train]
        ok = np.isin(np.asarray(meta["primary"])[train], keep) & (
            (sec == -1) | np.isin(sec, keep)
        )
        if args.star_control:
            # Same numbers of singles and binaries, drawn from all stars.
            train = _subsample(train, y, int(ok.sum()), rng, int(y[train[ok]].sum()))
        else:
            train = train[ok]
    train = _subsample(train, y, args.n_train, rng, args.n_train_binaries)
    valid = np.flatnonzero(split == "valid")
    test = np.flatnonzero(split == "test")

    def pipeline(max_epochs):
        # The library's recipe (sklearn_stellar.pipelines): steps "norm",
        # "ros", "cnn", every step seeded by `seed`; this script's options
        # override its defaults.
        pipe = make_binary_pipeline(
            data.wavelength,
            lr=args.lr,
            max_epochs=max_epochs,
            patience=args.patience,
            validation_fraction=args.validation_fraction,
            random_state=seed,
        )
        return pipe.set_params(
            cnn__augment_noise=args.augment_noise,
            cnn__augment_shift=args.augment_shift,
        )

    lines = []
    w = lines.append
    t0 = time.perf_counter()
    if grid:
        param_grid = {
            "cnn__n_filters": sorted({8, args.n_filters}),
            "norm__sigma": sorted({150.0, args.sigma}),
        }
        grid_train = _subsample(train, y, args.grid_n_train, rng)
        tv = np.r_[grid_train, valid]
        fold = np.r_[np.full(len(grid_train), -1), np.zeros(len(valid), dtype=int)]
        search = GridSearchCV(
            pipeline(args.grid_epochs),
            param_grid,
            scoring="roc_auc",
            cv=PredefinedSplit(fold),
            refit=False,
            error_score="raise",
        )
        search.fit(X[tv], y[tv])
        best_params = search.best_params_
    t_grid = time.perf_counter() - t0

    best = pipeline(args.final_epochs).set_params(**best_params)
    t0 = time.perf_counter()
    best.fit(X[train], y[train])
    t_final = time.perf_counter() - t0
    cnn = best.named_steps["cnn"]

    # Many more spectra of the same test stars (same seed -> same star split).
    ev = make_binary_spectra(
        n_samples=args.n_eval, binary_fraction=0.5, random_state=seed
    )
    ev_test = np.flatnonzero(ev.split == "test")
    seen_stars = _stars(meta, np.flatnonzero(split != "test"))
    if _stars(ev.metadata, ev_test) & seen_stars:
        raise RuntimeError("evaluation stars overlap the training/validation stars")
    Xe, ye, me = ev.data[ev_test], ev.target[ev_test], ev.metadata[ev_test]
    t0 = time.perf_counter()
    pe = best.predict_proba(Xe)[:, 1]
    t_pred = time.perf_counter() - t0
    auc = _auc(ye, pe)
    if args.save_predictions:
        np.savez(
            f"{args.save_predictions}_seed{seed}.npz",
            p=pe,
            y=ye,
            primary=np.asarray(me["primary"]),
            secondary=np.asarray(me["secondary"]),
        )
    ci = _star_bootstrap(ye, pe, np.asarray(me["primary"]), rng, args.n_boot)
    p_split = best.predict_proba(X[test])[:, 1]
    p_valid = best.predict_proba(X[valid])[:, 1]
    # Seen stars: new spectra (noise, S/N, velocities, pairings) of training
    # stars from the evaluation call, up to 2,000 of them.
    ev_seen = np.flatnonzero(ev.split == "train")
    ev_seen = np.sort(rng.choice(ev_seen, min(2000, len(ev_seen)), replace=False))
    auc_seen = _auc(ev.target[ev_seen], best.predict_proba(ev.data[ev_seen])[:, 1])

    pairs = zip(me["primary"][ye == 1], me["secondary"][ye == 1], strict=True)
    n_pairs = len(set(pairs))
    w(f"### Seed {seed}")
    w("")
    w(
        f"Pixels per spectrum: {X.shape[1]} (vacuum {data.wavelength[0]:.0f}-"
        f"{data.wavelength[-1]:.0f} A, 1e-4 dex)"
    )
    for name, idx in (("train (used)", train), ("valid", valid), ("test", test)):
        w(
            f"- {name}: {len(idx)} spectra, {int(y[idx].sum())} binaries, "
            f"{len(_stars(meta, idx))} library stars"
        )
    interp = np.asarray(meta["interpolated"])[train]
    if interp.any() or args.train_line_strength:
        spread = np.nanmax(np.r_[meta["teff_spread1"], meta["teff_spread2"]])
        alpha = np.asarray(meta["line_alpha1"])[train]
        w(
            f"- training rows with an interpolated star: {interp.mean():.3f}; "
            f"largest Teff range within a mix {spread:.0f} K; line-strength "
            f"alpha range {alpha.min():.3f}-{alpha.max():.3f}"
        )
    w(
        f"- evaluation set (test stars only, from `make_binary_spectra(n_samples="
        f"{args.n_eval}, binary_fraction=0.5, random_state={seed})`): "
        f"{len(ev_test)} spectra, {int(ye.sum())} binaries, "
        f"{len(_stars(ev.metadata, ev_test))} library stars, "
        f"{n_pairs} distinct binary pairs"
    )
    w("")
    if grid:
        w(
            f"Grid search (trained on {len(grid_train)} training-split spectra, ROC "
            f"AUC on the validation split, {args.grid_epochs} epochs max per "
            f"candidate, {t_grid:.0f} s):"
        )
        w("")
        w("| cnn__n_filters | norm__sigma (A) | valid AUC |")
        w("|---|---|---|")
        res = search.cv_results_
        for params, score in zip(res["params"], res["mean_test_score"], strict=True):
            w(
                f"| {params['cnn__n_filters']} | {params['norm__sigma']:g} | "
                f"{score:.3f} |"
            )
        w("")
    w(
        f"Best: {best_params}; final fit {t_final:.0f} s, "
        f"{cnn.n_epochs_} epochs (best epoch {cnn.best_epoch_}), lr {args.lr}."
    )
    losses = ", ".join(
        f"{h['train_loss']:.3f}"
        + (f"/{h['valid_loss']:.3f}" if "valid_loss" in h else "")
        for h in cnn.history_
    )
    w(f"Per-epoch training(/early-stopping) loss: {losses}")
    w(f"Validation-split AUC of the final model: {_auc(y[valid], p_valid):.3f}")
    w(
        f"AUC on {len(ev_seen)} new spectra of *training* stars (evaluation call's "
        f"training split: new noise/S/N/velocities/pairings, "
        f"{int(ev.target[ev_seen].sum())} binaries): {auc_seen:.3f}"
    )
    w(
        f"AUC on the test split of the training call ({len(test)} spectra, "
        f"{int(y[test].sum())} binaries): {_auc(y[test], p_split):.3f}"
    )
    w("")
    w(
        f"**Held-out ROC AUC (evaluation set): {auc:.3f}**, 95 % CI over test stars "
        f"[{ci[0]:.3f}, {ci[1]:.3f}] (target >= 0.95; seed paper 0.949 on LAMOST)"
    )
    w("")
    w("p_b distribution on the evaluation set (fraction of each class per bin):")
    w("")
    edges = np.array([0, 0.2, 0.5, 0.8, 1.0001])
    w("| p_b bin | single | binary |")
    w("|---|---|---|")
    for lo, hi in zip(edges[:-1], edges[1:], strict=True):
        s = np.mean((pe[ye == 0] >= lo) & (pe[ye == 0] < hi))
        b = np.mean((pe[ye == 1] >= lo) & (pe[ye == 1] < hi))
        w(f"| [{lo:.1f}, {min(hi, 1):.1f}) | {s:.3f} | {b:.3f} |")
    w("")
    w(
        "Precision at a 1:2 binary:single prior (sklearn_stellar.metrics."
        "precision_at_prior, TPR*0.5/(TPR*0.5+FPR)):"
    )
    w("")
    for th in (0.5, 0.8):
        tpr = np.mean(pe[ye == 1] > th)
        fpr = np.mean(pe[ye == 0] > th)
        prec = precision_at_prior(ye, pe, threshold=th, ratio=0.5, zero_division=0.0)
        w(
            f"- p_th = {th}: precision {prec:.3f} (TPR {tpr:.3f}, FPR {fpr:.3f}); "
            f"seed: {0.79 if th == 0.5 else 0.89}"
        )
    w("")
    w(
        "AUC per bin on the evaluation set (per q / light-ratio bin: all singles + "
        "the binaries of the bin; per S/N bin both classes restricted to the bin):"
    )
    w("")
    w("| bin | n binaries | AUC |")
    w("|---|---|---|")
    q = np.asarray(me["q"])
    snr = np.asarray(me["snr"])
    for lo, hi in ((0.71, 0.78), (0.78, 0.86), (0.86, 0.93)):
        sel = (ye == 0) | ((q >= lo) & (q < hi + 1e-9))
        w(f"| q {lo}-{hi} | {int(ye[sel].sum())} | {_auc(ye[sel], pe[sel]):.3f} |")
    for lo, hi in ((20, 35), (35, 60), (60, 100)):
        sel = (snr >= lo) & (snr < hi + 1e-9)
        w(f"| S/N {lo}-{hi} | {int(ye[sel].sum())} | {_auc(ye[sel], pe[sel]):.3f} |")
    lr_ = np.asarray(me["light_ratio"])
    for lo, hi in ((0.0, 0.3), (0.3, 0.6), (0.6, 1.0)):
        sel = (ye == 0) | ((lr_ >= lo) & (lr_ < hi))
        w(
            f"| light ratio {lo}-{hi} | {int(ye[sel].sum())} | "
            f"{_auc(ye[sel], pe[sel]):.3f} |"
        )
    w("")
    w(
        f"Evaluation inference: {len(ev_test)} spectra in {t_pred:.2f} s (incl. "
        "continuum normalisation)."
    )
    w("")
    return {
        "seed": seed,
        "lines": lines,
        "best_params": best_params,
        "n_train": len(train),
        "n_train_bin": int(y[train].sum()),
        "n_train_stars": len(_stars(meta, train)),
        "n_test_stars": len(_stars(meta, test)),
        "n_eval": len(ev_test),
        "n_eval_bin": int(ye.sum()),
        "auc": auc,
        "ci": ci,
        "auc_split": _auc(y[test], p_split),
        "auc_seen": auc_seen,
        "epochs": cnn.n_epochs_,
        "best_epoch": cnn.best_epoch_,
    }


if __name__ == "__main__":
    main()
