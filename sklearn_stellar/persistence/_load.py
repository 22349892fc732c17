"""load_model / read_manifest: a verified model file back to an estimator."""

from __future__ import annotations

import io
import logging
import os
import warnings

import numpy as np
from sklearn.base import BaseEstimator, clone

from ._allowlist import PRIVATE_STORED, is_network, refit_classes, resolve_class
from ._archive import read_archive
from ._codec import Decoder, _StateDict
from ._errors import ModelFileError

__all__ = ["load_model", "read_manifest"]

logger = logging.getLogger(__name__)

_NPY_MAGIC = b"\x93NUMPY"


def _walk_classes(tree, where, found):
    """Every (class name, place) of the estimator nodes of a manifest tree."""
    if isinstance(tree, list):
        for i, item in enumerate(tree):
            _walk_classes(item, f"{where}/{i}", found)
    elif isinstance(tree, dict):
        if tree.get("__kind__") == "estimator":
            found.append((tree.get("class"), where))
        for key, item in tree.items():
            _walk_classes(item, f"{where}/{key}", found)
    return found


class _Loader:
    """Rebuilds the estimator tree of a verified manifest."""

    def __init__(self, path, entries):
        self.path = os.fspath(path)
        self.entries = entries
        self.decoder = Decoder(self.array, self.node, self.fail)

    def fail(self, problem, where):
        raise ModelFileError(self.path, f"{problem} (at {where!r})")

    def array(self, entry, where):
        data = self.entries.get(entry) if isinstance(entry, str) else None
        if data is None:
            self.fail(f"refers to entry {entry!r}, which the archive lacks", where)
        if not data.startswith(_NPY_MAGIC):
            raise ModelFileError(self.path, "not a .npy array", entry=entry)
        try:
            arr = np.load(io.BytesIO(data), allow_pickle=False)
        except ValueError as exc:
            raise ModelFileError(
                self.path,
                f"not a plain .npy array, refused without unpickling ({exc})",
                entry=entry,
            ) from None
        except Exception as exc:  # numpy raises several types for a bad header
            raise ModelFileError(
                self.path, f"unreadable .npy array ({exc})", entry=entry
            ) from None
        return arr

    def node(self, node, where):
        name = node.get("class")
        cls = resolve_class(name) if isinstance(name, str) else None
        if cls is None:
            self.fail(f"class {name!r} is not on the allow-list", where)
        params, fitted = node.get("params"), node.get("fitted")
        if not isinstance(params, dict) or not isinstance(fitted, dict):
            self.fail("estimator node needs 'params' and 'fitted' objects", where)
        values = {k: self.decoder.value(v, f"{where}/{k}") for k, v in params.items()}
        try:
            est = cls(**values)
        except TypeError as exc:
            self.fail(f"parameters do not match {name} ({exc})", where)
        state = {k: self.decoder.value(v, f"{where}/{k}") for k, v in fitted.items()}
        for key, value in state.items():
            if not (key.endswith("_") and not key.startswith("_")) and (
                key not in PRIVATE_STORED
            ):
                self.fail(f"{key!r} is not a fitted attribute name", where)
            if isinstance(value, _StateDict) != (key == "module_" and is_network(est)):
                self.fail(
                    f"torch weights are only valid as a network's module_, "
                    f"not as {key!r} of {name}",
                    where,
                )
        if isinstance(est, refit_classes()) and "n_features_in_" in state:
            self._refit(est, state, where)
        for key, value in state.items():
            if key != "module_":
                setattr(est, key, value)
        if "module_" in state:
            est.module_ = self._network(est, state["module_"], where)
        if is_network(est):
            self._device(est, where)
        return est

    def _refit(self, est, state, where):
        """Rebuild private precomputed state by fitting on one row of zeros."""
        ref = clone(est)
        try:
            ref.fit(np.zeros((1, int(state["n_features_in_"]))))
        except (TypeError, ValueError) as exc:
            self.fail(f"parameters do not rebuild {type(est).__name__} ({exc})", where)
        for key, value in state.items():
            if hasattr(ref, key) and not _same(getattr(ref, key), value):
                self.fail(
                    f"stored {key!r} differs from the one this sklearn-stellar "
                    "computes from the parameters",
                    where,
                )
        params = est.get_params(deep=False)
        for key, value in vars(ref).items():
            if key not in params and key not in state:
                setattr(est, key, value)

    def _network(self, est, state, where):
        """The torch module rebuilt by the estimator's own hook, then weighted."""
        import torch

        from ..neural._checks import check_finite_state

        builder = clone(est)
        if "pretrained" in builder.get_params():
            builder.set_params(pretrained=None)  # the weights come from the file
        try:
            n_classes = len(est.classes_)
            with torch.random.fork_rng(devices=[]):
                module = builder._build_module(int(est.n_features_in_), n_classes)
            check_finite_state(state, source="the stored weights")
            module.load_state_dict(state, strict=True)
        except (AttributeError, TypeError, ValueError, RuntimeError) as exc:
            self.fail(
                f"weights do not fit the network of the parameters ({exc})", where
            )
        return module.eval()

    def _device(self, est, where):
        import torch

        device = est.device
        if device == "auto":
            return
        try:
            kind = torch.device(device).type
        except (RuntimeError, TypeError):
            self.fail(f"device {device!r} is not a torch device", where)
        lacking = (kind == "cuda" and not torch.cuda.is_available()) or (
            kind == "mps" and not torch.backends.mps.is_available()
        )
        if lacking:
            est.set_params(device="cpu")
            warnings.warn(
                f"model file {self.path!r}: {where!r} was saved with "
                f"device={device!r}, which this machine lacks; it predicts on the "
                "CPU (device='cpu').",
                UserWarning,
                stacklevel=4,
            )


