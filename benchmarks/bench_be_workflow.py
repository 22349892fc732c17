"""The Be-star workflow of Wang et al. (2022) as one pipeline, trained and scored.

EWFilter -> ContinuumNormalizer(spline) -> HalphaRasterizer -> BeResNet18
(``sklearn_stellar.pipelines.make_be_pipeline``) on
``make_be_spectra`` (MILES O/B/A stars + disk emission, star-disjoint 80/20
split). Prints held-out accuracy, the confusion matrix (TP, TN, FP, FN as in
seed Fig. 6), accuracy per morphology and per S/N bin (seed Table 1 bins), and
pickles the fitted pipeline for ``bench_be_realdata.py``.

Usage::

    nice -n 10 python benchmarks/bench_be_workflow.py --n-samples 2084 \
        --size 64 --width 32 --epochs 10 --out /tmp/be_pipeline.pkl

X holds both MRS arms (blue 4950-5350 A, then red 6300-6800 A) so that the
EW filter can apply Wang et al. (2022)'s Mg b cut; the continuum normalizer fits each
arm separately and the rasterizer draws the red arm's H-alpha window.

QColorFilter is not in the pipeline: the training spectra carry no 2MASS
photometry (with photometry as trailing X columns it is one more entry in
``filters`` plus ``photometry=("J", "H", "Ks")``, see docs/filters.rst).
"""

from __future__ import annotations

import argparse
import json
import pickle
import platform
import time

import numpy as np
import torch
from sklearn.metrics import confusion_matrix

from sklearn_stellar.datasets import make_be_spectra
from sklearn_stellar.pipelines import make_be_pipeline

SNR_BINS = [10, 20, 40, 60, 100, 120, 150, 301]  # seed Table 1


def build_pipeline(wavelength, args):
    """The library's recipe (``sklearn_stellar.pipelines.make_be_pipeline``) with
    this script's image size, width, epochs, batch size and seed."""
    # Wang et al. (2022) section 3: EW(H-alpha, 6548-6578 A) < 10 A and EW(Mg b,
    # 5160-5193 A, blue arm) < 1.2 A keep early-type stars (the recipe's cuts).
    return make_be_pipeline(
        wavelength,
        image_size=args.size,
        width=args.width,
        max_epochs=args.epochs,
        batch_size=args.batch_size,
        lr=1e-3,
        random_state=args.seed,
        verbose=1,
    )


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=1000)
    parser.add_argument("--size", type=int, default=64)
    parser.add_argument("--width", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--batch-size", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", default="/tmp/be_pipeline.pkl")
    parser.add_argument("--json", default="/tmp/be_workflow.json")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    t0 = time.perf_counter()
    data = make_be_spectra(
        n_samples=args.n_samples, random_state=args.seed, blue_arm=True
    )
    t_data = time.perf_counter() - t0
    train, test = data.split == "train", data.split == "test"
    print(
        f"data: {args.n_samples} spectra x {data.wavelength.size} pixels "
        f"({train.sum()} train / {test.sum()} test, "
        f"{len(set(data.groups[train]))} / {len(set(data.groups[test]))} MILES "
        f"stars), {t_data:.1f} s"
    )
    pipe = build_pipeline(data.wavelength, args)
    t0 = time.perf_counter()
    pipe.fit(data.data[train], data.target[train])
    t_fit = time.perf_counter() - t0
    t0 = time.perf_counter()
    proba = pipe.predict_proba(data.data[test])[:, 1]
    t_pred = time.perf_counter() - t0
    pred = (proba >= 0.5).astype(int)
    y = data.target[test]
    acc = float(np.mean(pred == y))
    tn, fp, fn, tp = confusion_matrix(y, pred, labels=[0, 1]).ravel()
    passed = pipe.pass_mask_
    print(f"EW filter kept {passed.sum()} / {passed.size} training spectra")
    print(f"fit {t_fit:.0f} s, predict {t_pred:.1f} s for {test.sum()} spectra")
    print(f"held-out accuracy {acc:.4f}  TP {tp}  TN {tn}  FP {fp}  FN {fn}")
    per_morph = {}
    for name in sorted(set(data.morphology)):
        sel = data.morphology[test] == name
        if not sel.any():
            continue
        per_morph[name] = (int(sel.sum()), float(np.mean(pred[sel] == y[sel])))
        print(f"  {name:28s} n={sel.sum():4d}  accuracy {per_morph[name][1]:.3f}")
    per_snr = {}
    snr = data.snr[test]
    for lo, hi in zip(SNR_BINS[:-1], SNR_BINS[1:], strict=True):
        sel = (snr >= lo) & (snr < hi)
        if sel.any():
            per_snr[f"{lo}-{hi}"] = (
                int(sel.sum()),
                float(np.mean(pred[sel] == y[sel])),
            )
            print(
                f"  S/N {lo:3d}-{hi:3d} n={sel.sum():4d}  accuracy "
                f"{per_snr[f'{lo}-{hi}'][1]:.3f}"
            )
    wrong = np.flatnonzero(pred != y)
    for i in wrong[:20]:
        j = np.flatnonzero(test)[i]
        print(
            f"  wrong: {data.morphology[j]} S/N {data.snr[j]:.0f} "
            f"star {data.groups[j]} P(Be)={proba[i]:.3f}"
        )
    with open(args.out, "wb") as fh:
        pickle.dump({"pipeline": pipe, "wavelength": data.wavelength}, fh)
    history = pipe.estimator_.steps[-1][1].history_
    result = {
        "command": "python benchmarks/bench_be_workflow.py "
        + " ".join(f"--{k.replace('_', '-')} {v}" for k, v in vars(args).items()),
        "date": time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime()),
        "machine": f"{platform.processor() or platform.machine()}, "
        f"{args.threads} torch threads, shared",
        "n_train": int(train.sum()),
        "n_test": int(test.sum()),
        "n_pixels": int(data.wavelength.size),
        "accuracy": acc,
        "tp": int(tp),
        "tn": int(tn),
        "fp": int(fp),
        "fn": int(fn),
        "per_morphology": per_morph,
        "per_snr": per_snr,
        "fit_s": t_fit,
        "predict_s": t_pred,
        "train_loss": [h["train_loss"] for h in history],
    }
    with open(args.json, "w") as fh:
        json.dump(result, fh, indent=1)
    return result


if __name__ == "__main__":
    main()
