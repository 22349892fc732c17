"""Training and inference speed of BinarySpectrumCNN on LAMOST-LRS-sized spectra.

    nice -n 10 python benchmarks/bench_binary_cnn_speed.py [--threads 2]
        [--n-pixels 3909] [--n-train 2048] [--n-infer 8192]

Spectra have 3,909 pixels (the LAMOST LRS 1e-4 dex grid 3690-9100 A), float32.
Reports, for the default architecture:

- FLOPs per spectrum (2 x multiply-adds of the conv and linear layers);
- training spectra/s per epoch (``fit`` with ``validation_fraction=None``,
  timed from skorch's per-epoch duration);
- inference spectra/s of ``predict_proba`` (``torch.inference_mode``, batches
  of ``batch_size`` rows) side by side with the peer: the bare torch module
  on a ready-made tensor in one batch loop, same process, same threads;
  the ratio is the estimator's overhead (validation, NaN rule, softmax);
- numpy peak memory of ``predict_proba`` for n and 4n spectra (bounded by the
  batch, apart from the (n, 2) output).

Prints Markdown for benchmarks/results_binary.md.
"""

from __future__ import annotations

import argparse
import os
import platform
import time
import tracemalloc
from datetime import datetime, timezone

import numpy as np
import torch

from sklearn_stellar.neural import BinarySpectrumCNN
from sklearn_stellar.neural._binary_cnn import conv_flops_per_spectrum


def _spectra(n, n_pixels, rng):
    # Continuum-normalised-looking spectra: absorption lines + noise (float32).
    pix = np.arange(n_pixels)
    centres = rng.uniform(0, n_pixels, 40)
    lines = np.exp(-0.5 * ((pix[None, :] - centres[:, None]) / 1.5) ** 2).sum(0)
    X = 1.0 - 0.3 * lines[None, :] + 0.02 * rng.standard_normal((n, n_pixels))
    return X.astype(np.float32)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--n-pixels", type=int, default=3909)
    parser.add_argument("--n-train", type=int, default=2048)
    parser.add_argument("--n-infer", type=int, default=8192)
    parser.add_argument("--infer-batch", type=int, default=1024)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    rng = np.random.default_rng(0)

    X_train = _spectra(args.n_train, args.n_pixels, rng)
    y_train = rng.integers(0, 2, args.n_train)
    clf = BinarySpectrumCNN(
        max_epochs=3, validation_fraction=None, random_state=0, device="cpu"
    )
    clf.fit(X_train, y_train)
    epoch_s = [h["dur"] for h in clf.history_]
    train_rate = args.n_train / np.median(epoch_s[1:])
    flops = conv_flops_per_spectrum(clf.module_, args.n_pixels, 2)

    clf.set_params(batch_size=args.infer_batch)
    X = _spectra(args.n_infer, args.n_pixels, rng)
    module = clf.module_.eval()
    Xt = torch.from_numpy(clf._prepare_X(X))

    def peer():
        with torch.inference_mode():
            for s in range(0, len(Xt), args.infer_batch):
                module(Xt[s : s + args.infer_batch])

    def ours():
        clf.predict_proba(X)

    ours(), peer()  # warm-up
    t_ours, t_peer, c_ours = [], [], []
    for _ in range(args.repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        ours()
        t_ours.append(time.perf_counter() - t0)
        c_ours.append(time.process_time() - c0)
        t0 = time.perf_counter()
        peer()
        t_peer.append(time.perf_counter() - t0)
    rate_ours = args.n_infer / min(t_ours)
    rate_peer = args.n_infer / min(t_peer)
    # Spectra per CPU-second of this process times the thread count: the rate
    # on dedicated cores if the threads scale, independent of other jobs.
    rate_cpu = args.n_infer / min(c_ours) * args.threads

    peaks = {}
    for n in (args.n_infer // 4, args.n_infer):  # both >= 2 batches by default
        tracemalloc.start()
        clf.predict_proba(X[:n])
        peaks[n] = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()

    out = []
    w = out.append
    w(f"Date (UTC): {datetime.now(timezone.utc):%Y-%m-%d %H:%M}")
    w(
        f"Host: {platform.machine()}, {os.cpu_count()} CPUs visible, torch "
        f"{torch.__version__}, torch threads {args.threads}, load average "
        f"{os.getloadavg()[0]:.1f} (machine shared with other jobs)"
    )
    w("No GPU available in this task: CPU figures only.")
    w("")
    w(
        f"Command: `nice -n 10 python benchmarks/bench_binary_cnn_speed.py "
        f"--threads {args.threads} --n-pixels {args.n_pixels} --n-train "
        f"{args.n_train} --n-infer {args.n_infer} --infer-batch {args.infer_batch}`"
    )
    w("")
    p = clf.get_params()
    w(
        f"Default architecture: n_filters={p['n_filters']}, kernel_size="
        f"{p['kernel_size']}, stem_stride={p['stem_stride']}, pool_size="
        f"{p['pool_size']}, hidden_units={p['hidden_units']}; "
        f"{sum(t.numel() for t in module.parameters()):,} parameters; "
        f"**{flops / 1e6:.2f} MFLOP per {args.n_pixels}-pixel spectrum**."
    )
    w("")
    w("| measure | value |")
    w("|---|---|")
    w(
        f"| training, spectra/s per epoch (batch 64, {args.n_train} spectra, "
        f"median of epochs 2-3) | {train_rate:,.0f} |"
    )
    w(
        f"| inference, predict_proba spectra/s (batch {args.infer_batch}, "
        f"n={args.n_infer}, best of {args.repeats}) | **{rate_ours:,.0f}** |"
    )
    w(
        f"| inference, predict_proba spectra per CPU-second x {args.threads} "
        f"threads (dedicated-core estimate) | {rate_cpu:,.0f} |"
    )
    w(f"| inference, bare torch module spectra/s (peer) | {rate_peer:,.0f} |")
    w(f"| ratio predict_proba / peer | {rate_ours / rate_peer:.2f} |")
    w(f"| effective GFLOP/s in predict_proba | {flops * rate_ours / 1e9:.1f} |")
    for n, peak in peaks.items():
        w(f"| numpy peak memory of predict_proba, n={n} | {peak / 2**20:.1f} MiB |")
    w("")
    w(
        "Target: inference >= 2,000 spectra/s on 2 cores -> "
        + ("met (wall clock)." if rate_ours >= 2000 else "NOT met in wall clock.")
    )
    print("\n".join(out))


if __name__ == "__main__":
    main()