def _same(a, b) -> bool:
    """Exact equality of fitted values (arrays: dtype, shape and bits/NaN)."""
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        a, b = np.asarray(a), np.asarray(b)
        return (
            a.shape == b.shape
            and a.dtype == b.dtype
            and bool(np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
        )
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return (
            type(a) is type(b)
            and len(a) == len(b)
            and all(_same(x, y) for x, y in zip(a, b, strict=True))
        )
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return type(a) is type(b) and a == b


def _verified_manifest(path):
    manifest, entries = read_archive(path)
    try:
        found = _walk_classes(manifest.get("model"), "model", [])
    except RecursionError:
        raise ModelFileError(path, "the model tree is nested too deeply") from None
    for name, where in found:
        if not isinstance(name, str) or resolve_class(name) is None:
            raise ModelFileError(
                path,
                f"class {name!r} (at {where!r}) is not on the allow-list of "
                "sklearn-stellar model files; refusing to import or build it",
            )
    if not found or manifest["model"].get("__kind__") != "estimator":
        raise ModelFileError(path, "the manifest holds no estimator under 'model'")
    return manifest, entries


def read_manifest(path) -> dict:
    """The verified manifest of a model file, without building the model.

    Checks the format version, every checksum and every class against the
    allow-list, as :func:`load_model` does, then returns the manifest: the
    ``versions``, ``provenance``, ``summary`` (class, classes, number of
    features, wavelength grids) and the estimator tree under ``model``.

    Parameters
    ----------
    path : str or path-like
        Model file written by :func:`save_model`.

    Returns
    -------
    manifest : dict
        The parsed ``manifest.json`` (format, versions, provenance, summary,
        model tree and entries).

    Raises
    ------
    ModelFileError
        As :func:`load_model`.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn.linear_model import LogisticRegression
    >>> from sklearn_stellar.persistence import save_model, read_manifest
    >>> X, y = np.r_[np.zeros((5, 2)), np.ones((5, 2))], np.r_[[0] * 5, [1] * 5]
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     path = save_model(LogisticRegression().fit(X, y), f"{folder}/m.zip",
    ...                       provenance={"data": "toy"})
    ...     manifest = read_manifest(path)
    >>> manifest["summary"]["class"], manifest["provenance"]["user"]
    ('sklearn.linear_model.LogisticRegression', {'data': 'toy'})
    """
    return _verified_manifest(path)[0]


def load_model(path) -> BaseEstimator:
    """Read a model file written by :func:`save_model`; no code from it runs.

    Refuses, with a :class:`ModelFileError` naming the file and the problem:
    a newer format version; any changed byte (SHA-256 of the file and of
    every entry); a class not on the allow-list (before importing anything);
    an array that is not a plain ``.npy`` (pickled data is never loaded);
    weights that do not fit the network the parameters describe. Networks
    are rebuilt on the CPU; one saved with a CUDA or MPS ``device`` that this
    machine lacks is switched to ``device="cpu"`` with a UserWarning.

    Parameters
    ----------
    path : str or path-like
        Model file.

    Returns
    -------
    estimator : estimator
        Equal in parameters and fitted state to the one saved; on the CPU it
        predicts bit-identically.

    Raises
    ------
    ModelFileError
        If the file is refused (a ValueError subclass).
    FileNotFoundError
        If ``path`` does not exist.

    See Also
    --------
    save_model : Write a model file.
    read_manifest : Read a file's manifest without building the model.

    Examples
    --------
    >>> import tempfile, numpy as np
    >>> from sklearn.preprocessing import StandardScaler
    >>> from sklearn_stellar.persistence import save_model, load_model
    >>> X = np.arange(12.0).reshape(4, 3)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     model = load_model(save_model(StandardScaler().fit(X), f"{folder}/s.zip"))
    >>> model.mean_.tolist()
    [4.5, 5.5, 6.5]
    """
    manifest, entries = _verified_manifest(path)
    versions = manifest.get("versions")
    if isinstance(versions, dict):
        logger.info("loading %s written with %s", os.fspath(path), versions)
    try:
        return _Loader(path, entries).decoder.value(manifest["model"], "model")
    except RecursionError:
        raise ModelFileError(path, "the model tree is nested too deeply") from None
