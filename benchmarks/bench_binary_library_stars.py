"""Out-of-fold p_b of every MILES dwarf: which library "singles" look binary?

    OMP_NUM_THREADS=1 nice -n 10 python benchmarks/bench_binary_library_stars.py \
        [--n-samples 40000] [--folds 5] [--epochs 8] [--seed 0] [--out FILE.npz]

The held-out AUC of the binary workflow is set star by star: a handful of
test stars carry most of the errors (results_binary.md section 7). This
script scores *every* eligible library star as an unseen single:

1. ``make_binary_spectra(n, binary_fraction=0.5, split_fractions=(1, 0, 0))``:
   one pool of spectra whose singles and binaries are drawn from the whole
   library (binaries pair any two stars of the right mass ratio).
2. The library stars used in the pool are cut into ``--folds`` random groups.
   For each group, the workflow's pipeline (``make_binary_pipeline``:
   ContinuumNormalizer -> RandomOverSampler -> BinarySpectrumCNN, lr 1e-4,
   fixed epochs, no early stopping) is trained on the rows none of whose
   stars is in the group, and scores the rows whose primary is in the group.
3. Out-of-fold p_b per row -> mean p_b of each star's single spectra (and of
   its binaries as primary); the AUC of the rows whose stars are all unseen.

Prints a Markdown report with the ranked list of singles (MILES number, name
and spectral type from ``paramsMILES_v9.1.txt``) and saves the per-row
predictions (``--out``).
"""

from __future__ import annotations

import argparse
import time
from datetime import datetime, timezone

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from sklearn_stellar.datasets import get_data_home, make_binary_spectra
from sklearn_stellar.datasets._miles import (
    read_miles_names,
    read_miles_params,
    read_miles_spectral_types,
)
from sklearn_stellar.pipelines import make_binary_pipeline


def miles_names(folder):
    """MILES number -> (star name, spectral type)."""
    names, types = read_miles_names(folder), read_miles_spectral_types(folder)
    return {k: (name, types.get(k, "")) for k, name in names.items()}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=40000)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default=None)
    parser.add_argument(
        "--combine",
        nargs="+",
        default=None,
        help="only combine the --out files of earlier runs (other seeds) and report",
    )
    args = parser.parse_args(argv)
    if args.combine:
        combine(args.combine)
        return
    torch.set_num_threads(args.threads)
    t_start = time.perf_counter()
    print(f"Date (UTC): {datetime.now(timezone.utc):%Y-%m-%d %H:%M}")

    data = make_binary_spectra(
        args.n_samples,
        binary_fraction=0.5,
        split_fractions=(1.0, 0.0, 0.0),
        random_state=args.seed,
    )
    X, y, meta = data.data, data.target, data.metadata
    prim = np.asarray(meta["primary"])
    sec = np.asarray(meta["secondary"])
    stars = np.unique(np.r_[prim, sec[sec >= 0]])
    rng = np.random.default_rng(args.seed)
    fold_of = dict(
        zip(rng.permutation(stars), np.arange(len(stars)) % args.folds, strict=True)
    )
    fold_p = np.array([fold_of[s] for s in prim])
    fold_s = np.array([fold_of.get(s, -1) for s in sec])

    p_oof = np.full(len(y), np.nan)
    all_unseen = np.zeros(len(y), dtype=bool)
    for k in range(args.folds):
        train = (fold_p != k) & (fold_s != k)
        test = fold_p == k
        all_unseen |= test & ((sec < 0) | (fold_s == k))
        # The library's recipe with fixed epochs (no early-stopping split).
        model = make_binary_pipeline(
            data.wavelength,
            lr=args.lr,
            max_epochs=args.epochs,
            validation_fraction=None,
            random_state=args.seed,
        )
        t0 = time.perf_counter()
        model.fit(X[train], y[train])
        p_oof[test] = model.predict_proba(X[test])[:, 1]
        print(
            f"fold {k}: {int(train.sum())} training spectra "
            f"({int(y[train].sum())} binaries), {int(test.sum())} scored, "
            f"{time.perf_counter() - t0:.0f} s",
            flush=True,
        )

    names = miles_names(get_data_home() / "libraries" / "miles")
    report(y, p_oof, prim, sec, all_unseen, names, args)
    if args.out:
        columns = ("teff1", "teff2", "light_ratio", "rv1", "rv2", "snr", "feh1")
        np.savez(
            args.out,
            p=p_oof,
            y=y,
            primary=prim,
            secondary=sec,
            unseen=all_unseen,
            **{c: np.asarray(meta[c]) for c in columns},
        )
    print(f"\nWall time {time.perf_counter() - t_start:.0f} s")


