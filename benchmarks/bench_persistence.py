"""Model files at full size: bytes, save and load time, next to pickle.

Two models of the seed workflows at their real sizes, trained one epoch on a
few rows (the weights' values do not change size or speed):

- binary: ContinuumNormalizer (sigma 350 A) on the real 3,909-pixel LAMOST LRS
  grid -> RandomOverSampler -> BinarySpectrumCNN with its defaults;
- Be: BeResNet18 with its defaults (width 64, channels_last) on 64 x 64 images.

For each: file size and best-of-``--repeat`` times of ``save_model`` /
``load_model`` and of ``pickle.dumps`` / ``pickle.loads``, and whether the
loaded model's ``predict_proba`` equals the original's bit for bit. Prints the
ratio load_model / pickle.loads.

    OMP_NUM_THREADS=1 python benchmarks/bench_persistence.py --repeat 5
"""

from __future__ import annotations

import argparse
import pickle
import tempfile
import time
from pathlib import Path

import numpy as np
from astropy.io import fits
from imblearn.over_sampling import RandomOverSampler
from imblearn.pipeline import Pipeline

from sklearn_stellar.datasets import get_data_home
from sklearn_stellar.neural import BeResNet18, BinarySpectrumCNN
from sklearn_stellar.persistence import load_model, save_model
from sklearn_stellar.preprocessing import ContinuumNormalizer


def _best(fn, repeat):
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - start)
    return min(times), out


def _binary_model():
    folder = get_data_home() / "lamost/lrs/dr7_plan_HD103621N361936B01"
    rows = [fits.getdata(f).astype(np.float64) for f in sorted(folder.glob("*.fits"))]
    wave = rows[0][2]
    flux = np.array([r[0] for r in rows[:32]])
    y = np.arange(len(flux)) % 3 == 0
    pipe = Pipeline(
        [
            ("norm", ContinuumNormalizer(wavelength=wave, sigma=350.0)),
            ("over", RandomOverSampler(random_state=0)),
            (
                "cnn",
                BinarySpectrumCNN(
                    max_epochs=1, random_state=0, validation_fraction=None
                ),
            ),
        ]
    )
    return pipe.fit(flux, y), flux


def _be_model():
    rng = np.random.default_rng(0)
    X = rng.uniform(0, 255, (16, 64 * 64)).astype(np.uint8)
    y = np.r_[[0] * 8, [1] * 8]
    return BeResNet18(max_epochs=1, batch_size=8, random_state=0).fit(X, y), X


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for name, build in (("binary", _binary_model), ("be", _be_model)):
            model, X = build()
            path = Path(folder) / f"{name}.skstellar"
            t_save, _ = _best(lambda m=model, p=path: save_model(m, p), args.repeat)
            t_load, loaded = _best(lambda p=path: load_model(p), args.repeat)
            blob = pickle.dumps(model)
            t_dump, _ = _best(lambda m=model: pickle.dumps(m), args.repeat)
            t_unpickle, _ = _best(lambda b=blob: pickle.loads(b), args.repeat)
            same = np.array_equal(loaded.predict_proba(X), model.predict_proba(X))
            print(
                f"{name}: file {path.stat().st_size / 1e6:.2f} MB (pickle "
                f"{len(blob) / 1e6:.2f} MB); save {t_save * 1e3:.0f} ms, load "
                f"{t_load * 1e3:.0f} ms; pickle dump {t_dump * 1e3:.0f} ms, load "
                f"{t_unpickle * 1e3:.0f} ms; load_model / pickle.loads "
                f"{t_load / t_unpickle:.1f}x; bit-identical predict_proba: {same}"
            )


if __name__ == "__main__":
    main()
