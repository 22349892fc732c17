"""Reading LAMOST spectra and turning specutils spectra into estimator input."""

from . import _registry  # noqa: F401  (registers "lamost-lrs"/"lamost-mrs")
from ._array import default_grid, spectra_to_array
from ._lamost import LamostReadError, LamostSpectra, read_lamost, read_lamost_file
from ._metadata import METADATA_COLUMNS, SNR_BANDS, metadata_row, metadata_table

__all__ = [
    "METADATA_COLUMNS",
    "SNR_BANDS",
    "LamostReadError",
    "LamostSpectra",
    "default_grid",
    "metadata_row",
    "metadata_table",
    "read_lamost",
    "read_lamost_file",
    "spectra_to_array",
]
