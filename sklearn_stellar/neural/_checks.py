"""Refuse non-finite network weights: from a file, or after training diverged."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

import torch
from sklearn.exceptions import ConvergenceWarning

__all__ = ["check_finite_state", "check_trained_module"]


def _first_non_finite(state: Mapping):
    """(key, n_bad, n_total) of the first floating tensor with NaN/inf, or None."""
    for key, value in state.items():
        if torch.is_tensor(value) and value.is_floating_point():
            bad = int((~torch.isfinite(value)).sum())
            if bad:
                return key, bad, value.numel()
    return None


def check_finite_state(state: Mapping, *, source: str) -> None:
    """Raise if a tensor of a state_dict holds NaN or inf.

    Parameters
    ----------
    state : mapping of str to torch.Tensor
        A state_dict, e.g. from ``torch.load(path, weights_only=True)``.
    source : str
        Where it came from (the file), named in the message.

    Raises
    ------
    ValueError
        Naming ``source``, the first bad key and how many values are bad.

    Examples
    --------
    >>> import torch
    >>> from sklearn_stellar.neural._checks import check_finite_state
    >>> check_finite_state({"w": torch.ones(2)}, source="w.pt")
    >>> check_finite_state({"w": torch.tensor([1.0, float("nan")])}, source="w.pt")
    Traceback (most recent call last):
    ...
    ValueError: w.pt: weights 'w' hold 1 of 2 non-finite values (NaN or inf); the file is damaged or was saved from a diverged training.
    """  # noqa: E501
    found = _first_non_finite(state)
    if found is not None:
        key, bad, total = found
        raise ValueError(
            f"{source}: weights {key!r} hold {bad} of {total} non-finite values "
            "(NaN or inf); the file is damaged or was saved from a diverged "
            "training."
        )


def check_trained_module(module: torch.nn.Module, history: list) -> None:
    """After ``fit``: refuse a diverged network, warn about a recovered one.

    A network whose weights or buffers hold NaN/inf would predict one class
    for every spectrum (argmax of NaN logits), so ``fit`` raises instead. When
    the training loss became non-finite but early stopping restored finite
    weights from an earlier epoch, a :class:`~sklearn.exceptions.
    ConvergenceWarning` says so.

    Parameters
    ----------
    module : torch.nn.Module
        The trained network.
    history : list of dict
        Per-epoch log with ``train_loss`` (and ``valid_loss``).

    Raises
    ------
    ValueError
        If a parameter or buffer of ``module`` is not finite.

    Warns
    -----
    ConvergenceWarning
        If a logged loss is not finite while the weights are.
    """
    epoch = next(
        (
            i + 1
            for i, h in enumerate(history)
            if not all(
                math.isfinite(h[k]) for k in ("train_loss", "valid_loss") if k in h
            )
        ),
        None,
    )
    when = "" if epoch is None else f" (the loss is non-finite from epoch {epoch})"
    state = dict(module.named_parameters()) | dict(module.named_buffers())
    found = _first_non_finite(state)
    if found is not None:
        key, bad, total = found
        raise ValueError(
            f"training diverged{when}: weights {key!r} hold {bad} of {total} "
            "non-finite values, so every prediction would be meaningless. Lower "
            "`lr`, or check that X is scaled (e.g. continuum-normalised)."
        )
    if epoch is not None:
        warnings.warn(
            f"the training loss became non-finite at epoch {epoch}; the weights "
            "kept are finite (restored from the best epoch), but training "
            "diverged: consider a lower `lr`.",
            ConvergenceWarning,
            stacklevel=3,
        )
