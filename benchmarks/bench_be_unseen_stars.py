"""Accuracy of a fitted Be pipeline on fresh spectra of its unseen test stars.

The held-out split of ``bench_be_workflow.py`` has 417 spectra (standard error
of the accuracy ~0.005). This draws new data sets with other seeds and keeps
the spectra whose MILES host is a test star of the seed-0 split, i.e. a star
the pipeline never saw, for a larger held-out sample. Prints accuracy (with its
binomial standard error), the confusion matrix, accuracy per morphology, per
S/N bin and the host stars with errors.

Usage::

    python benchmarks/bench_be_unseen_stars.py --pipeline /tmp/be_pipeline.pkl \
        --seeds 1 --n-samples 6000
"""

from __future__ import annotations

import argparse
import pickle

import numpy as np
from sklearn.metrics import confusion_matrix

from sklearn_stellar.datasets import make_be_spectra

SNR_BINS = [10, 20, 40, 60, 100, 120, 150, 301]  # seed Table 1


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pipeline", required=True)
    parser.add_argument("--seeds", type=int, nargs="+", default=[1])
    parser.add_argument("--n-samples", type=int, default=6000)
    parser.add_argument("--train-seed", type=int, default=0)
    args = parser.parse_args(argv)
    with open(args.pipeline, "rb") as fh:
        pipe = pickle.load(fh)["pipeline"]
    ref = make_be_spectra(n_samples=2084, random_state=args.train_seed, blue_arm=True)
    unseen = sorted(set(ref.groups[ref.split == "test"]))
    p, y, morph, snr, star = [], [], [], [], []
    for seed in args.seeds:
        d = make_be_spectra(n_samples=args.n_samples, random_state=seed, blue_arm=True)
        sel = np.isin(d.groups, unseen)
        p.append(pipe.predict_proba(d.data[sel])[:, 1])
        y.append(d.target[sel])
        morph.append(d.morphology[sel])
        snr.append(d.snr[sel])
        star.append(d.groups[sel])
    p, y, morph, snr, star = map(np.concatenate, (p, y, morph, snr, star))
    pred = (p >= 0.5).astype(int)
    acc = float(np.mean(pred == y))
    se = np.sqrt(acc * (1 - acc) / y.size)
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    print(
        f"{y.size} fresh spectra of the {len(unseen)} unseen stars (seeds "
        f"{args.seeds}): accuracy {acc:.4f} +- {se:.4f}  TP {tp} TN {tn} FP {fp} "
        f"FN {fn}"
    )
    for name in sorted(set(morph)):
        s = morph == name
        print(f"  {name:28s} n={s.sum():5d}  accuracy {np.mean(pred[s] == y[s]):.3f}")
    for lo, hi in zip(SNR_BINS[:-1], SNR_BINS[1:], strict=True):
        s = (snr >= lo) & (snr < hi)
        if s.any():
            print(
                f"  S/N {lo:3d}-{hi:3d} n={s.sum():5d}  accuracy "
                f"{np.mean(pred[s] == y[s]):.3f}"
            )
    for host in unseen:
        s = star == host
        n_fp = int(np.sum(s & (pred == 1) & (y == 0)))
        n_fn = int(np.sum(s & (pred == 0) & (y == 1)))
        if n_fp or n_fn:
            print(f"  MILES {host}: {s.sum()} spectra, FP {n_fp}, FN {n_fn}")
    return acc


if __name__ == "__main__":
    main()
