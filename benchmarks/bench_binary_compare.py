"""Paired comparison of two workflow runs scored on the same evaluation set.

    python benchmarks/bench_binary_compare.py BASE.npz OTHER.npz [--n-boot 2000]

Reads the ``--save-predictions`` files of two ``bench_binary_workflow.py``
runs with the same seed (hence the same test stars and the same evaluation
spectra), checks that labels and stars agree row by row, and prints both ROC
AUCs and their difference with a 95 % interval from a bootstrap over test
stars (primaries) that resamples the *same* stars for both runs. Because the
two runs score identical spectra, this interval is much narrower than either
run's own interval.
"""

from __future__ import annotations

import argparse

import numpy as np
from sklearn.metrics import roc_auc_score


def paired_star_bootstrap(y, p_a, p_b, stars, n_boot, seed=0):
    """AUC(p_b) - AUC(p_a) for ``n_boot`` star resamples (a star's rows together)."""
    rng = np.random.default_rng(seed)
    uniq, pos = np.unique(stars, return_inverse=True)
    diffs = []
    for _ in range(n_boot):  # each replicate is two vectorised AUCs
        weight = np.bincount(rng.integers(0, len(uniq), len(uniq)), minlength=len(uniq))
        weight = weight[pos].astype(float)
        keep = weight > 0
        if weight[y == 1].sum() == 0 or weight[y == 0].sum() == 0:
            continue
        a = roc_auc_score(y[keep], p_a[keep], sample_weight=weight[keep])
        b = roc_auc_score(y[keep], p_b[keep], sample_weight=weight[keep])
        diffs.append(b - a)
    return np.asarray(diffs)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("base")
    parser.add_argument("other")
    parser.add_argument("--n-boot", type=int, default=2000)
    args = parser.parse_args(argv)
    a, b = np.load(args.base), np.load(args.other)
    for key in ("y", "primary", "secondary"):
        if not np.array_equal(a[key], b[key]):
            raise ValueError(f"the two runs were scored on different sets ({key})")
    y, stars = a["y"], a["primary"]
    auc_a, auc_b = roc_auc_score(y, a["p"]), roc_auc_score(y, b["p"])
    diffs = paired_star_bootstrap(y, a["p"], b["p"], stars, args.n_boot)
    lo, hi = np.percentile(diffs, [2.5, 97.5])
    print(
        f"{args.base}: AUC {auc_a:.3f}; {args.other}: AUC {auc_b:.3f}; "
        f"difference {auc_b - auc_a:+.3f} [95 % CI over {len(np.unique(stars))} "
        f"test stars, paired, {len(diffs)} resamples: {lo:+.3f}, {hi:+.3f}]; "
        f"P(diff <= 0) = {np.mean(diffs <= 0):.3f}"
    )


if __name__ == "__main__":
    main()
