"""Catalogs of classifier outputs: per-spectrum and per-star p_b tables."""

from ._binary import binary_catalog, binary_probability, count_above, spectrum_table
from ._grouping import group_by_position
from ._stars import star_table

__all__ = [
    "binary_catalog",
    "binary_probability",
    "count_above",
    "group_by_position",
    "spectrum_table",
    "star_table",
]
