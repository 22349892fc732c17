"""Does the binary CNN learn? Per-epoch AUC on seen and unseen library stars.

    nice -n 10 python benchmarks/bench_binary_learning.py --n-samples 12000 \
        --lr 1e-4 --epochs 8

A bare training loop around the network of ``BinarySpectrumCNN`` (the private
``_BinaryNet`` with one input channel, no early stopping, no precise-BN pass),
used to diagnose learning cheaply before running the full workflow:

- data: ``make_binary_spectra(n_samples, binary_fraction=f, random_state=seed)``
  (``--binary-fraction``, default 1/19 as the seed), continuum normalised
  with ``ContinuumNormalizer(sigma=350)``;
- training rows: 80 % of the training split (random rows); "seen": the other
  20 % (training stars, new noise/S/N/velocities/pairings); "unseen": the
  validation and test splits together (stars never trained on);
- every epoch: all singles plus as many binaries drawn with replacement
  (random oversampling to 1:1, redrawn per epoch), Adam, cross-entropy;
- after every epoch: ROC AUC on 3,000 training rows, the seen rows and the
  unseen rows (evaluation mode, log p_b).

Prints one line per epoch.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from sklearn.metrics import roc_auc_score

from sklearn_stellar.datasets import make_binary_spectra
from sklearn_stellar.neural._binary_cnn import _BinaryNet
from sklearn_stellar.preprocessing import ContinuumNormalizer


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n-samples", type=int, default=12000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--lr", type=float, default=1e-4)
    parser.add_argument("--epochs", type=int, default=8)
    parser.add_argument("--n-filters", type=int, default=16)
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument(
        "--center", action="store_true", help="feed flux - 1 instead of flux"
    )
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument(
        "--binary-fraction",
        type=float,
        default=1 / 19,
        help="make_binary_spectra's binary_fraction (0.5: balanced training split)",
    )
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    data = make_binary_spectra(
        n_samples=args.n_samples,
        binary_fraction=args.binary_fraction,
        random_state=args.seed,
    )
    X = ContinuumNormalizer(wavelength=data.wavelength, sigma=350.0).fit_transform(
        data.data
    )
    X = np.asarray(X, dtype=np.float32)
    if args.center:
        X = X - 1.0
    y, split = data.target, data.split
    rng = np.random.default_rng(args.seed)
    train = np.flatnonzero(split == "train")
    rng.shuffle(train)
    seen, train = train[: len(train) // 5], train[len(train) // 5 :]
    unseen = np.flatnonzero(split != "train")
    print(
        f"train {len(train)} ({int(y[train].sum())} binaries), seen {len(seen)} "
        f"({int(y[seen].sum())}), unseen {len(unseen)} ({int(y[unseen].sum())}); "
        f"lr {args.lr}, center {args.center}"
    )
    net = _BinaryNet(
        X.shape[1],
        2,
        in_channels=1,
        n_filters=args.n_filters,
        kernel_size=7,
        stem_stride=4,
        pool_size=2,
        hidden_units=64,
        dropout=0.5,
    )
    opt = torch.optim.Adam(net.parameters(), lr=args.lr)
    Xt = torch.from_numpy(X[:, None, :])
    yt = torch.from_numpy(y.astype(np.int64))
    pos, neg = train[y[train] == 1], train[y[train] == 0]

    def score(idx):
        net.eval()
        with torch.no_grad():
            out = [
                torch.log_softmax(net(Xt[idx[s : s + 512]]), 1)[:, 1].numpy()
                for s in range(0, len(idx), 512)
            ]
        net.train()
        return np.concatenate(out)

    for epoch in range(args.epochs):
        t0 = time.perf_counter()
        idx = np.r_[neg, rng.choice(pos, len(neg))]
        rng.shuffle(idx)
        total = 0.0
        for s in range(0, len(idx), args.batch_size):
            b = idx[s : s + args.batch_size]
            loss = torch.nn.functional.cross_entropy(net(Xt[b]), yt[b])
            opt.zero_grad()
            loss.backward()
            opt.step()
            total += loss.item() * len(b)
        sub = train[:3000]
        print(
            f"epoch {epoch} loss {total / len(idx):.3f} "
            f"train AUC {roc_auc_score(y[sub], score(sub)):.3f} "
            f"seen AUC {roc_auc_score(y[seen], score(seen)):.3f} "
            f"unseen AUC {roc_auc_score(y[unseen], score(unseen)):.3f} "
            f"({time.perf_counter() - t0:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
