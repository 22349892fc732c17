"""Reading LAMOST spectra and turning specutils spectra into estimator input."""

from ._array import default_grid, spectra_to_array
from ._lamost import LamostReadError, LamostSpectra, read_lamost, read_lamost_file

__all__ = [
    "LamostReadError",
    "LamostSpectra",
    "default_grid",
    "read_lamost",
    "read_lamost_file",
    "spectra_to_array",
]
