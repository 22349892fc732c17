"""GPU path of the two networks: throughput, precision, memory format, CPU agreement.

Issue "Survey scale", item 4. Run on a CUDA machine from the repository root:

    SKLEARN_STELLAR_DATA=<data home with libraries/miles> \
        python benchmarks/bench_gpu.py --output results.json

Sections (each timed with CUDA synchronisation, after a warm-up fit):

* BinarySpectrumCNN on MILES composites (``make_binary_spectra``, balanced,
  normalised by the binary recipe's normaliser): training spectra/s by batch
  size and precision, held-out ROC AUC of each run (the effect of bf16 and of
  the batch size on accuracy), inference spectra/s on a tiled test set;
* BeResNet18 at full width (64) on 256 x 256 uint8 images: training and
  inference images/s for float32 / bf16 and NCHW / channels_last;
* BeResNet18 accuracy per precision and memory format on the Be data set
  (``make_be_spectra`` drawn by ``HalphaRasterizer``, the recipe's 128 px,
  width 32, 25 epochs);
* CPU against GPU probabilities of the same fitted networks;
* forward FLOPs per input (``torch.utils.flop_counter``), the floor below which
  no implementation can go at the chip's peak.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import time

import numpy as np
import torch
from sklearn.base import clone
from sklearn.metrics import roc_auc_score
from torch.utils.flop_counter import FlopCounterMode

from sklearn_stellar.datasets import make_be_spectra, make_binary_spectra
from sklearn_stellar.neural import BeResNet18, BinarySpectrumCNN
from sklearn_stellar.pipelines import make_binary_pipeline
from sklearn_stellar.preprocessing import HalphaRasterizer

DEVICE = "cuda"


def _sync():
    if DEVICE == "cuda":
        torch.cuda.synchronize()


def _timed(fn):
    _sync()
    start = time.perf_counter()
    result = fn()
    _sync()
    return result, time.perf_counter() - start


def _forward_flops(module, shape):
    module = module.to(DEVICE).eval()
    with torch.no_grad(), FlopCounterMode(display=False) as counter:
        module(torch.zeros(shape, device=DEVICE))
    return counter.get_total_flops() / shape[0]


def binary_section(n_samples, epochs, n_infer, log):
    data, gen_s = _timed(
        lambda: make_binary_spectra(n_samples, binary_fraction=0.5, random_state=0)
    )
    norm = clone(make_binary_pipeline(data.wavelength).named_steps["norm"])
    X = norm.fit_transform(data.data).astype(np.float32)
    train, test = data.split == "train", data.split == "test"
    Xtr, ytr, Xte, yte = X[train], data.target[train], X[test], data.target[test]
    log(
        f"binary data: {n_samples} spectra x {X.shape[1]} px in {gen_s:.0f} s; "
        f"train {len(ytr)}, test {len(yte)}"
    )
    runs = {}
    for bs, lr, precision in [
        (64, 1e-4, "float32"),
        (64, 1e-4, "bf16"),
        (1024, 1e-3, "float32"),
        (1024, 1e-3, "bf16"),
        (4096, 2e-3, "bf16"),
    ]:
        params = {
            "batch_size": bs,
            "lr": lr,
            "precision": precision,
            "device": DEVICE,
            "validation_fraction": None,
            "random_state": 0,
        }
        BinarySpectrumCNN(max_epochs=1, **params).fit(Xtr[:4096], ytr[:4096])
        clf, secs = _timed(
            lambda p=params: BinarySpectrumCNN(max_epochs=epochs, **p).fit(Xtr, ytr)
        )
        auc = roc_auc_score(yte, clf.predict_proba(Xte)[:, 1])
        key = f"bs{bs}_{precision}"
        runs[key] = {
            "train_spectra_per_s": len(ytr) * epochs / secs,
            "fit_s": secs,
            "test_auc": auc,
            "lr": lr,
        }
        log(
            f"binary train {key}: {runs[key]['train_spectra_per_s']:,.0f} spectra/s, "
            f"AUC {auc:.4f}"
        )
    clf32 = BinarySpectrumCNN(
        batch_size=1024,
        lr=1e-3,
        max_epochs=epochs,
        device=DEVICE,
        validation_fraction=None,
        random_state=0,
    ).fit(Xtr, ytr)
    reps = -(-n_infer // len(Xte))
    big = np.tile(Xte, (reps, 1))[:n_infer]
    infer = {}
    for precision in ("float32", "bf16"):
        clf32.set_params(precision=precision).predict_proba(big[:20000])
        _, secs = _timed(lambda c=clf32: c.predict_proba(big))
        infer[precision] = n_infer / secs
        log(f"binary inference {precision}: {infer[precision]:,.0f} spectra/s")
    clf32.set_params(precision="float32")
    p_gpu = clf32.predict_proba(Xte)[:, 1]
    p_cpu = clf32.set_params(device="cpu").predict_proba(Xte)[:, 1]
    agree = float(np.max(np.abs(p_gpu - p_cpu)))
    log(f"binary CPU vs GPU max |dp| over {len(Xte)} test spectra: {agree:.2e}")
    flops = _forward_flops(clf32.module_, (8, 2, X.shape[1]))
    return {
        "n_train": int(len(ytr)),
        "n_test": int(len(yte)),
        "epochs": epochs,
        "train": runs,
        "inference_spectra_per_s": infer,
        "n_infer": n_infer,
        "cpu_gpu_max_abs_diff": agree,
        "forward_flops_per_spectrum": flops,
    }


def resnet_speed_section(n_images, log):
    rng = np.random.default_rng(0)
    X = rng.integers(0, 256, (n_images, 256 * 256), dtype=np.uint8)
    y = np.arange(n_images) % 2
    out = {}
    for precision, cl, bs in [
        ("float32", False, 32),
        ("float32", True, 32),
        ("bf16", True, 32),
        ("bf16", True, 256),
        ("bf16", False, 256),
    ]:
        params = {
            "width": 64,
            "precision": precision,
            "channels_last": cl,
            "batch_size": bs,
            "device": DEVICE,
            "random_state": 0,
        }
        BeResNet18(max_epochs=1, **params).fit(X[:512], y[:512])
        clf, secs = _timed(lambda p=params: BeResNet18(max_epochs=2, **p).fit(X, y))
        clf.predict_proba(X[:2048])
        _, isecs = _timed(lambda c=clf: c.predict_proba(X))
        key = f"{precision}_{'cl' if cl else 'nchw'}_bs{bs}"
        out[key] = {
            "train_images_per_s": 2 * n_images / secs,
            "inference_images_per_s": n_images / isecs,
        }
        log(
            f"resnet {key}: train {out[key]['train_images_per_s']:,.0f} img/s, "
            f"inference {out[key]['inference_images_per_s']:,.0f} img/s"
        )
    flops = _forward_flops(clf.module_, (4, 1, 256, 256))
    mem = torch.cuda.max_memory_allocated() / 2**30 if DEVICE == "cuda" else 0.0
    return {
        "n_images": n_images,
        "runs": out,
        "forward_flops_per_image": flops,
        "max_memory_allocated_gib": mem,
    }


def resnet_accuracy_section(n_samples, log, epochs=25):
    data = make_be_spectra(n_samples, random_state=0)
    raster = HalphaRasterizer(
        wavelength=data.wavelength, medium=data.medium, size=128, n_jobs=8
    )
    X = raster.fit_transform(data.data)
    train, test = data.split == "train", data.split == "test"
    out = {}
    for precision, cl in [("float32", False), ("float32", True), ("bf16", True)]:
        clf = BeResNet18(
            width=32,
            max_epochs=epochs,
            batch_size=32,
            lr=1e-3,
            precision=precision,
            channels_last=cl,
            device=DEVICE,
            random_state=0,
        ).fit(X[train], data.target[train])
        proba = clf.predict_proba(X[test])[:, 1]
        key = f"{precision}_{'cl' if cl else 'nchw'}"
        out[key] = {
            "test_auc": roc_auc_score(data.target[test], proba),
            "test_accuracy": float(np.mean((proba > 0.5) == data.target[test])),
        }
        if key == "float32_cl":
            p_cpu = clf.set_params(device="cpu").predict_proba(X[test])[:, 1]
            out["cpu_gpu_max_abs_diff"] = float(np.max(np.abs(p_cpu - proba)))
        log(f"be accuracy {key}: {out[key]}")
    out["n_train"], out["n_test"] = int(train.sum()), int(test.sum())
    return out


def save_cuda_model(folder, log):
    """A BinarySpectrumCNN trained on CUDA, saved as a model file with its
    GPU predictions: loading it on a CPU-only machine must reproduce them."""
    from sklearn_stellar.persistence import save_model

    rng = np.random.default_rng(0)
    X = (1.0 + 0.05 * rng.standard_normal((400, 512))).astype(np.float32)
    y = np.arange(400) % 2
    X[y == 1, 100:120] -= 0.3
    clf = BinarySpectrumCNN(
        n_filters=8,
        max_epochs=5,
        lr=1e-2,
        device=DEVICE,
        validation_fraction=None,
        random_state=0,
    ).fit(X, y)
    save_model(
        clf,
        os.path.join(folder, "cuda_model.skstellar"),
        provenance={"trained_on": DEVICE},
    )
    np.savez(
        os.path.join(folder, "cuda_model_check.npz"), X=X, proba=clf.predict_proba(X)
    )
    log(f"saved a model trained on {clf.device_}")
    return {"device": clf.device_}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--binary-samples", type=int, default=24000)
    parser.add_argument("--binary-epochs", type=int, default=8)
    parser.add_argument("--binary-infer", type=int, default=262144)
    parser.add_argument("--resnet-images", type=int, default=4096)
    parser.add_argument("--be-samples", type=int, default=2084)
    parser.add_argument("--output", default=None)
    parser.add_argument("--device", default="cuda", help="cpu for a smoke run")
    parser.add_argument("--save-model", default=None, help="folder for a CUDA model")
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device

    def log(msg):
        print(f"[{time.strftime('%H:%M:%S')}] {msg}", flush=True)

    gpu = torch.cuda.get_device_name() if DEVICE == "cuda" else "none"
    results = {
        "torch": torch.__version__,
        "gpu": gpu,
        "cpu": platform.processor() or platform.machine(),
        "cpu_count": os.cpu_count(),
        "args": vars(args),
    }
    log(f"{results['gpu']}, torch {torch.__version__}")
    sections = [
        ("resnet_speed", lambda: resnet_speed_section(args.resnet_images, log)),
        (
            "binary",
            lambda: binary_section(
                args.binary_samples, args.binary_epochs, args.binary_infer, log
            ),
        ),
        ("be_accuracy", lambda: resnet_accuracy_section(args.be_samples, log)),
    ]
    if args.save_model:
        sections.insert(
            0, ("saved_model", lambda: save_cuda_model(args.save_model, log))
        )
    for name, run in sections:
        try:
            results[name] = run()
        except Exception as exc:  # keep the other sections' numbers
            log(f"{name} failed: {exc!r}")
            results[name] = {"error": repr(exc)}
        if args.output:
            with open(args.output, "w") as fh:
                json.dump(results, fh, indent=1, default=float)
    print(json.dumps(results, indent=1, default=float))


if __name__ == "__main__":
    main()
