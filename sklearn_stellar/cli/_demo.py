"""``sklearn-stellar demo``: the whole way from survey files to a catalog.

Trains a small binary model (Jing et al. 2024 recipe) and a small Be model
(Wang et al. 2022 recipe) on the built-in training sets, scores each on its
held-out split, classifies every real LAMOST file in the data home with both,
and writes the model files, the two catalogs, the per-star table and the figures. The
networks are small on purpose (minutes on 2 CPU cores); ``sklearn-stellar
train`` builds full-size ones.
"""

from __future__ import annotations

import logging
import sys
import time
from argparse import Namespace
from pathlib import Path

import numpy as np

logger = logging.getLogger(__name__)


def add_parser(commands):
    parser = commands.add_parser(
        "demo",
        help="train small models, classify the bundled LAMOST files, summarise",
        description="Train a small binary and a small Be model on the built-in "
        "data, classify every LAMOST file in the data home (or INPUT), write "
        "catalogs, a per-star table and figures, and print a summary.",
    )
    parser.add_argument(
        "inputs", nargs="*", help="files or folders (default: lamost/ in the data home)"
    )
    parser.add_argument("--data-home", default=None, help="sklearn-stellar data home")
    parser.add_argument(
        "-o", "--output", default="out/demo", help="output folder (default: out/demo)"
    )
    parser.add_argument(
        "--binary-samples", type=int, default=4000, help="binary training set size"
    )
    parser.add_argument(
        "--be-samples", type=int, default=600, help="Be training set size"
    )
    parser.add_argument("--epochs", type=int, default=10, help="epochs per network")
    parser.add_argument("--seed", type=int, default=0, help="random seed")
    parser.add_argument("--no-figure", action="store_true", help="skip the figures")
    parser.add_argument("--quiet", action="store_true", help="no progress output")
    parser.set_defaults(func=run)


def run(args):
    from ..datasets import get_data_home
    from ._inputs import expand_inputs

    start = time.perf_counter()
    output = Path(args.output)
    output.mkdir(parents=True, exist_ok=True)
    inputs = args.inputs or [get_data_home(args.data_home) / "lamost"]
    paths = expand_inputs(inputs)
    lines = []
    for task, n_samples in (("binary", args.binary_samples), ("be", args.be_samples)):
        lines += _one_task(args, task, n_samples, paths, output)
    lines.append(f"{len(paths)} files, {time.perf_counter() - start:.0f} s -> {output}")
    sys.stdout.write("\n".join(lines) + "\n")
    return 0


def _step(args, text):
    if not args.quiet:
        sys.stderr.write(f"[demo] {text}\n")
        sys.stderr.flush()


def _one_task(args, task, n_samples, paths, output):
    """Train, score, classify and write one task's files; its summary lines."""
    from ..persistence import save_model
    from ._evaluate import evaluate
    from ._model import load
    from ._output import write_table
    from ._predict import predict_files
    from ._train import TASKS, make_model, training_data

    data_args = Namespace(task=task, n_samples=n_samples, seed=args.seed,
                          spectra=None, labels=None, data_home=args.data_home,
                          epochs=args.epochs, small=True, device="cpu")  # fmt: skip
    X, y, wavelength = training_data(data_args, split="train")
    _step(args, f"training the {task} model on {len(y)} spectra ...")
    model = make_model(data_args, wavelength).fit(X, y)
    survey, arm, names = TASKS[task]
    provenance = {
        "task": task, "survey": survey, "arm": arm, "target_names": names,
        "n_train": int(len(y)), "n_samples": n_samples, "seed": args.seed,
        "data": "built-in training set", "command": "sklearn-stellar demo",
    }  # fmt: skip
    model_path = save_model(model, output / f"{task}.skstellar", provenance=provenance)
    X_test, y_test, _ = training_data(data_args, split="test")
    scores = evaluate(model, X_test, y_test)
    info = load(model_path)
    _step(args, f"classifying {len(paths)} files with the {task} model ...")
    table = predict_files(info, paths, quiet=args.quiet)
    write_table(table, output / f"catalog_{task}.ecsv")
    lines = [_task_summary(task, names, scores, table)]
    if task == "binary":
        from ..catalog import star_table

        stars = star_table(table)
        write_table(stars, output / "stars_binary.ecsv")
        lines.append(_stars_summary(stars, names[1]))
    if not args.no_figure:
        from ._figures import catalog_figure, evaluation_figures, gallery_figure

        evaluation_figures(y_test, scores["scores"], output / f"{task}_evaluation.png",
                           info.labels)  # fmt: skip
        catalog_figure(table, output / f"catalog_{task}.png",
                       f"{task}: P({names[1]}) of the LAMOST spectra")  # fmt: skip
        if task == "be":
            gallery_figure(model, X_test, y_test, output / "be_halpha_gallery.png",
                           model.classes_[1])  # fmt: skip
    return lines


def _task_summary(task, names, scores, table):
    from ._predict import summary

    ok = table[np.isin(table["status"], ["ok"])]
    positive = int(np.sum(ok["label"] == names[1])) if len(ok) else 0
    return (
        f"{task}: held-out ROC AUC {scores['roc_auc']:.3f} on {scores['n_spectra']} "
        f"spectra; catalog {summary(table)}; {positive} of {len(ok)} classified "
        f"spectra labelled {names[1]}"
    )


def _stars_summary(stars, positive):
    if not len(stars):
        return "stars: none classified"
    top = stars[np.argsort(-np.asarray(stars["max_probability"]))[:3]]
    best = ", ".join(
        f"{d} ({p:.2f})"
        for d, p in zip(top["designation"], top["max_probability"], strict=True)
    )
    n_pos = int(np.sum(np.asarray(stars["max_probability"]) > 0.5))
    return (
        f"stars: {len(stars)} with classified spectra, {n_pos} with max "
        f"P({positive}) > 0.5; highest: {best}"
    )
