"""The documentation: every public name is in the API reference, and Sphinx
builds with warnings as errors.

The build test skips the gallery (``-D plot_gallery=0``) to stay near one
minute; CI (``.ci/run``) runs the full build, gallery included, once. It is
marked ``docs`` (deselect with ``-m "not docs"``) and skips where the ``docs``
extra is not installed.
"""

import importlib
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
SUBPACKAGES = [
    "baselines",
    "catalog",
    "cli",
    "datasets",
    "domain",
    "filters",
    "followup",
    "io",
    "lines",
    "metrics",
    "neural",
    "persistence",
    "pipelines",
    "plotting",
    "preprocessing",
    "scale",
    "utils",
]


def _documented_names(api_text: str) -> set[str]:
    """Full dotted names listed in the autosummary blocks of ``api.rst``."""
    names, module = set(), None
    for line in api_text.splitlines():
        current = re.match(r"\.\. currentmodule:: (\S+)", line)
        if current:
            module = current.group(1)
        entry = re.match(r"   ([A-Za-z_][\w.]*)$", line)
        if entry and module:
            names.add(f"{module}.{entry.group(1)}")
    return names


def test_api_reference_lists_every_public_name():
    documented = _documented_names((DOCS / "api.rst").read_text())
    public = {
        f"sklearn_stellar.{sub}.{name}"
        for sub in SUBPACKAGES
        for name in importlib.import_module(f"sklearn_stellar.{sub}").__all__
    }
    assert public - documented == set()
    assert (
        documented - public - {"sklearn_stellar.exceptions.EmptySpectrumWarning"}
        == set()
    )


def test_every_subpackage_is_checked():
    on_disk = {
        path.parent.name for path in (ROOT / "sklearn_stellar").glob("*/__init__.py")
    }
    assert on_disk == set(SUBPACKAGES)


@pytest.mark.docs
def test_sphinx_builds_with_warnings_as_errors(tmp_path):
    for module in ("sphinx", "numpydoc", "sphinx_gallery", "pydata_sphinx_theme"):
        pytest.importorskip(module)
    command = [
        sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q",
        "-b", "html", "-D", "plot_gallery=0",
        "-d", str(tmp_path / "doctrees"), str(DOCS), str(tmp_path / "html"),
    ]  # fmt: skip
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True)
    assert done.returncode == 0, done.stdout[-4000:] + done.stderr[-4000:]
    assert (tmp_path / "html" / "api.html").is_file()
    assert (tmp_path / "html" / "user_guide" / "index.html").is_file()
