"""Sphinx configuration for the sklearn-stellar documentation.

Build (warnings are errors; the gallery runs every ``examples/**/plot_*.py``)::

    pip install -e ".[docs]"
    sphinx-build -W --keep-going -b html docs docs/_build/html

Fast build without running the gallery: add ``-D plot_gallery=0``.

Intersphinx works offline. Links to numpy, scipy, scikit-learn, astropy, torch,
skorch and imbalanced-learn are made only from inventories that need no
network, so an offline build never warns about an unreachable site:

* a local inventory ``docs/_inventories/<name>.inv`` (for example
  ``docs/_inventories/numpy.inv``, a copy of ``https://numpy.org/doc/stable/objects.inv``)
  is used when it exists;
* ``SKLEARN_STELLAR_DOCS_INTERSPHINX=1`` in the environment fetches every
  inventory from its site (a failed fetch is then a warning, hence an error
  under ``-W``: ask for the network only where there is one);
* otherwise the project is left out and its names render as plain literals.
"""

import os
import re
import sys
from pathlib import Path

DOCS = Path(__file__).resolve().parent
ROOT = DOCS.parent
# Document (and run the gallery against) this checkout, not an installed copy.
sys.path.insert(0, str(ROOT))

import sklearn_stellar  # noqa: E402

project = "sklearn-stellar"
release = sklearn_stellar.__version__
version = release
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
    "sphinx_gallery.gen_gallery",
]
templates_path = ["_templates"]
autosummary_generate = True
autodoc_default_options = {"members": False, "inherited-members": False}
numpydoc_show_class_members = False
numpydoc_class_members_toctree = False
exclude_patterns = ["_build", "auto_examples/*.ipynb", "auto_examples/**/*.py"]
html_theme = "pydata_sphinx_theme"
html_theme_options = {"navigation_with_keys": False}

# -- intersphinx, offline first ------------------------------------------------
_INTERSPHINX_SITES = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "scipy": "https://docs.scipy.org/doc/scipy",
    "sklearn": "https://scikit-learn.org/stable",
    "astropy": "https://docs.astropy.org/en/stable",
    "torch": "https://pytorch.org/docs/stable",
    "skorch": "https://skorch.readthedocs.io/en/stable",
    "imblearn": "https://imbalanced-learn.org/stable",
}
_ONLINE = os.environ.get("SKLEARN_STELLAR_DOCS_INTERSPHINX", "") == "1"


def _intersphinx_mapping(online: bool) -> dict:
    mapping = {}
    for name, url in _INTERSPHINX_SITES.items():
        local = DOCS / "_inventories" / f"{name}.inv"
        if local.is_file():
            mapping[name] = (url, str(local))
        elif online:
            mapping[name] = (url, None)
    return mapping


intersphinx_mapping = _intersphinx_mapping(_ONLINE)

# -- sphinx-gallery --------------------------------------------------------------
# examples/README.txt heads the gallery; every sub-folder of examples/ that has a
# README.txt (or README.rst / GALLERY_HEADER.rst) becomes a section of it, and a
# sub-folder without one is skipped. Every plot_*.py is run during the build.
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "doc_module": ("sklearn_stellar",),
    "reference_url": {"sklearn_stellar": None},
    "backreferences_dir": "generated/backreferences",
    "download_all_examples": False,
    "remove_config_comments": True,
    "matplotlib_animations": False,
    "show_memory": False,
    "image_scrapers": ("matplotlib",),
}


# -- constants -------------------------------------------------------------------
# A public constant is defined in a private module with a ``#:`` comment and
# re-exported; autodoc looks for the comment in the package's __init__ and would
# fall back to the docstring of ``int``/``float``. Use the defining comment
# (or nothing: a constant without one shows its value only).
def _constant_comment(fullname: str) -> list[str]:
    package, _, name = fullname.rpartition(".")
    folder = ROOT / Path(*package.split("."))
    pattern = re.compile(rf"((?:^[ \t]*#:.*\n)+)^{re.escape(name)}\s*[:=]", re.M)
    for path in sorted(folder.glob("*.py")):
        found = pattern.search(path.read_text())
        if found:
            return [line.strip()[2:].strip() for line in found.group(1).splitlines()]
    return []


def _document_constants(app, what, name, obj, options, lines):
    if what == "data" and name.startswith("sklearn_stellar."):
        lines[:] = _constant_comment(name)


def setup(app):
    app.connect("autodoc-process-docstring", _document_constants)
