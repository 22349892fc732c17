"""What limits binary detection on the MILES-built data set? Cheap baselines.

    nice -n 10 python benchmarks/bench_binary_limits.py [--n-samples 3000]

Same data and star-disjoint splits as bench_binary_workflow.py, continuum
normalised with ContinuumNormalizer (sigma 350 A). Scores on the test split:

1. PCA(40) + logistic regression (class_weight="balanced"), trained on the
   training split: a linear baseline for the CNN.
2. Single-star template fit: for each test spectrum, the smallest reduced
   chi^2 against noise-free single-star templates of the *training* stars
   (score = min chi^2; a composite should fit no single star well). This is
   what an ideal classifier can exploit when it has never seen the star.
3. Same, with templates of the *test* stars themselves (an oracle that knows
   every single star of the test split): the upper bound when the single-star
   manifold is densely sampled, as it is in LAMOST but not in MILES.
4. Signal of binarity: for each test binary, chi^2 of the composite against
   its own primary alone, and its best-fitting test-star single template.

Prints Markdown for benchmarks/results_binary.md.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from sklearn.decomposition import PCA
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

from sklearn_stellar.datasets import make_binary_spectra
from sklearn_stellar.preprocessing import ContinuumNormalizer


def _min_chi2(X, snr, templates):
    """Smallest reduced chi^2 of each row of X over templates (scale fitted)."""
    # Per row: sigma = 1/snr (normalised flux ~ 1); best scale a = <x,t>/<t,t>.
    xt = X @ templates.T
    tt = np.einsum("ij,ij->i", templates, templates)
    xx = np.einsum("ij,ij->i", X, X)
    resid = xx[:, None] - xt**2 / tt[None, :]
    chi2 = resid * (snr[:, None] ** 2) / X.shape[1]
    return chi2.min(axis=1), chi2.argmin(axis=1)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=3000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--snr", type=float, nargs=2, default=(20.0, 100.0))
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    data = make_binary_spectra(
        n_samples=args.n_samples, random_state=args.seed, snr_range=tuple(args.snr)
    )
    # Same seed -> same star split; near noise-free singles = templates.
    clean = make_binary_spectra(
        n_samples=4000,
        binary_fraction=1e-3,
        snr_range=(1e5, 2e5),
        random_state=args.seed,
    )
    norm = ContinuumNormalizer(wavelength=data.wavelength, sigma=350.0)
    X = norm.fit_transform(data.data).astype(np.float64)
    T = norm.transform(clean.data).astype(np.float64)
    y, split, meta = data.target, data.split, data.metadata
    snr = np.asarray(meta["snr"])
    train, test = split == "train", split == "test"
    yt = y[test]
    out = []
    w = out.append
    w(
        f"Command: `nice -n 10 python benchmarks/bench_binary_limits.py "
        f"--n-samples {args.n_samples} --seed {args.seed} "
        f"--snr {args.snr[0]:g} {args.snr[1]:g}`"
    )
    w("")
    w(
        f"Train {int(train.sum())} spectra ({int(y[train].sum())} binaries), test "
        f"{int(test.sum())} ({int(yt.sum())} binaries)."
    )
    w("")
    w("| test-split score | ROC AUC |")
    w("|---|---|")

    lin = make_pipeline(
        StandardScaler(),
        PCA(40, random_state=0),
        LogisticRegression(class_weight="balanced", max_iter=2000),
    )
    lin.fit(X[train], y[train])
    w(
        f"| PCA(40) + logistic regression | "
        f"{roc_auc_score(yt, lin.predict_proba(X[test])[:, 1]):.3f} |"
    )

    cs = clean.target == 0
    cmeta = clean.metadata
    t_train = cs & (clean.split == "train")
    t_test = cs & (clean.split == "test")

    # One template per star (first occurrence).
    def per_star(mask):
        ids = np.asarray(cmeta["primary"])[mask]
        _, first = np.unique(ids, return_index=True)
        return T[mask][first], ids[first]

    T_train, _ = per_star(t_train)
    T_test, ids_test = per_star(t_test)
    chi_train, _ = _min_chi2(X[test], snr[test], T_train)
    chi_test, _ = _min_chi2(X[test], snr[test], T_test)
    w(
        f"| min chi^2 vs {len(T_train)} training-star single templates | "
        f"{roc_auc_score(yt, chi_train):.3f} |"
    )
    w(
        f"| min chi^2 vs the {len(T_test)} test stars' own single templates (oracle) | "
        f"{roc_auc_score(yt, chi_test):.3f} |"
    )
    w("")
    w("Median reduced chi^2 (noise-normalised misfit; 1 = fits to the noise):")
    w("")
    w("| | singles | binaries |")
    w("|---|---|---|")
    w(
        f"| best training-star template | {np.median(chi_train[yt == 0]):.2f} | "
        f"{np.median(chi_train[yt == 1]):.2f} |"
    )
    w(
        f"| best test-star template (oracle) | {np.median(chi_test[yt == 0]):.2f} | "
        f"{np.median(chi_test[yt == 1]):.2f} |"
    )
    prim = np.asarray(meta["primary"])[test][yt == 1]
    own = np.array(
        [
            _min_chi2(
                X[test][yt == 1][i : i + 1],
                snr[test][yt == 1][i : i + 1],
                T_test[ids_test == p],
            )[0][0]
            for i, p in enumerate(prim)
        ]
    )
    w(f"| binaries vs their own primary alone | - | {np.median(own):.2f} |")
    w("")
    w(f"Wall time {time.perf_counter() - t0:.0f} s.")
    print("\n".join(out))


if __name__ == "__main__":
    main()
