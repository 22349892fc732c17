"""save_model: a fitted estimator tree to a model file."""

from __future__ import annotations

import copy
import datetime
import os
import pathlib
import platform
from importlib import metadata

import numpy as np
from sklearn.base import BaseEstimator

from ._allowlist import (
    PRIVATE_STORED,
    class_kind,
    class_name,
    is_network,
    refit_classes,
)
from ._archive import FORMAT_NAME, FORMAT_VERSION, write_archive
from ._codec import Encoder

__all__ = ["save_model"]


def _versions() -> dict:
    from sklearn_stellar import __version__

    out = {"sklearn_stellar": __version__, "python": platform.python_version()}
    for dist in ("numpy", "scikit-learn", "imbalanced-learn", "torch", "skorch"):
        try:
            out[dist] = metadata.version(dist)
        except metadata.PackageNotFoundError:
            out[dist] = None
    return out


def _check_provenance(value, where="provenance"):
    """Provenance is plain JSON: str keys; str, number, bool, None, list, dict."""
    if isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise TypeError(
                    f"`{where}` keys must be str, got {key!r} ({type(key).__name__})."
                )
            _check_provenance(item, f"{where}[{key!r}]")
    elif isinstance(value, (list, tuple)):
        for i, item in enumerate(value):
            _check_provenance(item, f"{where}[{i}]")
    elif isinstance(value, float) and not np.isfinite(value):
        raise ValueError(f"`{where}` must be a finite number, got {value!r}.")
    elif not (value is None or isinstance(value, (str, int, float, bool))):
        raise TypeError(
            f"`{where}` must hold JSON values (str, number, bool, None, list, "
            f"dict), got {type(value).__name__}."
        )


class _Saver:
    """Encodes an estimator tree; records the wavelength grids it meets."""

    def __init__(self):
        self.encoder = Encoder(self.node)
        self.grids = []

    def node(self, est, where):
        name = class_name(type(est))
        if name is None:
            raise TypeError(
                f"cannot store {where!r}: class {type(est).__module__}."
                f"{type(est).__qualname__} is not on the model-file allow-list "
                "(sklearn_stellar.persistence.allowed_classes())."
            )
        params = est.get_params(deep=False)
        enc = self.encoder
        node = {"__kind__": "estimator", "class": name, "params": {}, "fitted": {}}
        for key in sorted(params):
            node["params"][key] = enc.value(params[key], f"{where}/{key}")
        grid = _grid_summary(params.get("wavelength"), f"{where}/wavelength")
        if grid is not None:
            self.grids.append(grid)
        if class_kind(name) == "sampler":
            return node  # used in fit only: parameters are all that predict needs
        refit = isinstance(est, refit_classes())
        for attr, value in sorted(vars(est).items()):
            if attr in params:
                continue
            at = f"{where}/{attr}"
            if attr == "module_" and is_network(est):
                node["fitted"][attr] = enc.state_dict(value.state_dict(), at)
            elif (attr.endswith("_") and not attr.startswith("_")) or (
                attr in PRIVATE_STORED
            ):
                node["fitted"][attr] = enc.value(value, at)
            elif not (refit and attr.startswith("_")):
                raise TypeError(
                    f"cannot store {at!r}: attribute {attr!r} of {name} is neither "
                    "a parameter nor fitted state ending in '_', and model files "
                    "do not know how to keep it."
                )
        return node


def save_model(estimator, path, *, provenance: dict | None = None) -> pathlib.Path:
    """Write a (fitted) estimator to a model file that never runs code on load.

    The file is a zip archive of ``manifest.json`` (format version, library
    versions, provenance, the estimator tree: classes from an allow-list,
    parameters, fitted state, SHA-256 of every entry) and ``.npy`` entries
    for arrays and network weights. See :doc:`/persistence` for the format.

    Parameters
    ----------
    estimator : estimator
        An estimator of an allowed class (:func:`allowed_classes`), or a
        pipeline or meta-estimator made of them, fitted or not.
    path : str or path-like
        File to write (replaced atomically if it exists). ``.skstellar`` is
        a good suffix; any is accepted.
    provenance : dict, optional
        How the model was trained, as plain JSON (str keys; str, number,
        bool, None, list, dict values), e.g. the training data, its size, the
        command. Stored with the date and the library versions.

    Returns
    -------
    path : pathlib.Path
        The file written.

    Raises
    ------
    TypeError
        If a class is not allowed, or a parameter or fitted attribute has a
        type that cannot be stored without pickling (the message names its
        place in the model, e.g. ``'model/steps/2/1/module_'``).

    See Also
    --------
    load_model : Read the file back.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn_stellar.preprocessing import ContinuumNormalizer
    >>> from sklearn_stellar.persistence import save_model, load_model
    >>> wave = np.linspace(4000.0, 5000.0, 50)
    >>> X = np.random.default_rng(0).uniform(0.5, 1.5, (3, 50))
    >>> norm = ContinuumNormalizer(wavelength=wave, sigma=100.0).fit(X)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_model(norm, f"{folder}/norm.skstellar",
    ...                       provenance={"note": "doctest"})
    ...     loaded = load_model(path)
    >>> np.array_equal(loaded.transform(X), norm.transform(X))
    True
    """
    if not isinstance(path, (str, os.PathLike)):
        raise TypeError(
            f"`path` must be a str or path-like, got {type(path).__name__}."
        )
    if not isinstance(estimator, BaseEstimator):
        raise TypeError(
            "`estimator` must be a scikit-learn estimator of an allowed class, got "
            f"{type(estimator).__name__}."
        )
    if provenance is not None and not isinstance(provenance, dict):
        raise TypeError(
            f"`provenance` must be a dict or None, got {type(provenance).__name__}."
        )
    _check_provenance(provenance or {})
    saver = _Saver()
    root = saver.node(estimator, "model")
    versions = _versions()
    manifest = {
        "format": FORMAT_NAME,
        "format_version": FORMAT_VERSION,
        "versions": versions,
        "provenance": {
            "saved_at": datetime.datetime.now(datetime.timezone.utc).isoformat(
                timespec="seconds"
            ),
            "sklearn_stellar_version": versions["sklearn_stellar"],
            "user": copy.deepcopy(provenance or {}),
        },
        "summary": {
            "class": root["class"],
            "fitted": _is_fitted(estimator),
            "n_features_in": _json_int(getattr(estimator, "n_features_in_", None)),
            "classes": _json_list(getattr(estimator, "classes_", None)),
            "wavelength_grids": saver.grids,
        },
        "model": root,
    }
    write_archive(path, manifest, saver.encoder.entries)
    return pathlib.Path(path)


def _is_fitted(estimator) -> bool:
    from sklearn.exceptions import NotFittedError
    from sklearn.utils.validation import check_is_fitted

    try:
        check_is_fitted(estimator)
    except NotFittedError:
        return False
    return True


def _json_int(value):
    return int(value) if isinstance(value, (int, np.integer)) else None


def _json_list(value):
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuU":
        return value.tolist()
    if isinstance(value, np.ndarray) and value.dtype.kind == "f":
        return value.tolist() if np.isfinite(value).all() else None
    return None


def _grid_summary(grid, where):
    """Size and range of a wavelength grid parameter, for the summary."""
    try:
        grid = np.asarray(grid, dtype=float)
    except (TypeError, ValueError):
        return None
    if grid.ndim != 1 or grid.size == 0 or not np.isfinite(grid).all():
        return None
    return {
        "at": where,
        "n_pixels": int(grid.size),
        "min": float(grid.min()),
        "max": float(grid.max()),
    }