def report(y, p, prim, sec, unseen, names, args):
    single = y == 0
    print(
        f"\n{len(y)} spectra ({int(y.sum())} binaries); {args.folds} folds of "
        f"library stars, {args.epochs} epochs, lr {args.lr}, seed {args.seed}"
    )
    print(
        "Out-of-fold ROC AUC, rows whose stars are all unseen: "
        f"{roc_auc_score(y[unseen], p[unseen]):.3f} ({int(unseen.sum())} rows, "
        f"{int(y[unseen].sum())} binaries)"
    )
    ids = np.unique(prim[single])
    mean_single = np.array([p[single & (prim == s)].mean() for s in ids])
    n_single = np.array([(single & (prim == s)).sum() for s in ids])
    mean_binary = np.array(
        [
            p[~single & (prim == s)].mean() if (~single & (prim == s)).any() else np.nan
            for s in ids
        ]
    )
    order = np.argsort(-mean_single)
    print(
        "\nMean out-of-fold p_b of each library star's single spectra "
        f"({len(ids)} stars): quantiles 50/75/90/95 % = "
        + " / ".join(f"{v:.2f}" for v in np.percentile(mean_single, [50, 75, 90, 95]))
        + f"; stars above 0.5: {int((mean_single > 0.5).sum())}"
    )
    print(
        "\n| rank | MILES | name | SpT | n singles | mean p_b as single | "
        "mean p_b of its binaries |"
    )
    print("|---|---|---|---|---|---|---|")
    for rank, i in enumerate(order, 1):
        name, spt = names.get(int(ids[i]), ("?", "?"))
        print(
            f"| {rank} | {ids[i]} | {name} | {spt} | {n_single[i]} | "
            f"{mean_single[i]:.3f} | {mean_binary[i]:.3f} |"
        )


BINS = (
    ("Teff1 - Teff2 (K)", lambda r: r["teff1"] - r["teff2"], (0, 400, 700, 1000, 9999)),
    ("light ratio", lambda r: r["light_ratio"], (0, 0.2, 0.4, 0.6, 1.01)),
    (
        "abs(rv1 - rv2) (km/s)",
        lambda r: np.abs(r["rv1"] - r["rv2"]),
        (0, 10, 30, 60, 999),
    ),
    ("S/N", lambda r: r["snr"], (20, 35, 60, 101)),
)


def binned_auc(run):
    """AUC of all unseen singles against the unseen binaries of each bin."""
    y, p, unseen = run["y"], run["p"], run["unseen"]
    singles = unseen & (y == 0)
    lines = []
    for label, value, edges in BINS:
        v = value(run)
        cells = []
        for lo, hi in zip(edges[:-1], edges[1:], strict=False):
            b = unseen & (y == 1) & (v >= lo) & (v < hi)
            k = singles | b
            cells.append(f"{lo}-{hi}: {roc_auc_score(y[k], p[k]):.3f} ({int(b.sum())})")
        lines.append(f"- {label}: " + "; ".join(cells))
    return lines


def combine(paths):
    """Per-star mean p_b over several runs, and its dependence on parameters."""
    folder = get_data_home() / "libraries" / "miles"
    names = miles_names(folder)
    ids, teff, logg, feh = read_miles_params(folder)
    params = {
        int(i): (t, g, f) for i, t, g, f in zip(ids, teff, logg, feh, strict=True)
    }
    runs = [np.load(path) for path in paths]
    stars = sorted(set.intersection(*(set(r["primary"][r["y"] == 0]) for r in runs)))
    per_run = np.array(
        [
            [r["p"][(r["y"] == 0) & (r["primary"] == s)].mean() for s in stars]
            for r in runs
        ]
    )
    mean = per_run.mean(axis=0)
    for path, r in zip(paths, runs, strict=True):
        u = r["unseen"]
        print(
            f"{path}: out-of-fold AUC (all stars unseen) "
            f"{roc_auc_score(r['y'][u], r['p'][u]):.3f}"
        )
        if "teff1" in r.files:
            print("AUC by bin: all unseen singles vs the binaries of the bin (n):")
            print("\n".join(binned_auc(r)) + "\n")
    if len(runs) > 1:
        r = np.corrcoef(per_run)[0, 1]
        print(f"\nStar-level agreement of runs 1 and 2 (Pearson r): {r:.2f}")
    t, g, f = (np.array([params[int(s)][k] for s in stars]) for k in range(3))
    print(f"\n{len(stars)} single stars; mean p_b by [Fe/H] and by Teff:\n")
    print("| bin | stars | mean p_b | stars with p_b > 0.5 |")
    print("|---|---|---|---|")
    for label, values, edges in (
        ("[Fe/H]", f, [-3, -1.0, -0.5, -0.2, 0.1, 1]),
        ("Teff", t, [3800, 4500, 5200, 5800, 6500]),
    ):
        for lo, hi in zip(edges[:-1], edges[1:], strict=False):
            m = (values >= lo) & (values < hi)
            print(
                f"| {label} {lo}-{hi} | {int(m.sum())} | {mean[m].mean():.3f} | "
                f"{int((mean[m] > 0.5).sum())} |"
            )
    print("\n| rank | MILES | name | SpT | Teff | log g | [Fe/H] | mean p_b | runs |")
    print("|---|---|---|---|---|---|---|---|---|")
    for rank, i in enumerate(np.argsort(-mean), 1):
        s = int(stars[i])
        name, spt = names.get(s, ("?", "?"))
        runs_txt = " / ".join(f"{v:.2f}" for v in per_run[:, i])
        print(
            f"| {rank} | {s} | {name} | {spt} | {t[i]:.0f} | {g[i]:.2f} | "
            f"{f[i]:.2f} | {mean[i]:.3f} | {runs_txt} |"
        )


if __name__ == "__main__":
    main()
