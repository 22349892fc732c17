"""Sphinx configuration for the sklearn-stellar documentation."""

import sklearn_stellar

project = "sklearn-stellar"
release = sklearn_stellar.__version__
extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.autosummary",
    "sphinx.ext.intersphinx",
    "numpydoc",
]
autosummary_generate = True
numpydoc_show_class_members = False
intersphinx_mapping = {
    "python": ("https://docs.python.org/3", None),
    "numpy": ("https://numpy.org/doc/stable", None),
    "sklearn": ("https://scikit-learn.org/stable", None),
    "astropy": ("https://docs.astropy.org/en/stable", None),
    "specutils": ("https://specutils.readthedocs.io/en/stable", None),
    "skorch": ("https://skorch.readthedocs.io/en/stable", None),
    "imblearn": ("https://imbalanced-learn.org/stable", None),
}
html_theme = "pydata_sphinx_theme"
exclude_patterns = ["_build"]
