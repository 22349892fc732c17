"""
Scaling out: memory maps and Dask
=================================

A LAMOST data release holds millions of spectra, more than fit in memory.
:func:`~sklearn_stellar.scale.predict_chunked` applies a fitted model chunk
by chunk, so the memory a prediction needs is set by the chunk, not by the
survey. It reads numpy memory maps (streaming, results written into an
output memory map) and Dask arrays (returning a lazy Dask array that a
:class:`distributed.Client` computes on its workers).

The model is a tiny demonstration of the binary-star recipe, trained in
seconds on modelled binaries built from real MILES stars; the "survey" is
2,000 copies of its test spectra with fresh noise, written to a temporary
``.npy`` file. What matters here is that every route gives the same numbers.
"""

# %%
# A model and a survey on disk
# ----------------------------
import shutil
import tempfile
import time
from pathlib import Path

import dask
import dask.array as da
import matplotlib.pyplot as plt
import numpy as np
from dask.distributed import Client, LocalCluster

from sklearn_stellar.datasets import make_binary_spectra
from sklearn_stellar.pipelines import make_binary_pipeline
from sklearn_stellar.scale import chunk_slices, predict_chunked

data = make_binary_spectra(n_samples=200, binary_fraction=0.5, random_state=0)
train = data.split == "train"
model = make_binary_pipeline(
    data.wavelength,
    n_filters=4,
    max_epochs=2,
    lr=1e-3,
    batch_size=64,
    validation_fraction=None,
    random_state=0,
)
model.fit(data.data[train], data.target[train])

rng = np.random.default_rng(0)
test = data.data[~train]
survey = np.repeat(test, -(-2000 // len(test)), axis=0)[:2000]
survey = (survey * rng.normal(1.0, 0.01, survey.shape)).astype(np.float32)
folder = Path(tempfile.mkdtemp(prefix="sklearn_stellar_scale_"))
np.save(folder / "spectra.npy", survey)
print(f"{survey.shape[0]} spectra, {survey.nbytes / 2**20:.0f} MiB on disk")

# %%
# Streaming over a memory map
# ---------------------------
# ``np.load(mmap_mode="r")`` reads nothing yet; ``predict_chunked`` reads
# one chunk at a time and writes the probabilities into ``out``, here a
# memory-mapped ``.npy`` file too. A chunk size that is a multiple of the
# network's ``batch_size`` makes the result bit-identical to one call.
X = np.load(folder / "spectra.npy", mmap_mode="r")
out = np.lib.format.open_memmap(
    folder / "proba.npy", mode="w+", dtype=np.float64, shape=(len(X), 2)
)
start = time.perf_counter()
predict_chunked(model, X, chunk_size=512, out=out)
print(
    f"memory map: {len(X)} spectra in {time.perf_counter() - start:.1f} s, "
    f"chunks {[(s.start, s.stop) for s in chunk_slices(len(X), 512)]}"
)
print(
    "equal to one predict_proba call:",
    np.array_equal(out, model.predict_proba(np.asarray(X))),
)

# %%
# The same on a Dask cluster
# --------------------------
# A local cluster of two workers (threads in this process, to stay small;
# on a real cluster the same code runs with a ``Client`` connected to its
# scheduler, see the user guide). Given a Dask array, ``predict_chunked``
# returns a lazy Dask array: the model enters the graph once and each row
# block is predicted where it lives. ``compute`` runs it. The workers read
# the spectra themselves, one delayed read per row block, rather than
# receiving the array through the scheduler (``da.from_array`` on an
# in-memory array would put all of it in the graph).
cluster = LocalCluster(
    n_workers=2, threads_per_worker=1, processes=False, dashboard_address=None
)
client = Client(cluster)


def read_rows(path, start, stop):
    return np.array(np.load(path, mmap_mode="r")[start:stop])


X_dask = da.concatenate(
    [
        da.from_delayed(
            dask.delayed(read_rows)(folder / "spectra.npy", s.start, s.stop),
            shape=(s.stop - s.start, X.shape[1]),
            dtype=np.float32,
        )
        for s in chunk_slices(len(X), 512)
    ]
)
lazy = predict_chunked(model, X_dask, chunk_size=512)
print(f"lazy result: {lazy.shape}, {lazy.numblocks[0]} row blocks")
start = time.perf_counter()
proba_dask = lazy.compute()
print(
    f"dask: {time.perf_counter() - start:.1f} s; equal to the memory-map run:",
    np.array_equal(proba_dask, out),
)
client.close()
cluster.close()

# %%
# Figure
# ------
p_mmap = np.array(out[:, 1])
del X, out  # release the memory maps before removing their files
shutil.rmtree(folder)
fig, (ax_hist, ax_diff) = plt.subplots(1, 2, figsize=(10.0, 4.0))
ax_hist.hist(p_mmap, bins=30, color="C0")
ax_hist.set_xlabel("p_b (tiny demonstration model)")
ax_hist.set_ylabel("spectra")
ax_hist.set_title("2,000 spectra, memory-mapped, chunks of 512")
ax_diff.plot(proba_dask[:, 1] - p_mmap, ",")
ax_diff.set_xlabel("spectrum")
ax_diff.set_ylabel("p_b(dask) - p_b(memory map)")
ax_diff.set_title("the two routes agree")
fig.tight_layout()
plt.show()
