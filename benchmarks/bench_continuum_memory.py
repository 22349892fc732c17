"""Throughput and peak memory of ContinuumNormalizer.transform at survey scale.

Input: the 100 real DR7 LRS spectra of plan HD103621N361936B01 in the data home
(read with ``read_lamost``, native 3909-pixel grid, ivar == 0 pixels set to NaN),
tiled to ``n`` rows with 1% multiplicative Gaussian noise, as float32 (flux and
ivar), as a survey would hold them. Each (code, method, ivar, n) runs in a fresh
subprocess, which reports transform's spectra/s and its peak resident memory
(``VmHWM`` of /proc/self/status, reset through /proc/self/clear_refs just before
the call) beyond the resident memory just before it (input loaded, estimator
fitted and warmed on 300 rows), over the timed calls (best of 3 up to 10,000
rows, else one); "extra" is that increase less the output array. Linux only.
At 1,000 rows the increase can fall below the output: the output then reuses
pages the warm-up call left resident.

``--code old`` runs the module as of commit 749c9ea (before the blocked
conversion and the bounded exact path), read with ``git show``; ``new`` runs
the working tree.

Run from the repository root::

    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_continuum_memory.py \\
        --sizes 1000 10000 100000 --methods gaussian --weights ivar none
    OMP_NUM_THREADS=1 PYTHONPATH=. python benchmarks/bench_continuum_memory.py \\
        --sizes 1000 10000 --methods spline --weights ivar
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import types
import warnings

import numpy as np

OLD_COMMIT = "749c9ea"
PLAN = "lamost/lrs/dr7_plan_HD103621N361936B01"


def old_normalizer():
    """ContinuumNormalizer as of OLD_COMMIT, loaded from git."""
    src = subprocess.run(
        ["git", "show", f"{OLD_COMMIT}:sklearn_stellar/preprocessing/_continuum.py"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    src = src.replace("from ..utils import", "from sklearn_stellar.utils import")
    mod = types.ModuleType("continuum_old")
    sys.modules[mod.__name__] = mod
    exec(compile(src, "continuum_old.py", "exec"), mod.__dict__)
    return mod.ContinuumNormalizer


def load(n):
    from sklearn_stellar.datasets import get_data_home
    from sklearn_stellar.io import read_lamost

    spectra = read_lamost(get_data_home() / PLAN)
    wave = spectra[0].spectral_axis.value.astype(np.float64)
    flux = np.array([s.flux.value for s in spectra], dtype=np.float32)
    ivar = np.array([s.uncertainty.array for s in spectra], dtype=np.float32)
    flux[ivar == 0] = np.nan
    rng = np.random.default_rng(0)
    X = np.empty((n, wave.size), dtype=np.float32)
    IV = np.empty_like(X)
    for start in range(0, n, flux.shape[0]):  # one tile at a time: no big temporary
        k = min(flux.shape[0], n - start)
        noise = rng.standard_normal((k, wave.size), dtype=np.float32)
        X[start : start + k] = flux[:k] * (1 + 0.01 * noise)
        IV[start : start + k] = ivar[:k]
    return wave, X, IV


def status_bytes(field):
    """A memory field of /proc/self/status (VmRSS, VmHWM), in bytes."""
    with open("/proc/self/status") as fh:
        for line in fh:
            if line.startswith(field + ":"):
                return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def reset_peak_rss():
    """Reset the peak resident size (VmHWM) to the current one (Linux >= 4.0)."""
    with open("/proc/self/clear_refs", "w") as fh:
        fh.write("5")


def child(code, method, weights, n):
    if code == "old":
        cls = old_normalizer()
    else:
        from sklearn_stellar.preprocessing import ContinuumNormalizer as cls
    wave, X, IV = load(n)
    iv = IV if weights == "ivar" else None
    est = cls(wavelength=wave, method=method).fit(X[:10])
    warnings.simplefilter("ignore")
    est.transform(X[:300], ivar=None if iv is None else iv[:300])  # warm
    reset_peak_rss()
    rss0 = status_bytes("VmRSS")
    dt, out = np.inf, None
    for _ in range(3 if n <= 10_000 else 1):  # best of 3 where it is cheap
        out = None  # drop the last output: no call runs on top of another's
        t0 = time.perf_counter()
        out = est.transform(X, ivar=iv)
        dt = min(dt, time.perf_counter() - t0)
    rss1 = status_bytes("VmHWM")
    print(
        json.dumps(
            {
                "code": code,
                "method": method,
                "ivar": weights,
                "n": n,
                "seconds": dt,
                "spectra_per_s": n / dt,
                "input_mb": (X.nbytes + (0 if iv is None else iv.nbytes)) / 2**20,
                "output_mb": out.nbytes / 2**20,
                "peak_increase_mb": (rss1 - rss0) / 2**20,
                "extra_mb": (rss1 - rss0 - out.nbytes) / 2**20,
                "out_dtype": str(out.dtype),
            }
        )
    )


def main():
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sizes", type=int, nargs="+", default=[1000, 10000, 100000])
    p.add_argument("--methods", nargs="+", default=["gaussian"])
    p.add_argument("--weights", nargs="+", default=["ivar"], choices=["ivar", "none"])
    p.add_argument("--codes", nargs="+", default=["old", "new"])
    p.add_argument("--child", nargs=4, metavar=("CODE", "METHOD", "IVAR", "N"))
    args = p.parse_args()
    if args.child:
        code, method, weights, n = args.child
        child(code, method, weights, int(n))
        return
    print(
        "| method | ivar | n | code | spectra/s | peak increase (MB) | output (MB) "
        "| extra beyond output (MB) |"
    )
    print("|---|---|---|---|---|---|---|---|")
    for method in args.methods:
        for weights in args.weights:
            for n in args.sizes:
                for code in args.codes:
                    cmd = [
                        sys.executable,
                        __file__,
                        "--child",
                        code,
                        method,
                        weights,
                        str(n),
                    ]
                    res = subprocess.run(cmd, capture_output=True, text=True)
                    if res.returncode:
                        print(
                            f"| {method} | {weights} | {n} | {code} | failed: "
                            f"{res.stderr.strip().splitlines()[-1:]} |",
                            flush=True,
                        )
                        continue
                    r = json.loads(res.stdout.strip().splitlines()[-1])
                    print(
                        f"| {method} | {weights} | {n:,} | {code} | "
                        f"{r['spectra_per_s']:.0f} | {r['peak_increase_mb']:.0f} | "
                        f"{r['output_mb']:.0f} | {r['extra_mb']:.0f} |",
                        flush=True,
                    )


if __name__ == "__main__":
    main()
