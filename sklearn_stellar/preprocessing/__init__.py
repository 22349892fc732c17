"""Spectrum preprocessing: wavelength media, grids and continuum normalisation."""

from ._rasterize import HalphaRasterizer
from ._resample import pixel_edges, resample
from ._wavelength import air_to_vacuum, log_linear_grid, to_medium, vacuum_to_air

__all__ = [
    "HalphaRasterizer",
    "air_to_vacuum",
    "log_linear_grid",
    "pixel_edges",
    "resample",
    "to_medium",
    "vacuum_to_air",
]
