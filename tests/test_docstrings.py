"""numpydoc validation of every public name, and an Examples section on each.

Every name in the ``__all__`` of every subpackage is checked with
:func:`numpydoc.validate.validate`, and so is every public method a public class
defines itself (methods inherited from scikit-learn, skorch or torch are
theirs to document). The Examples sections are run by ``--doctest-modules``
(setup.cfg), so each one is also a test.

Check codes left out, with the reason:

* ``SA01`` (no See Also section): a See Also is written where a reader needs a
  pointer; a mandatory one on every helper would be noise.
* ``ES01`` (no extended summary): short helpers say all in the summary line.
* ``RT02`` (a single return value given as ``name : type``): the house style,
  like scikit-learn's, names returned arrays (``p_b : ndarray of shape ...``).
* ``EX01`` on methods only: a class's Examples show its methods; every public
  function and class must have Examples (checked separately below).

``KNOWN_GAPS`` lists, per name, the checks that still fail; each is a strict
xfail, so fixing a docstring makes the test fail until its entry is removed.
"""

import importlib
import inspect

import pytest

numpydoc_validate = pytest.importorskip("numpydoc.validate")

SUBPACKAGES = [
    "baselines", "catalog", "cli", "datasets", "domain", "filters", "followup", "io",
    "lines",
    "metrics", "neural", "persistence", "pipelines", "plotting", "preprocessing",
    "scale", "utils",
]  # fmt: skip
IGNORED = {"SA01", "ES01", "RT02"}
IGNORED_ON_METHODS = {"EX01"}


def _public_objects():
    """(dotted name, object, is_method) for every public callable."""
    found = []
    for sub in SUBPACKAGES:
        module = importlib.import_module(f"sklearn_stellar.{sub}")
        for name in module.__all__:
            obj = getattr(module, name)
            if not callable(obj):
                continue  # constants: documented in api.rst
            dotted = f"sklearn_stellar.{sub}.{name}"
            found.append((dotted, obj, False))
            if inspect.isclass(obj):
                for attr, value in vars(obj).items():
                    if attr.startswith("_"):
                        continue
                    if isinstance(value, (staticmethod, classmethod)):
                        value = value.__func__
                    if inspect.isfunction(value) or isinstance(value, property):
                        found.append((f"{dotted}.{attr}", value, True))
    found.append(("sklearn_stellar.exceptions.EmptySpectrumWarning", None, False))
    return found


PUBLIC = _public_objects()
KNOWN_GAPS: dict[str, set[str]] = {}


def _errors(dotted, is_method):
    ignored = IGNORED | (IGNORED_ON_METHODS if is_method else set())
    result = numpydoc_validate.validate(dotted)
    return {code for code, _ in result["errors"] if code not in ignored}, result


@pytest.mark.parametrize(
    "dotted, is_method",
    [
        pytest.param(
            dotted,
            is_method,
            marks=[
                pytest.mark.xfail(
                    strict=True,
                    reason=str(KNOWN_GAPS.get(dotted.removeprefix("sklearn_stellar."))),
                )
            ]
            if dotted.removeprefix("sklearn_stellar.") in KNOWN_GAPS
            else [],
        )
        for dotted, _, is_method in PUBLIC
    ],
)
def test_numpydoc_sections_are_valid(dotted, is_method):
    codes, result = _errors(dotted, is_method)
    messages = [f"{c}: {m}" for c, m in result["errors"] if c in codes]
    assert not codes, "\n".join(messages)


@pytest.mark.parametrize(
    "dotted",
    [
        pytest.param(
            dotted,
            marks=[pytest.mark.xfail(strict=True, reason="no Examples yet")]
            if "EX01" in KNOWN_GAPS.get(dotted.removeprefix("sklearn_stellar."), ())
            else [],
        )
        for dotted, _, is_method in PUBLIC
        if not is_method
    ],
)
def test_public_function_or_class_has_examples(dotted):
    codes = {code for code, _ in numpydoc_validate.validate(dotted)["errors"]}
    assert "EX01" not in codes, f"{dotted} has no Examples section"
