"""Survey-scale prediction: a memory-mapped file of spectra -> p_b, and dask.

Two benchmarks of :func:`sklearn_stellar.scale.predict_chunked` with the binary
recipe (``ContinuumNormalizer`` -> ``BinarySpectrumCNN``, default architecture)
on the LAMOST LRS grid (3,909 px):

``memmap``: writes ``--n-spectra`` float32 spectra to a ``.npy`` file in
``--dir`` (the 100 real DR7 spectra of ``bench_continuum.py``'s plan, NaN at
ivar == 0 pixels, tiled, times 1 + 1 % Gaussian noise, filled chunk by chunk),
then predicts p_b in a *fresh process* (so its peak resident memory is the
prediction's alone: imports, model, chunks) into a ``.npy`` memmap, and prints
spectra/s and the peak resident memory (VmHWM, i.e. ``ru_maxrss``). The file
is deleted at the end unless ``--keep``.

``dask``: ``--n-spectra`` spectra end to end from such a file to p_b in
memory: one process (``predict_chunked`` over ``np.load(mmap_mode="r")``,
torch with ``--threads`` threads) against a ``LocalCluster`` of ``--workers``
worker processes with one thread each (torch 1 thread each), the workers
reading their own row blocks from the file (``dask.delayed``) and the model
sent once per worker as one graph key. Cluster start-up is timed apart.

The network is trained for 2 epochs on 200 spectra (the 100 real ones as
"singles", 100 sums of two of them, one shifted by 3 px, as "binaries"): its
p_b mean nothing; speed and memory depend on the architecture, not on the
weights.

Run from the repository root::

    nice python benchmarks/bench_scale.py memmap --n-spectra 1000000 --dir /tmp
    nice python benchmarks/bench_scale.py dask --n-spectra 100000 --dir /tmp
"""

from __future__ import annotations

import argparse
import json
import os
import pickle
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).parent))
from bench_continuum import load_lrs  # noqa: E402  (the same 100 real spectra)

N_REAL = 100


def train_model(path, threads):
    import torch
    from sklearn.pipeline import make_pipeline

    from sklearn_stellar.neural import BinarySpectrumCNN
    from sklearn_stellar.preprocessing import ContinuumNormalizer

    torch.set_num_threads(threads)
    wave, flux, _ = load_lrs(N_REAL)
    binaries = flux + 0.7 * np.roll(np.roll(flux, 1, axis=0), 3, axis=1)
    X = np.vstack([flux, binaries / 1.7]).astype(np.float32)
    y = np.r_[np.zeros(N_REAL, int), np.ones(N_REAL, int)]
    pipe = make_pipeline(
        ContinuumNormalizer(wavelength=wave, sigma=350.0),
        BinarySpectrumCNN(max_epochs=2, validation_fraction=None, random_state=0),
    ).fit(X, y)
    pipe[-1].set_params(batch_size=1024)  # inference batch, as bench_binary_cnn_speed
    with open(path, "wb") as fh:
        pickle.dump(pipe, fh)
    return wave


def write_spectra(path, n_spectra, chunk=10_000, seed=0):
    """Tile the real spectra with 1 % noise into a .npy file, chunk by chunk."""
    _, flux, _ = load_lrs(N_REAL)
    flux = flux.astype(np.float32)
    rng = np.random.default_rng(seed)
    header = np.lib.format.open_memmap(
        path, mode="w+", dtype=np.float32, shape=(n_spectra, flux.shape[1])
    )
    offset = header.offset
    del header
    # Plain writes, not through the map: no 15.6 GB of dirty mapped pages.
    with open(path, "r+b") as fh:
        fh.seek(offset)
        for start in range(0, n_spectra, chunk):
            stop = min(start + chunk, n_spectra)
            rows = flux[np.arange(start, stop) % N_REAL]
            noise = rng.standard_normal(rows.shape, dtype=np.float32)
            fh.write((rows * (1 + 0.01 * noise)).astype(np.float32).tobytes())


def _status_kb(field):
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    return -1


def predict_child(args):
    """Runs in a fresh process: load the model, predict the file, report."""
    import torch

    from sklearn_stellar.scale import predict_chunked

    torch.set_num_threads(args.threads)
    if args.no_release:  # ablation: keep the pages read (the resident size grows)
        import sklearn_stellar.scale._chunked as chunked

        chunked._release_pages = lambda X: None
    with open(args.model, "rb") as fh:
        pipe = pickle.load(fh)
    X = np.load(args.flux, mmap_mode="r")
    out = np.lib.format.open_memmap(
        args.out, mode="w+", dtype=np.float64, shape=(len(X), 2)
    )
    rss_before = _status_kb("VmRSS")
    t0 = time.perf_counter()

    def report_progress(done, total):  # a line every ~100,000 spectra
        if done % (25 * args.chunk_size) < args.chunk_size or done == total:
            rate = done / (time.perf_counter() - t0)
            print(
                f"# {done}/{total} spectra, {rate:.0f}/s, "
                f"VmHWM {_status_kb('VmHWM') / 1024:.0f} MiB",
                file=sys.stderr,
                flush=True,
            )

    predict_chunked(
        pipe, X, chunk_size=args.chunk_size, out=out, progress=report_progress
    )
    out.flush()
    wall = time.perf_counter() - t0
    p_b = np.asarray(out[:, 1])
    report = {
        "n_spectra": len(X),
        "wall_s": wall,
        "spectra_per_s": len(X) / wall,
        "rss_before_predict_mib": rss_before / 1024,
        "vmhwm_mib": _status_kb("VmHWM") / 1024,
        "ru_maxrss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "p_b_finite": bool(np.isfinite(p_b).all()),
        "p_b_mean": float(p_b.mean()),
    }
    print(json.dumps(report))


