"""The classes a model file may name, and how each one's state is kept.

A model file names classes by their public dotted path. Only the names listed
here are ever imported by :func:`~sklearn_stellar.persistence.load_model`; any
other name is refused before anything is imported or constructed.
"""

from __future__ import annotations

import functools
import importlib

__all__ = [
    "PRIVATE_STORED",
    "allowed_classes",
    "class_kind",
    "class_name",
    "is_network",
    "refit_classes",
    "resolve_class",
]

# Public dotted paths of the third-party classes a model may hold. Samplers are
# used in ``fit`` only (imblearn pipelines skip them when predicting), so only
# their parameters are stored, never their fitted state.
_THIRD_PARTY = {
    "sklearn.pipeline.Pipeline": "estimator",
    "sklearn.preprocessing.StandardScaler": "estimator",
    "sklearn.preprocessing.MinMaxScaler": "estimator",
    "sklearn.preprocessing.LabelEncoder": "estimator",
    "sklearn.linear_model.LogisticRegression": "estimator",
    "imblearn.pipeline.Pipeline": "estimator",
    "imblearn.over_sampling.RandomOverSampler": "sampler",
    "imblearn.over_sampling.SMOTE": "sampler",
    "imblearn.under_sampling.RandomUnderSampler": "sampler",
}


def _public_module(cls) -> str:
    """``sklearn_stellar.preprocessing`` for a class defined in a private module."""
    parts = cls.__module__.split(".")
    while parts and parts[-1].startswith("_"):
        parts.pop()
    return ".".join(parts)


@functools.lru_cache(maxsize=1)
def _registry() -> tuple[dict, dict, dict]:
    """(name -> class, class -> name, name -> kind), built once."""
    from sklearn_stellar.utils import all_estimators

    by_name, kinds = {}, {}
    for name, cls in all_estimators():
        dotted = f"{_public_module(cls)}.{name}"
        by_name[dotted] = cls
        kinds[dotted] = "estimator"
    for dotted, kind in _THIRD_PARTY.items():
        module, _, attr = dotted.rpartition(".")
        by_name[dotted] = getattr(importlib.import_module(module), attr)
        kinds[dotted] = kind
    by_class = {cls: dotted for dotted, cls in by_name.items()}
    return by_name, by_class, kinds


def allowed_classes() -> list[str]:
    """Public dotted names of every class a model file may hold.

    Every public estimator of sklearn-stellar, scikit-learn's and
    imbalanced-learn's ``Pipeline``, ``StandardScaler``, ``MinMaxScaler``,
    ``LabelEncoder``, ``LogisticRegression``, and the imbalanced-learn samplers
    ``RandomOverSampler``, ``SMOTE`` and ``RandomUnderSampler``.

    Returns
    -------
    names : list of str
        Sorted dotted names, e.g. ``"sklearn.pipeline.Pipeline"``.

    Examples
    --------
    >>> from sklearn_stellar.persistence import allowed_classes
    >>> "sklearn_stellar.preprocessing.ContinuumNormalizer" in allowed_classes()
    True
    >>> "sklearn.svm.SVC" in allowed_classes()
    False
    """
    return sorted(_registry()[0])


def class_name(cls: type) -> str | None:
    """Dotted name of an allowed class (exact type, not a subclass), else None."""
    return _registry()[1].get(cls)


def resolve_class(name: str) -> type | None:
    """The class of an allowed dotted name, else None (nothing is imported)."""
    return _registry()[0].get(name)


def class_kind(name: str) -> str:
    """``"sampler"`` (parameters only) or ``"estimator"`` (parameters and state)."""
    return _registry()[2][name]


# Private attributes that are plain data and kept as they are.
PRIVATE_STORED = ("_sklearn_output_config",)


def refit_classes() -> tuple[type, ...]:
    """Classes whose fit only reads the number of columns: their private
    precomputed state (kernels, drawing geometry) is rebuilt on load by
    fitting on one row of zeros, and checked against the stored fitted state."""
    from sklearn_stellar.preprocessing import ContinuumNormalizer, HalphaRasterizer

    return (ContinuumNormalizer, HalphaRasterizer)


def is_network(est) -> bool:
    """Whether ``est`` keeps a torch module in ``module_`` (our networks)."""
    from sklearn_stellar.neural import BaseSpectrumClassifier

    return isinstance(est, BaseSpectrumClassifier)
