"""Data sets built from real survey spectra and stellar libraries."""

from ._home import get_data_home

__all__ = ["get_data_home"]
