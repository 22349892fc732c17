"""Data sets built from real survey spectra and stellar libraries."""

from ._be_stars import make_be_spectra
from ._binaries import main_sequence_relation, make_binary_spectra
from ._home import get_data_home

__all__ = [
    "get_data_home",
    "main_sequence_relation",
    "make_be_spectra",
    "make_binary_spectra",
]
