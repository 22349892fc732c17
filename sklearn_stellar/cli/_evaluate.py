"""``sklearn-stellar evaluate``: a model's scores on labelled spectra."""

from __future__ import annotations

import json
import logging
import sys
import warnings
from argparse import Namespace
from pathlib import Path

import numpy as np

from ._train import add_common, training_data

logger = logging.getLogger(__name__)


def add_parser(commands):
    parser = commands.add_parser(
        "evaluate",
        help="ROC AUC, precision at a prior, confusion matrix and figures",
        description="Score a model file on the built-in test split (the same "
        "builder, size and seed as its training) or on --spectra with --labels.",
    )
    parser.add_argument("model", help="model file from `sklearn-stellar train`")
    add_common(parser)
    parser.add_argument(
        "--ratio",
        type=float,
        default=0.5,
        help="positives per negative in the target population (eq. 4; default 0.5)",
    )
    parser.add_argument("-o", "--output", help="folder for metrics.json and figures")
    parser.add_argument("--no-figure", action="store_true", help="skip the figures")
    parser.set_defaults(func=run)


def run(args):
    from ..persistence import read_manifest
    from ._model import load

    info = load(args.model)
    user = read_manifest(args.model)["provenance"].get("user", {})
    data_args = Namespace(
        task=info.task,
        n_samples=args.n_samples or user.get("n_samples"),
        seed=args.seed if args.n_samples else user.get("seed", args.seed),
        spectra=args.spectra,
        labels=args.labels,
        data_home=args.data_home,
    )
    X, y, wavelength = training_data(data_args, split="test")
    if args.spectra:
        X = _on_grid(X, wavelength, info.wavelength)
    result = evaluate(info.model, X, y, ratio=args.ratio)
    sys.stdout.write(format_result(result))
    if args.output:
        folder = Path(args.output)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "metrics.json").write_text(json.dumps(result, indent=2) + "\n")
        if not args.no_figure:
            from ._figures import evaluation_figures

            evaluation_figures(
                y, result["scores"], folder / "evaluation.png", info.labels
            )
    return 0


def _on_grid(X, wavelength, grid):
    """Linear interpolation of rows of X from ``wavelength`` onto ``grid``."""
    from ..preprocessing import resample

    return resample(X, wavelength, grid)


def evaluate(model, X, y, *, ratio=0.5) -> dict:
    """Scores of ``model`` on ``(X, y)`` (positive class: ``classes_[1]``)."""
    from sklearn.metrics import confusion_matrix, roc_auc_score

    from ..filters import FilterRejectionWarning
    from ..metrics import precision_at_prior

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FilterRejectionWarning)
        scores = model.predict_proba(X)[:, 1]
    positive = model.classes_[1]
    truth = (np.asarray(y) == positive).astype(int)
    predicted = (scores > 0.5).astype(int)
    return {
        "n_spectra": int(len(truth)),
        "n_positive": int(truth.sum()),
        "roc_auc": float(roc_auc_score(truth, scores)),
        "ratio": float(ratio),
        "precision_at_prior": float(
            precision_at_prior(truth, scores, ratio=ratio, zero_division=0.0)
        ),
        "confusion_matrix": confusion_matrix(truth, predicted, labels=[0, 1]).tolist(),
        "scores": scores.tolist(),
    }


def format_result(result) -> str:
    (tn, fp), (fn, tp) = result["confusion_matrix"]
    return (
        f"{result['n_spectra']} spectra ({result['n_positive']} positive): "
        f"ROC AUC {result['roc_auc']:.3f}, precision at 1:{1 / result['ratio']:g} "
        f"prior {result['precision_at_prior']:.3f}; confusion matrix at p > 0.5: "
        f"TN {tn} FP {fp} FN {fn} TP {tp}\n"
    )
