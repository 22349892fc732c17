"""Spectrum preprocessing: wavelength media, grids and continuum normalisation."""

from ._continuum import ContinuumNormalizer, normalize_continuum
from ._rasterize import HalphaRasterizer
from ._resample import pixel_edges, resample
from ._wavelength import air_to_vacuum, log_linear_grid, to_medium, vacuum_to_air

__all__ = [
    "ContinuumNormalizer",
    "HalphaRasterizer",
    "air_to_vacuum",
    "log_linear_grid",
    "normalize_continuum",
    "pixel_edges",
    "resample",
    "to_medium",
    "vacuum_to_air",
]
