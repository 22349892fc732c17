"""Moving data to the training device and running under mixed precision.

skorch feeds a network through a :class:`torch.utils.data.DataLoader`: every
mini-batch is gathered row by row from numpy, collated on the CPU and copied to
the device. On a GPU that loop, not the network, sets the pace (seen on an
H200: ~14,000 spectra/s for a 5 MFLOP network). When the training set fits in a
fraction of the free device memory it is therefore copied to the device once,
through pinned memory, and :class:`DeviceBatches` slices mini-batches there
with a seeded permutation; otherwise skorch's loader runs with pinned memory.
"""

from __future__ import annotations

import contextlib
import warnings

import numpy as np
import torch

__all__ = [
    "PRECISIONS",
    "DeviceBatches",
    "autocast",
    "fits_on_device",
    "to_device",
]

PRECISIONS = ("float32", "bf16")

# Share of the free device memory that a resident training set may take.
_RESIDENT_SHARE = 0.25


def autocast(device: str, precision: str):
    """Context that runs the forward pass in ``precision``.

    ``"float32"`` is a no-op; ``"bf16"`` is :func:`torch.autocast` with
    ``torch.bfloat16`` on the device's type (matrix products and convolutions
    in bfloat16, reductions and the loss in float32).

    Examples
    --------
    >>> import torch
    >>> from sklearn_stellar.neural._device import autocast
    >>> with autocast("cpu", "bf16"):
    ...     y = torch.nn.Linear(4, 2)(torch.ones(3, 4))
    >>> y.dtype
    torch.bfloat16
    """
    if precision == "float32":
        return contextlib.nullcontext()
    return torch.autocast(torch.device(device).type, dtype=torch.bfloat16)


def fits_on_device(nbytes: int, device: str) -> bool:
    """Whether ``nbytes`` may live on a CUDA ``device`` for a whole fit."""
    dev = torch.device(device)
    if dev.type != "cuda":
        return False
    free, _ = torch.cuda.mem_get_info(dev)
    return nbytes <= _RESIDENT_SHARE * free


def to_device(array: np.ndarray, device: str) -> torch.Tensor:
    """Copy a numpy array to ``device`` (through pinned memory on CUDA).

    The array is only read (copied), so a read-only input such as a
    memory-mapped file is fine.
    """
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "The given NumPy array is not writable")
        tensor = torch.from_numpy(np.ascontiguousarray(array))
    if torch.device(device).type == "cuda":
        return tensor.pin_memory().to(device, non_blocking=True)
    return tensor.to(device)


class DeviceBatches:
    """Mini-batches sliced from tensors already on the training device.

    Each iteration draws a fresh permutation from ``generator`` (a CPU
    :class:`torch.Generator`, so a seed gives the same batches on any
    device) when ``shuffle`` is true, and yields ``(X[idx], y[idx])`` pairs of
    at most ``batch_size`` rows, as skorch's loader would.

    Examples
    --------
    >>> import numpy as np, torch
    >>> from sklearn_stellar.neural._device import DeviceBatches
    >>> batches = DeviceBatches(np.arange(10.0)[:, None], np.arange(10), 4,
    ...                         device="cpu", shuffle=False)
    >>> [len(xb) for xb, _ in batches]
    [4, 4, 2]
    """

    def __init__(self, X, y, batch_size, *, device, shuffle, generator=None):
        self.X = to_device(X, device)
        self.y = to_device(y, device)
        self.batch_size = int(batch_size)
        self.shuffle = shuffle
        self.generator = generator

    def __len__(self):
        return -(-len(self.X) // self.batch_size)

    def __iter__(self):
        n = len(self.X)
        if self.shuffle:
            order = torch.randperm(n, generator=self.generator).to(self.X.device)
        else:
            order = torch.arange(n, device=self.X.device)
        for start in range(0, n, self.batch_size):
            idx = order[start : start + self.batch_size]
            yield self.X[idx], self.y[idx]
