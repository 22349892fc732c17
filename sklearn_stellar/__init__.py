"""sklearn-stellar: find binary stars and classical Be stars in survey spectra.

scikit-learn compatible estimators reproducing two published LAMOST methods:
binary vs single main-sequence stars from low-resolution spectra and classical
Be stars from medium-resolution H-alpha profiles.
"""

__version__ = "0.1.0.dev0"

__all__ = ["__version__"]
