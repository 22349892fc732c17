"""Line measurements: equivalent widths, H-alpha peaks and spectral S/N."""

from ._equivalent_width import EWTransformer, equivalent_width
from ._halpha import bartlett_width, find_halpha_peaks
from ._snr import der_snr

__all__ = [
    "EWTransformer",
    "bartlett_width",
    "der_snr",
    "equivalent_width",
    "find_halpha_peaks",
]