def run_memmap(args):
    d = Path(args.dir)
    model, flux, out = d / "scale_model.pkl", d / "scale_flux.npy", d / "scale_pb.npy"
    try:
        train_model(model, args.threads)
        t0 = time.perf_counter()
        write_spectra(flux, args.n_spectra)
        t_write = time.perf_counter() - t0
        cmd = [sys.executable, __file__, "_predict", "--model", str(model)]
        cmd += ["--flux", str(flux), "--out", str(out)]
        cmd += ["--chunk-size", str(args.chunk_size), "--threads", str(args.threads)]
        cmd += ["--no-release"] if args.no_release else []
        res = subprocess.run(cmd, check=True, stdout=subprocess.PIPE, text=True)
        report = json.loads(res.stdout.strip().splitlines()[-1])
        report["file_gb"] = flux.stat().st_size / 1e9
        report["write_s"] = t_write
        report["chunk_size"] = args.chunk_size
        report["threads"] = args.threads
        report["pages_released"] = not args.no_release
        print(json.dumps(report, indent=1))
    finally:
        if not args.keep:
            for f in (model, flux, out):
                f.unlink(missing_ok=True)


def _read_rows(path, start, stop):
    return np.array(np.load(path, mmap_mode="r")[start:stop])


def run_dask(args):
    import dask
    import dask.array as da
    import torch
    from dask.distributed import Client, LocalCluster

    from sklearn_stellar.scale import chunk_slices, predict_chunked

    d = Path(args.dir)
    model, flux = d / "scale_model.pkl", d / "scale_flux.npy"
    try:
        train_model(model, args.threads)
        write_spectra(flux, args.n_spectra)
        with open(model, "rb") as fh:
            pipe = pickle.load(fh)
        n_pix = np.load(flux, mmap_mode="r").shape[1]

        X = np.load(flux, mmap_mode="r")

        def one_process():
            torch.set_num_threads(args.threads)
            t0 = time.perf_counter()
            p = predict_chunked(pipe, X, chunk_size=args.chunk_size)
            return p, time.perf_counter() - t0

        def on_cluster():
            t0 = time.perf_counter()
            cluster = LocalCluster(
                n_workers=args.workers,
                threads_per_worker=1,
                processes=True,
                dashboard_address=None,
            )
            client = Client(cluster)
            client.run(torch.set_num_threads, 1)
            t_start = time.perf_counter() - t0
            try:
                t0 = time.perf_counter()
                read = dask.delayed(_read_rows)
                blocks = [
                    da.from_delayed(
                        read(str(flux), rows.start, rows.stop),
                        shape=(rows.stop - rows.start, n_pix),
                        dtype=np.float32,
                    )
                    for rows in chunk_slices(len(X), args.chunk_size)
                ]
                Xd = da.concatenate(blocks, axis=0)
                p = predict_chunked(pipe, Xd, chunk_size=args.chunk_size).compute()
                return p, time.perf_counter() - t0, t_start
            finally:
                client.close()
                cluster.close()

        if args.cluster_first:
            p_dask, t_dask, t_start = on_cluster()
            p_one, t_one = one_process()
        else:
            p_one, t_one = one_process()
            p_dask, t_dask, t_start = on_cluster()
        n = len(X)
        print(
            json.dumps(
                {
                    "n_spectra": n,
                    "chunk_size": args.chunk_size,
                    "cluster_first": args.cluster_first,
                    "one_process_threads": args.threads,
                    "one_process_s": t_one,
                    "one_process_spectra_per_s": n / t_one,
                    "workers": args.workers,
                    "cluster_start_s": t_start,
                    "cluster_s": t_dask,
                    "cluster_spectra_per_s": n / t_dask,
                    "speedup": t_one / t_dask,
                    "max_abs_diff": float(np.abs(p_one - p_dask).max()),
                },
                indent=1,
            )
        )
    finally:
        if not args.keep:
            for f in (model, flux):
                f.unlink(missing_ok=True)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["memmap", "dask", "_predict"])
    parser.add_argument("--n-spectra", type=int, default=10_000)
    parser.add_argument("--dir", default="/tmp")
    parser.add_argument("--chunk-size", type=int, default=4096)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--keep", action="store_true")
    parser.add_argument(
        "--no-release",
        action="store_true",
        help="memmap: ablation, do not release the memmap pages after each chunk",
    )
    parser.add_argument(
        "--cluster-first",
        action="store_true",
        help="dask: time the cluster before the single process (load drifts)",
    )
    parser.add_argument("--model")
    parser.add_argument("--flux")
    parser.add_argument("--out")
    args = parser.parse_args(argv)
    print(
        f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, load "
        f"{os.getloadavg()[0]:.1f}, cores {os.cpu_count()}",
        file=sys.stderr,
    )
    {"memmap": run_memmap, "dask": run_dask, "_predict": predict_child}[args.mode](args)


if __name__ == "__main__":
    main()
