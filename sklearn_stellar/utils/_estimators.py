"""Discovery of the public estimators, used by the common checks."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

from sklearn.base import BaseEstimator

__all__ = ["all_estimators"]


def all_estimators():
    """List every public estimator class of sklearn-stellar.

    Walks the public subpackages (modules without a leading underscore in their
    own name) so that a new estimator is picked up by ``tests/test_common.py``
    the day it is exported.

    Returns
    -------
    estimators : list of (str, type)
        Sorted ``(name, class)`` pairs.

    Examples
    --------
    >>> from sklearn_stellar.utils import all_estimators
    >>> names = [name for name, _ in all_estimators()]
    >>> "ContinuumNormalizer" in names
    True
    """
    import sklearn_stellar

    found = {}
    for info in pkgutil.walk_packages(sklearn_stellar.__path__, "sklearn_stellar."):
        parts = info.name.split(".")
        if any(part.startswith("_") for part in parts[1:]) or "tests" in parts:
            continue
        module = importlib.import_module(info.name)
        for name in getattr(module, "__all__", ()):
            obj = getattr(module, name)
            if (
                inspect.isclass(obj)
                and issubclass(obj, BaseEstimator)
                and not inspect.isabstract(obj)
                and not name.startswith("_")
            ):
                found[name] = obj
    return sorted(found.items())
